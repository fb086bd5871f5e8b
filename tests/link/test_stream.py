"""The sending side in the app: the live streamer hands poses to its own thread and
sends them as they come (newest wins, never waits), ``mocap stream --take`` replays a
take at its timing, ``mocap blender-addon`` writes an installable zip, and bad options
are refused at once naming what is allowed."""
from __future__ import annotations

import socket
import threading
import time
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest

from mocap_app.cli import main
from mocap_app.core.pose import FramePose
from mocap_app.link import LiveRetargeter, LiveStreamer, StreamSettings, take_frames
from mocap_app.link.blender_addon import rigmap, wire
from mocap_app.link.blender_addon.receiver import LinkReceiver
from mocap_app.takes.take import save_sequences

from ..export.puppet import puppet_sequence


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drain(rx: LinkReceiver, n: int, timeout: float = 5.0) -> list:
    got, end = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        got += rx.poll()
        time.sleep(0.005)
    return got


def _packet_positions(p) -> np.ndarray:
    pos = np.zeros((wire.NUM_BONES, 3))
    pos[0] = p.root
    g = [np.array(rigmap.quat_to_mat(q)) for q in p.rotations]
    for b, parent in enumerate(wire.PARENTS):
        if parent >= 0:
            pos[b] = pos[parent] + g[parent] @ np.array(p.offsets[b])
    return pos


def _result(joints, t, latency=0.01):
    pose = FramePose(int(t * 30), t, (640, 480), joints_3d=joints)
    return SimpleNamespace(pose=pose, refined_joints=None, latency=latency)


def test_live_poses_are_retargeted_and_sent_as_they_come():
    take = puppet_sequence(40, fps=30.0, turns=0.2)
    rx = LinkReceiver(_free_port())
    streamer = LiveStreamer(StreamSettings(port=rx.port))
    want = LiveRetargeter()
    try:
        got = []
        for k in range(40):
            streamer.send_result(_result(take.joints_3d[k], take.timestamps[k]))
            expected = want.frame(take.joints_3d[k], take.timestamps[k])
            assert streamer.flush()
            got += _drain(rx, 1)
            np.testing.assert_allclose(_packet_positions(got[-1]), expected.positions(),
                                       atol=2e-6)
        # no person: nothing sent, counted
        streamer.send_result(_result(None, 2.0))
        assert streamer.flush()
        time.sleep(0.05)
        assert streamer.no_person == 1 and rx.poll() == []
        assert [p.seq for p in got] == list(range(40))
        assert not got[0].root_tracked          # live poses stand in place at hip height
        hips_height = got[0].root[1]
        assert 0.8 < hips_height < 1.0 and got[0].root[0] == got[0].root[2] == 0.0
        assert streamer.stats.sent == 40 and streamer.stats.dropped == 0
    finally:
        streamer.close()
        rx.close()


def test_a_pose_replaced_before_sending_is_counted_not_queued():
    take = puppet_sequence(5, fps=30.0)
    entered, release = threading.Event(), threading.Event()

    class StuckSender:
        from mocap_app.link.sender import SenderStats
        stats = SenderStats()
        threads = set()

        def send(self, frame, age=0.0):
            self.threads.add(threading.current_thread().name)
            entered.set()
            release.wait(5)              # the network is slow: the link thread waits here
            self.stats.sent += 1
            return True

        def close(self):
            pass
    streamer = LiveStreamer(StreamSettings(), sender=StuckSender())
    try:
        streamer.send_result(_result(take.joints_3d[0], take.timestamps[0]))
        assert entered.wait(5)           # pose 0 is being sent
        for k in range(1, 5):            # the live loop goes on: each replaces the last
            streamer.send_result(_result(take.joints_3d[k], take.timestamps[k]))
        release.set()
        assert streamer.flush()
        # 0 went out; 1..3 were replaced before the link took them; 4 went out after
        assert streamer.stats.superseded == 3 and streamer.stats.sent == 2
        # the live loop's thread only hands poses over: sending is the link's thread
        assert StuckSender.threads == {"link-send"}
    finally:
        release.set()
        streamer.close()


