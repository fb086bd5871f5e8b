"""Hands beside the body: each of the performer's hands found from the body pose, tracked
from frame to frame, and found again with the palm detector when lost.

    tracker = HandTracker()
    hands = tracker.track(frame_bgr, detection)   # HandsResult: .left / .right or None
    hands.left.landmarks_2d                       # (21, 2) pixels
    hands.left.world_landmarks                    # (21, 3) metres, camera axes

Left and right are the performer's own, as the body detector names its wrists: a hand is
only ever looked for around its own wrist, and the hand model's handedness must agree
(MediaPipe labels hands as in a selfie; ``HandLandmarks.handedness`` is already turned
into the unmirrored meaning). One hand is never given to both sides.

Each frame, for each side, the first of these that gives a hand wins:

1. tracking: the crop from the previous frame's landmarks (MediaPipe's rule);
2. the body: Holistic's crop from the wrist, index and pinky landmarks, optionally
   tightened by ``hand_recrop``;
3. re-finding: the palm detector on a square around the body's hand, nearest palm first.

A hand that none of them finds is "not seen" (None) for that frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Detection, Roi
from .hand_models import (HandLandmarkModel, HandLandmarks, HandRecropModel,
                          PalmDetectionModel, roi_from_hand_landmarks, roi_from_pose_hand)
from .roi import normalize_radians

SIDES = ("left", "right")
#: BlazePose landmark indices of each side's wrist, pinky and index knuckles.
POSE_HAND_LANDMARKS = {"left": (15, 17, 19), "right": (16, 18, 20)}
PALM_SEARCH_SCALE = 2.0     # palm search square: this many body-hand crops across
MIN_PALM_SEARCH = 192.0     # ... but never below the palm detector's input size (pixels)


@dataclass(frozen=True)
class HandObservation:
    """One of the performer's hands in one frame."""
    side: str                   # "left" or "right": the performer's own
    landmarks_2d: np.ndarray    # (21, 2) pixels, MediaPipe's order (hand_models.HAND_LANDMARK_NAMES)
    world_landmarks: np.ndarray  # (21, 3) metres about the hand's centre, camera axes
    presence: float             # the model's hand flag, 0..1
    side_score: float           # the model's probability that this is the ``side`` hand
    roi: Roi                    # the crop the landmarks came from
    source: str                 # "tracked", "pose" or "palm": which step found it
    depth: np.ndarray | None = None  # (21,) the landmarks' relative depth, pixels (with
                                     # landmarks_2d: the hand in image axes)

    def hand_3d(self) -> np.ndarray:
        """(21, 3) metres, camera axes, wrist at the origin: the mean of the model's two
        3D answers, its metric world landmarks and its image landmarks with their depth
        (scaled to the world landmarks' size), each normalised by its wrist -> middle
        knuckle length. On rendered hands with known poses the mean's finger angles are
        4 degrees closer to the truth than the world landmarks' alone (docs/HANDS.md)."""
        world = self.world_landmarks - self.world_landmarks[0]
        size = float(np.linalg.norm(world[9]))
        if self.depth is None or size < 1e-9:
            return world
        img = np.concatenate([self.landmarks_2d, self.depth[:, None]], axis=1)
        img = img - img[0]
        img_size = float(np.linalg.norm(img[9]))
        if img_size < 1e-9:
            return world
        return 0.5 * (world + img * (size / img_size))


@dataclass(frozen=True)
class HandsResult:
    """Both hands of one frame; None where a hand is not seen. ``sides``: (2, 2) for the
    left and right body hand, the hand model's presence and probability of a *right*
    hand in the crop the body's wrist gave, whether or not the hand was accepted (NaN
    where no such pass ran): what the body's sides look like to the hand model
    (``pipeline/side_check.py``)."""
    left: HandObservation | None = None
    right: HandObservation | None = None
    sides: np.ndarray | None = None

    def side(self, side: str) -> HandObservation | None:
        return self.left if side == "left" else self.right


