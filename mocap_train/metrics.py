"""Pose metrics, numpy, all in millimetres on (N, J, 3) arrays given in metres.

* ``mpjpe``: mean per-joint position error after aligning the pelvis (root-relative,
  Human3.6M protocol 1 style).
* ``pa_mpjpe``: after Procrustes alignment (rotation, uniform scale, translation) of each
  pose to its ground truth (protocol 2).
* ``pck``: percentage of joints within a threshold (default 150 mm) after root alignment.
* ``auc``: mean PCK over thresholds 0..150 mm (31 steps), root-aligned, in percent.
"""
from __future__ import annotations

import numpy as np

from mocap_app.core.skeleton import J


def root_align(x: np.ndarray) -> np.ndarray:
    return x - x[..., J["pelvis"]:J["pelvis"] + 1, :]


def joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J) root-relative errors, mm."""
    return 1000.0 * np.linalg.norm(root_align(pred) - root_align(gt), axis=-1)


def procrustes(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """pred (N, J, 3) aligned to gt by the best rotation, uniform scale and translation."""
    mp, mg = pred.mean(-2, keepdims=True), gt.mean(-2, keepdims=True)
    p, g = pred - mp, gt - mg
    h = np.einsum("nji,njk->nik", p, g)                       # (N, 3, 3)
    u, s, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("nij,njk->nik", u, vt)))
    fix = np.ones_like(s)
    fix[:, -1] = d
    r = np.einsum("nij,nj,njk->nik", u, fix, vt)             # p @ r ~ g
    scale = (s * fix).sum(-1) / np.maximum((p ** 2).sum((-2, -1)), 1e-12)
    return scale[:, None, None] * np.einsum("nji,nik->njk", p, r) + mg


def pa_joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J) errors after Procrustes alignment, mm."""
    return 1000.0 * np.linalg.norm(procrustes(pred, gt) - gt, axis=-1)


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Root-relative mean per-joint position error, mm."""
    return float(joint_errors(pred, gt).mean())


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Procrustes-aligned mean per-joint position error, mm."""
    return float(pa_joint_errors(pred, gt).mean())


def pck(pred: np.ndarray, gt: np.ndarray, threshold_mm: float = 150.0) -> float:
    """Root-aligned percentage of joints closer than ``threshold_mm``."""
    return float(100.0 * (joint_errors(pred, gt) < threshold_mm).mean())


def auc(pred: np.ndarray, gt: np.ndarray, max_mm: float = 150.0, steps: int = 31) -> float:
    """Root-aligned area under the PCK curve for thresholds 0..max_mm, percent."""
    e = joint_errors(pred, gt)
    return float(np.mean([100.0 * (e < t).mean() for t in np.linspace(0, max_mm, steps)]))


def summary(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    return {"MPJPE": mpjpe(pred, gt), "PA-MPJPE": pa_mpjpe(pred, gt), "PCK@150": pck(pred, gt),
            "AUC": auc(pred, gt)}


def pa_errors_masked(pred: np.ndarray, ref: np.ndarray, joints=None,
                     min_joints: int = 8) -> np.ndarray:
    """(N,) per-frame PA-MPJPE (mm) over the joints finite in both ``pred`` and ``ref``
    (optionally only ``joints``), each frame aligned on its own joints; NaN for frames
    with fewer than ``min_joints`` of them (a real-video reference misses joints)."""
    out = np.full(len(pred), np.nan)
    sel = list(range(pred.shape[-2])) if joints is None else list(joints)
    for f in range(len(pred)):
        p, g = pred[f, sel], ref[f, sel]
        ok = np.isfinite(p).all(-1) & np.isfinite(g).all(-1)
        if ok.sum() < min_joints:
            continue
        a = procrustes(p[ok][None], g[ok][None])[0]
        out[f] = 1000.0 * np.linalg.norm(a - g[ok], axis=-1).mean()
    return out
