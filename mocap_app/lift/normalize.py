"""The lifter's input and output normalisation, shared by training and inference.

Input: the 2D keypoints are framed by a square box around the *visible* keypoints
themselves (centre of their bounding box, half the longer side as the unit), so the
lifter does not depend on how a detector draws its person box. Joints that are missing
(NaN) get coordinates 0 and visibility 0. Given the image size, each joint also gets its
place in the image (``IMAGE_FEATURES``): offset from the image centre in units of the
image's longer side. The box alone hides where the person stands in the picture, so a
person seen 25 degrees off the optical axis looks like one turned by 25 degrees at the
centre, and the lifter cannot tell which (checkpoints with ``in_features`` 5 use it).
Given the detector's own 3D (BlazePose world landmarks mapped onto the app skeleton), each
joint also carries it (``DETECTOR_FEATURES``): pelvis-relative, app axes, in units of that
pose's own body scale, plus a flag saying the 3D is there (checkpoints with
``in_features`` 9 use it; the detector's 3D is evidence, the lifter learns where it is
wrong).

Output: root-relative 3D joints in camera-aligned app axes (Y up, +Z towards the camera),
divided by the person's *body scale* S (pelvis->neck + mean thigh + mean shin), then by
``CUBE_HALF`` so the body fits in the [-1, 1]^3 cube of the marginal heatmaps.
Metres come back from S: given, or from a person height (S = height * SCALE_PER_HEIGHT).
"""
from __future__ import annotations

import warnings

import numpy as np

from mocap_app.core.skeleton import J, NUM_JOINTS

#: Half size of the output cube in body-scale units (root-relative joints / S lie within
#: about +-0.9 even with arms over the head; rare kicks and flips reach the border).
CUBE_HALF = 1.0
#: Visibility below which a keypoint does not frame the input box.
VISIBLE = 0.5
#: Bumped when the input encoding changes (caches of lifted poses key on it).
INPUT_VERSION = 4
#: Per-joint input features: x, y in the keypoint box, visibility, then (when the image
#: size is given) x, y from the image centre over the image's longer side, then (when the
#: detector's 3D is given) its x, y, z over its own body scale and a "3D given" flag.
BOX_FEATURES, IMAGE_FEATURES, DETECTOR_FEATURES = 3, 5, 9
#: The detector's 3D in body-scale units is clipped to this (a body lies within about 1).
DETECTOR_CLIP = 3.0
#: Face points (head, nose, ears) whose 2D spread (largest pairwise distance) is less than
#: this fraction of the 2D neck-pelvis distance are treated as missing. A real head never
#: looks that small next to its torso: on the training motion capture seen by the random
#: cameras with exact 2D, 1 % of frames are below 0.163 (``tests/lift/test_normalize.py``
#: measures it). BlazePose does produce such faces, with visibility 1, when the head is
#: hidden or turned down (stgcn_taichi's bent-over stance): its face landmarks collapse to
#: a blob, and the lifter, never trained on that, bent the arms wrongly.
FACE_MIN_RATIO = 0.16
_FACE = [J[n] for n in ("head", "nose", "left_ear", "right_ear")]
_FACE_MASK = np.isin(np.arange(NUM_JOINTS), _FACE)


def _nan_to_num(x: np.ndarray, nan: float = 0.0) -> np.ndarray:
    """``np.nan_to_num(x, nan=nan)`` of a float array, read-only: ``x`` itself when it is
    all finite (the usual frame; numpy's version costs tens of microseconds a call, which
    a one-frame live lift feels)."""
    x = np.asarray(x, dtype=np.float64)
    return x if np.isfinite(x).all() else np.nan_to_num(x, nan=nan)


def body_scale(joints: np.ndarray) -> np.ndarray:
    """S = |neck - pelvis| + mean thigh + mean shin, metres: (..., J, 3) -> (...)."""
    def length(a, b):
        return np.linalg.norm(joints[..., J[a], :] - joints[..., J[b], :], axis=-1)
    thigh = 0.5 * (length("left_hip", "left_knee") + length("right_hip", "right_knee"))
    shin = 0.5 * (length("left_knee", "left_ankle") + length("right_knee", "right_ankle"))
    return length("pelvis", "neck") + thigh + shin


