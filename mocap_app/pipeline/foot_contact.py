"""Foot contacts: find when each foot is planted, then pin it there.

Detection: a foot is in contact when its lowest point (heel, toe or ankle) is near the
ground and the foot barely moves horizontally; spans shorter than a few frames are
dropped and one- or two-frame gaps closed. Modes: ``auto`` (detect), ``always`` (both
feet planted in every frame: a performer standing in place), ``never`` (no pinning).

Pinning: during a span the ankle is held at one target (the span's median position); the
knee is re-solved with a two-bone leg IK (hip fixed, thigh and shin lengths kept, knee
staying in the plane of the original leg bend); the foot (heel, toe) moves rigidly with the
ankle. Over ``blend_frames`` either side of a span the ankle eases from its own path to
the target, so there is no pop.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..core.skeleton import J

ContactMode = Literal["auto", "always", "never"]

#: Per side (left, right): hip, knee, ankle, heel, toe.
LEGS = (
    (J["left_hip"], J["left_knee"], J["left_ankle"], J["left_heel"], J["left_toe"]),
    (J["right_hip"], J["right_knee"], J["right_ankle"], J["right_heel"], J["right_toe"]),
)


@dataclass(frozen=True)
class ContactOptions:
    mode: ContactMode = "auto"
    max_height_m: float = 0.06        # lowest foot point at most this far above the ground
    max_speed_mps: float = 0.35       # horizontal foot speed in contact
    min_frames: int = 3               # shorter spans are dropped
    close_gaps: int = 2               # gaps up to this many frames are closed
    blend_frames: int = 4             # easing in/out either side of a span
    ground_window_s: float = 2.0      # the floor is the feet's low level over this window


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True."""
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _clean(mask: np.ndarray, min_frames: int, close_gaps: int) -> np.ndarray:
    out = mask.copy()
    for s, e in _spans(~out):
        if 0 < s and e < len(out) and e - s <= close_gaps:
            out[s:e] = True
    for s, e in _spans(out):
        if e - s < min_frames:
            out[s:e] = False
    return out


def _local_ground(lowest: np.ndarray, ok: np.ndarray, window: int) -> np.ndarray:
    """(T,) floor height under the person: a low percentile of the lowest foot point over a
    sliding window, so steps, a stage or a tracking jump to another person do not put
    every frame off the ground."""
    from scipy.ndimage import percentile_filter  # noqa: PLC0415
    frames = np.arange(len(lowest))
    good = ok & np.isfinite(lowest)
    if not good.any():
        return np.zeros(len(lowest))
    filled = np.interp(frames, frames[good], lowest[good])
    return percentile_filter(filled, 10, size=max(3, window | 1), mode="nearest")


