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

from mocap_app.core.pose import rotation_onto
from mocap_app.core.skeleton import TORSO_JOINTS, J


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


#: Limb bones as (parent joint, child joint) names. The forearm and the shin join points
#: that every convention places alike (elbow, wrist, knee, ankle); the upper arm and the
#: thigh start at a shoulder or hip, which BlazePose (and a reference made of its
#: landmarks) puts on the body's surface, cm from the joint centre the app outputs.
BONES = {"forearm": ("elbow", "wrist"), "shin": ("knee", "ankle"),
         "upper arm": ("shoulder", "elbow"), "thigh": ("hip", "knee")}


#: the body's frame: the points whose turn is the body's orientation, whatever the limbs do
TORSO = TORSO_JOINTS


def bone_angle_errors(pred: np.ndarray, ref: np.ndarray, align_joints,
                      min_joints: int = 4) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """How far each limb bone points from the reference's, after taking away the body's
    overall orientation: each frame of ``pred`` (F, J, 3) is turned (rotation only) onto
    ``ref`` over ``align_joints`` (those finite in both, at least ``min_joints``).
    Returns ((F,) degrees of that rotation: the body's orientation error, {bone name:
    (F, 2) degrees between the left and right bone's directions}); NaN where a frame or
    bone has no answer. Angles do not depend on the skeleton's size or bone lengths, so a
    monocular estimate and a reference of another body scale compare directly."""
    F = len(pred)
    orient = np.full(F, np.nan)
    out = {name: np.full((F, 2), np.nan) for name in BONES}
    sel = np.asarray(list(align_joints))
    for f in range(F):
        ok = np.isfinite(pred[f, sel]).all(-1) & np.isfinite(ref[f, sel]).all(-1)
        if ok.sum() < min_joints:
            continue
        r = rotation_onto(pred[f, sel[ok]], ref[f, sel[ok]])
        orient[f] = np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1.0, 1.0)))
        turned = pred[f] @ r
        for name, (a, b) in BONES.items():
            for k, side in enumerate(("left", "right")):
                d = turned[J[f"{side}_{b}"]] - turned[J[f"{side}_{a}"]]
                e = ref[f, J[f"{side}_{b}"]] - ref[f, J[f"{side}_{a}"]]
                n = np.linalg.norm(d) * np.linalg.norm(e)
                if np.isfinite(n) and n > 0:
                    out[name][f, k] = np.degrees(np.arccos(np.clip(d @ e / n, -1.0, 1.0)))
    return orient, out
