"""The stages in order, each switchable, raw poses kept; the live (causal) refiner."""
import numpy as np
import pytest

from mocap_app.core.pose import PoseSequence
from mocap_app.lift.refiner import fill_invalid
from mocap_app.pipeline import quality
from mocap_app.pipeline.refine import LiveRefiner, RefineOptions, refine_sequence
from mocap_app.pipeline.root_trajectory import CameraModel
from tests.pipeline.poses import rest_pose, rot_y


class MovingAverage:
    """Stand-in for a TemporalRefiner: a centred 5-frame mean (latency 2)."""
    window, latency = 5, 2

    def refine(self, poses, valid=None):
        filled = fill_invalid(poses, valid)   # as TemporalRefiner.refine does
        out = filled.copy()
        for t in range(2, len(poses) - 2):
            out[t] = filled[t - 2:t + 3].mean(0)
        out[~np.isfinite(poses).all(axis=(1, 2))] = np.nan
        return out


class LastFrame:
    """Stand-in for a causal TemporalRefiner: returns the newest frame (latency 0)."""
    window, latency = 4, 0

    def refine_window(self, window):
        return window[-1]


def _take(t=90, seed=0):
    """A person turning slowly in front of a 1280x720 camera 3 m away, with noisy
    per-frame 3D and exact 2D; frames 40-42 have nobody."""
    rng = np.random.default_rng(seed)
    camera = CameraModel((1280, 720), 70.0)
    base = rest_pose()
    clean = np.stack([base @ rot_y(a).T for a in np.linspace(0, 40, t)])
    root = np.array([0.2, -0.3, -3.0])                  # app axes, camera at the origin
    cam = (clean + root) * np.array([1.0, -1.0, -1.0])
    cx, cy = camera.principal_point
    kp = np.stack([camera.focal_px * cam[..., 0] / cam[..., 2] + cx,
                   camera.focal_px * cam[..., 1] / cam[..., 2] + cy], -1)
    noisy = clean + rng.normal(0, 0.01, clean.shape)
    noisy -= noisy[:, :1]
    valid = np.ones(t, bool)
    valid[40:43] = False
    noisy[~valid] = np.nan
    kp[~valid] = np.nan
    seq = PoseSequence(np.arange(t) / 30.0, noisy, kp, np.where(valid[:, None], 0.9, 0.0) * np.ones(25),
                       valid, 30.0, (1280, 720))
    return seq, clean


def test_stages_run_in_order_and_keep_the_raw_poses():
    seq, _ = _take()
    raw_copy = seq.joints_3d.copy()
    res = refine_sequence(seq, RefineOptions(), refiner=MovingAverage())
    assert list(res.stages) == ["raw", "temporal", "image_fit", "fitted", "root", "contact"]
    assert res.raw is seq
    np.testing.assert_array_equal(seq.joints_3d, raw_copy)          # not modified
    out = res.refined
    assert out.root_positions is not None and out.root_positions.shape == (90, 3)
    assert np.isnan(out.joints_3d[40:43]).all() and np.isfinite(out.joints_3d[seq.valid]).all()
    fitted = res.stages["fitted"].joints_3d
    assert quality.lr_asymmetry_mm(fitted, seq.valid) < 1e-9
    assert quality.jitter_mm(res.stages["temporal"].joints_3d, seq.valid) < \
        quality.jitter_mm(seq.joints_3d, seq.valid)
    # the root track is metric: the person stands 3 m from the camera, pelvis 0.88 m up
    assert np.linalg.norm(out.root_positions[seq.valid][:, [0, 2]], axis=1) == \
        pytest.approx(np.hypot(0.2, 3.0), abs=0.1)
    assert np.nanmedian(out.root_positions[:, 1]) == pytest.approx(0.88, abs=0.05)
    inner = seq.valid.copy()
    inner[:3] = inner[-3:] = False
    assert res.contacts[inner].all()                 # standing: both feet planted


def test_every_stage_can_be_switched_off():
    seq, _ = _take()
    off = RefineOptions(temporal=False, image_fit=False, skeleton_fitting=False,
                        root_trajectory=False, foot_contact="never")
    res = refine_sequence(seq, off)
    assert list(res.stages) == ["raw"]
    np.testing.assert_array_equal(res.refined.joints_3d, seq.joints_3d)
    only_fit = refine_sequence(seq, RefineOptions(temporal=False, image_fit=False,
                                                  root_trajectory=False, foot_contact="never"))
    assert list(only_fit.stages) == ["raw", "fitted"]
    assert only_fit.refined.root_positions is None


def test_live_refiner_is_causal_fits_bones_and_bridges_short_gaps():
    seq, _ = _take()
    live = LiveRefiner(LastFrame(), fit_skeleton=True, max_gap=2)
    outs = [live.push(None if not v else j, t) for j, v, t in
            zip(seq.joints_3d, seq.valid, seq.timestamps)]
    assert outs[39] is not None and outs[40] is not None     # holds over a short gap
    np.testing.assert_array_equal(outs[40], outs[39])
    assert outs[42] is None                                    # a 3-frame gap > max_gap
    good = np.stack([o for o in outs[60:]])
    assert quality.lr_asymmetry_mm(good) < 1e-9                # running bone lengths
    with pytest.raises(ValueError):
        LiveRefiner(MovingAverage())                           # needs latency 0


def test_live_refiner_with_the_shipped_causal_model_matches_offline_causal(shared_data):
    from mocap_app.lift.refiner import TemporalRefiner
    seq, _ = _take()
    model = TemporalRefiner.load(causal=True)
    live = LiveRefiner(model, fit_skeleton=False)
    outs = np.stack([live.push(j, t) for j, t in zip(seq.joints_3d[:40], seq.timestamps)])
    offline = model.refine(seq.joints_3d[:40])
    np.testing.assert_allclose(outs, offline, atol=1e-5)
