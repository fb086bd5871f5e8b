"""The live link into real Blender (bpy 4.5 in one child process, ~8 s): the add-on zip
installs through Blender's extension installer, a sender streams a recorded take over
loopback at its frame rate with bad datagrams among the poses, and

- the armature's bone heads after the stream (live) and in the recorded action (on the
  take's frames) equal those of the BVH export of the same take, within 1 mm;
- the recorded action spans exactly the take's frames at the scene's frame rate;
- every bad datagram is dropped and counted by its kind, none stops the receiver;
- the last pose retargeted onto an A-posed armature with Rigify names, 10 % larger,
  puts every bone where ours is (scaled by 1.1): the user's rest pose, not ours; so
  does an armature as a Mixamo FBX imports (mixamorig: names, cm, object turned and
  scaled);
- Start refuses a non-loopback address without the opt-in; the zip also installs as a
  legacy add-on.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mocap_app.export import export_sequence
from mocap_app.export.blender import blender_available
from mocap_app.export.presets import bone_name
from mocap_app.link import LinkSender, StreamSettings, take_frames
from mocap_app.link.addon_zip import write_addon_zip
from mocap_app.link.blender_addon import wire
from mocap_app.link.sender import quaternions

from ..export.puppet import puppet_sequence

if not blender_available():
    pytest.fail("bpy is not installed: run scripts/setup.sh (pip install bpy==4.5.15)",
                pytrace=False)

CHILD = Path(__file__).with_name("blender_link_child.py")
FRAMES = 45
CHECK_FRAMES = [1, 12, 30, 45]        # Blender frames; the take's frame k is k + 1
TOL_M = 0.001
APOSED_SCALE, APOSED_DOWN = 1.1, 40.0
BAD = {"malformed": 3, "truncated": 1, "oversized": 1, "version": 1, "late": 1}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bad_datagrams(sender: LinkSender, frame) -> list[bytes]:
    """One of each kind of datagram the receiver must drop (see ``BAD``)."""
    q = quaternions(frame.world_rotations)
    good = wire.encode_pose(sender.stream_id, 10**6, 99.0, time.time(), frame.root, q,
                            frame.offsets)
    bad_crc = bytearray(good)
    bad_crc[100] ^= 0xFF
    nan_root = wire.encode_pose(sender.stream_id, 10**6, 99.0, time.time(),
                                (float("nan"), 0, 0), q, frame.offsets)
    version_2 = bytearray(good)
    version_2[4] = 2
    old = wire.encode_pose(sender.stream_id, 3, 0.1, time.time(), frame.root, q,
                           frame.offsets)                      # seq 3 after seq ~20: late
    return [os.urandom(200), bytes(bad_crc), nan_root,            # malformed x 3
            good[:300],                                            # truncated
            good + bytes(4000),                                    # oversized
            bytes(version_2), old]


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("link")
    take = puppet_sequence(FRAMES, fps=30.0, turns=0.25)
    bvh = export_sequence(take, tmp / "take.bvh")
    zip_path = write_addon_zip(tmp / "mocap_link.zip")
    port = free_udp_port()
    frames = take_frames(take)
    request = {"zip": str(zip_path), "bvh": str(bvh), "port": port, "scene_fps": 30,
               "expect": FRAMES + sum(BAD.values()), "timeout": 30, "frames": CHECK_FRAMES,
               "aposed_scale": APOSED_SCALE, "aposed_arm_down": APOSED_DOWN,
               "result": str(tmp / "result.json")}
    (tmp / "request.json").write_text(json.dumps(request))
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp / "blender_user"),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    child = subprocess.Popen([sys.executable, str(CHILD), str(tmp / "request.json")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=tmp)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "READY" not in line and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line and child.poll() is not None:
                pytest.fail(f"Blender child died: {child.stderr.read()[-2000:]}")
        sender = LinkSender(StreamSettings(port=port))
        t0 = time.monotonic()
        for k, f in enumerate(frames):
            delay = t0 + f.timestamp - time.monotonic()     # the take's own timing
            if delay > 0:
                time.sleep(delay)
            assert sender.send(f)
            if k == 20:
                for data in bad_datagrams(sender, f):
                    sender.sock.sendto(data, sender.address)
        sender.close()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, child.stderr.read()[-3000:]
    return {"take": take, "frames": frames, "sender": sender,
            "result": json.loads((tmp / "result.json").read_text())}


def _max_error(a: dict, b: dict, names) -> float:
    return max(float(np.abs(np.subtract(a[n], b[n])).max()) for n in names)


def test_recorded_action_matches_the_bvh_export_within_1mm(streamed):
    r = streamed["result"]
    names = list(r["reference"]["1"])
    assert len(names) == wire.NUM_BONES
    for f in CHECK_FRAMES:
        err = _max_error(r["recorded"][str(f)], r["reference"][str(f)], names)
        assert err <= TOL_M, f"frame {f}: {err * 1000:.3f} mm"
    # one key per streamed pose, at the take's timing (frame k + 1), scene at 30 fps
    assert r["action_range"] == [1.0, float(FRAMES)]


def test_the_live_armature_shows_the_newest_pose(streamed):
    r = streamed["result"]
    names = list(r["reference"]["1"])
    err = _max_error(r["live_heads"], r["reference"][str(FRAMES)], names)
    assert err <= TOL_M, f"{err * 1000:.3f} mm"
    assert r["bones_mapped"] == wire.NUM_BONES


def test_bad_datagrams_are_dropped_and_counted(streamed):
    st = streamed["result"]["stats"]
    assert st["accepted"] == FRAMES
    assert st["received"] == FRAMES + sum(BAD.values())
    for kind, n in BAD.items():
        assert st[kind] == n, (kind, st)
    assert st["dropped"] == sum(BAD.values())
    assert st["streams"] == 1
    assert f"{FRAMES} poses, {sum(BAD.values())} dropped" in streamed["result"]["status"]
    sender = streamed["sender"].stats
    assert (sender.sent, sender.dropped, sender.stale) == (FRAMES, 0, 0)


def test_the_timer_never_blocks(streamed):
    # one tick drains what arrived and returns: far below a frame of Blender's UI
    assert streamed["result"]["longest_tick"] < 0.1
    lat = streamed["result"]["latencies"]
    assert len(lat) > 0 and all(0 <= x < 1.0 for x in lat)


def test_retargeted_onto_an_a_posed_rig_with_rigify_names(streamed):
    r = streamed["result"]
    assert r["aposed_mapped"] == wire.NUM_BONES
    assert r["last_seq"] == FRAMES - 1
    ref = r["reference"][str(FRAMES)]
    err = max(float(np.abs(np.subtract(r["aposed_heads"][bone_name(n, "rigify")],
                                       APOSED_SCALE * np.asarray(ref[n]))).max())
              for n in wire.BONES)
    assert err <= TOL_M * APOSED_SCALE, f"{err * 1000:.3f} mm"


def test_root_motion_off_keeps_the_hips_at_their_rest_place(streamed):
    r = streamed["result"]
    ref = {n: np.asarray(v) for n, v in r["reference"][str(FRAMES)].items()}
    got = r["aposed_heads_in_place"]
    assert np.abs(np.asarray(got["spine"])).max() < 1e-6      # Hips head at rest: origin
    err = max(float(np.abs(np.subtract(got[bone_name(n, "rigify")],
                                       APOSED_SCALE * (ref[n] - ref["Hips"]))).max())
              for n in wire.BONES)
    assert err <= TOL_M * APOSED_SCALE, f"{err * 1000:.3f} mm"


def test_retargeted_onto_a_mixamo_fbx_import(streamed):
    """mixamorig: names, bones in centimetres in Y-up space, the object turned and
    scaled 0.01: every bone head lands where the BVH's does, in world space."""
    r = streamed["result"]
    assert r["fbx_like_mapped"] == wire.NUM_BONES
    ref = r["reference"][str(FRAMES)]
    err = max(float(np.abs(np.subtract(r["fbx_like_heads"]["mixamorig:" + n], ref[n])).max())
              for n in wire.BONES)
    assert err <= TOL_M, f"{err * 1000:.3f} mm"