def detect_contacts(world: np.ndarray, fps: float, valid: np.ndarray | None = None,
                    options: ContactOptions = ContactOptions(),
                    ground_height: float | None = None) -> np.ndarray:
    """(T, 2) bool contacts for (left, right) from world joints (T, 25, 3), Y up.

    The floor is local (see ``_local_ground``) unless ``ground_height`` fixes it."""
    t = len(world)
    ok = np.isfinite(world).all(axis=(1, 2))
    if valid is not None:
        ok &= np.asarray(valid, bool)
    if options.mode == "never":
        return np.zeros((t, 2), bool)
    if options.mode == "always":
        return np.repeat(ok[:, None], 2, axis=1)
    out = np.zeros((t, 2), bool)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # all-NaN frames (nobody)
        lows = [np.nanmin(world[:, leg[2:], 1], axis=1) for leg in LEGS]   # (T,) per side
    if ground_height is None:
        ground = _local_ground(np.fmin(lows[0], lows[1]), ok,
                               int(round(options.ground_window_s * fps)))
    else:
        ground = np.full(t, float(ground_height))
    for side, (hip, knee, ankle, heel, toe) in enumerate(LEGS):
        foot = world[:, [ankle, heel, toe], :].mean(axis=1)            # (T, 3)
        if ok.any() and not ok.all():   # bridge gaps so their neighbours get a speed
            frames = np.arange(t)
            foot = np.stack([np.interp(frames, frames[ok], foot[ok, k]) for k in range(3)], 1)
        if t >= 3:   # a 3-frame mean: per-frame wobble is not foot motion
            foot = np.concatenate([foot[:1], (foot[:-2] + foot[1:-1] + foot[2:]) / 3,
                                   foot[-1:]])
        v = np.zeros(t)
        step = np.linalg.norm(np.diff(foot[:, [0, 2]], axis=0), axis=1) * fps
        # speed at t: the slower of the steps into and out of t, so a span's ends count
        v[1:-1] = np.minimum(step[:-1], step[1:])
        if t > 1:
            v[0], v[-1] = step[0], step[-1]
        near = lows[side] - ground <= options.max_height_m
        slow = np.nan_to_num(v, nan=np.inf) <= options.max_speed_mps
        out[:, side] = _clean(near & slow & ok, options.min_frames, options.close_gaps)
    return out


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, target: np.ndarray, l1: np.ndarray,
                l2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knee and ankle (N, 3) for a leg with thigh ``l1`` and shin ``l2`` (N,) reaching for
    ``target`` from ``hip``; the knee stays on the side of its original position. Targets out
    of reach are brought to the nearest reachable point on the hip-target line."""
    d_vec = target - hip
    d = np.linalg.norm(d_vec, axis=-1)
    lo, hi = np.abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6
    dc = np.clip(d, lo, hi)
    u = d_vec / np.maximum(d, 1e-9)[:, None]
    pole = knee - hip
    pole = pole - np.sum(pole * u, axis=-1, keepdims=True) * u
    pn = np.linalg.norm(pole, axis=-1)
    # A straight leg has no bend plane: bend forwards (+Z), as knees do.
    fallback = np.array([0.0, 0.0, 1.0]) - u * u[:, 2:3]
    pole = np.where((pn > 1e-6)[:, None], pole, fallback)
    w = pole / np.maximum(np.linalg.norm(pole, axis=-1, keepdims=True), 1e-9)
    a = (l1 ** 2 - l2 ** 2 + dc ** 2) / (2 * dc)
    h = np.sqrt(np.maximum(l1 ** 2 - a ** 2, 0.0))
    new_knee = hip + a[:, None] * u + h[:, None] * w
    new_ankle = hip + dc[:, None] * u
    return new_knee, new_ankle


def _mirror_knee(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """The other two-bone solution: the knee mirrored across the hip-ankle line."""
    u = ankle - hip
    u = u / np.maximum(np.linalg.norm(u, axis=-1, keepdims=True), 1e-9)
    k = knee - hip
    along = np.sum(k * u, axis=-1, keepdims=True) * u
    return hip + 2 * along - k


def _knee_illegal(other_hip, hip, knee, ankle, side: int) -> np.ndarray:
    """quality.illegal_joint_angles for one knee: normal (hip - pelvis) x (knee - hip),
    sign +1 for the left knee, -1 for the right."""
    pelvis = 0.5 * (other_hip + hip)
    n = np.cross(hip - pelvis, knee - hip)
    sign = 1.0 if side == 0 else -1.0
    return sign * np.sum(n * (ankle - knee), axis=-1) < 0


def pin_feet(world: np.ndarray, contacts: np.ndarray,
             options: ContactOptions = ContactOptions()) -> np.ndarray:
    """World joints (T, 25, 3) with each foot held still over its contact spans."""
    out = np.array(world, dtype=np.float64, copy=True)
    t = len(world)
    for side, (hip, knee, ankle, heel, toe) in enumerate(LEGS):
        weight = np.zeros(t)
        target = np.full((t, 3), np.nan)
        for s, e in _spans(contacts[:, side]):
            goal = np.nanmedian(world[s:e, ankle], axis=0)
            b = options.blend_frames
            for i in range(max(0, s - b), min(t, e + b)):
                dist = s - i if i < s else (i - e + 1 if i >= e else 0)
                wgt = 1.0 - dist / (b + 1.0)
                if wgt > weight[i]:
                    weight[i], target[i] = wgt, goal
        idx = np.flatnonzero((weight > 0) & np.isfinite(world).all(axis=(1, 2)))
        if idx.size == 0:
            continue
        w = weight[idx, None]
        want = (1 - w) * world[idx, ankle] + w * target[idx]
        l1 = np.linalg.norm(world[idx, knee] - world[idx, hip], axis=-1)
        l2 = np.linalg.norm(world[idx, ankle] - world[idx, knee], axis=-1)
        new_knee, new_ankle = two_bone_ik(world[idx, hip], world[idx, knee], want, l1, l2)
        # Of the two knee solutions keep one that bends the legal way (Dabral et al.'s
        # test): the original knee can sit on the wrong side once the ankle has moved.
        other = LEGS[1 - side][0]
        flipped = _mirror_knee(world[idx, hip], new_knee, new_ankle)
        bad = _knee_illegal(world[idx, other], world[idx, hip], new_knee, new_ankle, side)
        fix = bad & ~_knee_illegal(world[idx, other], world[idx, hip], flipped, new_ankle, side)
        new_knee = np.where(fix[:, None], flipped, new_knee)
        shift = new_ankle - world[idx, ankle]
        out[idx, knee] = new_knee
        out[idx, ankle] = new_ankle
        out[idx, heel] = world[idx, heel] + shift
        out[idx, toe] = world[idx, toe] + shift
    return out
