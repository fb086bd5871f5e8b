"""Which person to follow: choosing a subject among candidates and finding it again.

Pure numpy. A subject is remembered by where its body circle was (centre = hip centre,
radius about half the body height); re-acquisition accepts only a candidate near that
place and of a similar size, so the tracker never jumps silently to someone else.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Sequence, Union

import numpy as np

from .blazepose_models import PersonCandidate

# "largest", "central", "best" (highest detector score: the legacy solution's choice),
# or a point (x, y) in frame pixels: the person nearest to it (the GUI's click).
SubjectChoice = Union[str, tuple[float, float]]
CHOICES = ("largest", "central", "best")


class TrackStatus(str, Enum):
    """What the tracker did on the last frame (``BlazePoseDetector.status``)."""
    SEARCHING = "searching"     # no subject chosen yet, and nobody found to choose
    ACQUIRED = "acquired"       # a subject was chosen on this frame
    TRACKING = "tracking"       # the subject followed from the previous frame's landmarks
    LOST = "lost"               # the subject is not in this frame (None returned)
    REACQUIRED = "reacquired"   # the subject found again after being lost


@dataclass(frozen=True)
class SubjectState:
    """Where the subject was last seen (frame pixels)."""
    center: np.ndarray      # (2,) hip centre
    radius: float           # body circle radius
    appearance: np.ndarray | None = None   # torso histogram (torso_histogram), if seen


def choose(candidates: Sequence[PersonCandidate], choice: SubjectChoice,
           width: int, height: int) -> PersonCandidate | None:
    """The candidate a user would pick by ``choice``, or None when there is none."""
    if not candidates:
        return None
    if isinstance(choice, str):
        if choice == "best":
            return max(candidates, key=lambda c: c.score)
        if choice == "largest":
            return max(candidates, key=lambda c: c.radius)
        if choice == "central":
            mid = np.array([width / 2.0, height / 2.0])
            return min(candidates, key=lambda c: float(np.linalg.norm(c.center - mid)))
        raise ValueError(f"unknown subject choice {choice!r}; use one of {CHOICES} or (x, y)")
    return nearest_to_point(candidates, choice)


def nearest_to_point(candidates: Sequence[PersonCandidate],
                     point: tuple[float, float]) -> PersonCandidate | None:
    """The person a click at ``point`` means: among those whose body box contains it, the
    one whose hip centre is nearest relative to its size; else the nearest body box."""
    if not candidates:
        return None
    p = np.asarray(point, dtype=np.float64)

    def box_distance(c: PersonCandidate) -> float:
        b = c.body_box
        dx = max(b[0] - p[0], 0.0, p[0] - b[2])
        dy = max(b[1] - p[1], 0.0, p[1] - b[3])
        return float(np.hypot(dx, dy))

    inside = [c for c in candidates if box_distance(c) == 0.0]
    if inside:
        return min(inside, key=lambda c: float(np.linalg.norm(c.center - p)) / c.radius)
    return min(candidates, key=box_distance)


def match(candidates: Sequence[PersonCandidate], last: SubjectState, frames_lost: int,
          max_shift: float = 0.6, shift_growth: float = 0.1, max_scale_change: float = 1.6
          ) -> list[PersonCandidate]:
    """The candidates that may be the lost subject, most likely first (maybe none).

    Accepted when its hip centre lies within ``max_shift`` body radii of the last one (the
    allowance grows by ``shift_growth`` radii per lost frame, up to 3 radii, since a person
    keeps walking while hidden) and its size changed by less than ``max_scale_change``;
    ordered by the change in position and size. The caller checks the appearance.
    """
    allowed = min(3.0, max_shift + shift_growth * frames_lost) * last.radius
    ranked = []
    for i, c in enumerate(candidates):
        shift = float(np.linalg.norm(c.center - last.center))
        scale = max(c.radius, 1e-6) / max(last.radius, 1e-6)
        if shift > allowed or not (1 / max_scale_change < scale < max_scale_change):
            continue
        ranked.append((shift / last.radius + abs(np.log(scale)), i, c))
    return [c for _, _, c in sorted(ranked, key=lambda t: (t[0], t[1]))]


TORSO = (11, 12, 24, 23)    # left shoulder, right shoulder, right hip, left hip (BlazePose)


def torso_histogram(frame: np.ndarray, landmarks_2d: np.ndarray) -> np.ndarray | None:
    """A normalised hue-saturation histogram (8 x 3 bins) of the torso (the quad between
    shoulders and hips): what the subject wears, to tell two people apart when their
    positions alone cannot. None when the torso is too small to sample."""
    import cv2  # noqa: PLC0415  (kept local: the rest of this module is numpy only)
    quad = np.asarray(landmarks_2d)[list(TORSO)].astype(np.float32)      # (4, xy)
    h, w = frame.shape[:2]
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    patch = frame[y0:y1, x0:x1]
    mask = np.zeros(patch.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(quad - [x0, y0]).astype(np.int32), 255)
    if cv2.countNonZero(mask) < 16:
        return None
    hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask, [8, 3], [0, 180, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def appearance_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance between two torso histograms: 0 same, 1 disjoint; 0 when
    either is unknown (no evidence against)."""
    if a is None or b is None:
        return 0.0
    import cv2  # noqa: PLC0415
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
