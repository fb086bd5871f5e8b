"""A rolled camera's picture, levelled: the lifter learned from level cameras (the renders
+-5 degrees of roll, projected mocap +-4), and on Pose2Sim its two rolled views were its
worst; lifted levelled, with the answer turned back, they were not (models/LIFTER_CARD.md,
"Camera roll"). ``estimate_tilt`` finds a take's tilt from the take itself. No torch
here: the settings check it before any work starts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The picture tilts ``Lifter`` levels, degrees.
MAX_TILT_DEG = 90.0
#: The tilt setting that asks for ``estimate_tilt`` (offline: imports, ``mocap process``,
#: batch, report); live capture takes a number.
AUTO = "auto"
#: ``estimate_tilt`` searches this far either side of level, degrees: first every
#: ``AUTO_COARSE_DEG`` up to +-``AUTO_RANGE_DEG`` - 5, then every ``AUTO_FINE_DEG`` within
#: 5 degrees of the best, then a parabola through the best and its two neighbours (kept
#: where the lifter is surer there still).
AUTO_RANGE_DEG = 45.0
AUTO_COARSE_DEG = 10.0
AUTO_FINE_DEG = 2.5
#: the frames ``estimate_tilt`` judges by: at most this many, evenly spread over the take
AUTO_FRAMES = 120
#: fewer frames with a person than this are too little to judge by: the take stays level
AUTO_MIN_FRAMES = 10
#: the search's settings in one string (cached results are keyed by it)
AUTO_SEARCH = (f"{AUTO_RANGE_DEG:g}/{AUTO_COARSE_DEG:g}/{AUTO_FINE_DEG:g}x2/"
               f"{AUTO_FRAMES}/{AUTO_MIN_FRAMES}")


def check_tilt(tilt_deg: float) -> float:
    """A picture tilt in degrees, checked: finite and within +-``MAX_TILT_DEG``."""
    t = float(tilt_deg)
    if not np.isfinite(t) or abs(t) > MAX_TILT_DEG:
        raise ValueError(f"camera tilt must be between -{MAX_TILT_DEG:g} and {MAX_TILT_DEG:g} "
                         f"degrees, got {tilt_deg!r}")
    return t


def tilt_setting(value) -> float | str:
    """A tilt setting, checked: ``AUTO`` (any case) or a tilt in degrees (``check_tilt``)."""
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    try:
        return check_tilt(float(value))
    except (TypeError, ValueError):
        raise ValueError(f"camera tilt must be '{AUTO}' or between -{MAX_TILT_DEG:g} and "
                         f"{MAX_TILT_DEG:g} degrees, got {value!r}") from None


@dataclass(frozen=True)
class TiltEstimate:
    """What ``estimate_tilt`` found."""
    tilt_deg: float           # the take's tilt (``Lifter.tilt_deg``); 0 when too few frames
    frames: int               # the frames judged
    level_gap: float          # the two flip passes' median disagreement on the picture as
                              # it is (body-scale units; NaN when too few frames)
    gap: float                # ... on the picture levelled by ``tilt_deg``

    def as_dict(self) -> dict:
        """For take.json and reports (strict JSON: None where a gap is NaN)."""
        def num(x: float):
            return round(float(x), 5) if np.isfinite(x) else None
        return {"tilt_deg": self.tilt_deg, "frames": self.frames,
                "level_gap": num(self.level_gap), "gap": num(self.gap)}


def estimate_tilt(lifter, keypoints_2d: np.ndarray, visibility: np.ndarray, image_size,
                  world: np.ndarray | None = None, valid: np.ndarray | None = None
                  ) -> TiltEstimate:
    """A take's picture tilt, found from the take: the angle the picture must be levelled
    by for the lifter's two flip passes to agree best (``Lifter.flip_disagreement``, the
    median over the judged frames). The lifter learned from level cameras and is surest
    of itself on level pictures: on the held-out renders rolled by 25 degrees this finds
    the roll within 4 degrees in the median sequence and wins back 11.8 of the 12.7 mm
    the roll costs; on their level cameras it costs 0.9 mm (models/LIFTER_CARD.md,
    "Camera roll"). ``keypoints_2d`` (T, J, 2) pixels,
    ``visibility`` (T, J), ``world`` the detector's 3D (T, J, 3) or None, ``valid`` (T,)
    the frames with a person (default: those with finite keypoints). The lifter's own
    ``tilt_deg`` is left as it was."""
    kp = np.asarray(keypoints_2d, dtype=np.float64)
    vis = np.asarray(visibility, dtype=np.float64)
    seen = np.isfinite(kp).all(-1)
    use = seen.any(-1) if valid is None else np.asarray(valid, bool) & seen.any(-1)
    idx = np.flatnonzero(use)
    if len(idx) < AUTO_MIN_FRAMES:
        return TiltEstimate(0.0, int(len(idx)), float("nan"), float("nan"))
    if len(idx) > AUTO_FRAMES:
        idx = idx[np.round(np.linspace(0, len(idx) - 1, AUTO_FRAMES)).astype(int)]
    kp_u = np.nan_to_num(kp[idx])
    vis_u = np.where(seen[idx], np.nan_to_num(vis[idx]), 0.0)
    world_u = None if world is None else np.asarray(world, dtype=np.float64)[idx]
    before = lifter.tilt_deg
    gaps: dict[float, float] = {}

    def gap(angle: float) -> float:
        angle = float(round(angle, 6))
        if angle not in gaps:
            lifter.tilt_deg = angle
            g = lifter.flip_disagreement(kp_u, vis_u, image_size, world_u)
            gaps[angle] = float(np.nanmedian(g)) if np.isfinite(g).any() else np.inf
        return gaps[angle]

    try:
        edge = AUTO_RANGE_DEG - 5.0
        coarse = np.arange(-edge, edge + 1e-9, AUTO_COARSE_DEG)
        best = min(coarse, key=gap)
        for a in np.arange(best - 2 * AUTO_FINE_DEG, best + 2 * AUTO_FINE_DEG + 1e-9,
                           AUTO_FINE_DEG):
            if abs(a) <= AUTO_RANGE_DEG:
                gap(a)
        best = min(gaps, key=gaps.get)
        tilt = float(best)
        lo = gaps.get(round(best - AUTO_FINE_DEG, 6))
        hi = gaps.get(round(best + AUTO_FINE_DEG, 6))
        if lo is not None and hi is not None and lo + hi - 2 * gaps[best] > 0:
            vertex = best + 0.5 * AUTO_FINE_DEG * (lo - hi) / (lo + hi - 2 * gaps[best])
            vertex = float(round(vertex, 1))
            if np.isfinite(gaps[best]) and gap(vertex) <= gaps[best]:   # only if surer
                tilt = vertex
        level = gap(0.0)
        at = gap(tilt)
    finally:
        lifter.tilt_deg = before
    if not np.isfinite(gaps[best]):
        return TiltEstimate(0.0, int(len(idx)), float("nan"), float("nan"))
    return TiltEstimate(tilt, int(len(idx)), level, at)


def picture_tilt(R: np.ndarray, world_up) -> float:
    """How far the world's vertical leans in a calibrated camera's picture: the tilt
    ``levelled`` undoes, degrees clockwise. ``R`` (3, 3) world -> camera (x right, y down,
    z forward); ``world_up`` the world's up axis."""
    up = np.asarray(R, dtype=np.float64) @ np.asarray(world_up, dtype=np.float64)
    return float(np.degrees(np.arctan2(up[0], -up[1])))


def levelled(kp: np.ndarray, world: np.ndarray | None, image_size, tilt_deg: float):
    """Keypoints (T, J, 2) turned about the picture's centre by -``tilt_deg`` (so the
    world's vertical stands upright), the detector's 3D (T, J, 3, app axes) turned with
    them about the camera's axis, and the (3, 3) turn that takes app-axes answers of the
    levelled picture back to the camera's axes. A camera rolled by that angle about its
    optical axis sees exactly this (the picture's y points down, the app's up)."""
    a = np.radians(-tilt_deg)
    c, s = np.cos(a), np.sin(a)
    centre = 0.5 * np.asarray(image_size, dtype=np.float64)
    kp = (kp - centre) @ np.array([[c, -s], [s, c]]).T + centre
    to_level = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    if world is not None:
        world = np.asarray(world, dtype=np.float64) @ to_level.T
    return kp, world, to_level.T
