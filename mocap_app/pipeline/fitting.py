"""Skeleton fitting (Dabral et al., sect. 5.1 step 4): one set of bone lengths per take,
with every frame's bone directions kept; then (optionally, on by default) elbows and
knees bent the wrong way are mirrored back to their legal side (``fix_illegal_hinges``,
which changes those limbs' directions and only those).

Lengths are a robust estimate (median) over confident frames. Left and right bones get
the same length unless the take's data clearly says otherwise: the two medians differ by
more than ``asymmetry_tolerance`` (relative) *and* the same side is longer in nearly every
confident frame. Monocular estimates disagree between sides by noise alone, so the default
bar is high.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.skeleton import BONES, LEFT_RIGHT_PAIRS, NUM_JOINTS, PARENTS


@dataclass(frozen=True)
class FittingOptions:
    min_visibility: float = 0.5        # both bone ends at least this visible to count a frame
    asymmetry_tolerance: float = 0.25  # relative L/R difference the data must show...
    asymmetry_consistency: float = 0.9  # ...in this fraction of confident frames, same side
    fix_illegal_hinges: bool = True    # bend elbows/knees bent the wrong way back (below)
    hinge_min_sine: float = 0.1        # only where the hinge plane is defined (full fix
                                       # from twice this sine up, eased in between)


#: For each bone index in BONES, the index of its mirror bone (itself for centre bones).
def _mirror_bones() -> tuple[int, ...]:
    side = {}
    for l, r in LEFT_RIGHT_PAIRS:
        side[l], side[r] = r, l
    index = {b: k for k, b in enumerate(BONES)}
    return tuple(index[(side.get(p, p), side.get(c, c))] for p, c in BONES)


MIRROR_BONES = _mirror_bones()


def estimate_bone_lengths(joints: np.ndarray, visibility: np.ndarray | None = None,
                          valid: np.ndarray | None = None,
                          options: FittingOptions = FittingOptions()) -> np.ndarray:
    """(len(BONES),) metres: the take's bone lengths.

    ``joints`` (T, 25, 3) metres; ``visibility`` (T, 25) 0..1 or None (all confident)."""
    t = len(joints)
    ok = np.isfinite(joints).all(axis=(1, 2))
    if valid is not None:
        ok &= np.asarray(valid, bool)
    if not ok.any():
        raise ValueError("no valid frame to estimate bone lengths from")
    p = np.array([b[0] for b in BONES])
    c = np.array([b[1] for b in BONES])
    lengths = np.linalg.norm(joints[:, c] - joints[:, p], axis=-1)            # (T, B)
    vis = np.ones((t, NUM_JOINTS)) if visibility is None else np.nan_to_num(visibility)
    confident = (np.minimum(vis[:, p], vis[:, c]) >= options.min_visibility) & ok[:, None]
    # A bone never seen confidently falls back to every valid frame.
    confident[:, ~confident.any(axis=0)] = ok[:, None]
    median = np.array([np.median(lengths[confident[:, k], k]) for k in range(len(BONES))])

    out = median.copy()
    for k, m in enumerate(MIRROR_BONES):
        if m <= k:
            continue
        both = confident[:, k] & confident[:, m]
        rel = abs(median[k] - median[m]) / max(0.5 * (median[k] + median[m]), 1e-9)
        longer = np.sign(median[k] - median[m])
        same_side = (np.mean(np.sign(lengths[both, k] - lengths[both, m]) == longer)
                     if both.any() else 0.0)
        if rel > options.asymmetry_tolerance and same_side >= options.asymmetry_consistency:
            continue  # the person's data says the sides differ: keep both medians
        out[k] = out[m] = 0.5 * (median[k] + median[m])
    return out


def _levels() -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """The skeleton's joints by depth below the root: per level (children, their parents,
    their bones' indices into ``BONES``), so a pose is rebuilt level by level."""
    depth = [0] * NUM_JOINTS
    for child in range(1, NUM_JOINTS):     # parents come before children in the app skeleton
        depth[child] = depth[PARENTS[child]] + 1
    index = {b: k for k, b in enumerate(BONES)}
    out = []
    for level in range(1, max(depth) + 1):
        kids = np.array([c for c in range(NUM_JOINTS) if depth[c] == level])
        parents = np.array([PARENTS[c] for c in kids])
        out.append((kids, parents, np.array([index[(PARENTS[c], c)] for c in kids])))
    return tuple(out)


_LEVELS = _levels()


