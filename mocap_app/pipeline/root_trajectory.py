"""Root trajectory in metres, from one camera.

The per-frame 3D pose is pelvis-relative and oriented like the camera; the 2D keypoints
say where the body is in the image and how big. With a pinhole camera (focal length from a
horizontal field of view, principal point at the image centre) the pelvis position that
best reprojects the whole 3D pose onto its 2D keypoints is a small linear least-squares
problem per frame (body scale in the image fixes the depth). The track is then gap-filled
and smoothed (depth, the noisiest axis, more), and finally a ground plane is estimated
from the feet: the world is turned so the ground is level (Y up) and moved so it is at
Y = 0. The result is usable as BVH root motion (``PoseSequence.root_positions``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from ..core.rotations import rotation_between
from ..core.skeleton import J

#: Default horizontal field of view: a typical 720p/1080p webcam (about 78 degrees
#: diagonal at 16:9).
WEBCAM_HFOV_DEG = 70.0

FOOT_POINTS = (J["left_heel"], J["left_toe"], J["right_heel"], J["right_toe"],
               J["left_ankle"], J["right_ankle"])


@dataclass(frozen=True)
class CameraModel:
    """Pinhole camera: focal length from the horizontal field of view."""
    image_size: tuple[int, int]          # (width, height) pixels
    hfov_deg: float = WEBCAM_HFOV_DEG

    @property
    def focal_px(self) -> float:
        return 0.5 * self.image_size[0] / np.tan(np.radians(self.hfov_deg) / 2.0)

    @property
    def principal_point(self) -> tuple[float, float]:
        return 0.5 * self.image_size[0], 0.5 * self.image_size[1]


@dataclass(frozen=True)
class RootOptions:
    hfov_deg: float = WEBCAM_HFOV_DEG   # camera's horizontal field of view
    min_visibility: float = 0.5         # keypoints used in the solve
    smooth_xy_s: float = 0.25           # smoothing window (seconds) across the image plane
    smooth_depth_s: float = 1.0         # ... and along the viewing axis (noisier)
    max_jump_m: float = 0.75            # root moves between frames beyond this split the track
    level_ground: bool = True           # turn the world so the fitted ground is level
    max_ground_tilt_deg: float = 35.0   # larger fitted tilts are not trusted


def solve_root_camera(joints_cam: np.ndarray, keypoints: np.ndarray, weights: np.ndarray,
                      camera: CameraModel) -> np.ndarray | None:
    """Pelvis position (3,) in camera axes (x right, y down, z forward, metres) such that
    ``joints_cam + root`` projects onto ``keypoints``; None when under-determined.

    Linear in the root: f (X + x_j) - (u_j - cx)(Z + z_j) = 0, likewise for y."""
    f = camera.focal_px
    cx, cy = camera.principal_point
    use = (weights > 0) & np.isfinite(keypoints).all(-1) & np.isfinite(joints_cam).all(-1)
    if use.sum() < 3:
        return None
    x, y, z = joints_cam[use].T
    du = keypoints[use, 0] - cx
    dv = keypoints[use, 1] - cy
    w = np.sqrt(weights[use])
    n = int(use.sum())
    a = np.zeros((2 * n, 3))
    b = np.zeros(2 * n)
    a[:n, 0], a[:n, 2], b[:n] = f, -du, du * z - f * x
    a[n:, 1], a[n:, 2], b[n:] = f, -dv, dv * z - f * y
    a *= np.concatenate([w, w])[:, None]
    b *= np.concatenate([w, w])
    root, *_ = np.linalg.lstsq(a, b, rcond=None)
    if not np.isfinite(root).all() or root[2] <= 0.1:
        return None
    return root


def _app_to_camera(points: np.ndarray) -> np.ndarray:
    out = np.array(points, dtype=np.float64, copy=True)
    out[..., 1] *= -1
    out[..., 2] *= -1
    return out


def _smooth_track(track: np.ndarray, ok: np.ndarray, window_frames: np.ndarray) -> np.ndarray:
    """Interpolate gaps linearly, then smooth each axis with a Savitzky-Golay filter
    (local quadratic fits: steady walking and its speeding up pass through unchanged,
    also at the ends, where a plain low-pass would shorten the path)."""
    t = np.arange(len(track))
    out = np.empty_like(track)
    for k in range(track.shape[1]):
        out[:, k] = np.interp(t, t[ok], track[ok, k])
        w = min(int(window_frames[k]) // 2 * 2 + 1, len(track) - (1 - len(track) % 2))
        if w >= 5:
            out[:, k] = savgol_filter(out[:, k], w, 2, mode="interp")
    return out


def camera_root_track(joints: np.ndarray, keypoints: np.ndarray, visibility: np.ndarray,
                      valid: np.ndarray, image_size: tuple[int, int], fps: float,
                      options: RootOptions = RootOptions()) -> np.ndarray:
    """(T, 3) smoothed pelvis positions in app axes with the camera at the origin looking
    down -Z (NaN only if no frame could be solved)."""
    camera = CameraModel(image_size, options.hfov_deg)
    t = len(joints)
    raw = np.full((t, 3), np.nan)
    cam_joints = _app_to_camera(joints)
    for i in np.flatnonzero(valid):
        w = np.where(np.nan_to_num(visibility[i]) >= options.min_visibility,
                     np.nan_to_num(visibility[i]), 0.0)
        r = solve_root_camera(cam_joints[i], keypoints[i], w, camera)
        if r is not None:
            raw[i] = r
    ok = np.isfinite(raw).all(axis=1)
    if not ok.any():
        return raw
    win = np.array([options.smooth_xy_s, options.smooth_xy_s, options.smooth_depth_s]) * fps
    # A jump no one can make between frames (the tracker moved to someone else) splits
    # the track: each piece is smoothed on its own, so the jump is not smeared out.
    good = np.flatnonzero(ok)
    cuts = np.flatnonzero(np.linalg.norm(np.diff(raw[good], axis=0), axis=1)
                          > options.max_jump_m) + 1
    smooth = np.full_like(raw, np.nan)
    for piece in np.split(good, cuts):
        lo, hi = piece[0], piece[-1] + 1
        smooth[lo:hi] = _smooth_track(raw[lo:hi], ok[lo:hi], win)
    have = np.isfinite(smooth).all(axis=1)
    frames = np.arange(len(raw))
    for k in range(3):      # bridge between pieces and hold at the ends
        smooth[:, k] = np.interp(frames, frames[have], smooth[have, k])
    return _app_to_camera(smooth)   # the same axis flip maps camera -> app


def fit_ground(points: np.ndarray, prior_up: np.ndarray | None = None,
               max_tilt_deg: float = 35.0, spread: float = 0.5) -> tuple[np.ndarray, float]:
    """Ground plane from per-frame lowest foot points (N, 3), app axes: (unit normal with
    +Y component, height of the plane along the normal).

    The plane y = a x + b z + c is fitted by least squares with a ridge pull of the slopes
    towards ``prior_up`` (the body's mean up direction; +Y when None): along a direction
    in which the feet spread well beyond ``spread`` metres the feet decide, along one
    they never travel (a walk on a straight line) the body's own up vector does. The fit
    is redone on the points at or under the plane (a lifted foot is above the ground,
    never below it)."""
    pts = points[np.isfinite(points).all(axis=1)]
    prior = np.array([0.0, 1.0, 0.0]) if prior_up is None else prior_up / np.linalg.norm(prior_up)
    if prior[1] < np.cos(np.radians(max_tilt_deg)):
        prior = np.array([0.0, 1.0, 0.0])
    if len(pts) == 0:
        return prior, 0.0
    s0 = np.array([-prior[0], -prior[2]]) / prior[1]            # slopes (a, b) of the prior
    lam = spread ** 2 / 4.0
    keep = np.ones(len(pts), bool)
    for _ in range(3):
        q = pts[keep]
        h = q[:, [0, 2]] - q[:, [0, 2]].mean(0)                  # (N, 2) centred
        y = q[:, 1] - q[:, 1].mean()
        n = len(q)
        slope = np.linalg.solve(h.T @ h / n + lam * np.eye(2), h.T @ y / n + lam * s0)
        resid = pts[:, 1] - pts[:, [0, 2]] @ slope
        resid -= np.median(resid[keep])
        keep = resid <= np.percentile(resid, 50)
        if keep.sum() < 10:
            break
    normal = np.array([-slope[0], 1.0, -slope[1]])
    normal /= np.linalg.norm(normal)
    if np.degrees(np.arccos(np.clip(normal[1], -1, 1))) > max_tilt_deg:
        normal = prior
    return normal, float(np.percentile(pts @ normal, 10))


@dataclass(frozen=True)
class RootTrajectory:
    root_positions: np.ndarray   # (T, 3) metres, world (ground at Y = 0, Y up)
    joints: np.ndarray           # (T, 25, 3) pelvis-relative, turned like the world
    rotation: np.ndarray         # (3, 3) camera-aligned app axes -> world
    ground_normal: np.ndarray    # (3,) fitted in camera-aligned app axes
    camera: CameraModel


def root_trajectory(joints: np.ndarray, keypoints: np.ndarray, visibility: np.ndarray,
                    valid: np.ndarray, image_size: tuple[int, int], fps: float,
                    options: RootOptions = RootOptions()) -> RootTrajectory:
    """Metric root track plus ground alignment for a whole take (see module doc)."""
    root = camera_root_track(joints, keypoints, visibility, valid, image_size, fps, options)
    world = root[:, None, :] + joints                                     # (T, 25, 3)
    feet = world[:, FOOT_POINTS, :]                                       # (T, 6, 3)
    ok = np.isfinite(feet).all(axis=(1, 2)) & np.asarray(valid, bool)
    lowest = np.full((len(joints), 3), np.nan)
    if ok.any():
        idx = np.nanargmin(feet[ok, :, 1], axis=1)
        lowest[ok] = feet[ok][np.arange(ok.sum()), idx]
    body_up = np.nanmean(joints[valid][:, J["neck"]] - joints[valid][:, J["pelvis"]], axis=0)
    normal, _ = fit_ground(lowest, body_up, options.max_ground_tilt_deg)
    up = np.array([0.0, 1.0, 0.0])
    rot = rotation_between(normal, up) if options.level_ground else np.eye(3)
    root_w = root @ rot.T
    joints_w = joints @ rot.T
    low_w = lowest @ rot.T
    ground = np.nanpercentile(low_w[:, 1], 10) if np.isfinite(low_w).any() else 0.0
    root_w[:, 1] -= ground
    return RootTrajectory(root_w, joints_w, rot, normal, CameraModel(image_size, options.hfov_deg))
