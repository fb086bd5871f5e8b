"""Calibrated multi-view geometry for measuring a 2D detector against a triangulated
reference: a Qualisys calibration reader, DLT triangulation, reprojection and the
leave-one-view-out reference. numpy and cv2 only.

    cams = read_qca("Calib.qca.txt")             # cameras in natural order of serial
    pts = np.stack([undistort(c, kp) for c, kp in zip(cams, detections)])  # (V, J, 2)
    loo = leave_one_out([c.P for c in cams], pts)
    err = pts - loo.reprojected                  # (V, J, 2) each view vs the others

Camera convention: OpenCV's, x_cam = R @ X + t, pixel = K @ x_cam / z (x right, y down,
z forward); world units are metres.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: Qualisys stores focal length, principal point and sensor size in sub-pixels (1/64 px).
QUALISYS_SUBPIXELS = 64.0


@dataclass(frozen=True)
class Camera:
    name: str
    size: tuple[int, int]     # image width, height in pixels (the calibrated image)
    K: np.ndarray             # (3, 3) intrinsics, pixels
    dist: np.ndarray          # (4,) k1, k2, p1, p2 (OpenCV's order)
    R: np.ndarray             # (3, 3) world -> camera rotation
    t: np.ndarray             # (3,) world -> camera translation, metres

    @property
    def P(self) -> np.ndarray:
        """(3, 4) projection matrix K [R | t] (undistorted pixels)."""
        return self.K @ np.hstack([self.R, self.t[:, None]])

    @property
    def centre(self) -> np.ndarray:
        """Camera centre in world coordinates."""
        return -self.R.T @ self.t


def _natural_key(s: str) -> list:
    return [int(c) if c.isdigit() else c.lower() for c in re.split(r"(\d+)", s)]


def read_qca(path: str | Path, binning_factor: int = 1,
             distortion_scale: float = 1.0 / QUALISYS_SUBPIXELS) -> list[Camera]:
    """Cameras of a Qualisys ``.qca.txt`` calibration (XML), sorted by serial in natural
    order (cam01, cam02, ...).

    Follows Pose2Sim's ``calib_qca_fun``: focal lengths and principal point are divided by
    64 (sub-pixels) and the binning factor, the principal point is taken relative to the
    ``fov_video`` window, whose size is the image size; the transform is the camera's
    position (mm) and orientation in the world, turned into OpenCV's world -> camera
    extrinsics and rotated by pi about the camera x axis (Qualisys' camera y and z axes
    are opposite to OpenCV's). Pose2Sim also divides the distortion coefficients by 64
    (``distortion_scale``), which makes them negligible; the raw values (k1 ~ -0.05,
    k2 ~ 0.14) already look like OpenCV's, but on the Pose2Sim take, where the subject
    stays near the image centre, either choice moves the points by well under 1 px.
    """
    root = ET.parse(str(path)).getroot()
    cams = []
    flip = np.diag([1.0, -1.0, -1.0])                   # rotation by pi about x
    for tag in root.findall("cameras/camera"):
        fov = tag.find("fov_video")
        intr = tag.find("intrinsic")
        tr = tag.find("transform")
        left, top = float(fov.get("left")), float(fov.get("top"))
        w = (float(fov.get("right")) - left + 1) / binning_factor
        h = (float(fov.get("bottom")) - top + 1) / binning_factor
        s = QUALISYS_SUBPIXELS * binning_factor
        fu, fv = float(intr.get("focalLengthU")) / s, float(intr.get("focalLengthV")) / s
        cu = float(intr.get("centerPointU")) / s - left / binning_factor
        cv = float(intr.get("centerPointV")) / s - top / binning_factor
        K = np.array([[fu, 0.0, cu], [0.0, fv, cv], [0.0, 0.0, 1.0]])
        dist = np.array([float(intr.get(k)) for k in ("radialDistortion1", "radialDistortion2",
                                                      "tangentalDistortion1",
                                                      "tangentalDistortion2")])
        dist = dist * distortion_scale / binning_factor
        m = np.array([[float(tr.get(f"r{i}{j}")) for j in (1, 2, 3)] for i in (1, 2, 3)])
        pos = np.array([float(tr.get(k)) for k in ("x", "y", "z")]) / 1000.0
        # Pose2Sim: R_q = M.T (by-column to by-line); world->camera R = R_q.T = M,
        # t = -R @ pos; then the pi rotation about the camera's x axis.
        R = flip @ m
        t = -R @ pos
        cams.append(Camera(tag.get("serial"), (int(round(w)), int(round(h))), K, dist, R, t))
    cams.sort(key=lambda c: _natural_key(c.name))
    return cams


def undistort(cam: Camera, pts: np.ndarray) -> np.ndarray:
    """(..., 2) distorted pixels -> (..., 2) undistorted pixels (same K); NaNs stay NaN."""
    pts = np.asarray(pts, dtype=np.float64)
    if not np.any(cam.dist):
        return pts.copy()
    flat = pts.reshape(-1, 2)
    out = np.full_like(flat, np.nan)
    ok = np.isfinite(flat).all(axis=1)
    if ok.any():
        und = cv2.undistortPoints(flat[ok].reshape(-1, 1, 2), cam.K, cam.dist, P=cam.K)
        out[ok] = und.reshape(-1, 2)
    return out.reshape(pts.shape)


def project(P: np.ndarray, X: np.ndarray) -> np.ndarray:
    """(3, 4) projection of (..., 3) world points -> (..., 2) pixels."""
    X = np.asarray(X, dtype=np.float64)
    xh = X @ P[:, :3].T + P[:, 3]
    return xh[..., :2] / xh[..., 2:3]


def triangulate(Ps: list[np.ndarray] | np.ndarray, pts: np.ndarray) -> np.ndarray:
    """DLT triangulation of one point from N >= 2 views: Ps (N, 3, 4), pts (N, 2) pixels
    -> (3,) world point. Rows are normalised so each view weighs alike."""
    rows = []
    for P, (x, y) in zip(Ps, pts):
        for r in (x * P[2] - P[0], y * P[2] - P[1]):
            rows.append(r / np.linalg.norm(r))
    _, _, vt = np.linalg.svd(np.asarray(rows))
    X = vt[-1]
    return X[:3] / X[3]


def triangulate_robust(Ps: np.ndarray, pts: np.ndarray, views: list[int], min_views: int,
                       max_error: float) -> tuple[np.ndarray, float]:
    """Triangulate from ``views`` (indices into Ps and pts); while the mean reprojection
    error is over ``max_error`` and more than ``min_views`` remain, drop the view whose
    removal leaves the smallest mean error (the view with the largest residual is not
    always the wrong one: DLT spreads one view's error over all). Returns the point and
    the mean error of the views kept."""
    def fit(vs):
        X = triangulate(Ps[vs], pts[vs])
        return X, float(np.mean([np.linalg.norm(project(Ps[u], X) - pts[u]) for u in vs]))

    views = list(views)
    X, err = fit(views)
    while err > max_error and len(views) > min_views:
        views, (X, err) = min((([u for u in views if u != d], fit([u for u in views if u != d]))
                               for d in views), key=lambda c: c[1][1])
    return X, err


def body_error(Ps: np.ndarray, pts: np.ndarray, views: list[int]) -> float:
    """Mean reprojection error (px) over every joint seen by all of ``views`` and every
    view, each joint triangulated from those views: how well whole views agree.
    pts: (V, J, 2). inf when no joint is seen by all of them."""
    views = list(views)
    seen = np.isfinite(pts[views]).all(axis=-1).all(axis=0)
    errs = []
    for j in np.flatnonzero(seen):
        X = triangulate(Ps[views], pts[views, j])
        errs += [np.linalg.norm(project(Ps[u], X) - pts[u, j]) for u in views]
    return float(np.mean(errs)) if errs else float("inf")


def select_views(Ps: np.ndarray, pts: np.ndarray, views: list[int], min_views: int,
                 max_error: float) -> tuple[list[int], float]:
    """The views whose whole bodies agree: while ``body_error`` is over ``max_error`` and
    more than ``min_views`` remain, drop the view whose removal leaves the smallest error.
    Catches a view whose person is swapped left/right (or is someone else), which a
    joint-by-joint check can pair with another view along an epipolar line."""
    views = list(views)
    err = body_error(Ps, pts, views)
    while err > max_error and len(views) > min_views:
        err, views = min((body_error(Ps, pts, [u for u in views if u != d]),
                          [u for u in views if u != d]) for d in views)
    return views, err


@dataclass
class LeaveOneOut:
    """Per view v and joint j, the point triangulated from the *other* views."""
    points: np.ndarray        # (V, J, 3) world points, NaN where no reference
    reprojected: np.ndarray   # (V, J, 2) their projection into view v, NaN where none
    ref_error: np.ndarray     # (V, J) mean reprojection error (px) of the reference in the
                              # views it was triangulated from (NaN where none)
    n_views: np.ndarray       # (V, J) how many other views saw the joint
    valid: np.ndarray         # (V, J) a reference exists and passed the error check


def leave_one_out(Ps: list[np.ndarray] | np.ndarray, pts: np.ndarray, min_views: int = 2,
                  max_ref_error: float = 15.0,
                  max_body_error: float | None = None) -> LeaveOneOut:
    """For each view v and joint j, triangulate joint j from the views other than v that
    saw it (pts finite), reproject it into v. A reference needs ``min_views`` other views
    and a mean reprojection error in them of at most ``max_ref_error`` pixels; while it
    is over, one of those views is dropped (``triangulate_robust``, down to
    ``min_views``). With ``max_body_error``, the other views are first narrowed to those
    whose whole bodies agree (``select_views``); if none do, view v gets no reference.

    Ps: (V, 3, 4); pts: (V, J, 2) undistorted pixels, NaN where a view has no point.
    The detected point of view v never enters its own reference, so pts[v] minus
    ``reprojected[v]`` is view v's error against the others.
    """
    Ps = np.asarray(Ps, dtype=np.float64)
    pts = np.asarray(pts, dtype=np.float64)
    V, J = pts.shape[:2]
    seen = np.isfinite(pts).all(axis=-1)
    out = LeaveOneOut(np.full((V, J, 3), np.nan), np.full((V, J, 2), np.nan),
                      np.full((V, J), np.nan), np.zeros((V, J), dtype=int),
                      np.zeros((V, J), dtype=bool))
    for v in range(V):
        usable = [u for u in range(V) if u != v and seen[u].any()]
        if max_body_error is not None and len(usable) >= min_views:
            usable, err = select_views(Ps, pts, usable, min_views, max_body_error)
            if err > max_body_error:
                usable = []
        for j in range(J):
            out.n_views[v, j] = sum(1 for u in range(V) if u != v and seen[u, j])
            others = [u for u in usable if seen[u, j]]
            if len(others) < min_views:
                continue
            X, err = triangulate_robust(Ps, pts[:, j], others, min_views, max_ref_error)
            # behind a camera it used: a degenerate solution
            depth_ok = all((Ps[u, 2, :3] @ X + Ps[u, 2, 3]) > 0 for u in others + [v])
            out.points[v, j] = X
            out.reprojected[v, j] = project(Ps[v], X)
            out.ref_error[v, j] = err
            out.valid[v, j] = bool(depth_ok and err <= max_ref_error)
    return out