def test_a_setting_that_cannot_work_is_reported_and_the_timer_goes_on(streamed):
    r = streamed["result"]
    assert r["bad_setting_tick"] == pytest.approx(1 / 120)      # still scheduled
    assert r["bad_setting_status"].startswith(
        "error: no bone of 'live' is named as the Unreal preset names them")


def test_the_panel_shows_the_settings_status_and_rate(streamed):
    r = streamed["result"]
    drawn = [tuple(x) for x in r["panel_running"]]
    props = [name for kind, name in drawn if kind == "prop"]
    assert props == ["port", "allow_remote", "armature", "preset", "root_motion", "record"]
    assert ("operator", "mocap_link.stop") in drawn          # running: the Stop button
    labels = [text for kind, text in drawn if kind == "label"]
    assert labels[0] == r["status"] and f"{FRAMES} poses" in labels[0]
    assert labels[1].endswith(f"fps received, {wire.NUM_BONES} bones mapped")
    # another interface: the address field and the warning
    remote = [tuple(x) for x in r["panel_remote"]]
    assert ("prop", "host") in remote and ("operator", "mocap_link.start") in remote
    assert ("label", "The stream is unauthenticated:") in remote


def test_start_refuses_another_interface_without_the_opt_in(streamed):
    r = streamed["result"]
    assert "10.1.2.3 is not loopback" in r["refused"] and "unauthenticated" in r["refused"]
    assert r["listening_after_refusal"] is False


def test_the_zip_also_installs_as_a_legacy_add_on(streamed):
    assert streamed["result"]["legacy_enabled"] is True
