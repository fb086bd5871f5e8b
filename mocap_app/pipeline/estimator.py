"""Frame -> pose: the detector, then the 3D lifter (or the detector's own 3D when no
lifter is loaded). Shared by the live and offline pipelines."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.pose import FramePose, camera_to_app
from ..detect.base import PersonDetector


@dataclass(frozen=True)
class EstimatorConfig:
    detector: str = "blazepose"     # which person detector (see detect.make_detector)
    lifter: str = "auto"            # "auto": the shipped lifter if present; "none": the
                                    # detector's own 3D (MediaPipe world landmarks)
    keep_heatmaps: bool = False     # keep the lifter's marginal heatmaps (GUI)
    flip_average: bool | None = None  # lift the mirror image too and average (None: the
                                      # lifter's default, ``lift.inference.FLIP_AVERAGE``)
    hands: bool = False             # track both hands (detect/hands.py) for the fingers


#: Live capture lifts in one pass: flip averaging doubles the lifter's cost (~0.7 ms a
#: frame here) for ~0.6 mm, and the live path's budget is tight (docs/BENCHMARKS.md).
#: Imported videos and re-processed takes use the lifter's default (flip-averaged).
LIVE_FLIP_AVERAGE = False


def live_config(config: "EstimatorConfig") -> "EstimatorConfig":
    """``config`` for a live session: one lifter pass unless it says otherwise."""
    if config.flip_average is not None:
        return config
    return replace(config, flip_average=LIVE_FLIP_AVERAGE)


def make_detector(kind: str) -> PersonDetector:
    try:
        from ..detect import make_detector as factory  # the detector package's factory
    except ImportError:
        factory = None
    if factory is not None:
        return factory(kind)
    if kind != "mediapipe":
        raise ValueError(f"unknown detector {kind!r}")
    from ..detect.mediapipe_pose import MediaPipePoseDetector
    return MediaPipePoseDetector()


def load_lifter(kind: str, flip_average: bool | None = None):
    """The shipped lifter, or None when ``kind`` is "none" (or "auto" and none ships)."""
    if kind == "none":
        return None
    try:
        from ..lift.inference import Lifter
    except ImportError:
        if kind == "auto":
            return None
        raise
    from ..core.paths import models_dir
    path = models_dir() / "lifter.pt" if kind == "auto" else kind
    try:
        if flip_average is None:
            return Lifter.load(path)
        return Lifter.load(path, flip_average=flip_average)
    except FileNotFoundError:
        if kind == "auto":
            return None
        raise


class PoseEstimator:
    """Turns a BGR frame into a FramePose. Not thread-safe: one per worker."""

    def __init__(self, config: EstimatorConfig = EstimatorConfig(), detector=None, lifter=None):
        self.config = config
        self.detector = detector if detector is not None else make_detector(config.detector)
        self.lifter = (lifter if lifter is not None
                       else load_lifter(config.lifter, config.flip_average))
        self.hands = make_hand_tracker() if config.hands else None
        #: which hands to look for on the next frame (live may run them at a lower rate)
        self.hand_sides: tuple[str, ...] = ("left", "right")
        self.last_hands = None      # the hand tracker's last HandsResult (GUI drawing)

    @property
    def uses_lifter(self) -> bool:
        return self.lifter is not None

    def estimate(self, image: np.ndarray, index: int, timestamp: float) -> FramePose:
        h, w = image.shape[:2]
        det = self.detector.detect(image, timestamp)
        hands_2d = hands_3d = None
        if self.hands is not None:
            self.last_hands = self.hands.track(image, det, self.hand_sides)
            if det is not None:
                hands_2d, hands_3d = hand_arrays(self.last_hands)
        if det is None:
            return FramePose(index, timestamp, (w, h))
        kp, vis = det.app_keypoints()
        world = det.app_world_joints()
        heatmaps = None
        if self.lifter is not None:
            res = self.lifter.lift(kp[None], vis[None], (w, h), world=world[None])
            joints = np.asarray(res.joints_3d[0], dtype=np.float64)
            if self.config.keep_heatmaps and getattr(res, "heatmaps", None) is not None:
                heatmaps = {k: np.asarray(v[0]) for k, v in res.heatmaps.items()}
        else:
            joints = world
        if not np.isfinite(joints).all():
            return FramePose(index, timestamp, (w, h))
        return FramePose(index, timestamp, (w, h), box=det.box, keypoints_2d=kp,
                         visibility=vis, joints_3d=joints, heatmaps=heatmaps,
                         detector_3d=world if np.isfinite(world).all() else None,
                         hands_2d=hands_2d, hands_3d=hands_3d)

    def reset(self) -> None:
        self.detector.reset()
        if self.hands is not None:
            self.hands.reset()

    def close(self) -> None:
        self.detector.close()
        if self.hands is not None:
            self.hands.close()


def make_hand_tracker():
    from ..detect.hands import HandTracker  # noqa: PLC0415  (three more models: when asked)
    return HandTracker()


def hand_arrays(result) -> tuple[np.ndarray, np.ndarray]:
    """(2, 21, 2) pixels and (2, 21, 3) metres (app axes, wrist at the origin) of a
    HandsResult, left then right; NaN for a hand not seen."""
    pts = np.full((2, 21, 2), np.nan)
    world = np.full((2, 21, 3), np.nan)
    for k, hand in enumerate((result.left, result.right)):
        if hand is not None:
            pts[k] = hand.landmarks_2d
            w = camera_to_app(hand.world_landmarks)
            world[k] = w - w[0]
    return pts, world
