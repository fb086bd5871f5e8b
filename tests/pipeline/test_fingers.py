"""Finger angles over time (pipeline/fingers.py): limits, smoothing, the relaxed hold."""
import numpy as np
import pytest

from mocap_app.core.hand import LIMITS, NEUTRAL, default_layout, hand_from_angles
from mocap_app.pipeline.fingers import (FingerOptions, LiveFingerFilter, clamp_to_limits,
                                        finger_track, raw_finger_angles)

FPS = 30.0


def _hands(angles_lr: np.ndarray) -> np.ndarray:
    """(T, 2, 21, 3) landmarks in app axes from (T, 2, 5, 4) angles."""
    out = []
    for k, side in enumerate(("left", "right")):
        bases, lengths = default_layout(side)
        out.append(hand_from_angles(angles_lr[:, k], side, bases, lengths))
    return np.stack(out, axis=1)


def _pose(flex: float) -> np.ndarray:
    a = NEUTRAL.copy()
    a[1:, 1:] = np.radians(flex)
    return a


def test_raw_angles_come_from_the_landmarks_and_unseen_is_nan():
    a = np.broadcast_to(_pose(40.0), (4, 2, 5, 4)).copy()
    x = _hands(a)
    x[2, 1] = np.nan
    raw = raw_finger_angles(x)
    np.testing.assert_allclose(raw[[0, 1, 3]], a[[0, 1, 3]], atol=1e-9)
    assert np.isnan(raw[2, 1]).all() and np.isfinite(raw[2, 0]).all()


def test_a_backwards_bend_is_clamped_to_a_few_degrees():
    a = NEUTRAL.copy()
    a[2, 2] = np.radians(-40.0)                     # middle finger's PIP bent backwards
    a[4, 0] = np.radians(60.0)                      # pinky spread far past its limit
    out, at = clamp_to_limits(a)
    assert out[2, 2] == pytest.approx(np.radians(-10.0))
    assert out[4, 0] == pytest.approx(LIMITS[4, 0, 1])
    assert at[2, 2] and at[4, 0] and at.sum() == 2


def test_offline_gap_blends_to_the_relaxed_hand_and_back():
    t = np.arange(90) / FPS
    a = np.broadcast_to(_pose(60.0), (90, 2, 5, 4)).copy()
    x = _hands(a)
    x[30:60, 0] = np.nan                            # left hand not seen for a second
    out, at = finger_track(x, t, FingerOptions(blend_s=0.3))
    np.testing.assert_allclose(out[:30, 0], a[:30, 0], atol=1e-9)   # steady: unchanged
    np.testing.assert_allclose(out[60:, 0], a[60:, 0], atol=1e-9)
    np.testing.assert_allclose(out[:, 1], a[:, 1], atol=1e-9)       # the other hand
    np.testing.assert_allclose(out[45, 0], NEUTRAL, atol=1e-12)      # 0.5 s from both
    steps = np.abs(np.diff(out[:, 0, 1, 1]))
    total = abs(np.radians(60.0) - NEUTRAL[1, 1])
    assert steps.max() < 0.25 * total               # spread over >= 4 frames: no snap
    assert not at.any()


def test_offline_smoothing_lowers_jitter_without_lag():
    rng = np.random.default_rng(3)
    t = np.arange(120) / FPS
    truth = np.radians(30 + 25 * np.sin(2 * np.pi * 0.5 * t))     # a slow 0.5 Hz curl
    a = np.broadcast_to(NEUTRAL, (120, 2, 5, 4)).copy()
    a[:, :, 1:, 1] = truth[:, None, None]
    noisy = a + rng.normal(0, np.radians(3.0), a.shape) * np.array([0, 1, 0, 0])
    out, _ = finger_track(_hands(noisy), t)
    err_raw = np.abs(noisy[:, :, 1:, 1] - a[:, :, 1:, 1]).mean()
    err = np.abs(out[:, :, 1:, 1] - a[:, :, 1:, 1]).mean()
    assert err < 0.6 * err_raw
    # bidirectional: no lag (the clean curve, smoothed, lines up best with no shift)
    clean, _ = finger_track(_hands(a), t)
    errs = [np.abs(clean[10 + s:110 + s, 0, 1, 1] - truth[10:110]).mean()
            for s in range(-4, 5)]
    assert int(np.argmin(errs)) == 4


def test_live_filter_holds_blends_to_neutral_and_back_causally():
    live = LiveFingerFilter(FingerOptions(blend_s=0.3, min_cutoff=50.0, beta=0.0))
    pose = _pose(60.0)
    x = _hands(np.broadcast_to(pose, (1, 2, 5, 4)))[0]
    out = []
    for i in range(90):
        seen = x.copy()
        if 30 <= i < 60:
            seen[0] = np.nan
        out.append(live.update(seen, i / FPS))
    out = np.array(out)
    assert np.abs(out[0, 0] - NEUTRAL).max() < 1e-9            # first sight blends in
    np.testing.assert_allclose(out[20:30, 0], np.broadcast_to(pose, (10, 5, 4)), atol=1e-6)
    np.testing.assert_allclose(out[40:60, 0], np.broadcast_to(NEUTRAL, (20, 5, 4)),
                               atol=1e-9)                       # 0.3 s after losing it
    assert np.abs(out[60, 0] - NEUTRAL).max() < 1e-9            # seen again: starts there
    np.testing.assert_allclose(out[70:, 0], np.broadcast_to(pose, (20, 5, 4)), atol=1e-6)
    steps = np.abs(np.diff(out[:, 0, 1, 1]))
    assert steps.max() < 0.25 * abs(pose[1, 1] - NEUTRAL[1, 1])
    assert live.update(None, 4.0).shape == (2, 5, 4)


@pytest.mark.parametrize("opts, words", [
    (dict(smoothing_s=2.0), "between 0 and 1 s"),
    (dict(blend_s=0.0), r"in \(0, 5\] s"),
    (dict(min_cutoff=0.0), "min_cutoff must be > 0"),
])
def test_options_are_checked_at_once(opts, words):
    with pytest.raises(ValueError, match=words):
        FingerOptions(**opts)


def test_offline_track_interpolates_hands_held_at_half_rate():
    """Live at half rate each hand is looked at every other frame and held between; the
    take marks the held frames, and the offline track puts the mean of the two looks
    around each (a linear curl comes out exact) instead of the stale held angles."""
    t = np.arange(40) / FPS
    truth = np.broadcast_to(NEUTRAL, (40, 2, 5, 4)).copy()
    truth[:, :, 1:, 1] = np.radians(10.0 + 1.5 * np.arange(40))[:, None, None]
    x = _hands(truth)
    held = np.zeros((40, 2), bool)
    held[1::2, 0] = True                   # left looked at on even frames, held on odd
    held[0::2, 1] = True                   # right the other way round
    x[1::2, 0] = x[0:-1:2, 0]              # a held hand repeats its last look
    x[2::2, 1] = x[1:-1:2, 1]
    x[0, 1] = np.nan                       # the right hand's first look is frame 1
    opts = FingerOptions(smoothing_s=0.0)
    out, _ = finger_track(x, t, opts, held)
    inner = np.arange(2, 38)
    np.testing.assert_allclose(out[inner], truth[inner], atol=1e-9)
    stale, _ = finger_track(x, t, opts)    # without the marks: a step every other frame
    err = np.abs(stale[inner, :, 1:, 1] - truth[inner, :, 1:, 1]).max()
    assert err == pytest.approx(np.radians(1.5), abs=1e-9)
