"""Rotation helpers (numpy only). Matrices act on column vectors: v' = R @ v.

Euler angles follow BVH: a channel order such as "ZXY" means R = Rz @ Rx @ Ry (the
first channel is the outermost rotation), angles in degrees.
"""
from __future__ import annotations

import numpy as np


def axis_matrix(axis: str, degrees: np.ndarray) -> np.ndarray:
    """Elementary rotation(s) about 'X', 'Y' or 'Z': (...,) degrees -> (..., 3, 3)."""
    a = np.radians(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    if axis == "X":
        rows = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "Y":
        rows = [[c, z, s], [z, o, z], [-s, z, c]]
    elif axis == "Z":
        rows = [[c, -s, z], [s, c, z], [z, z, o]]
    else:
        raise ValueError(f"unknown axis {axis!r}")
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def euler_to_matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """(..., 3) degrees in channel ``order`` (e.g. "ZXY") -> (..., 3, 3)."""
    angles = np.asarray(angles, dtype=np.float64)
    r = axis_matrix(order[0], angles[..., 0])
    for k in (1, 2):
        r = r @ axis_matrix(order[k], angles[..., k])
    return r


def matrix_to_euler(r: np.ndarray, order: str = "ZXY") -> np.ndarray:
    """(..., 3, 3) -> (..., 3) degrees such that euler_to_matrix(result, order) == r.

    Handles any of the six Tait-Bryan orders. Near gimbal lock the first angle takes the
    whole rotation about the shared axis.
    """
    r = np.asarray(r, dtype=np.float64)
    idx = {"X": 0, "Y": 1, "Z": 2}
    i, j, k = (idx[a] for a in order)
    # sign of the permutation (i, j, k): +1 for cyclic orders such as XYZ, YZX, ZXY
    sign = 1.0 if (j - i) % 3 == 1 else -1.0
    # R = Ri(a) Rj(b) Rk(c): R[i, k] = sign * sin(b)
    sb = np.clip(sign * r[..., i, k], -1.0, 1.0)
    b = np.arcsin(sb)
    cb = np.cos(b)
    safe = cb > 1e-6
    a = np.where(safe, np.arctan2(-sign * r[..., j, k], r[..., k, k]),
                 np.arctan2(sign * r[..., k, j], r[..., j, j]))
    c = np.where(safe, np.arctan2(-sign * r[..., i, j], r[..., i, i]), 0.0)
    return np.degrees(np.stack([a, b, c], axis=-1))


def normalize(v: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, eps)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation(s) taking direction a to direction b: (..., 3) -> (..., 3, 3)."""
    a, b = normalize(np.asarray(a, float)), normalize(np.asarray(b, float))
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    s = np.linalg.norm(v, axis=-1)
    k = np.zeros(v.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2] = -v[..., 2], v[..., 1]
    k[..., 1, 0], k[..., 1, 2] = v[..., 2], -v[..., 0]
    k[..., 2, 0], k[..., 2, 1] = -v[..., 1], v[..., 0]
    eye = np.broadcast_to(np.eye(3), k.shape)
    factor = np.where(s > 1e-9, (1 - c) / np.maximum(s * s, 1e-18), 0.5)[..., None, None]
    r = eye + k + k @ k * factor
    # opposite vectors: turn 180 degrees about any axis perpendicular to a
    opposite = c < -1 + 1e-9
    if np.any(opposite):
        ax = np.cross(a, np.array([1.0, 0, 0]))
        small = np.linalg.norm(ax, axis=-1) < 1e-6
        ax = np.where(small[..., None], np.cross(a, np.array([0, 1.0, 0])), ax)
        ax = normalize(ax)
        r180 = 2 * ax[..., :, None] * ax[..., None, :] - np.eye(3)
        r = np.where(opposite[..., None, None], r180, r)
    return r


def frame_from_axes(primary: np.ndarray, secondary: np.ndarray, primary_axis: int,
                    secondary_axis: int) -> np.ndarray:
    """Rotation whose column ``primary_axis`` is along ``primary`` and whose column
    ``secondary_axis`` is ``secondary`` made orthogonal to it (Gram-Schmidt)."""
    p = normalize(primary)
    s = normalize(secondary - np.sum(secondary * p, axis=-1, keepdims=True) * p)
    third = 3 - primary_axis - secondary_axis
    cols = [None, None, None]
    cols[primary_axis], cols[secondary_axis] = p, s
    # right-handed: e_third = e_a x e_b for the cyclic pair (a, b)
    if (secondary_axis - primary_axis) % 3 == 1:
        cols[third] = np.cross(p, s)
    else:
        cols[third] = np.cross(s, p)
    return np.stack(cols, axis=-1)
