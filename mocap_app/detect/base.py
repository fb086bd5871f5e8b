"""What every person detector returns, and the protocol it follows.

Detectors work on BlazePose's 33 landmarks; ``to_app_joints`` maps them onto the app
skeleton (``core/skeleton.py``). Only the adapter modules import a detector runtime.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..core.pose import camera_to_app
from ..core.skeleton import blazepose_to_app


@dataclass(frozen=True)
class Roi:
    """A rotated square region of the frame, in pixels: what the landmark model saw.

    ``rotation`` is in radians, counter-clockwise on screen being negative (MediaPipe's
    convention: a crop point ``(u, v)`` in 0..1 maps to the frame by rotating
    ``(u - 0.5, v - 0.5)`` by ``rotation`` in image axes, x right and y down).
    """
    center: tuple[float, float]   # x, y pixels
    size: float                   # side of the square, pixels
    rotation: float = 0.0         # radians

    def crop_to_image(self, uv: np.ndarray) -> np.ndarray:
        """(..., 2) crop coordinates in 0..1 -> (..., 2) frame pixels."""
        uv = np.asarray(uv, dtype=np.float64) - 0.5
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        x = (c * uv[..., 0] - s * uv[..., 1]) * self.size + self.center[0]
        y = (s * uv[..., 0] + c * uv[..., 1]) * self.size + self.center[1]
        return np.stack([x, y], axis=-1)

    def image_to_crop(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) frame pixels -> (..., 2) crop coordinates in 0..1 (inverse of
        ``crop_to_image``)."""
        d = (np.asarray(xy, dtype=np.float64) - np.asarray(self.center)) / self.size
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        u = c * d[..., 0] + s * d[..., 1]
        v = -s * d[..., 0] + c * d[..., 1]
        return np.stack([u, v], axis=-1) + 0.5

    def heatmap_to_image(self, col_row: np.ndarray, heatmap_size: int = 64) -> np.ndarray:
        """(..., 2) heatmap cell indices (col, row) -> frame pixels; cell ``i`` is at crop
        coordinate ``i / heatmap_size``, the convention BlazePose's refinement uses."""
        return self.crop_to_image(np.asarray(col_row, dtype=np.float64) / heatmap_size)


@dataclass(frozen=True)
class Detection:
    """One person in one frame.

    ``landmarks_2d`` are pixels of the frame as given (x right, y down);
    ``world_landmarks`` are metres about the hip midpoint in camera axes (x right, y down,
    z away from the camera), as BlazePose gives them.
    """
    box: np.ndarray               # (4,) x0, y0, x1, y1 pixels: the whole-body crop
    landmarks_2d: np.ndarray      # (33, 2) pixels
    visibility: np.ndarray        # (33,) 0..1
    world_landmarks: np.ndarray   # (33, 3) metres, camera axes, hip-centred
    score: float = 1.0            # detector/landmark confidence 0..1
    heatmaps: np.ndarray | None = None  # (64, 64, 33) landmark heatmaps, when available
                                        # (BlazePose: sigmoid probabilities 0..1, over
                                        # the crop ``roi``; see Roi.heatmap_to_image)
    roi: Roi | None = None        # the crop the landmarks came from, when known

    def app_keypoints(self) -> tuple[np.ndarray, np.ndarray]:
        """(J, 2) pixels and (J,) visibility on the app skeleton."""
        kp = blazepose_to_app(self.landmarks_2d)
        vis = blazepose_to_app(self.visibility[:, None])[:, 0]
        return kp, vis

    def app_world_joints(self) -> np.ndarray:
        """(J, 3) metres, app axes (Y up, facing +Z), pelvis at the origin."""
        j = camera_to_app(blazepose_to_app(self.world_landmarks))
        return j - j[0]


def body_box(pts: np.ndarray, width: int, height: int, margin: float = 0.15) -> np.ndarray:
    """A whole-body box (x0, y0, x1, y1) around the landmarks, grown by ``margin`` of its
    size on each side and clipped to the frame (the MediaPipe adapter's rule)."""
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return np.array([max(0.0, x0 - mx), max(0.0, y0 - my),
                     min(width, x1 + mx), min(height, y1 + my)])


class PersonDetector(Protocol):
    """Finds the tracked subject in a frame. ``frame`` is BGR uint8 (H, W, 3)."""

    def detect(self, frame: np.ndarray, timestamp: float) -> Detection | None: ...

    def reset(self) -> None:
        """Forget tracking state (a new clip, or a seek)."""

    def close(self) -> None: ...


class DetectorError(RuntimeError):
    """The detector could not be created or run (missing model file, bad runtime)."""