def _check_unit(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")


class HandTracker:
    """Both hands of the body detector's subject, through MediaPipe's hand models.

    recrop:           tighten the body's crop with Holistic's ``hand_recrop`` model (one
                      more small network per search; on by default, as Holistic)
    palm_search:      when a hand is lost, look for palms around the body's hand
    min_presence:     the hand flag a hand needs (0..1, MediaPipe's 0.5)
    min_side_score:   the handedness a hand needs for its side (0..1); below it the crop
                      probably holds the other hand
    min_wrist_visibility: the body's wrist visibility needed to search there (0..1,
                      Holistic's 0.1)
    max_wrist_offset: how far the hand's wrist may lie from the body's wrist, in body-hand
                      crops (> 0)
    palm_every:       while a hand stays lost, search palms on every this many frames
                      (>= 1; the palm detector costs more than the hand model)
    num_threads:      LiteRT threads per model
    """

    def __init__(self, recrop: bool = True, palm_search: bool = True,
                 min_presence: float = 0.5, min_side_score: float = 0.2,
                 min_wrist_visibility: float = 0.1, max_wrist_offset: float = 0.5,
                 palm_every: int = 5, num_threads: int = 1):
        _check_unit("min_presence", min_presence)
        _check_unit("min_side_score", min_side_score)
        _check_unit("min_wrist_visibility", min_wrist_visibility)
        if not max_wrist_offset > 0:
            raise ValueError(f"max_wrist_offset must be > 0, got {max_wrist_offset!r}")
        if not (isinstance(palm_every, int) and palm_every >= 1):
            raise ValueError(f"palm_every must be an integer >= 1, got {palm_every!r}")
        self.palm_every = palm_every
        self.recrop, self.palm_search = recrop, palm_search
        self.min_presence, self.min_side_score = min_presence, min_side_score
        self.min_wrist_visibility = min_wrist_visibility
        self.max_wrist_offset = max_wrist_offset
        self._landmarks = HandLandmarkModel(num_threads)
        self._recrop = HandRecropModel(num_threads) if recrop else None
        self._palm = PalmDetectionModel(num_threads) if palm_search else None
        self.reset()

    def reset(self) -> None:
        """Forget both hands' tracking crops (a new clip, a seek, a new subject)."""
        self._roi: dict[str, Roi | None] = {s: None for s in SIDES}
        self._last: dict[str, np.ndarray | None] = {s: None for s in SIDES}
        self._lost: dict[str, int] = {s: 0 for s in SIDES}    # frames since last found
        self.runs = {"landmarks": 0, "recrop": 0, "palm": 0}   # model passes so far
        self._first: tuple[float, float] | None = None   # this side's first pass

    def close(self) -> None:
        self._landmarks = self._recrop = self._palm = None

    def track(self, frame: np.ndarray, body: Detection | None,
              sides: tuple[str, ...] = SIDES) -> HandsResult:
        """The hands in this BGR frame of the subject ``body`` (None: nobody, so no hands).
        ``sides``: which hands to look for this frame (the others are None and keep their
        tracking crop, for running the hands at a lower rate)."""
        if body is None:
            self.reset()
            return HandsResult()
        found: dict[str, HandObservation | None] = {}
        evidence = np.full((2, 2), np.nan)
        for k, side in enumerate(SIDES):
            if side not in sides:
                found[side] = None
                continue
            self._first = None
            found[side] = self._find(frame, body, side)
            if self._first is not None:
                evidence[k] = self._first
            self._remember(side, found[side])
        left, right = found["left"], found["right"]
        if left is not None and right is not None and _same_hand(left, right):
            # both crops locked onto one hand: keep it where the model says it belongs
            if left.side_score >= right.side_score:
                right = None
                self._remember("right", None)
            else:
                left = None
                self._remember("left", None)
        return HandsResult(left=left, right=right, sides=evidence)

    # -- internals ------------------------------------------------------------------------
    def _remember(self, side: str, hand: HandObservation | None) -> None:
        self._lost[side] = 0 if hand is not None else self._lost[side] + 1
        self._last[side] = None if hand is None else hand.landmarks_2d
        self._roi[side] = None if hand is None else roi_from_hand_landmarks(hand.landmarks_2d)

    def _pose_points(self, body: Detection, side: str):
        w, p, i = POSE_HAND_LANDMARKS[side]
        pts = body.landmarks_2d
        return pts[w], pts[i], pts[p], float(body.visibility[w])

    def _find(self, frame: np.ndarray, body: Detection, side: str) -> HandObservation | None:
        wrist, index, pinky, vis = self._pose_points(body, side)
        pose_roi = roi_from_pose_hand(wrist, index, pinky)
        limit = self.max_wrist_offset * max(pose_roi.size, 1.0)
        tracked, last = self._roi[side], self._last[side]
        rois: list[tuple[Roi, str]] = []
        if vis >= self.min_wrist_visibility and pose_roi.size >= 4.0:
            roi = pose_roi
            if self._recrop is not None:
                self.runs["recrop"] += 1
                roi = self._recrop.run(frame, pose_roi)
            if tracked is not None and keep_tracking(tracked, roi, last):
                rois.append((tracked, "tracked"))
            else:
                rois.append((roi, "pose"))
        elif tracked is not None:   # the body lost its wrist: the hand may still be seen
            rois.append((tracked, "tracked"))
        for roi, source in rois:
            got = self._accept(frame, roi, side, wrist, limit, source)
            if got is not None:
                return got
        if (self._palm is None or pose_roi.size < 4.0
                or self._lost[side] % self.palm_every != 0):
            return None
        side_px = max(PALM_SEARCH_SCALE * pose_roi.size, MIN_PALM_SEARCH)
        region = Roi(center=pose_roi.center, size=float(side_px))
        self.runs["palm"] += 1
        palms = self._palm.run(frame, region)
        palms.sort(key=lambda c: float(np.linalg.norm(c.keypoints[0] - wrist)))
        for cand in palms[:2]:
            got = self._accept(frame, cand.roi, side, wrist, limit, "palm")
            if got is not None:
                return got
        return None

    def _accept(self, frame: np.ndarray, roi: Roi, side: str, wrist: np.ndarray,
                limit: float, source: str) -> HandObservation | None:
        self.runs["landmarks"] += 1
        res: HandLandmarks = self._landmarks.run(frame, roi)
        if source != "palm" and self._first is None:    # the body's own crop of the hand
            self._first = (float(res.presence), float(res.handedness))
        side_score = res.handedness if side == "right" else 1.0 - res.handedness
        if res.presence < self.min_presence or side_score < self.min_side_score:
            return None
        if np.linalg.norm(res.landmarks_2d[0] - wrist) > limit:
            return None
        return HandObservation(side=side, landmarks_2d=res.landmarks_2d,
                               world_landmarks=res.world_landmarks, depth=res.depth,
                               presence=res.presence,
                               side_score=side_score, roi=res.roi, source=source)


#: Holistic's RoiTrackingCalculator options for hands: the previous frame's crop is kept
#: while the body's (re-cropped) crop agrees with it this closely.
TRACK_MAX_ROTATION = np.radians(40.0)
TRACK_MAX_SHIFT = 0.2        # of the body crop's side, along each of its axes
TRACK_MAX_SCALE = 0.4        # side difference, of the body crop's side
TRACK_MARGIN = -0.1          # last landmarks must lie inside the body crop shrunk 10 %


def keep_tracking(tracked: Roi, body_crop: Roi, last_landmarks: np.ndarray | None) -> bool:
    """Holistic's rule: keep the previous frame's crop unless this frame's crop from the
    body says the hand moved, turned or changed size more than the hand model was trained
    to follow, or last frame's landmarks fall outside this frame's crop."""
    d = normalize_radians(tracked.rotation - body_crop.rotation)
    if abs(d) > TRACK_MAX_ROTATION:
        return False
    shift = (body_crop.image_to_crop(np.asarray(tracked.center)) - 0.5) * body_crop.size
    if np.any(np.abs(shift) > TRACK_MAX_SHIFT * body_crop.size):
        return False
    if abs(tracked.size - body_crop.size) > TRACK_MAX_SCALE * body_crop.size:
        return False
    if last_landmarks is not None:
        uv = body_crop.image_to_crop(last_landmarks) - 0.5
        if np.any(np.abs(uv) >= 0.5 * (1.0 + TRACK_MARGIN)):
            return False
    return True


def _same_hand(a: HandObservation, b: HandObservation) -> bool:
    """Whether two observations are one hand seen twice (landmarks within a fifth of the
    hand's size of each other on average)."""
    size = float(np.linalg.norm(a.landmarks_2d[9] - a.landmarks_2d[0])) + 1e-6
    return float(np.linalg.norm(a.landmarks_2d - b.landmarks_2d, axis=1).mean()) < 0.2 * size


__all__ = ["HandObservation", "HandTracker", "HandsResult", "SIDES"]
