"""TemporalRefiner (TP-Net): timing properties, causality, checkpoints, and the shipped
models' behaviour on real motion capture."""
import numpy as np
import pytest
import torch

from mocap_app.core.paths import models_dir
from mocap_app.lift.refiner import (RefinerConfig, TemporalRefiner, fill_invalid)

torch.set_num_threads(1)


def _random_model(causal, window):
    torch.manual_seed(0)
    m = TemporalRefiner(RefinerConfig(window=window, causal=causal, hidden=32))
    torch.nn.init.normal_(m.head.weight, std=0.05)    # not the identity any more
    return m.eval()


def _wave(t=40):
    rng = np.random.default_rng(1)
    base = rng.normal(0, 0.3, (25, 3))
    base[0] = 0
    phase = np.linspace(0, 4 * np.pi, t)[:, None, None]
    seq = base[None] + 0.05 * np.sin(phase + base[None])
    seq[:, 0] = 0
    return seq


def test_timing_properties():
    c = TemporalRefiner(RefinerConfig(window=16, causal=True))
    b = TemporalRefiner(RefinerConfig(window=21, causal=False))
    assert (c.window, c.receptive_field, c.latency, c.past_frames) == (16, 16, 0, 15)
    assert (b.window, b.receptive_field, b.latency, b.past_frames) == (21, 21, 10, 10)
    with pytest.raises(ValueError):
        RefinerConfig(window=20, causal=False)


def test_untrained_refiner_is_the_identity():
    seq = _wave()
    m = TemporalRefiner(RefinerConfig(window=9, causal=False, hidden=32))
    np.testing.assert_allclose(m.refine(seq), seq, atol=1e-6)


def test_causal_output_ignores_the_future_and_bidirectional_uses_it():
    seq = _wave()
    later = seq.copy()
    later[25:] += 0.2                                   # change frames 25 onwards
    causal, bidir = _random_model(True, 8), _random_model(False, 9)
    a, b = causal.refine(seq), causal.refine(later)
    np.testing.assert_allclose(a[:25], b[:25], atol=1e-7)
    a, b = bidir.refine(seq), bidir.refine(later)
    np.testing.assert_allclose(a[:21], b[:21], atol=1e-7)   # more than 4 frames before
    assert np.abs(a[21:25] - b[21:25]).max() > 1e-4         # within its 4 future frames


def test_refine_window_matches_whole_sequence_refine_for_the_live_path():
    seq = _wave()
    m = _random_model(True, 8)
    whole = m.refine(seq)
    for t in (7, 20, 39):
        np.testing.assert_allclose(m.refine_window(seq[t - 7:t + 1]), whole[t], atol=1e-6)


def test_invalid_frames_are_filled_from_the_nearest_valid_frame_and_stay_nan():
    seq = _wave(10)
    valid = np.ones(10, bool)
    valid[[0, 4, 5, 6]] = False
    filled = fill_invalid(seq, valid)
    np.testing.assert_array_equal(filled[[0, 4, 5, 6]], seq[[1, 3, 3, 7]])
    seq[5] = np.nan
    out = _random_model(False, 5).refine(seq, valid)
    assert np.isnan(out[[0, 4, 5, 6]]).all() and np.isfinite(out[valid]).all()


def test_checkpoint_round_trip_and_version_check(tmp_path):
    m = _random_model(False, 7)
    path = tmp_path / "r.pt"
    m.save(path, note="x")
    back = TemporalRefiner.load(path)
    assert back.config == m.config and back.extra == {"note": "x"}
    seq = _wave()
    np.testing.assert_allclose(back.refine(seq), m.refine(seq), atol=1e-7)
    ckpt = torch.load(path, weights_only=True)
    ckpt["version"] = 99
    torch.save(ckpt, path)
    with pytest.raises(ValueError, match="version"):
        TemporalRefiner.load(path)


def _sample_clip_in_camera_view():
    from mocap_train.mocap_data import load_sample_clips
    clip = next(c for c in load_sample_clips() if "walk" in c.name)
    x = clip.joints.astype(np.float64)[:200]
    return x - x[:, :1]


@pytest.mark.parametrize("causal", [True, False])
def test_shipped_refiner_passes_a_clean_sequence_almost_unchanged(shared_data, causal):
    """Real mocap (the Bandai sample walk) given as perfect per-frame input comes out
    within a few millimetres of itself."""
    m = TemporalRefiner.load(causal=causal)
    seq = _sample_clip_in_camera_view()
    out = m.refine(seq)
    err = np.linalg.norm(out - seq, axis=-1).mean() * 1000
    assert err < 12.0, err


def test_shipped_refiners_improve_real_lifter_output(shared_data):
    """The sample walk seen by a virtual webcam with MediaPipe-like 2D noise, lifted frame
    by frame by the shipped lifter: both refiners lower MPJPE and at least halve the
    acceleration error; the bidirectional one beats the causal one."""
    from mocap_train.metrics import mpjpe
    from mocap_train.mocap_data import load_sample_clips
    from mocap_train.train_refiner import LifterAdapter, accel_error_mm, view_chunk
    clip = next(c for c in load_sample_clips() if "walk" in c.name)
    gt, kp, vis, size = view_chunk(clip.joints[:150], np.random.default_rng(7))
    lifted = LifterAdapter()(kp, vis, size)
    errors = {}
    for causal in (True, False):
        out = TemporalRefiner.load(causal=causal).refine(lifted)
        errors[causal] = mpjpe(out, gt)
        assert mpjpe(out, gt) < mpjpe(lifted, gt)
        assert accel_error_mm(out, gt) < 0.5 * accel_error_mm(lifted, gt)
    assert errors[False] < errors[True]


def test_shipped_checkpoints_exist_with_their_configs():
    c = TemporalRefiner.load(models_dir() / "refiner_causal.pt")
    b = TemporalRefiner.load(models_dir() / "refiner_bidir.pt")
    assert c.config.causal and c.latency == 0
    assert not b.config.causal and b.latency == b.window // 2


@pytest.mark.parametrize("causal", [True, False])
def test_a_60_fps_take_is_refined_with_windows_spanning_the_trained_time(causal):
    """At 60 fps the window takes every 2nd frame: a 60 fps take made by inserting the
    midpoints into a 30 fps one gives, at its original frames, exactly the 30 fps answer;
    refined as if it were 30 fps it would not."""
    m = _random_model(causal, 9)
    seq30 = _wave(31)
    seq60 = np.empty((61, 25, 3))
    seq60[0::2] = seq30
    seq60[1::2] = 0.5 * (seq30[:-1] + seq30[1:])
    want = m.refine(seq30, fps=30.0)
    got = m.refine(seq60, fps=60.0)[0::2]
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert np.abs(m.refine(seq60)[0::2] - want).max() > 1e-3
    np.testing.assert_array_equal(m.refine(seq30), want)        # None = 30 fps


def test_windows_at_24_fps_interpolate_to_the_trained_spacing():
    """For motion linear in time, a 24 fps take's windows (away from its ends) hold the
    poses at exactly 1/30 s apart."""
    m = _random_model(False, 9)
    rng = np.random.default_rng(3)
    a, v = rng.normal(size=(25, 3)), rng.normal(size=(25, 3))
    t = np.arange(48) / 24.0
    seq = a[None] + v[None] * t[:, None, None]
    w = m.make_windows(seq, fps=24.0)                              # (T, 9, 25, 3)
    offsets = (np.arange(9) - 4) / 30.0
    for i in range(6, 42):
        np.testing.assert_allclose(w[i], a[None] + v[None] * (t[i] + offsets)[:, None, None],
                                   atol=1e-9)
