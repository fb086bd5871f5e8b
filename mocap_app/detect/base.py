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

    def app_keypoints(self) -> tuple[np.ndarray, np.ndarray]:
        """(J, 2) pixels and (J,) visibility on the app skeleton."""
        kp = blazepose_to_app(self.landmarks_2d)
        vis = blazepose_to_app(self.visibility[:, None])[:, 0]
        return kp, vis

    def app_world_joints(self) -> np.ndarray:
        """(J, 3) metres, app axes (Y up, facing +Z), pelvis at the origin."""
        j = camera_to_app(blazepose_to_app(self.world_landmarks))
        return j - j[0]


class PersonDetector(Protocol):
    """Finds the tracked subject in a frame. ``frame`` is BGR uint8 (H, W, 3)."""

    def detect(self, frame: np.ndarray, timestamp: float) -> Detection | None: ...

    def reset(self) -> None:
        """Forget tracking state (a new clip, or a seek)."""

    def close(self) -> None: ...


class DetectorError(RuntimeError):
    """The detector could not be created or run (missing model file, bad runtime)."""
