"""Finger rotations from the hand landmarks: anatomical limits, smoothing over time, and a
relaxed hand while a hand is not seen.

The angles (``core/hand.py``: spread and three flexions per finger, in the palm's frame)
are intrinsic to the hand: on the rig they turn the finger bones relative to the hand
bone, whose rotation comes from the body (the wrist). Steps, per hand:

1. angles from the 3D hand landmarks of every frame where the hand is seen;
2. clamped to ``core.hand.LIMITS`` (no backwards bends beyond a few degrees, spread
   within what the knuckles allow); the share of clamped values is reported;
3. smoothed: offline, a Gaussian over the seen frames on both sides of each frame
   (bidirectional, no lag); live, a One-Euro filter per angle (causal);
4. where the hand is not seen, held and blended towards ``core.hand.NEUTRAL`` over
   ``blend_s`` seconds, and blended back when it is seen again (offline both ways;
   live from the moment it is seen), never snapped.

    seq = add_finger_angles(seq)                 # offline, the whole take
    live = LiveFingerFilter(); angles = live.update(frame.hands_3d, t)   # live
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.hand import LIMITS, NEUTRAL, SIDES, finger_angles
from ..core.pose import PoseSequence
from .one_euro import OneEuroFilter


@dataclass(frozen=True)
class FingerOptions:
    smoothing_s: float = 0.05     # offline Gaussian sigma, seconds (0: none)
    blend_s: float = 0.3          # seconds to blend to/from the relaxed hand (> 0)
    min_cutoff: float = 1.5       # live One-Euro: Hz at rest
    beta: float = 0.5             # live One-Euro: speed coefficient (per rad/s)

    def __post_init__(self):
        if not 0.0 <= self.smoothing_s <= 1.0:
            raise ValueError(f"finger smoothing_s must be between 0 and 1 s, "
                             f"got {self.smoothing_s!r}")
        if not 0.0 < self.blend_s <= 5.0:
            raise ValueError(f"finger blend_s must be in (0, 5] s, got {self.blend_s!r}")
        if not self.min_cutoff > 0 or not self.beta >= 0:
            raise ValueError("finger min_cutoff must be > 0 and beta >= 0, got "
                             f"{self.min_cutoff!r}, {self.beta!r}")


def raw_finger_angles(hands_3d: np.ndarray) -> np.ndarray:
    """(T, 2, 5, 4) radians from (T, 2, 21, 3) landmarks (left, right); NaN where unseen."""
    x = np.asarray(hands_3d, float)
    out = np.full(x.shape[:-2] + (5, 4), np.nan)
    for k, side in enumerate(SIDES):
        seen = np.all(np.isfinite(x[:, k]), axis=(-1, -2))
        if seen.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                out[seen, k] = finger_angles(x[seen, k], side)
    return out


def clamp_to_limits(angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Angles (..., 5, 4) clamped to the anatomical limits, and where they were clamped."""
    lo, hi = LIMITS[..., 0], LIMITS[..., 1]
    clamped = np.clip(angles, lo, hi)
    at_limit = np.isfinite(angles) & ((angles < lo) | (angles > hi))
    return clamped, at_limit


def _gaussian_over_seen(values: np.ndarray, seen: np.ndarray, t: np.ndarray,
                        sigma: float) -> np.ndarray:
    """Each seen frame: the Gaussian-weighted mean (in time) of the seen frames around
    it, on both sides. (T, ...) values; unseen frames come back unchanged."""
    out = values.copy()
    if sigma <= 0 or seen.sum() < 2:
        return out
    idx = np.flatnonzero(seen)
    ts, vs = t[idx], values[idx]
    for n, i in enumerate(idx):
        near = np.abs(ts - t[i]) <= 3 * sigma
        w = np.exp(-0.5 * ((ts[near] - t[i]) / sigma) ** 2)
        out[i] = np.tensordot(w, vs[near], axes=1) / w.sum()
    return out


def _neutral_weight(dt: np.ndarray, blend_s: float) -> np.ndarray:
    """How much of the held hand is left ``dt`` seconds from a seen frame (1 -> 0)."""
    x = np.clip(dt / blend_s, 0.0, 1.0)
    return 1.0 - x * x * (3.0 - 2.0 * x)          # smoothstep: no kink at either end