def face_ratio(keypoints: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """(...,) 2D spread of the visible face points (largest pairwise distance between head,
    nose and ears) over the 2D neck-pelvis distance; NaN with fewer than two visible face
    points or no torso."""
    kp = np.asarray(keypoints, dtype=np.float64)
    vis = _nan_to_num(visibility)
    seen = (vis[..., _FACE] >= VISIBLE) & np.isfinite(kp[..., _FACE, :]).all(-1)
    face = np.where(seen[..., None], kp[..., _FACE, :], np.nan)             # (..., 4, 2)
    d = np.linalg.norm(face[..., :, None, :] - face[..., None, :, :], axis=-1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # all-NaN rows: no face seen
        spread = np.nanmax(d.reshape(*d.shape[:-2], -1), axis=-1)
        torso = np.linalg.norm(kp[..., J["neck"], :] - kp[..., J["pelvis"], :], axis=-1)
        return np.where((torso > 0) & (seen.sum(-1) >= 2), spread / torso, np.nan)


def collapsed_face(keypoints: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """(...,) bool: the face points shrank below ``FACE_MIN_RATIO`` of the torso."""
    r = face_ratio(keypoints, visibility)
    return _nan_to_num(r, nan=np.inf) < FACE_MIN_RATIO


def detector_features(world: np.ndarray | None, shape: tuple) -> np.ndarray:
    """The detector's 3D as per-joint input features (..., J, 4): x, y, z pelvis-relative
    in units of that pose's own body scale (``body_scale``; app axes, metres in), then 1.
    ``world`` (..., J, 3) metres in app axes (``Detection.app_world_joints``), or None
    for "not given" (all four 0). A pose whose 3D is not finite or whose scale is not
    positive counts as not given. ``shape`` is the batch shape (...)."""
    out = np.zeros(tuple(shape) + (NUM_JOINTS, 4), dtype=np.float64)
    if world is None:
        return out
    w = np.broadcast_to(np.asarray(world, dtype=np.float64), tuple(shape) + (NUM_JOINTS, 3))
    ok = np.isfinite(w).all(axis=(-1, -2))
    w = np.where(ok[..., None, None], w, 0.0)
    with np.errstate(all="ignore"):
        s = body_scale(w)
    ok = ok & (s > 1e-3)
    rel = (w - w[..., J["pelvis"]:J["pelvis"] + 1, :]) / np.where(ok, s, 1.0)[..., None, None]
    out[..., :3] = np.clip(rel, -DETECTOR_CLIP, DETECTOR_CLIP)
    out[..., 3] = 1.0
    return np.where(ok[..., None, None], out, 0.0)


def normalize_keypoints(keypoints: np.ndarray, visibility: np.ndarray,
                        image_size=None, world: np.ndarray | None = None,
                        detector_3d: bool = False) -> np.ndarray:
    """Pixels (..., J, 2) and visibility (..., J) -> network input (..., J, 3): x, y in
    the keypoint box (y down, as in the image), visibility. Missing joints -> (0, 0, 0);
    so are face points that collapsed to a blob (``collapsed_face``). With ``image_size``
    ((w, h), or (..., 2) per sample) the input is (..., J, 5): also x, y from the image
    centre over the longer side of the image (0 for missing joints). With ``detector_3d``
    (which needs ``image_size``) the input is (..., J, 9): also ``detector_features`` of
    ``world`` (the detector's 3D, or None: not given)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    vis = _nan_to_num(visibility)
    assert kp.shape[-2:] == (NUM_JOINTS, 2), kp.shape
    finite = np.isfinite(kp).all(-1)
    vis = np.where(finite, np.clip(vis, 0.0, 1.0), 0.0)
    collapsed = collapsed_face(kp, vis)
    finite = finite & ~(collapsed[..., None] & _FACE_MASK)
    vis = np.where(finite, vis, 0.0)
    framing = finite & (vis >= VISIBLE)
    # too few visible joints to frame: use every finite one
    few = framing.sum(-1, keepdims=True) < 2
    framing = np.where(few, finite, framing)
    big = np.where(framing[..., None], kp, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # a sample with no joint at all
        lo, hi = np.nanmin(big, axis=-2), np.nanmax(big, axis=-2)     # (..., 2)
    centre = _nan_to_num(0.5 * (lo + hi))
    half = _nan_to_num(0.5 * np.max(hi - lo, axis=-1, keepdims=True), nan=1.0)
    half = np.maximum(half, 1e-6)
    kp0 = _nan_to_num(kp)
    xy = (kp0 - centre[..., None, :]) / half[..., None, :]
    xy = np.where(finite[..., None], np.clip(xy, -3, 3), 0.0)
    parts = [xy, vis[..., None]]
    if image_size is not None:
        size = np.broadcast_to(np.asarray(image_size, dtype=np.float64), kp.shape[:-2] + (2,))
        ray = (kp0 - 0.5 * size[..., None, :]) / size.max(-1)[..., None, None]
        parts.append(np.where(finite[..., None], np.clip(ray, -1, 1), 0.0))
    if detector_3d:
        if image_size is None:
            raise ValueError("the detector's 3D features come after the image features: "
                             "give image_size too")
        parts.append(detector_features(world, kp.shape[:-2]))
    return np.concatenate(parts, axis=-1).astype(np.float32)


def camera_to_cube(joints_cam_app: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Root-relative 3D (..., J, 3) metres in camera-aligned app axes -> cube units."""
    rel = joints_cam_app - joints_cam_app[..., J["pelvis"]:J["pelvis"] + 1, :]
    return rel / (np.asarray(scale)[..., None, None] * CUBE_HALF)


def cube_to_metres(cube: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
    """Cube units (..., J, 3) -> metres, pelvis at the origin."""
    out = np.asarray(cube, dtype=np.float64) * CUBE_HALF * np.asarray(scale)[..., None, None]
    return out - out[..., J["pelvis"]:J["pelvis"] + 1, :]
