"""The image fit: limb bones turned about the viewing axis towards the 2D keypoints'
direction, length and depth step kept, large disagreements left alone."""
import numpy as np
import pytest

from mocap_app.core.pose import PoseSequence
from mocap_app.core.skeleton import J, NUM_JOINTS
from mocap_app.pipeline.image_fit import FIT_JOINTS, ImageFitOptions, fit_to_image
from mocap_app.pipeline.refine import RefineOptions, refine_sequence
from mocap_app.pipeline.root_trajectory import CameraModel
from tests.pipeline.poses import rest_pose, rot_y

SIZE = (1280, 720)
CAM = CameraModel(SIZE, 70.0)
ROOT = np.array([0.6, -0.2, -2.5])        # app axes, camera at the origin: right of centre


def project(joints):
    """(T, J, 3) pelvis-relative app-axes joints at ROOT -> (T, J, 2) pixels."""
    cam = (joints + ROOT) * [1.0, -1.0, -1.0]
    cx, cy = CAM.principal_point
    return np.stack([CAM.focal_px * cam[..., 0] / cam[..., 2] + cx,
                     CAM.focal_px * cam[..., 1] / cam[..., 2] + cy], -1)


def turn_about_view(joints, joint, deg):
    """The chain below ``joint``'s parent bone turned by ``deg`` about the camera's axis
    (app z) through the parent: what the image fit undoes."""
    from mocap_app.pipeline.image_fit import _BELOW
    from mocap_app.core.skeleton import PARENTS
    out = joints.copy()
    p = PARENTS[joint]
    a = np.radians(deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    for k in _BELOW[joint]:
        out[:, k] = out[:, p] + (out[:, k] - out[:, p]) @ rot.T
    return out


def drawn_angle(joints, joint):
    """(T,) degrees: the in-picture direction of the bone ending at ``joint``."""
    from mocap_app.core.skeleton import PARENTS
    kp = project(joints)
    d = kp[:, joint] - kp[:, PARENTS[joint]]
    return np.degrees(np.arctan2(d[:, 1], d[:, 0]))


def _pose(t=5):
    return np.stack([rest_pose() @ rot_y(a).T for a in np.linspace(20, 60, t)])


def _fit(joints, truth, options, valid=None, vis=None):
    valid = np.ones(len(joints), bool) if valid is None else valid
    return fit_to_image(joints, project(truth), vis, valid, SIZE, 30.0, 70.0, options)


def test_a_turned_forearm_is_turned_back_to_the_picture_length_and_depth_kept():
    truth = _pose()
    wrist, hand = J["left_wrist"], J["left_hand"]
    bent = turn_about_view(truth, wrist, 15.0)
    assert np.abs(drawn_angle(bent, wrist) - drawn_angle(truth, wrist)).min() > 10.0
    out = _fit(bent, truth, ImageFitOptions(weight=1.0, tolerance_deg=180.0, smooth_s=0.0))
    # back to the picture's direction (the easing leaves exp(-(15/180)^2): 0.1 degree)
    np.testing.assert_allclose(drawn_angle(out, wrist), drawn_angle(truth, wrist), atol=0.2)
    np.testing.assert_allclose(out[:, [wrist, hand]], truth[:, [wrist, hand]], atol=2e-3)
    # every bone keeps its length and its depth step; nothing above the elbow moves
    from mocap_app.core.skeleton import BONES
    for p, c in BONES:
        np.testing.assert_allclose(np.linalg.norm(out[:, c] - out[:, p], axis=-1),
                                   np.linalg.norm(bent[:, c] - bent[:, p], axis=-1), atol=1e-9)
        np.testing.assert_allclose(out[:, c, 2] - out[:, p, 2], bent[:, c, 2] - bent[:, p, 2],
                                   atol=1e-9)
    others = [k for k in range(NUM_JOINTS) if k not in (wrist, hand)]
    np.testing.assert_allclose(out[:, others], bent[:, others], atol=1e-9)


def test_the_weight_turns_part_of_the_way_and_large_disagreements_are_left_alone():
    truth = _pose()
    knee = J["right_knee"]
    bent = turn_about_view(truth, knee, 12.0)
    gap = drawn_angle(bent, knee) - drawn_angle(truth, knee)
    half = _fit(bent, truth, ImageFitOptions(weight=0.5, tolerance_deg=180.0, smooth_s=0.0))
    left = drawn_angle(half, knee) - drawn_angle(truth, knee)
    np.testing.assert_allclose(left, 0.5 * gap, atol=0.5)
    far = turn_about_view(truth, knee, 120.0)   # more likely the detector's mistake
    out = _fit(far, truth, ImageFitOptions(weight=1.0, tolerance_deg=30.0, smooth_s=0.0))
    np.testing.assert_allclose(out, far, atol=1e-6)


def test_frames_without_2d_or_not_valid_and_hidden_limbs_keep_their_bones():
    truth = _pose()
    bent = turn_about_view(truth, J["left_wrist"], 15.0)
    valid = np.array([True, False, True, True, True])
    kp = project(truth)
    kp[2, J["left_wrist"]] = np.nan
    vis = np.ones((5, NUM_JOINTS))
    vis[3, J["left_wrist"]] = 0.2
    opts = ImageFitOptions(weight=1.0, tolerance_deg=180.0, smooth_s=0.0, min_visibility=0.5)
    out = fit_to_image(bent, kp, vis, valid, SIZE, 30.0, 70.0, opts)
    np.testing.assert_allclose(out[1:4], bent[1:4], atol=1e-9)
    assert not np.allclose(out[[0, 4]], bent[[0, 4]], atol=1e-3)


def test_smoothing_spreads_a_one_frame_glitch_of_the_2d():
    truth = _pose(31)
    glitch = turn_about_view(truth, J["left_wrist"], 20.0)
    kp_from = truth.copy()
    kp_from[15] = glitch[15]                # the 2D says the forearm turned on one frame
    sharp = fit_to_image(truth, project(kp_from), None, np.ones(31, bool), SIZE, 30.0, 70.0,
                         ImageFitOptions(weight=1.0, tolerance_deg=180.0, smooth_s=0.0))
    smooth = fit_to_image(truth, project(kp_from), None, np.ones(31, bool), SIZE, 30.0, 70.0,
                          ImageFitOptions(weight=1.0, tolerance_deg=180.0, smooth_s=0.1))
    w = J["left_wrist"]
    moved = lambda x: np.linalg.norm(x[:, w] - truth[:, w], axis=-1)   # noqa: E731
    assert moved(sharp)[15] > 0.05 and moved(sharp)[14] < 1e-9
    assert moved(smooth)[15] < 0.5 * moved(sharp)[15] and moved(smooth)[14] > 1e-3


@pytest.mark.parametrize("kwargs, words", [
    ({"weight": 1.5}, "between 0 and 1"), ({"tolerance_deg": 0.0}, "between 1 and 180"),
    ({"smooth_s": -1.0}, "between 0 and 1 s"), ({"min_visibility": 2.0}, "between 0 and 1")])
def test_options_out_of_range_are_refused_naming_the_range(kwargs, words):
    with pytest.raises(ValueError, match=words):
        ImageFitOptions(**kwargs)


def test_a_bad_field_of_view_is_refused():
    truth = _pose()
    with pytest.raises(ValueError, match="1..179"):
        fit_to_image(truth, project(truth), None, np.ones(5, bool), SIZE, 30.0, 0.0)


def test_the_offline_pipeline_fits_the_image_and_live_takes_do_not():
    rng = np.random.default_rng(3)
    truth = _pose(60)
    noisy = truth.copy()
    for c in FIT_JOINTS:                    # each limb bone off by a few degrees in the picture
        noisy = turn_about_view(noisy, c, rng.normal(0, 8.0))
    seq = PoseSequence(np.arange(60) / 30.0, noisy, project(truth), np.ones((60, NUM_JOINTS)),
                       np.ones(60, bool), 30.0, SIZE)
    only = RefineOptions(temporal=False, skeleton_fitting=False, root_trajectory=False,
                         foot_contact="never", side_check=False)
    fitted = refine_sequence(seq, only)
    assert list(fitted.stages) == ["raw", "image_fit"]
    err = lambda x: np.mean([np.abs(drawn_angle(x, c) - drawn_angle(truth, c))  # noqa: E731
                             for c in FIT_JOINTS])
    assert err(fitted.refined.joints_3d) < 0.6 * err(noisy)
    causal = refine_sequence(seq, RefineOptions(bidirectional=False, temporal=False,
                                                skeleton_fitting=False, root_trajectory=False,
                                                foot_contact="never", side_check=False))
    assert list(causal.stages) == ["raw"]


def test_mocap_process_no_image_fit_switches_the_stage_off():
    from argparse import Namespace

    from mocap_app.cli.process import _make_refine
    from mocap_app.pipeline.refine import load_refiner
    rng = np.random.default_rng(4)
    truth = _pose(40)
    noisy = truth.copy()
    for c in FIT_JOINTS:
        noisy = turn_about_view(noisy, c, rng.normal(0, 8.0))
    seq = PoseSequence(np.arange(40) / 30.0, noisy, project(truth), np.ones((40, NUM_JOINTS)),
                       np.ones(40, bool), 30.0, SIZE)
    args = dict(no_refine=False, foot_lock="never", hfov=70.0)
    refiner = load_refiner(causal=False)
    for switch in (True, False):
        got = _make_refine(Namespace(no_image_fit=switch, **args))(seq)
        want = refine_sequence(seq, RefineOptions(foot_contact="never", image_fit=not switch),
                               refiner).refined
        np.testing.assert_allclose(got.joints_3d, want.joints_3d, atol=1e-9)
    assert not np.allclose(_make_refine(Namespace(no_image_fit=True, **args))(seq).joints_3d,
                           _make_refine(Namespace(no_image_fit=False, **args))(seq).joints_3d,
                           atol=1e-4)