def hold_and_blend(values: np.ndarray, seen: np.ndarray, t: np.ndarray,
                   blend_s: float) -> np.ndarray:
    """Fill unseen frames of (T, 5, 4) angles: the nearest seen value on either side,
    blended towards NEUTRAL with the time from it; a take with no seen frame is NEUTRAL."""
    out = values.copy()
    if not seen.any():
        out[:] = NEUTRAL
        return out
    idx = np.flatnonzero(seen)
    for i in np.flatnonzero(~seen):
        k = np.searchsorted(idx, i)
        cands = []
        if k > 0:
            cands.append(idx[k - 1])
        if k < len(idx):
            cands.append(idx[k])
        acc = np.zeros_like(NEUTRAL)
        wsum = 0.0
        for j in cands:
            w = float(_neutral_weight(np.array(abs(t[i] - t[j])), blend_s))
            acc += w * values[j]
            wsum += w
        # both neighbours contribute as far as they reach; the rest is the relaxed hand
        if wsum > 1.0:
            acc, wsum = acc / wsum, 1.0
        out[i] = acc + (1.0 - wsum) * NEUTRAL
    return out


def finger_track(hands_3d: np.ndarray, timestamps: np.ndarray,
                 options: FingerOptions = FingerOptions(), held: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Offline finger angles (T, 2, 5, 4) for a whole take, and (T, 2, 5, 4) where the raw
    angles hit a limit. Bidirectional: each frame sees the frames after it. ``held``
    (T, 2) bool marks hands held from an earlier frame (live at half rate): they count as
    not seen, so a one-frame hold between two looks becomes their mean (interpolated)."""
    raw = raw_finger_angles(hands_3d)
    if held is not None:
        raw[np.asarray(held, bool)] = np.nan
    clamped, at_limit = clamp_to_limits(raw)
    t = np.asarray(timestamps, float)
    out = np.empty_like(clamped)
    for k in range(2):
        seen = np.all(np.isfinite(clamped[:, k]), axis=(-1, -2))
        smooth = _gaussian_over_seen(clamped[:, k], seen, t, options.smoothing_s)
        out[:, k] = hold_and_blend(smooth, seen, t, options.blend_s)
    return out, at_limit


def add_finger_angles(seq: PoseSequence, options: FingerOptions = FingerOptions()
                      ) -> PoseSequence:
    """``seq`` with ``finger_angles`` made from its hands (unchanged if it has none)."""
    if seq.hands_3d is None:
        return seq
    angles, _ = finger_track(seq.hands_3d, seq.timestamps, options, seq.hands_held)
    return replace(seq, finger_angles=angles)


class LiveFingerFilter:
    """The causal twin of ``finger_track``, one frame at a time (live capture)."""

    def __init__(self, options: FingerOptions = FingerOptions()):
        self.options = options
        self.reset()

    def reset(self) -> None:
        self._filters = [OneEuroFilter(self.options.min_cutoff, self.options.beta)
                         for _ in SIDES]
        self._out = np.broadcast_to(NEUTRAL, (2, 5, 4)).copy()
        self._last_seen: list[float | None] = [None, None]   # time the hand was last seen
        self._lost_at = self._out.copy()                      # output when it was lost
        self._found_at: list[float | None] = [None, None]     # time it was seen again
        self._found_from = self._out.copy()                   # output at that moment

    def update(self, hands_3d: np.ndarray | None, t: float) -> np.ndarray:
        """(2, 5, 4) angles for this frame from (2, 21, 3) landmarks (None: no hands)."""
        raw = (np.full((2, 5, 4), np.nan) if hands_3d is None
               else raw_finger_angles(np.asarray(hands_3d, float)[None])[0])
        clamped, _ = clamp_to_limits(raw)
        blend = self.options.blend_s
        for k in range(2):
            seen = bool(np.isfinite(clamped[k]).all())
            if seen:
                if self._last_seen[k] is None or t - self._last_seen[k] > 1.5 / 30:
                    # seen again after a gap (or the first time): blend in from here
                    self._filters[k].reset()
                    self._found_at[k], self._found_from[k] = t, self._out[k].copy()
                # One-Euro speed per finger: the norm over its four angles
                meas = self._filters[k](clamped[k], t)
                w = (0.0 if self._found_at[k] is None
                     else float(_neutral_weight(np.array(t - self._found_at[k]), blend)))
                self._out[k] = meas + w * (self._found_from[k] - meas)
                self._last_seen[k] = t
                self._lost_at[k] = self._out[k].copy()
            else:
                since = np.inf if self._last_seen[k] is None else t - self._last_seen[k]
                w = float(_neutral_weight(np.array(since), blend))
                self._out[k] = NEUTRAL + w * (self._lost_at[k] - NEUTRAL)
        return self._out.copy()
