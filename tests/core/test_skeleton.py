import numpy as np

from mocap_app.core import skeleton as sk


def test_tree_is_valid_and_rooted_at_pelvis():
    assert sk.PARENTS[0] == -1 and sk.JOINT_NAMES[0] == "pelvis"
    for child, parent in enumerate(sk.PARENTS[1:], start=1):
        assert 0 <= parent < child, "parents come before children"


def test_mirror_twice_is_identity_and_swaps_sides():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(sk.NUM_JOINTS, 3))
    np.testing.assert_allclose(sk.mirror(sk.mirror(pose)), pose)
    m = sk.mirror(pose)
    li, ri = sk.J["left_wrist"], sk.J["right_wrist"]
    np.testing.assert_allclose(m[ri], pose[li] * [-1, 1, 1])


def test_blazepose_mapping_averages_the_right_landmarks():
    lm = np.zeros((33, 3))
    b = {n: i for i, n in enumerate(sk.BLAZEPOSE_NAMES)}
    lm[b["left_hip"]] = [1, 0, 0]
    lm[b["right_hip"]] = [-1, 0, 0]
    lm[b["left_shoulder"]] = [1, 2, 0]
    lm[b["right_shoulder"]] = [-1, 2, 0]
    lm[b["left_ear"]] = [0.1, 2.5, 0]
    lm[b["right_ear"]] = [-0.1, 2.5, 0]
    app = sk.blazepose_to_app(lm)
    np.testing.assert_allclose(app[sk.J["pelvis"]], [0, 0, 0])
    np.testing.assert_allclose(app[sk.J["neck"]], [0, 2, 0])
    np.testing.assert_allclose(app[sk.J["spine"]], [0, 1, 0])
    np.testing.assert_allclose(app[sk.J["head"]], [0, 2.5, 0])
    np.testing.assert_allclose(app[sk.J["left_hip"]], [1, 0, 0])


def test_bone_lengths_known_answer():
    pose = np.zeros((sk.NUM_JOINTS, 3))
    pose[sk.J["left_knee"]] = [0, -0.4, 0]
    lengths = sk.bone_lengths(pose)
    k = sk.BONES.index((sk.J["left_hip"], sk.J["left_knee"]))
    assert abs(lengths[k] - 0.4) < 1e-12
