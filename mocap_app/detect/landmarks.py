"""BlazePose landmark model outputs -> landmarks in the frame. Pure numpy.

The landmark model sees a 256x256 crop of a rotated square ROI and returns 39 landmarks
(33 body + 2 auxiliary ROI points + 4 unused) as x, y, z, visibility logit, presence
logit in crop pixels; a 64x64x39 heatmap (logits) refines x, y.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Roi

CROP_SIZE = 256
NUM_LANDMARKS = 39          # model outputs
NUM_BODY = 33               # BlazePose body landmarks (core/skeleton.py)
AUX_CENTRE, AUX_SCALE = 33, 34   # next frame's ROI: hip centre and body-circle point
REFINE_KERNEL = 9           # window of the heatmap refinement (the legacy solution's
                            # effective setting; 7 differs by up to 12.8 px)
REFINE_MIN_CONFIDENCE = 0.5


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def refine_from_heatmaps(uv: np.ndarray, heatmaps: np.ndarray,
                         kernel: int = REFINE_KERNEL,
                         min_confidence: float = REFINE_MIN_CONFIDENCE) -> np.ndarray:
    """Move each landmark to the probability-weighted mean cell of its heatmap in a
    ``kernel`` x ``kernel`` window around it (cells at ``i / size``, no half-cell offset,
    as MediaPipe's RefineLandmarksFromHeatmapCalculator does).

    ``uv`` (L, 2) crop coordinates 0..1; ``heatmaps`` (H, W, L) probabilities (sigmoid of
    the model's logits). Landmarks outside the heatmap, or whose window peaks below
    ``min_confidence``, are kept as they are.
    """
    h, w, n = heatmaps.shape
    assert uv.shape == (n, 2), (uv.shape, heatmaps.shape)
    out = np.array(uv, dtype=np.float64)
    off = (kernel - 1) // 2
    for k in range(n):
        col, row = int(uv[k, 0] * w), int(uv[k, 1] * h)   # truncation toward zero
        # MediaPipe tests the column where it means the row (`col >= height`): a row just
        # below the heatmap still refines over the rows left in its window. Kept as is.
        if col < 0 or col >= w or row < 0 or col >= h:
            continue
        r0, r1 = max(0, row - off), min(h, row + off + 1)
        c0, c1 = max(0, col - off), min(w, col + off + 1)
        if r1 <= r0 or c1 <= c0:
            continue
        conf = heatmaps[r0:r1, c0:c1, k].astype(np.float64)   # (rows, cols)
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[k, 0] = (cols * conf).sum() / w / total
            out[k, 1] = (rows * conf).sum() / h / total
    return out


@dataclass(frozen=True)
class LandmarkResult:
    """The landmark model's answer for one ROI, mapped back to the frame."""
    roi: Roi
    presence: float              # the model's pose flag (a probability)
    landmarks_2d: np.ndarray     # (39, 2) frame pixels, heatmap-refined
    visibility: np.ndarray       # (39,) sigmoid of the visibility logits
    presence_per_joint: np.ndarray  # (39,) sigmoid of the presence logits
    world_landmarks: np.ndarray  # (39, 3) metres, hip-centred, camera axes (ROI rotation undone)
    heatmaps: np.ndarray         # (64, 64, 39) probabilities (sigmoid of the logits), float32


def decode_landmarks(raw_landmarks: np.ndarray, pose_flag: np.ndarray,
                     heatmap_logits: np.ndarray, raw_world: np.ndarray, roi: Roi,
                     kernel: int = REFINE_KERNEL) -> LandmarkResult:
    """Landmark model outputs (batch dimension removed) for ``roi`` -> LandmarkResult."""
    lm = raw_landmarks.reshape(NUM_LANDMARKS, 5).astype(np.float64)   # (39, x y z vis pres)
    heatmaps = sigmoid(heatmap_logits).astype(np.float32)             # (64, 64, 39)
    uv = lm[:, :2] / CROP_SIZE
    uv = refine_from_heatmaps(uv, heatmaps, kernel=kernel)
    pts = roi.crop_to_image(uv)
    world = raw_world.reshape(NUM_LANDMARKS, 3).astype(np.float64)    # (39, xyz)
    c, s = np.cos(roi.rotation), np.sin(roi.rotation)
    world = np.stack([c * world[:, 0] - s * world[:, 1],
                      s * world[:, 0] + c * world[:, 1], world[:, 2]], axis=1)
    return LandmarkResult(roi=roi, presence=float(np.asarray(pose_flag).reshape(-1)[0]),
                          landmarks_2d=pts, visibility=sigmoid(lm[:, 3]),
                          presence_per_joint=sigmoid(lm[:, 4]), world_landmarks=world,
                          heatmaps=heatmaps)
