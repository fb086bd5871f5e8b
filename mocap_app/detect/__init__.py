"""Person detection and 2D keypoints: ``make_detector`` builds one by name."""
from __future__ import annotations

from .base import Detection, DetectorError, PersonDetector, Roi

DETECTORS = ("blazepose", "mediapipe")


def make_detector(kind: str = "blazepose", **opts) -> PersonDetector:
    """A PersonDetector by name: "blazepose" (ours: BlazePose through LiteRT, with subject
    choice and tracking; options of ``BlazePoseDetector``) or "mediapipe" (the legacy
    solution; options of ``MediaPipePoseDetector``)."""
    if kind == "blazepose":
        from .blazepose import BlazePoseDetector  # noqa: PLC0415
        return BlazePoseDetector(**opts)
    if kind == "mediapipe":
        from .mediapipe_pose import MediaPipePoseDetector  # noqa: PLC0415
        return MediaPipePoseDetector(**opts)
    raise ValueError(f"unknown detector {kind!r}; use one of {DETECTORS}")


__all__ = ["DETECTORS", "Detection", "DetectorError", "PersonDetector", "Roi", "make_detector"]
