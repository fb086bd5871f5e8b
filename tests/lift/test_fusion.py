"""The limb fusion (lift/fusion.py) with known answers, and the shipped lifter using it."""
import json

import numpy as np
import pytest

from mocap_app.core.paths import models_dir
from mocap_app.core.skeleton import BONES, J, bone_lengths
from mocap_app.lift.fusion import LIMBS, FusionTable, fuse_limbs, limb_doubt
from tests.conftest import axis_turn


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_weight_zero_keeps_the_lifter_and_weight_one_takes_the_detectors_directions(mocap_poses):
    """The detector: the same body turned 40 degrees, 10 cm off, with one forearm bent 50
    degrees and every bone 20 % longer. Weight 0 gives the lifted pose back; weight 1 its
    torso and bone lengths with the detector's limb directions, turned back onto the
    lifted body (so the bent forearm, and nothing else, changes)."""
    det = mocap_poses.copy()
    e, w = J["left_elbow"], J["left_wrist"]
    for t in range(len(det)):
        f = det[t, w] - det[t, e]
        bend = axis_turn(np.cross(f, [0.0, 0.0, 1.0]), np.radians(50))
        for j in (w, J["left_hand"]):
            det[t, j] = det[t, e] + bend @ (det[t, j] - det[t, e])
    det = 1.2 * det @ axis_turn([0.1, 1.0, 0.2], np.radians(40)).T + [0.1, 0.0, 0.0]
    zeros = {n: np.zeros(len(mocap_poses)) for n in LIMBS}
    np.testing.assert_allclose(fuse_limbs(mocap_poses, det, zeros), mocap_poses, atol=1e-12)
    ones = {n: np.ones(len(mocap_poses)) for n in LIMBS}
    out = fuse_limbs(mocap_poses, det, ones)
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(mocap_poses), atol=1e-9)
    torso = [J[n] for n in ("pelvis", "spine", "neck", "head", "left_shoulder", "left_hip")]
    np.testing.assert_allclose(out[:, torso], mocap_poses[:, torso], atol=1e-12)
    got = _unit(out[:, w] - out[:, e])
    was = _unit(mocap_poses[:, w] - mocap_poses[:, e])
    angle = np.degrees(np.arccos(np.clip((got * was).sum(-1), -1, 1)))
    np.testing.assert_allclose(angle, 50.0, atol=1e-6)
    for p, c in BONES:                       # every other bone keeps its direction
        if c in (w, J["left_hand"]):
            continue
        np.testing.assert_allclose(_unit(out[:, c] - out[:, p]),
                                   _unit(mocap_poses[:, c] - mocap_poses[:, p]), atol=1e-7)
    half = fuse_limbs(mocap_poses, det, {n: np.full(len(mocap_poses), 0.5) for n in LIMBS})
    mid = _unit(half[:, w] - half[:, e])
    between = np.degrees(np.arccos(np.clip((mid * was).sum(-1), -1, 1)))
    np.testing.assert_allclose(between, 25.0, atol=1e-6)     # halfway along the arc


def test_frames_without_a_detector_3d_keep_the_lifter(mocap_poses):
    det = mocap_poses.copy()
    det[1] = np.nan
    det[:, J["left_knee"]] += [0.0, 0.0, 0.2]
    out = fuse_limbs(mocap_poses, det, {n: np.ones(len(mocap_poses)) for n in LIMBS})
    np.testing.assert_allclose(out[1], mocap_poses[1], atol=1e-12)
    assert not np.allclose(out[0, J["left_knee"]], mocap_poses[0, J["left_knee"]])


def test_limb_doubt_is_the_mean_distance_of_its_joints_over_the_scale(mocap_poses):
    other = mocap_poses.copy()
    other[:, J["right_wrist"], 0] += 0.3           # right arm: (0 + 0.3) / 2 = 0.15 m
    d = limb_doubt(mocap_poses, other, 1.5)
    np.testing.assert_allclose(d["right_arm"], 0.1)
    for name in ("left_arm", "left_leg", "right_leg"):
        np.testing.assert_allclose(d[name], 0.0)


def test_the_table_interpolates_and_refuses_bad_values():
    t = FusionTable((0.02, 0.06), (0.0, 0.4))
    np.testing.assert_allclose(t(np.array([0.0, 0.02, 0.04, 0.06, 1.0, np.nan])),
                               [0.0, 0.0, 0.2, 0.4, 0.4, 0.0])
    with pytest.raises(ValueError, match="increase"):
        FusionTable((0.05, 0.02), (0.0, 0.4))
    with pytest.raises(ValueError, match="0..1"):
        FusionTable((0.02, 0.05), (0.0, 1.4))
    with pytest.raises(ValueError, match="equal-length"):
        FusionTable((0.02, 0.05), (0.0,))


def test_the_shipped_lifter_reads_its_table_and_fuses_only_flip_averaged_with_a_3d(
        tmp_path, mocap_poses):
    from mocap_app.lift.fusion import fusion_path
    from mocap_app.lift.inference import Lifter, lifted_pose_stamp
    shipped = models_dir() / "lifter.pt"
    doc = json.loads(fusion_path(shipped).read_text())
    assert len(doc["doubt"]) == len(doc["weight"]) >= 2
    fused = Lifter.load(shipped, device="cpu")
    plain = Lifter.load(shipped, device="cpu", fusion=False)
    assert fused.fusion is not None and plain.fusion is None
    rng = np.random.default_rng(0)
    kp = rng.uniform(300, 700, size=(6, 25, 2))          # a detector's noisy picture
    vis = np.ones((6, 25))
    world = mocap_poses[:6] @ axis_turn([0, 1, 0], 0.3).T
    a = fused.lift(kp, vis, (1000, 1000), world=world).joints_3d
    b = plain.lift(kp, vis, (1000, 1000), world=world).joints_3d
    assert np.abs(a - b).max() > 1e-4                    # the odd mocap_poses leave doubt
    np.testing.assert_allclose(bone_lengths(a), bone_lengths(b), atol=1e-9)
    np.testing.assert_allclose(fused.lift(kp, vis, (1000, 1000)).joints_3d,
                               plain.lift(kp, vis, (1000, 1000)).joints_3d)   # no 3D given
    # the cache stamp follows the table: a lifter whose table changes is lifted again
    ckpt = tmp_path / "lifter.pt"
    ckpt.write_bytes(shipped.read_bytes())
    before = lifted_pose_stamp(ckpt)
    fusion_path(ckpt).write_text(json.dumps({"doubt": [0.1], "weight": [0.0]}))
    assert lifted_pose_stamp(ckpt) != before

