"""BlazePose run by us: our detector pass, subject choice, tracking and crop.

``BlazePoseDetector`` follows the ``PersonDetector`` protocol (``detect/base.py``) and
returns the same ``Detection`` as the MediaPipe adapter, plus the landmark model's 64x64
heatmaps and the ROI they cover. In tracking mode the person detector runs only when the
subject is lost; the next frame's ROI comes from the auxiliary landmarks 33/34.

    det = BlazePoseDetector(subject="largest")
    d = det.detect(frame_bgr, timestamp)      # Detection or None
    det.status                                # TrackStatus: tracking / lost / ...
    people = det.detect_people(frame_bgr)     # everyone, for the GUI to draw
    det.select_subject((x, y))                # follow the person clicked at (x, y)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Detection, Roi, body_box
from .blazepose_models import (PersonCandidate, PoseDetectionModel, PoseLandmarkModel,
                               square_tiles)
from .landmarks import AUX_CENTRE, AUX_SCALE, NUM_BODY, REFINE_KERNEL, LandmarkResult
from .roi import roi_from_keypoints
from .smoothing import OneEuroFilter
from .subject import (CHOICES, SubjectChoice, SubjectState, TrackStatus, appearance_distance,
                      choose, match, torso_histogram)

WEAK_SCORE = 0.7         # a whole-frame detection below this is checked against the tiles
EDGE_TOLERANCE = 0.25   # a tile detection may cross an inner tile edge by this many radii
MAX_TRIES = 3           # candidates whose landmarks are checked when re-acquiring
APPEARANCE_RATE = 0.05  # how fast the subject's torso histogram follows what it sees


class BlazePoseDetector:
    """BlazePose (full) through LiteRT, with our own subject choice and tracking.

    subject:            "largest", "central", "best" (highest detector score, the legacy
                        solution's rule) or a point (x, y) in pixels: whom to follow
    static_image_mode:  every frame is a new image (detector every frame, no tracking)
    min_detection_confidence, min_tracking_confidence: detector score and landmark
                        pose-flag thresholds (0.5 each, as the legacy solution)
    search_tiles:       when the whole-frame pass finds nobody to follow, search again on
                        overlapping tiles and around the last known position (small people)
    keep_heatmaps:      attach the (64, 64, 33) heatmaps to each Detection
    num_threads:        LiteRT threads per model (1: the machine is shared)
    refine_kernel:      heatmap refinement window (9, the legacy solution's effective size)
    appearance_threshold: largest torso-histogram distance (Bhattacharyya, 0..1) still
                        taken for the subject; above it the tracker calls it lost rather
                        than follow someone else
    roi_smoothing:      One-Euro filter on the auxiliary landmarks before they become the
                        next crop (the legacy solution always does this in video mode)
    """

    def __init__(self, subject: SubjectChoice = "largest", static_image_mode: bool = False,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 search_tiles: bool = True, keep_heatmaps: bool = True, num_threads: int = 1,
                 refine_kernel: int = REFINE_KERNEL, roi_smoothing: bool = True,
                 appearance_threshold: float = 0.65):
        _check_choice(subject)
        self.subject_choice: SubjectChoice = subject
        self.static_image_mode = static_image_mode
        self.min_tracking_confidence = min_tracking_confidence
        self.search_tiles = search_tiles
        self.appearance_threshold = appearance_threshold
        self.keep_heatmaps = keep_heatmaps
        self._detector = PoseDetectionModel(num_threads, min_score=min_detection_confidence)
        self._landmarks = PoseLandmarkModel(num_threads, refine_kernel=refine_kernel)
        self._roi_filter = OneEuroFilter() if roi_smoothing else None
        self.reset()

    # -- the PersonDetector protocol ------------------------------------------------------
    def reset(self) -> None:
        """Forget the subject and the tracking ROI; the next frame chooses again."""
        self._roi: Roi | None = None            # next frame's ROI while tracking
        self._pending: PersonCandidate | None = None  # chosen by select_subject
        self.subject: SubjectState | None = None  # where the subject was last seen
        self.frames_lost = 0                    # frames since the subject was last seen
        self.status = TrackStatus.SEARCHING
        self.detector_runs = 0                  # person-detector passes so far (for tests)
        self.last_appearance_distance = 0.0     # torso-histogram distance, last tracked frame
        self._last_time: float | None = None
        if self._roi_filter is not None:
            self._roi_filter.reset()

    def close(self) -> None:
        self._detector = self._landmarks = None

    def detect(self, frame: np.ndarray, timestamp: float = 0.0) -> Detection | None:
        """The subject in this BGR frame, or None (see ``status`` for why)."""
        if frame is None or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError("expected a BGR image of shape (H, W, 3)")
        if self.static_image_mode:
            self._roi, self.subject = None, None
        # the ROI filter needs rising times; callers that pass none get 30 fps
        if self._last_time is not None and timestamp <= self._last_time:
            timestamp = self._last_time + 1 / 30
        self._last_time = timestamp
        if self._roi is not None:
            res = self._landmarks.run(frame, self._roi)
            if res.presence >= self.min_tracking_confidence:
                hist = torso_histogram(frame, res.landmarks_2d)
                self.last_appearance_distance = appearance_distance(
                    hist, None if self.subject is None else self.subject.appearance)
                if self.last_appearance_distance <= self.appearance_threshold:
                    return self._accept(frame, res, hist, TrackStatus.TRACKING, timestamp)
            # lost here (or the crop slid onto someone else): search again in this frame
            self._roi = None
        if self._roi_filter is not None:
            self._roi_filter.reset()
        return self._search(frame, timestamp)

    # -- choosing whom to follow ----------------------------------------------------------
    def select_subject(self, choice: SubjectChoice | PersonCandidate) -> None:
        """Follow someone else from the next frame: a rule ("largest", "central", "best"),
        a point (x, y) in pixels (the person nearest to it), or a candidate returned by
        ``detect_people``."""
        if isinstance(choice, PersonCandidate):
            # if its landmarks fail on the next frame, look again near where it stood
            self.subject_choice = (float(choice.center[0]), float(choice.center[1]))
            self.reset()
            self._pending = choice
            return
        _check_choice(choice)
        self.subject_choice = choice
        self.reset()

    def detect_people(self, frame: np.ndarray, tiles: bool = True, verify: bool = True
                      ) -> list[PersonCandidate]:
        """Everyone the detector finds in the frame (whole frame plus overlapping tiles,
        partial bodies on inner tile edges dropped, duplicates merged), best first. With
        ``verify``, only those whose landmark pass also says "a person" (one landmark-model
        run each: drops the detector's false alarms on things shaped like a torso)."""
        h, w = frame.shape[:2]
        regions: list[Roi | None] = [None]
        if tiles:
            regions += square_tiles(w, h)
        people = self._candidates(frame, regions)
        if verify:
            people = [c for c in people if self._landmarks.run(frame, c.roi).presence
                      >= self.min_tracking_confidence]
        return people

    # -- internals ------------------------------------------------------------------------
    def _run_detector(self, frame: np.ndarray, region: Roi | None) -> list[PersonCandidate]:
        self.detector_runs += 1
        return self._detector.run(frame, region)

    def _candidates(self, frame: np.ndarray, regions: Sequence[Roi | None]
                    ) -> list[PersonCandidate]:
        h, w = frame.shape[:2]
        found = []
        for region in regions:
            found += [c for c in self._run_detector(frame, region)
                      if region is None or not _cut_by_inner_edge(c, region, w, h)]
        return merge_candidates(found)

    def _try(self, frame: np.ndarray, picks: Sequence[PersonCandidate]):
        """The first pick whose landmarks pass the pose flag and, for a known subject,
        look like it: (LandmarkResult, torso histogram) or None."""
        for pick in picks[:MAX_TRIES]:
            res = self._landmarks.run(frame, pick.roi)
            if res.presence < self.min_tracking_confidence:
                continue
            hist = torso_histogram(frame, res.landmarks_2d)
            if self.subject is not None and (appearance_distance(
                    hist, self.subject.appearance) > self.appearance_threshold):
                continue
            return res, hist
        return None

    def _search(self, frame: np.ndarray, timestamp: float) -> Detection | None:
        h, w = frame.shape[:2]
        found = None
        if self._pending is not None:
            found = self._try(frame, [self._pending])
            self._pending = None
        else:
            passes: list[list[Roi | None]] = [[None]]
            if self.search_tiles:
                tiles: list[Roi | None] = list(square_tiles(w, h))
                if self.subject is not None:
                    tiles.insert(0, _around(self.subject, w, h))
                passes.append(tiles)
            for k, regions in enumerate(passes):
                cands = self._candidates(frame, regions)
                if (k == 0 and self.subject is None and len(passes) > 1 and cands
                        and self.subject_choice != "best"
                        and max(c.score for c in cands) < WEAK_SCORE):
                    # first acquisition on a weak whole-frame box only (often a badly
                    # rotated crop): merge it with the tiles' view of the same person.
                    # ("best" keeps the legacy solution's behaviour exactly.)
                    cands = self._candidates(frame, regions + passes[1])
                if self.subject is not None:
                    picks = match(cands, self.subject, self.frames_lost)
                else:
                    pick = choose(cands, self.subject_choice, w, h)
                    picks = [] if pick is None else [pick]
                found = self._try(frame, picks)
                if found is not None:
                    break
        if found is None:
            self._roi = None
            if self.subject is not None:
                self.frames_lost += 1
                self.status = TrackStatus.LOST
            else:
                self.status = TrackStatus.SEARCHING
            return None
        if self.subject is None:
            status = TrackStatus.ACQUIRED
        elif self.frames_lost > 0:
            status = TrackStatus.REACQUIRED
        else:
            status = TrackStatus.TRACKING    # lost and found again within the same frame
        return self._accept(frame, *found, status, timestamp)

    def _accept(self, frame: np.ndarray, res: LandmarkResult, hist: np.ndarray | None,
                status: TrackStatus, timestamp: float) -> Detection:
        h, w = frame.shape[:2]
        centre, scale = res.landmarks_2d[AUX_CENTRE], res.landmarks_2d[AUX_SCALE]
        radius = float(np.linalg.norm(scale - centre))
        ref = None if self.subject is None else self.subject.appearance
        if ref is None or hist is None:
            appearance = hist if ref is None else ref
        else:   # follow slow changes (light, turning round), never a jump
            appearance = (1 - APPEARANCE_RATE) * ref + APPEARANCE_RATE * hist
        self.subject = SubjectState(center=centre.copy(), radius=radius, appearance=appearance)
        if self.static_image_mode:
            self._roi = None
        else:
            aux = res.landmarks_2d[[AUX_CENTRE, AUX_SCALE]]               # (2, xy)
            if self._roi_filter is not None:
                # object scale: the side of the unscaled ROI square, as MediaPipe takes it
                aux = self._roi_filter.apply(timestamp, aux, 2.0 * radius)
            self._roi = roi_from_keypoints(aux[0], aux[1])
        self.frames_lost = 0
        self.status = status
        pts = res.landmarks_2d[:NUM_BODY]
        return Detection(box=body_box(pts, w, h), landmarks_2d=pts,
                         visibility=res.visibility[:NUM_BODY],
                         world_landmarks=res.world_landmarks[:NUM_BODY],
                         score=res.presence,
                         heatmaps=(np.ascontiguousarray(res.heatmaps[:, :, :NUM_BODY])
                                   if self.keep_heatmaps else None),
                         roi=res.roi)


def _check_choice(choice) -> None:
    if isinstance(choice, str):
        if choice not in CHOICES:
            raise ValueError(f"unknown subject choice {choice!r}; use one of {CHOICES} or (x, y)")
        return
    if len(choice) != 2:
        raise ValueError(f"a subject point must be (x, y), got {choice!r}")


def _around(state: SubjectState, w: int, h: int) -> Roi:
    """A square around the last known position, for a closer second look."""
    side = float(np.clip(5.0 * state.radius, 224.0, min(w, h)))
    return Roi(center=(float(state.center[0]), float(state.center[1])), size=side)


def _cut_by_inner_edge(c: PersonCandidate, region: Roi, w: int, h: int) -> bool:
    """Whether a detection in ``region`` crosses one of its edges that lies inside the
    frame by more than EDGE_TOLERANCE radii: a partial body the tile cut off."""
    half = region.size / 2.0
    x0, x1 = region.center[0] - half, region.center[0] + half
    y0, y1 = region.center[1] - half, region.center[1] + half
    b, slack = c.body_box, EDGE_TOLERANCE * c.radius
    return ((x0 > 0.5 and b[0] < x0 - slack) or (x1 < w - 0.5 and b[2] > x1 + slack)
            or (y0 > 0.5 and b[1] < y0 - slack) or (y1 < h - 0.5 and b[3] > y1 + slack))


def merge_candidates(found: Sequence[PersonCandidate], same_shift: float = 0.5,
                     same_scale: float = 2.5) -> list[PersonCandidate]:
    """One candidate per person across passes: two detections are the same person when
    their hip centres lie within ``same_shift`` radii (of the larger) and their sizes
    within ``same_scale`` (a tile often sees only part of a person the whole frame sees
    whole: a smaller circle inside the larger one); the higher score stays."""
    kept: list[PersonCandidate] = []
    for c in sorted(found, key=lambda c: -c.score):
        dup = False
        for k in kept:
            r = max(c.radius, k.radius)
            ratio = max(c.radius, k.radius) / max(min(c.radius, k.radius), 1e-6)
            if np.linalg.norm(c.center - k.center) < same_shift * r and ratio < same_scale:
                dup = True
                break
        if not dup:
            kept.append(c)
    return kept


__all__ = ["BlazePoseDetector", "PersonCandidate", "TrackStatus", "merge_candidates",
           "roi_from_keypoints"]
