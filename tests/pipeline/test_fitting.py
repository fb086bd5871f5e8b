"""Skeleton fitting: one set of bone lengths per take, each frame's bone directions kept."""
import numpy as np
import pytest

from mocap_app.core.skeleton import BONES, J, bone_lengths
from mocap_app.pipeline import quality
from mocap_app.pipeline.fitting import (FittingOptions, estimate_bone_lengths, fit_skeleton,
                                        fix_illegal_hinges)
from tests.pipeline.poses import rest_pose, rot_y


def _noisy_take(t=120, seed=0):
    rng = np.random.default_rng(seed)
    base = rest_pose()
    seq = np.stack([base @ rot_y(a).T for a in np.linspace(0, 90, t)])
    seq = seq + rng.normal(0, 0.015, seq.shape)
    seq -= seq[:, :1]
    return seq


def _directions(seq):
    p = np.array([b[0] for b in BONES])
    c = np.array([b[1] for b in BONES])
    d = seq[:, c] - seq[:, p]
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def test_fitting_keeps_directions_and_makes_lengths_constant_and_symmetric():
    seq = _noisy_take()
    assert quality.lr_asymmetry_mm(seq) > 5.0
    fitted, lengths = fit_skeleton(seq, options=FittingOptions(fix_illegal_hinges=False))
    np.testing.assert_allclose(_directions(fitted), _directions(seq), atol=1e-12)
    np.testing.assert_allclose(bone_lengths(fitted), np.broadcast_to(lengths, (len(seq), len(BONES))),
                               atol=1e-12)
    assert quality.lr_asymmetry_mm(fitted) < 1e-9
    assert quality.bone_length_std_mm(fitted) < 1e-9
    np.testing.assert_array_equal(fitted[:, J["pelvis"]], seq[:, J["pelvis"]])


def test_lengths_are_robust_to_outlier_frames_and_ignore_unconfident_ones():
    seq = np.repeat(rest_pose()[None], 50, axis=0)
    true = bone_lengths(rest_pose())
    wrist, elbow = J["left_wrist"], J["left_elbow"]
    seq[:8, wrist] += np.array([0.0, -0.3, 0.0])        # 16 % of frames wildly long
    vis = np.ones((50, 25))
    seq[8:20, J["right_wrist"]] += np.array([0.0, -0.5, 0.0])
    vis[8:20, J["right_wrist"]] = 0.1                    # ... and these are not confident
    lengths = estimate_bone_lengths(seq, vis)
    np.testing.assert_allclose(lengths, true, atol=1e-9)
    assert elbow  # (names used for clarity)


def test_left_right_differ_only_when_the_data_clearly_says_so():
    base = rest_pose()
    k = BONES.index((J["left_elbow"], J["left_wrist"]))
    kr = BONES.index((J["right_elbow"], J["right_wrist"]))
    for extra, expect_equal in ((0.02, True), (0.08, False)):   # forearm ~0.26 m long
        seq = np.repeat(base[None], 30, axis=0)
        d = base[J["left_wrist"]] - base[J["left_elbow"]]
        seq[:, J["left_wrist"]] = base[J["left_elbow"]] + d * (1 + extra / np.linalg.norm(d))
        lengths = estimate_bone_lengths(seq)
        assert (lengths[k] == pytest.approx(lengths[kr])) == expect_equal


def test_illegal_hinges_are_mirrored_back_and_legal_ones_untouched():
    pose = rest_pose()
    bad = pose.copy()
    for s in ("left", "right"):                  # knees bent forwards: illegal
        for name in ("ankle", "heel", "toe"):
            bad[J[f"{s}_{name}"], 2] += 0.25
    seq = np.stack([pose, bad]) @ rot_y(35).T
    assert quality.illegal_angles_pct(seq) == 25.0
    fixed = fix_illegal_hinges(seq)
    assert quality.illegal_angles_pct(fixed) == 0.0
    np.testing.assert_array_equal(fixed[0], seq[0])
    np.testing.assert_allclose(bone_lengths(fixed), bone_lengths(seq), atol=1e-12)
    # the thigh is not moved, the shin now bends backwards by the same angle
    np.testing.assert_array_equal(fixed[1, J["left_knee"]], seq[1, J["left_knee"]])
    _, lengths = fit_skeleton(seq)
    assert quality.illegal_angles_pct(fit_skeleton(seq)[0]) == 0.0