def test_mocap_stream_replays_a_take_at_its_timing(tmp_path, capsys):
    take = puppet_sequence(15, fps=30.0, turns=0.1)
    save_sequences(tmp_path / "poses.npz", take)
    rx = LinkReceiver(_free_port())
    try:
        assert main(["stream", "--take", str(tmp_path / "poses.npz"), "--to", "blender",
                     "--port", str(rx.port)]) == 0
        got = _drain(rx, 15)
    finally:
        rx.close()
    # sent at the take's own pace: 14 frame intervals of 1/30 s (the sender's clock)
    assert 14 / 30 - 0.005 <= got[-1].sent - got[0].sent < 14 / 30 + 0.25
    frames = take_frames(take)
    assert len(got) == 15
    for p, f in zip(got, frames):
        assert p.timestamp == pytest.approx(f.timestamp)
        np.testing.assert_allclose(_packet_positions(p), f.positions(), atol=2e-6)
    assert "15 poses sent, 0 dropped" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--port", "0"], "1..65535"),
    (["--port", "65536"], "1..65535"),
    (["--host", "10.1.2.3"], "unauthenticated"),
    (["--host", "not-an-address"], "not an IP address"),
    (["--seconds", "-1"], "positive"),
    (["--tilt", "100"], "--tilt must be -90..90 degrees"),
    (["--tilt", "level"], "--tilt must be -90..90 degrees, got 'level'"),
    (["--tilt", "auto"], "--tilt auto is for files: a live stream cannot look ahead"),
])
def test_bad_stream_options_are_refused_at_once(tmp_path, capsys, argv, message):
    t0 = time.monotonic()
    assert main(["stream", "--take", str(tmp_path / "none.npz"), *argv]) == 2
    assert time.monotonic() - t0 < 1.0
    assert message in capsys.readouterr().err


def test_a_remote_address_with_the_opt_in_warns(tmp_path, capsys):
    take = puppet_sequence(3, fps=30.0)
    save_sequences(tmp_path / "poses.npz", take)
    assert main(["stream", "--take", str(tmp_path / "poses.npz"), "--host", "192.0.2.1",
                 "--allow-remote", "--port", "9"]) == 0
    assert "unauthenticated" in capsys.readouterr().err


def test_mocap_blender_addon_writes_an_installable_zip(tmp_path):
    out = tmp_path / "mocap_link.zip"
    assert main(["blender-addon", "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = zf.read("mocap_link/blender_manifest.toml").decode()
        init = zf.read("mocap_link/__init__.py").decode()
    assert names == {f"mocap_link/{n}" for n in ("__init__.py", "wire.py", "receiver.py",
                                                 "rigmap.py", "ui.py",
                                                 "blender_manifest.toml")}
    import tomllib
    m = tomllib.loads(manifest)
    assert (m["schema_version"], m["id"], m["type"], m["blender_version_min"]) == \
        ("1.0.0", "mocap_link", "add-on", "4.2.0")
    assert "network" in m["permissions"]
    assert "bl_info" in init and "def register" in init


def test_a_pose_sent_long_after_it_was_made_is_counted_late():
    from mocap_app.link import LinkSender
    from mocap_app.link.sender import LATE_AFTER_S
    frames = take_frames(puppet_sequence(3, fps=30.0))
    tx = LinkSender(StreamSettings(port=_free_port()))
    try:
        assert tx.send(frames[0], age=LATE_AFTER_S / 2)
        assert tx.send(frames[1], age=LATE_AFTER_S * 2)       # still sent: the newest
        assert (tx.stats.sent, tx.stats.late) == (2, 1)
    finally:
        tx.close()


def test_mocap_stream_sends_a_videos_live_poses(capsys):
    """The headless twin of the Stream toggle: the sample clip played as a camera through
    the real live pipeline, each refined pose sent as it is made."""
    from mocap_app.core.paths import sample_clip
    rx = LinkReceiver(_free_port())
    got = []
    try:
        assert main(["stream", str(sample_clip()), "--to", "blender", "--port", str(rx.port),
                     "--seconds", "3"]) == 0
        got = _drain(rx, 1000, timeout=0.5)
    finally:
        rx.close()
    out = capsys.readouterr().out
    assert len(got) >= 5, out
    assert [p.seq for p in got] == list(range(len(got)))
    times = [p.timestamp for p in got]
    assert times == sorted(times) and times[-1] <= 3.5     # capture times of the clip
    assert f"{len(got)} poses sent, 0 dropped" in out


def test_mocap_stream_to_vmc(tmp_path):
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import BlockingOSCUDPServer
    take = puppet_sequence(3, fps=30.0)
    save_sequences(tmp_path / "poses.npz", take)
    seen = []
    dispatcher = Dispatcher()
    dispatcher.map("/VMC/Ext/T", lambda address, t: seen.append(t))
    server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    server.timeout = 5.0
    t = threading.Thread(target=lambda: [server.handle_request() for _ in range(3)])
    t.start()
    try:
        assert main(["stream", "--take", str(tmp_path / "poses.npz"), "--to", "vmc",
                     "--port", str(server.server_address[1])]) == 0
        t.join(timeout=10)
    finally:
        server.server_close()
    np.testing.assert_allclose(seen, [0.0, 1 / 30, 2 / 30], atol=1e-6)
