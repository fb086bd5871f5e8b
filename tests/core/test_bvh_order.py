"""A BVHMotion whose joints are parents-first but not depth-first (bones added after the
body's) is written with its channels where the hierarchy puts them."""
import numpy as np

from mocap_app.core.bvh import BVHJoint, BVHMotion, format_bvh, parse_bvh

ROT = ["Zrotation", "Xrotation", "Yrotation"]


def test_non_depth_first_joints_round_trip():
    joints = [
        BVHJoint("root", -1, np.zeros(3), ["Xposition", "Yposition", "Zposition"] + ROT),
        BVHJoint("a", 0, np.array([1.0, 0, 0]), list(ROT)),
        BVHJoint("b", 0, np.array([0, 1.0, 0]), list(ROT), np.array([0, 0.5, 0])),
        BVHJoint("a_child", 1, np.array([1.0, 0, 0]), list(ROT), np.array([0.5, 0, 0])),
    ]
    rng = np.random.default_rng(0)
    motion = rng.uniform(-60, 60, size=(3, 6 + 9))
    m = BVHMotion(joints, 1 / 30, motion)
    back = parse_bvh(format_bvh(m))
    assert back.names == ["root", "a", "a_child", "b"]          # the file's own order
    want = m.world_positions()
    got = back.world_positions()
    for k, name in enumerate(m.names):
        np.testing.assert_allclose(got[:, back.index(name)], want[:, k], atol=1e-5)
