"""The lifter's own doubt decides how far the detector's 3D bends its limbs.

The flip-averaged lifter runs twice on every frame: on the picture as it is and on its
mirror image. Where the two answers agree, the pose looks like what it was trained on;
where they part, it does not (on the held-out renders, the frames whose arms the two
passes place furthest apart have 3x the arm error of those where they agree, and the
detector's own 3D is then as good as the lifter's). So each limb's bones are turned part
of the way towards the detector's bone directions, by a weight that grows with how far the
two passes disagree on that limb (``FusionTable``: measured on the rendered val set by
``mocap_train/fit_fusion.py``, stored beside the lifter in ``models/lifter.fusion.json``).

Only directions move: the lifter's bone lengths, torso and proportions stay (the skeleton
is never bent towards BlazePose's surface points), and the detector's body is first
turned onto the lifter's over the torso, so only how each limb bends is taken from it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.pose import rotation_onto
from ..core.skeleton import PARENTS, TORSO_JOINTS, J

#: The four limbs: the joints whose position follows each limb's bones (their parents
#: come first), and the joints whose two-pass disagreement measures that limb's doubt.
LIMBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    f"{side}_{limb}": (tuple(f"{side}_{j}" for j in chain), tuple(f"{side}_{j}" for j in doubt))
    for side in ("left", "right")
    for limb, chain, doubt in (("arm", ("elbow", "wrist", "hand"), ("elbow", "wrist")),
                               ("leg", ("knee", "ankle", "heel", "toe"), ("knee", "ankle")))
}


@dataclass(frozen=True)
class FusionTable:
    """Weight of the detector's bone directions against a limb's two-pass disagreement
    (mean distance of its doubt joints between the passes, over the body scale):
    piecewise linear through (``doubt[i]``, ``weight[i]``), flat beyond the ends."""
    doubt: tuple[float, ...]
    weight: tuple[float, ...]

    def __post_init__(self):
        d, w = np.asarray(self.doubt, float), np.asarray(self.weight, float)
        if d.ndim != 1 or len(d) < 1 or d.shape != w.shape:
            raise ValueError("fusion table: doubt and weight must be equal-length lists")
        if np.any(np.diff(d) <= 0) or not np.isfinite(d).all():
            raise ValueError("fusion table: doubt must increase")
        if np.any((w < 0) | (w > 1)) or not np.isfinite(w).all():
            raise ValueError("fusion table: weights must lie within 0..1")

    def __call__(self, doubt: np.ndarray) -> np.ndarray:
        d = np.asarray(doubt, float)
        w = np.interp(np.nan_to_num(d, nan=0.0), self.doubt, self.weight)
        return np.where(np.isfinite(d), w, 0.0)

    @classmethod
    def load(cls, path: str | Path) -> "FusionTable":
        blob = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(tuple(blob["doubt"]), tuple(blob["weight"]))


def fusion_path(checkpoint: str | Path) -> Path:
    """Where a lifter's limb-fusion table lives: beside it, ``<stem>.fusion.json``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".fusion.json")


def limb_doubt(one: np.ndarray, other: np.ndarray, scale: float | np.ndarray) -> dict:
    """Limb name -> (T,) how far two lifts of the same frames (T, 25, 3) place the limb's
    doubt joints apart, over the body scale (NaN where either is missing)."""
    out = {}
    for name, (_, doubt) in LIMBS.items():
        idx = [J[n] for n in doubt]
        d = np.linalg.norm(one[:, idx] - other[:, idx], axis=-1).mean(-1)
        out[name] = d / np.asarray(scale, float)
    return out


def _turn_onto(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """src (T, 25, 3) turned per frame (rotation about its torso's centre) onto dst over
    the torso points; frames where either torso is missing are left NaN."""
    out = np.full_like(src, np.nan)
    for t in range(len(src)):
        a, b = src[t, list(TORSO_JOINTS)], dst[t, list(TORSO_JOINTS)]
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            continue
        out[t] = (src[t] - a.mean(0)) @ rotation_onto(a, b) + b.mean(0)
    return out


def fuse_limbs(lifted: np.ndarray, detector: np.ndarray, weights: dict) -> np.ndarray:
    """The lifted poses (T, 25, 3) with each limb's bones turned towards the detector's
    directions by ``weights[limb]`` (T,) in 0..1 (0: the lifter's, 1: the detector's
    directions), keeping the lifter's bone lengths. Frames without a detector 3D keep
    the lifter's pose."""
    out = np.array(lifted, dtype=np.float64, copy=True)
    det = _turn_onto(np.asarray(detector, np.float64), out)
    for name, (chain, _) in LIMBS.items():
        w = np.clip(np.nan_to_num(np.asarray(weights[name], float)), 0.0, 1.0)[:, None]
        for joint in chain:
            c = J[joint]
            p = PARENTS[c]
            own = lifted[:, c] - lifted[:, p]
            length = np.linalg.norm(own, axis=-1, keepdims=True)
            theirs = det[:, c] - det[:, p]
            u_own = own / np.maximum(length, 1e-9)
            u_det = theirs / np.maximum(np.linalg.norm(theirs, axis=-1, keepdims=True), 1e-9)
            ok = np.isfinite(u_det).all(-1, keepdims=True)
            mixed = (1 - w) * u_own + w * np.where(ok, u_det, u_own)
            mixed /= np.maximum(np.linalg.norm(mixed, axis=-1, keepdims=True), 1e-9)
            out[:, c] = out[:, p] + length * mixed
    return out
