"""VMC out, decoded by a receiver built from the same OSC library (python-osc): every
humanoid bone of a streamed pose arrives, with Unity's names, and forward kinematics of
the received local positions and rotations (Unity's left-handed axes) puts every bone
back where the rig has it."""
from __future__ import annotations

import threading

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from scipy.spatial.transform import Rotation

from mocap_app.link import StreamSettings, take_frames
from mocap_app.link.blender_addon.wire import BONES
from mocap_app.link.vmc import UNITY_BONES, UNITY_PARENT, VmcSender

from ..export.puppet import puppet_sequence

HUMANOID = {"Hips", "Spine", "Chest", "UpperChest", "Neck", "Head"} | {
    s + b for s in ("Left", "Right") for b in (
        "Shoulder", "UpperArm", "LowerArm", "Hand", "MiddleProximal", "UpperLeg",
        "LowerLeg", "Foot", "Toes")}


def _receive(frames, n_bundles):
    """Send ``frames`` with VmcSender to a python-osc server; every message received."""
    got = []
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: got.append((address, args)))
    server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    server.timeout = 2.0
    port = server.server_address[1]
    sender = VmcSender(StreamSettings(target="vmc", port=port))
    done = threading.Event()

    def serve():
        for _ in range(n_bundles):
            server.handle_request()
        done.set()
    t = threading.Thread(target=serve)
    t.start()
    for f in frames:
        assert sender.send(f)
    t.join(timeout=10)
    server.server_close()
    sender.close()
    assert done.is_set()
    return got, sender


def test_every_bone_of_a_frame_decodes_and_rebuilds_the_pose():
    take = puppet_sequence(20, fps=30.0, turns=0.3)
    frame = take_frames(take)[13]
    got, sender = _receive([frame], 1)
    assert sender.stats.sent == 1
    by_address = {}
    for address, args in got:
        by_address.setdefault(address, []).append(args)
    assert by_address["/VMC/Ext/OK"] == [(1, 3, 0)]
    (t,), = by_address["/VMC/Ext/T"]
    assert abs(t - frame.timestamp) < 1e-6
    assert by_address["/VMC/Ext/Root/Pos"] == [("root", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)]
    bones = {args[0]: np.array(args[1:], float) for args in by_address["/VMC/Ext/Bone/Pos"]}
    assert set(bones) == HUMANOID and len(by_address["/VMC/Ext/Bone/Pos"]) == len(HUMANOID)
    # forward kinematics in Unity's axes, as a marionette does it
    world_p, world_r = {}, {}
    for b in BONES:
        name = UNITY_BONES.get(b)
        if name is None:
            continue
        p, q = bones[name][:3], Rotation.from_quat(bones[name][3:])
        parent = UNITY_PARENT[name]
        if parent is None:
            world_p[name], world_r[name] = p, q
        else:
            world_p[name] = world_p[parent] + world_r[parent].apply(p)
            world_r[name] = world_r[parent] * q
    want = frame.positions()
    for i, b in enumerate(BONES):
        if b in UNITY_BONES:
            ours = world_p[UNITY_BONES[b]] * np.array([-1.0, 1.0, 1.0])   # Unity -> app
            assert np.abs(ours - want[i]).max() < 1e-5, b
    # a rotation, too: the left forearm's world rotation, mirrored back
    r_unity = world_r["LeftLowerArm"].as_matrix()
    m = np.diag([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(m @ r_unity @ m,
                               frame.world_rotations[BONES.index("LeftForeArm")], atol=1e-5)


def test_a_stream_of_frames_arrives_in_order():
    frames = take_frames(puppet_sequence(10, fps=30.0))
    got, sender = _receive(frames, len(frames))
    times = [args[0] for address, args in got if address == "/VMC/Ext/T"]
    np.testing.assert_allclose(times, [f.timestamp for f in frames], atol=1e-6)
    assert (sender.stats.sent, sender.stats.dropped) == (10, 0)


def test_an_older_pose_is_not_sent_and_counted():
    frames = take_frames(puppet_sequence(6, fps=30.0))
    sender = VmcSender(StreamSettings(target="vmc"))
    try:
        assert sender.send(frames[5])
        assert not sender.send(frames[3])
        assert (sender.stats.sent, sender.stats.stale) == (1, 1)
    finally:
        sender.close()
