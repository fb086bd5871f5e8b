"""The lifter's input and output normalisation, shared by training and inference.

Input: the 2D keypoints are framed by a square box around the *visible* keypoints
themselves (centre of their bounding box, half the longer side as the unit), so the
lifter does not depend on how a detector draws its person box. Joints that are missing
(NaN) get coordinates 0 and visibility 0.

Output: root-relative 3D joints in camera-aligned app axes (Y up, +Z towards the camera),
divided by the person's *body scale* S (pelvis->neck + mean thigh + mean shin), then by
``CUBE_HALF`` so the body fits in the [-1, 1]^3 cube of the marginal heatmaps.
Metres come back from S: given, or from a person height (S = height * SCALE_PER_HEIGHT).
"""
from __future__ import annotations

import numpy as np

from mocap_app.core.skeleton import J, NUM_JOINTS

#: Half size of the output cube in body-scale units (root-relative joints / S lie within
#: about +-0.9 even with arms over the head; rare kicks and flips reach the border).
CUBE_HALF = 1.0
#: Visibility below which a keypoint does not frame the input box.
VISIBLE = 0.5


def body_scale(joints: np.ndarray) -> np.ndarray:
    """S = |neck - pelvis| + mean thigh + mean shin, metres: (..., J, 3) -> (...)."""
    def length(a, b):
        return np.linalg.norm(joints[..., J[a], :] - joints[..., J[b], :], axis=-1)
    thigh = 0.5 * (length("left_hip", "left_knee") + length("right_hip", "right_knee"))
    shin = 0.5 * (length("left_knee", "left_ankle") + length("right_knee", "right_ankle"))
    return length("pelvis", "neck") + thigh + shin


def normalize_keypoints(keypoints: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Pixels (..., J, 2) and visibility (..., J) -> network input (..., J, 3): x, y in
    the keypoint box (y down, as in the image), visibility. Missing joints -> (0, 0, 0)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    vis = np.nan_to_num(np.asarray(visibility, dtype=np.float64), nan=0.0)
    assert kp.shape[-2:] == (NUM_JOINTS, 2), kp.shape
    finite = np.isfinite(kp).all(-1)
    vis = np.where(finite, np.clip(vis, 0.0, 1.0), 0.0)
    framing = finite & (vis >= VISIBLE)
    # too few visible joints to frame: use every finite one
    few = framing.sum(-1, keepdims=True) < 2
    framing = np.where(few, finite, framing)
    big = np.where(framing[..., None], kp, np.nan)
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(big, axis=-2), np.nanmax(big, axis=-2)     # (..., 2)
    centre = np.nan_to_num(0.5 * (lo + hi))
    half = np.nan_to_num(0.5 * np.max(hi - lo, axis=-1, keepdims=True), nan=1.0)
    half = np.maximum(half, 1e-6)
    xy = (np.nan_to_num(kp) - centre[..., None, :]) / half[..., None, :]
    xy = np.where(finite[..., None], np.clip(xy, -3, 3), 0.0)
    return np.concatenate([xy, vis[..., None]], axis=-1).astype(np.float32)


def camera_to_cube(joints_cam_app: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Root-relative 3D (..., J, 3) metres in camera-aligned app axes -> cube units."""
    rel = joints_cam_app - joints_cam_app[..., J["pelvis"]:J["pelvis"] + 1, :]
    return rel / (np.asarray(scale)[..., None, None] * CUBE_HALF)


def cube_to_metres(cube: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
    """Cube units (..., J, 3) -> metres, pelvis at the origin."""
    out = np.asarray(cube, dtype=np.float64) * CUBE_HALF * np.asarray(scale)[..., None, None]
    return out - out[..., J["pelvis"]:J["pelvis"] + 1, :]