def apply_bone_lengths(joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rebuild poses from the root outwards with the given bone lengths and each frame's
    own bone directions. (..., 25, 3) -> (..., 25, 3); the root joint stays put.

    A zero-length bone in the input (direction undefined) keeps the child on its parent.
    (All the joints of one depth below the root at once: the same sums in the same order
    as joint by joint, a few times faster, which the live loop feels.)"""
    joints = np.asarray(joints, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.float64)
    out = joints.copy()
    for kids, parents, bones in _LEVELS:
        d = joints[..., kids, :] - joints[..., parents, :]
        norm = np.linalg.norm(d, axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = np.where(norm > 1e-12, d / norm, 0.0)
        out[..., kids, :] = out[..., parents, :] + lengths[bones][:, None] * unit
    return out


#: (base of the plane, proximal, hinge, distal chain, sign) as in quality.illegal_joint_angles
_HINGES = (
    (("left_shoulder", "right_shoulder"), "right_shoulder", "right_elbow",
     ("right_wrist", "right_hand"), 1.0),
    (("left_shoulder", "right_shoulder"), "left_shoulder", "left_elbow",
     ("left_wrist", "left_hand"), -1.0),
    (("left_hip", "right_hip"), "right_hip", "right_knee",
     ("right_ankle", "right_heel", "right_toe"), -1.0),
    (("left_hip", "right_hip"), "left_hip", "left_knee",
     ("left_ankle", "left_heel", "left_toe"), 1.0),
)


def fix_illegal_hinges(joints: np.ndarray, min_sine: float = 0.1) -> np.ndarray:
    """Elbows and knees bent the wrong way (Dabral et al.'s test, as in
    ``quality.illegal_joint_angles``) are mirrored across their hinge plane: the forearm
    (with the hand) or shin (with the foot) is reflected about the plane through the elbow
    or knee, keeping every bone length. Reflection is continuous at the plane, so a limb
    crossing it does not jump. Where the plane is ill-defined (upper bone nearly along the
    shoulder or hip line: sine below ``min_sine``) nothing changes, and the fix eases in up
    to twice that sine, so switching it on does not make the limb jump either.
    (..., 25, 3) -> same."""
    from ..core.skeleton import J  # noqa: PLC0415
    out = np.array(joints, dtype=np.float64, copy=True)
    for (a, b), prox, hinge, chain, sign in _HINGES:
        base = 0.5 * (out[..., J[a], :] + out[..., J[b], :])
        upper_dir = out[..., J[prox], :] - base
        upper = out[..., J[hinge], :] - out[..., J[prox], :]
        n = np.cross(upper_dir, upper)
        scale = np.linalg.norm(upper_dir, axis=-1) * np.linalg.norm(upper, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sine = np.linalg.norm(n, axis=-1) / scale
            unit = n / np.linalg.norm(n, axis=-1, keepdims=True)
        first = out[..., J[chain[0]], :] - out[..., J[hinge], :]
        d = np.einsum("...k,...k->...", unit, first)
        # 0: untouched, 1: mirrored; eased in over sine min_sine .. 2 min_sine
        g = np.where(sign * d < 0, np.clip((sine - min_sine) / max(min_sine, 1e-9), 0, 1), 0)
        g = np.nan_to_num(g)
        if not np.any(g > 0):
            continue
        for name in chain:
            v = out[..., J[name], :] - out[..., J[hinge], :]
            dv = np.einsum("...k,...k->...", unit, v)
            w = v - 2.0 * (g * dv)[..., None] * unit
            length = np.linalg.norm(v, axis=-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                w = w * (length / np.linalg.norm(w, axis=-1, keepdims=True))
            moved = out[..., J[hinge], :] + w
            out[..., J[name], :] = np.where((g > 0)[..., None] & np.isfinite(moved), moved,
                                            out[..., J[name], :])
    return out


def fit_skeleton(joints: np.ndarray, visibility: np.ndarray | None = None,
                 valid: np.ndarray | None = None,
                 options: FittingOptions = FittingOptions()) -> tuple[np.ndarray, np.ndarray]:
    """Fit one skeleton to a take: (fitted joints (T, 25, 3), bone lengths (B,))."""
    lengths = estimate_bone_lengths(joints, visibility, valid, options)
    fitted = apply_bone_lengths(joints, lengths)
    if options.fix_illegal_hinges:
        fitted = fix_illegal_hinges(fitted, options.hinge_min_sine)
    return fitted, lengths
