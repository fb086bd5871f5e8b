"""bench/eval_pose2sim_oracles.py: the oracles change only what they say they change."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mocap_app.core.skeleton import BONES, J, NUM_JOINTS, PARENTS, bone_lengths

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import eval_pose2sim_oracles as oracles  # noqa: E402


def _poses(seed: int, frames: int = 8) -> np.ndarray:
    """(F, 25, 3) poses built from random bone directions and lengths, pelvis at 0."""
    rng = np.random.default_rng(seed)
    x = np.zeros((frames, NUM_JOINTS, 3))
    lengths = rng.uniform(0.1, 0.4, NUM_JOINTS)
    for j in oracles.ORDER:
        if PARENTS[j] >= 0:
            d = rng.normal(size=(frames, 3))
            x[:, j] = x[:, PARENTS[j]] + lengths[j] * d / np.linalg.norm(d, axis=-1,
                                                                          keepdims=True)
    return x


def _unit_bone(x, j):
    b = x[:, j] - x[:, PARENTS[j]]
    return b / np.linalg.norm(b, axis=-1, keepdims=True)


def test_the_reference_itself_changes_nothing():
    pred = _poses(1)
    for mode in oracles.MODES:
        np.testing.assert_allclose(
            oracles.with_reference_directions(pred, pred, oracles.LIMB_JOINTS, mode), pred,
            atol=1e-12)


def test_each_mode_takes_its_part_of_the_direction_and_keeps_the_lengths():
    pred, ref = _poses(2), _poses(3)
    elbow, wrist = J["left_elbow"], J["left_wrist"]
    for mode in oracles.MODES:
        out = oracles.with_reference_directions(pred, ref, oracles.ARM_JOINTS, mode)
        np.testing.assert_allclose(bone_lengths(out), bone_lengths(pred), atol=1e-12)
        u, r, o = _unit_bone(pred, wrist), _unit_bone(ref, wrist), _unit_bone(out, wrist)
        if mode == "all":
            np.testing.assert_allclose(o, r, atol=1e-12)
        if mode == "depth":          # the reference's depth, the app's angle in the picture
            np.testing.assert_allclose(o[:, 2], r[:, 2], atol=1e-12)
            np.testing.assert_allclose(np.arctan2(o[:, 1], o[:, 0]),
                                       np.arctan2(u[:, 1], u[:, 0]), atol=1e-9)
        if mode == "plane":          # the reference's angle in the picture, the app's depth
            np.testing.assert_allclose(o[:, 2], u[:, 2], atol=1e-12)
            np.testing.assert_allclose(np.arctan2(o[:, 1], o[:, 0]),
                                       np.arctan2(r[:, 1], r[:, 0]), atol=1e-9)
        # the legs and the torso are the app's
        for j in (J["left_knee"], J["right_ankle"], J["neck"], J["head"]):
            np.testing.assert_allclose(out[:, j], pred[:, j], atol=1e-12)
        # the elbow is an arm joint: it moved (its bone took the reference's part)
        assert not np.allclose(out[:, elbow], pred[:, elbow])
    assert len(oracles.ARM_BONES) == 6 and len(oracles.LEG_BONES) == 4
    assert all(BONES[k][1] in oracles.ARM_JOINTS for k in oracles.ARM_BONES)


def test_foreshortening_at_weight_zero_changes_nothing_and_keeps_lengths_at_any():
    still = np.repeat(_poses(4, frames=1), 12, axis=0)     # one pose held: nothing to smooth
    kp = still[..., :2] * [300.0, -300.0] + [320.0, 240.0]   # the picture, 300 px a metre
    np.testing.assert_allclose(oracles.depth_from_foreshortening(still, kp, 0.0), still,
                               atol=1e-9)
    pred = _poses(5, frames=12)
    kp = pred[..., :2] * [300.0, -300.0] + [320.0, 240.0]
    for w in (0.5, 1.0):
        out = oracles.depth_from_foreshortening(pred, kp, w)
        np.testing.assert_allclose(bone_lengths(out), bone_lengths(pred), atol=1e-9)


def test_foreshortening_gives_a_bone_the_depth_its_drawn_length_says():
    """The left forearm drawn at full length for 20 frames, then raised 60 degrees towards
    the camera (drawn at half length) for 20: the app says 30 degrees there; at weight 1
    its depth component becomes sin 60 degrees, the sign kept, and 0 where it is drawn
    full length."""
    still = _poses(6, frames=1)[0]
    elbow, wrist = J["left_elbow"], J["left_wrist"]
    below = [j for j in range(NUM_JOINTS) if j == wrist or PARENTS[j] == wrist]

    def with_forearm(angle_deg):
        x = still.copy()
        a = np.radians(angle_deg)
        shift = x[elbow] + 0.25 * np.array([np.cos(a), 0.0, np.sin(a)]) - x[wrist]
        x[below] += shift
        return x
    truth = np.stack([with_forearm(0)] * 20 + [with_forearm(60)] * 20)
    pred = np.stack([with_forearm(0)] * 20 + [with_forearm(30)] * 20)
    kp = truth[..., :2] * [300.0, -300.0] + [320.0, 240.0]
    out = oracles.depth_from_foreshortening(pred, kp, 1.0)
    dz = _unit_bone(out, wrist)[:, 2]
    np.testing.assert_allclose(dz[5:15], 0.0, atol=0.05)
    np.testing.assert_allclose(dz[25:35], np.sin(np.radians(60)), atol=0.05)
    np.testing.assert_allclose(np.linalg.norm(out[:, wrist] - out[:, elbow], axis=-1), 0.25,
                               atol=1e-9)


def test_depth_agreement_of_a_pose_with_itself_and_with_its_depth_mirrored():
    pred = _poses(7, frames=40)
    same = oracles.depth_agreement(pred, pred, oracles.LIMB_JOINTS)
    assert abs(same["corr"] - 1.0) < 1e-12
    assert same["rmse"] < 1e-12 and same["wrong_sign"] == 0.0
    assert abs(same["pred"] - same["ref"]) < 1e-12
    mirrored = pred * [1.0, 1.0, -1.0]          # every bone pointing the other way in depth
    flip = oracles.depth_agreement(mirrored, pred, oracles.LIMB_JOINTS)
    assert abs(flip["corr"] + 1.0) < 1e-12 and flip["wrong_sign"] == 1.0
    squashed = pred.copy()
    squashed[..., 2] *= 0.0                     # drawn flat: no depth at all
    flat = oracles.depth_agreement(squashed, pred, oracles.LIMB_JOINTS)
    assert flat["pred"] == 0.0 and flat["ref"] > 0.2 and np.isnan(flat["corr"])
    assert abs(flat["rmse"] - np.sqrt(np.mean(_limb_depths(pred) ** 2))) < 1e-12


def _limb_depths(x):
    return np.stack([_unit_bone(x, j)[:, 2] for j in oracles.LIMB_JOINTS], 1)


def test_depth_by_mode_takes_the_peak_where_soft_argmax_takes_the_mean():
    """Two peaks in the depth marginal: 0.6 of the mass at bin 4, 0.4 at bin 19 of 24.
    Soft-argmax lands between them; the peak's window gives bin 4's centre."""
    n = 24
    centres = (2 * np.arange(n) + 1) / n - 1
    z = np.zeros(n)
    z[4], z[19] = 0.6, 0.4
    zy = np.zeros((1, 1, n, n))
    zy[0, 0, 10] = z                            # rows y (one row), columns z
    xz = np.zeros((1, 1, n, n))
    xz[0, 0, :, 7] = z                          # rows z, columns x (one column)
    maps = {"zy": zy, "xz": xz}
    mean = float(z @ centres)
    assert abs(mean - centres[4]) > 0.4          # the mean is far from either peak
    for half in (1, 2, 4):
        np.testing.assert_allclose(oracles.depth_by_mode(maps, half), [[centres[4]]],
                                   atol=1e-12)
    # a window wide enough to take both peaks gives the mean again
    np.testing.assert_allclose(oracles.depth_by_mode(maps, n), [[mean]], atol=1e-12)
