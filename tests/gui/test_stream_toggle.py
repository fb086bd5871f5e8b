"""The Stream toggle beside Record: with the fake camera running, it sends every live
pose to a receiver on this computer (the add-on's own receiving code listens) until it is
switched off; "to VMC" sends VMC bundles (a python-osc receiver gets them); a bad port in
the settings is refused with the valid range, and stopping the camera stops the
stream."""
from __future__ import annotations

import socket

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.core.paths import sample_clip
from mocap_app.link.blender_addon import wire
from mocap_app.link.blender_addon.receiver import LinkReceiver


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_stream_toggle_sends_live_poses(qtbot, window, screenshot):
    rx = LinkReceiver(_free_port())
    got = []
    try:
        window.settings.set("link/port_blender", rx.port)
        sp = window.source_panel
        assert not sp.stream_button.isEnabled()         # nothing to stream before live
        assert window.start_live(lambda: PacedVideoSource(sample_clip(), loop=True),
                                 "fake camera")
        qtbot.waitUntil(lambda: window.last_live_result is not None, timeout=30_000)
        assert sp.stream_button.isEnabled()
        sp.stream_button.click()
        assert window.streamer is not None and sp.stream_button.isChecked()
        assert not sp.stream_target.isEnabled()

        def received(n):
            got.extend(rx.poll())
            return len(got) >= n
        qtbot.waitUntil(lambda: received(10), timeout=30_000)
        qtbot.waitUntil(lambda: " sent," in sp.stream_label.text(), timeout=5000)
        screenshot(window, "main_window_live_streaming")
        assert [p.seq for p in got] == list(range(len(got)))       # in order, none lost
        assert len(got[0].rotations) == wire.NUM_BONES
        # live poses stand at hip height, in place (the live pipeline has no root track)
        assert not got[-1].root_tracked and 0.5 < got[-1].root[1] < 1.3
        sp.stream_button.click()                                  # off again
        assert window.streamer is None and not sp.stream_button.isChecked()
        stats = window.last_stream_stats
        assert stats.sent >= 10 and stats.dropped == 0
        qtbot.wait(300)
        rx.poll()
        assert rx.poll() == []                                    # nothing more comes

        # a bad port from the settings: refused, naming the range; the button stays off
        window.settings.set("link/port_blender", 70000)
        sp.stream_button.click()
        assert window.streamer is None and not sp.stream_button.isChecked()
        assert "1..65535" in window.errors[-1][1]

        # to VMC: a python-osc receiver gets the bundles
        vmc_times = []
        dispatcher = Dispatcher()
        dispatcher.map("/VMC/Ext/T", lambda address, t: vmc_times.append(t))
        server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        server.timeout = 0.05
        try:
            window.settings.set("link/port_vmc", server.server_address[1])
            sp.stream_target.setCurrentIndex(sp.stream_target.findData("vmc"))
            sp.stream_button.click()
            assert window.streamer.settings.target == "vmc"

            def vmc_received(n):
                server.handle_request()
                return len(vmc_times) >= n
            qtbot.waitUntil(lambda: vmc_received(3), timeout=30_000)
            assert vmc_times == sorted(vmc_times)
            sp.stream_button.click()
        finally:
            server.server_close()

        window.settings.set("link/port_blender", rx.port)
        sp.stream_target.setCurrentIndex(sp.stream_target.findData("blender"))
        sp.stream_button.click()
        assert window.streamer is not None
        window.stop_live()                                        # stopping ends the link
        qtbot.waitUntil(lambda: window.mode == "idle", timeout=10_000)
        assert window.streamer is None and not sp.stream_button.isChecked()
        assert not sp.stream_button.isEnabled()
        assert np.isfinite(got[-1].root).all()
    finally:
        rx.close()
