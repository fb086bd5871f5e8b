"""Image fit (offline): each limb bone turned about the camera's viewing axis towards the
direction the detector's 2D keypoints give it in the picture.

The lifter reads the 2D keypoints but does not reproduce them exactly. On the Pose2Sim take
its forearms and shins point 9-13 degrees away from the reference in the picture, where the
detector's own 2D is 5-10 degrees away (models/LIFTER_CARD.md, "Image fit"). The picture
says nothing about depth, so this stage turns each bone only about the viewing axis: its
length and its depth component (how far it points towards or away from the camera) stay,
and everything further down the limb turns with it.

How far: ``weight`` of the angle between the two directions, eased off where they disagree
a lot (``tolerance_deg``: the turn is scaled by exp(-(angle / tolerance)^2)), since a large
disagreement is more often the detector's mistake (a hidden or swapped limb) than the
lifter's. The turns are smoothed over time (a Gaussian of ``smooth_s``, both ways: this
stage is for whole takes, not live capture). The weights were chosen on the rendered val
set (mocap_train's renders, whose cameras are known) with the camera model the app assumes.

The picture's direction of a bone depends on where it is seen: a pinhole camera of the
take's field of view (``root_trajectory.CameraModel``) gives each parent joint's ray, and
the bone's in-picture direction is its direction as that camera would draw it there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.skeleton import J, NUM_JOINTS, PARENTS
from .root_trajectory import WEBCAM_HFOV_DEG, CameraModel

#: The bones turned, by child joint, parents before children: upper arms, forearms,
#: thighs, shins (the hands and feet follow their parent bones).
FIT_JOINTS: tuple[int, ...] = tuple(J[f"{s}_{b}"] for s in ("left", "right")
                                    for b in ("elbow", "wrist", "knee", "ankle"))


def _below(joint: int) -> tuple[int, ...]:
    """The joint and every joint further down its chain."""
    out = []
    for k in range(NUM_JOINTS):
        a = k
        while a >= 0 and a != joint:
            a = PARENTS[a]
        if a == joint:
            out.append(k)
    return tuple(out)


_BELOW = {c: _below(c) for c in FIT_JOINTS}


@dataclass(frozen=True)
class ImageFitOptions:
    weight: float = 0.6              # 0..1: how far each bone turns towards the picture
    tolerance_deg: float = 30.0      # disagreements well beyond this are left alone
    smooth_s: float = 0.1            # Gaussian sigma of the turns over time (0: none)
    min_visibility: float = 0.0      # both ends at least this visible to turn a bone

    def __post_init__(self):
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"image fit weight must be between 0 and 1, got {self.weight!r}")
        if not 1.0 <= self.tolerance_deg <= 180.0:
            raise ValueError("image fit tolerance_deg must be between 1 and 180 degrees, "
                             f"got {self.tolerance_deg!r}")
        if not 0.0 <= self.smooth_s <= 1.0:
            raise ValueError(f"image fit smooth_s must be between 0 and 1 s, "
                             f"got {self.smooth_s!r}")
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError("image fit min_visibility must be between 0 and 1, "
                             f"got {self.min_visibility!r}")


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def _smooth(turn: np.ndarray, sigma_frames: float) -> np.ndarray:
    if sigma_frames <= 0.0 or len(turn) < 2:
        return turn
    from scipy.ndimage import gaussian_filter1d  # noqa: PLC0415
    return gaussian_filter1d(np.unwrap(turn), sigma_frames, mode="nearest")


def fit_to_image(joints: np.ndarray, keypoints_2d: np.ndarray,
                 visibility: np.ndarray | None, valid: np.ndarray, image_size: tuple[int, int],
                 fps: float, hfov_deg: float = WEBCAM_HFOV_DEG,
                 options: ImageFitOptions = ImageFitOptions()) -> np.ndarray:
    """(T, 25, 3) ``joints`` (app axes, camera-aligned: x right, y up, z towards the camera)
    with each limb bone turned about the viewing axis towards the 2D keypoints' direction.

    ``keypoints_2d`` (T, 25, 2) pixels; ``visibility`` (T, 25) or None; frames not
    ``valid``, or without both ends of a bone in 2D and 3D, keep that bone as it was."""
    if not 1.0 <= hfov_deg <= 179.0:
        raise ValueError(f"hfov_deg must be 1..179 degrees, got {hfov_deg!r}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps!r}")
    cam = CameraModel(tuple(int(s) for s in image_size), hfov_deg)
    f, (cx, cy) = cam.focal_px, cam.principal_point
    # camera axes (x right, y down, z away), as the picture is drawn
    y = np.array(joints, dtype=np.float64, copy=True) * [1.0, -1.0, -1.0]
    kp = np.asarray(keypoints_2d, dtype=np.float64)
    vis = (np.ones(kp.shape[:2]) if visibility is None
           else np.nan_to_num(np.asarray(visibility, dtype=np.float64)))
    valid = np.asarray(valid, bool)
    tol = np.radians(options.tolerance_deg)
    for c in FIT_JOINTS:
        p = PARENTS[c]
        d = y[:, c] - y[:, p]
        dz = d[:, 2]
        m = np.hypot(d[:, 0], d[:, 1])                 # in-picture length, kept
        ray = (kp[:, p] - [cx, cy]) / f                 # the parent's ray (x/z, y/z)
        drawn = d[:, :2] - dz[:, None] * ray            # how the camera draws the bone there
        seen = kp[:, c] - kp[:, p]
        angle = _wrap(np.arctan2(seen[:, 1], seen[:, 0]) - np.arctan2(drawn[:, 1], drawn[:, 0]))
        ok = (valid & np.isfinite(angle) & np.isfinite(d).all(-1) & (m > 1e-9)
              & (np.minimum(vis[:, p], vis[:, c]) >= options.min_visibility))
        angle = np.where(ok, angle, 0.0)
        angle = options.weight * angle * np.exp(-(angle / tol) ** 2)
        # the bone whose drawing has that direction, same in-picture length and depth step
        a = np.arctan2(drawn[:, 1], drawn[:, 0]) + angle
        g = np.stack([np.cos(a), np.sin(a)], axis=-1)
        b = dz * (g * ray).sum(-1)
        disc = b * b - dz * dz * (ray * ray).sum(-1) + m * m
        s = -b + np.sqrt(np.maximum(disc, 0.0))
        new = s[:, None] * g + dz[:, None] * ray
        turn = _wrap(np.arctan2(new[:, 1], new[:, 0]) - np.arctan2(d[:, 1], d[:, 0]))
        turn = np.where(ok & (disc > 0) & np.isfinite(turn), turn, 0.0)
        turn = _smooth(turn, options.smooth_s * fps)
        cos, sin = np.cos(turn), np.sin(turn)
        for k in _BELOW[c]:
            r = y[:, k] - y[:, p]
            y[:, k, 0] = y[:, p, 0] + cos * r[:, 0] - sin * r[:, 1]
            y[:, k, 1] = y[:, p, 1] + sin * r[:, 0] + cos * r[:, 1]
    out = y * [1.0, -1.0, -1.0]
    out[~valid] = np.asarray(joints, dtype=np.float64)[~valid]
    return out
