"""The detector noise model's definitions, shared by ``measure_detector_noise.py`` (LSP
photos) and ``measure_detector_noise_video.py`` (Pose2Sim views), so their JSON files
compare: errors in units of the keypoint box, inlier sigma 1.4826 x MAD, outliers over
0.15 box, and the whole-body left/right swap rule."""
from __future__ import annotations

import numpy as np

#: The 12 LSP limb joints the model is measured on (LSP's order).
LSP_NAMES = ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
             "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
             "left_wrist")
#: index of each joint's left/right counterpart
SWAP = [LSP_NAMES.index(n.replace("left", "X").replace("right", "left").replace("X", "right"))
        for n in LSP_NAMES]
LIMBS = (6, 7, 10, 11, 0, 1, 4, 5)      # wrists, elbows, ankles, knees
OUTLIER = 0.15                          # box units


def is_swapped(pred: np.ndarray, ref: np.ndarray, ok: np.ndarray) -> bool | None:
    """Whole-body left/right swap of (12, 2) ``pred`` against ``ref``: the mirrored
    labels fit the limbs at least twice as well. None when no limb pair is usable."""
    limbs = [k for k in LIMBS if ok[k] and ok[SWAP[k]]]
    if not limbs:
        return None
    d = np.linalg.norm(pred - ref, axis=1)
    d_sw = np.linalg.norm(pred[SWAP] - ref, axis=1)
    return bool(np.mean(d_sw[limbs]) < 0.5 * np.mean(d[limbs]))


def noise_model(errs: np.ndarray, vis: np.ndarray, scored: np.ndarray, swapped: np.ndarray,
                *, source: str, images: int, detection_rate: float,
                vis_unannotated: float) -> dict:
    """The JSON noise model. errs (N, 12, 2) box units, vis (N, 12) the detector's
    visibility, scored (N, 12) where an error was measured, swapped (N,) the per-person
    swap decision (1 swapped, 0 not, NaN undecidable).

    The swap rate is over the decidable people; every other statistic is over the people
    *not* swapped. The training pairs apply swaps on their own (``left_right_swap_rate``),
    so counting a swapped person's limbs as outliers as well would count that error twice
    (before 2026-11-24 it was: LSP's outlier rate read 0.204 instead of 0.167, the video's
    0.086 instead of 0.016)."""
    swapped = np.asarray(swapped, dtype=np.float64)
    decided = np.isfinite(swapped)
    scored = scored & ~(swapped == 1)[:, None]
    per_joint = {}
    for j, n in enumerate(LSP_NAMES):
        e, vj = errs[scored[:, j], j], vis[scored[:, j], j]
        inl = np.linalg.norm(e, axis=-1) < OUTLIER
        ei = e[inl]
        sigma = float(1.4826 * np.median(np.abs(ei - np.median(ei, 0))))
        per_joint[n] = dict(sigma=round(sigma, 4), outlier_rate=round(float(1 - inl.mean()), 4),
                            vis_inlier=round(float(np.mean(vj[inl])), 3),
                            vis_outlier=round(float(np.mean(vj[~inl])) if (~inl).any() else 0.0,
                                              3))
    e = errs[scored]
    dist = np.linalg.norm(e, axis=-1)
    allin = dist < OUTLIER
    return dict(
        source=source, images=int(images), detection_rate=round(float(detection_rate), 4),
        sigma_inlier=round(float(1.4826 * np.median(np.abs(e[allin]))), 4),
        outlier_threshold=OUTLIER, outlier_rate=round(float(1 - allin.mean()), 4),
        outlier_median=round(float(np.median(dist[~allin])), 4) if (~allin).any() else 0.0,
        left_right_swap_rate=round(float(np.mean(swapped[decided])), 4),
        median_error=round(float(np.median(dist)), 4),
        vis_unannotated=round(float(vis_unannotated), 3),
        per_joint=per_joint)
