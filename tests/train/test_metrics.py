"""Known answers for the pose metrics (mm)."""
import numpy as np

from mocap_train import metrics
from mocap_train.mocap_data import load_sample_clips


def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def test_pa_mpjpe_of_a_rotated_scaled_translated_copy_is_zero():
    gt = load_sample_clips()[0].joints[::20].astype(np.float64)
    r = _rotation([0.3, 1.0, -0.2], 1.1)
    moved = 1.3 * gt @ r.T + np.array([0.5, -2.0, 3.0])
    assert metrics.pa_mpjpe(moved, gt) < 1e-6
    assert metrics.mpjpe(moved, gt) > 50.0            # but not root-relative equal
    assert metrics.mpjpe(gt + np.array([1.0, 2.0, 3.0]), gt) < 1e-9


def test_pck_and_auc_known_values():
    gt = np.zeros((1, 25, 3))
    pred = gt.copy()
    pred[0, 1:13, 0] = 0.1        # 12 joints 100 mm off
    pred[0, 13:, 0] = 0.2         # 12 joints 200 mm off; pelvis (0) exact
    assert abs(metrics.mpjpe(pred, gt) - (12 * 100 + 12 * 200) / 25) < 1e-6
    assert abs(metrics.pck(pred, gt) - 100 * 13 / 25) < 1e-9
    # AUC thresholds 0, 5, ..., 150: pelvis counts at all but t=0, the 100 mm joints from
    # t=105 on (10 thresholds)
    expected = np.mean([100 * ((t > 0) + 12 * (t > 100)) / 25 for t in np.linspace(0, 150, 31)])
    assert abs(metrics.auc(pred, gt) - expected) < 1e-9


def test_masked_pa_errors_ignore_missing_joints_and_frames_with_too_few():
    from mocap_train.metrics import pa_errors_masked
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(3, 25, 3))
    c, s = np.cos(0.7), np.sin(0.7)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    pred = 1.7 * gt @ rot.T + np.array([0.3, -2.0, 5.0])
    pred[0, 4] += 10.0                    # a wild joint, then hidden from the reference
    ref = gt.copy()
    ref[0, 4] = np.nan
    ref[2, 5:] = np.nan                   # frame 2: only 5 joints left
    e = pa_errors_masked(pred, ref)
    np.testing.assert_allclose(e[:2], 0.0, atol=1e-9)
    assert np.isnan(e[2])
    # a real error shows: one joint 0.1 m off among 25 in frame 1
    ref[1, 7] += np.array([0.1, 0.0, 0.0])
    assert pa_errors_masked(pred, ref)[1] > 1.0


def test_bone_angles_known_answers():
    """A turned, scaled, moved copy: no bone error and the turn as the orientation error;
    one forearm bent by a known angle about an axis across it: that angle, there only."""
    from mocap_app.core.skeleton import J
    from mocap_train.metrics import bone_angle_errors
    gt = load_sample_clips()[0].joints[::25].astype(np.float64)
    r = _rotation([0.2, 1.0, 0.4], 0.6)              # 0.6 rad = 34.4 degrees
    moved = 0.8 * gt @ r.T + np.array([1.0, 0.0, -2.0])
    every = range(gt.shape[1])
    orient, bones = bone_angle_errors(moved, gt, every)
    assert np.allclose(orient, np.degrees(0.6), atol=1e-6)
    for name, e in bones.items():
        assert np.nanmax(e) < 1e-4, name
    bent = gt.copy()
    e, w = J["left_elbow"], J["left_wrist"]
    f = bent[0, w] - bent[0, e]
    axis = np.cross(f, [0.0, 0.0, 1.0])
    bent[0, w] = bent[0, e] + _rotation(axis, np.radians(30.0)) @ f
    # align on joints the bend does not move, so the whole 30 degrees stays in the bone
    orient, bones = bone_angle_errors(bent, gt, [j for j in every if j != w])
    assert abs(orient[0]) < 1e-4
    assert abs(bones["forearm"][0, 0] - 30.0) < 1e-6
    assert np.nanmax(bones["forearm"][0, 1]) < 1e-4 and np.nanmax(bones["shin"]) < 1e-4
    missing = gt.copy()
    missing[1, J["right_knee"]] = np.nan
    _, bones = bone_angle_errors(missing, gt, every)
    assert np.isnan(bones["shin"][1, 1]) and np.isnan(bones["thigh"][1, 1])
    assert np.isfinite(bones["shin"][1, 0])
