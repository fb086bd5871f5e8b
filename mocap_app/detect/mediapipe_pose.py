"""The MediaPipe adapter: the only module that imports mediapipe.

Uses the legacy ``solutions.pose`` graph with ``model_complexity=1`` (the full BlazePose
model shipped inside the mediapipe 0.10.21 wheel; 0 and 2 would try to download).
"""
from __future__ import annotations

import numpy as np

from .base import Detection, DetectorError


class MediaPipePoseDetector:
    """BlazePose through MediaPipe's legacy solution, in video (tracking) mode."""

    def __init__(self, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, smooth_landmarks: bool = True,
                 static_image_mode: bool = False):
        try:
            import mediapipe as mp  # noqa: PLC0415  (kept here: heavy, optional at import)
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise DetectorError(f"MediaPipe is not installed: {exc}") from exc
        self._mp = mp
        self._options = dict(static_image_mode=static_image_mode, model_complexity=1,
                             smooth_landmarks=smooth_landmarks, enable_segmentation=False,
                             min_detection_confidence=min_detection_confidence,
                             min_tracking_confidence=min_tracking_confidence)
        self._pose = None
        self.reset()

    def reset(self) -> None:
        self.close()
        self._pose = self._mp.solutions.pose.Pose(**self._options)

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def detect(self, frame: np.ndarray, timestamp: float = 0.0) -> Detection | None:
        if frame is None or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError("expected a BGR image of shape (H, W, 3)")
        h, w = frame.shape[:2]
        rgb = np.ascontiguousarray(frame[:, :, ::-1])
        result = self._pose.process(rgb)
        if result.pose_landmarks is None or result.pose_world_landmarks is None:
            return None
        lm = result.pose_landmarks.landmark
        pts = np.array([[p.x * w, p.y * h] for p in lm], dtype=np.float64)
        vis = np.array([p.visibility for p in lm], dtype=np.float64)
        world = np.array([[p.x, p.y, p.z] for p in result.pose_world_landmarks.landmark],
                         dtype=np.float64)
        if not (np.isfinite(pts).all() and np.isfinite(world).all()):
            return None
        box = _body_box(pts, vis, w, h)
        return Detection(box=box, landmarks_2d=pts, visibility=np.clip(vis, 0, 1),
                         world_landmarks=world, score=float(np.mean(vis)))


def _body_box(pts: np.ndarray, vis: np.ndarray, w: int, h: int,
              margin: float = 0.15) -> np.ndarray:
    """A whole-body box around the landmarks, grown by ``margin`` and clipped to the frame."""
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return np.array([max(0.0, x0 - mx), max(0.0, y0 - my), min(w, x1 + mx), min(h, y1 + my)])
