"""Motion-quality metrics, exactly as ``../shared/docs/BASELINE.md`` defines them.

All take pelvis-relative joints ``(T, 25, 3)`` in metres (app axes: right-handed, Y up)
with NaN or ``valid == False`` for frames without a person, and report millimetres (or
percent). No ground truth is needed: these judge how the motion looks over time.

- ``jitter_mm``: mean over the 12 limb joints and frame triplets of
  |x[t+1] - 2 x[t] + x[t-1]| (mm/frame^2), only triplets valid in all three frames.
- ``bone_length_std_mm``: std over frames of upper arm, forearm, thigh and shin lengths,
  averaged over the eight limb bones (left and right).
- ``lr_asymmetry_mm``: mean over frames of |left - right| for those four bones, averaged.
- ``illegal_angles_pct``: Dabral et al.'s elbow/knee test (see ``illegal_joint_angles``),
  strict and with a 10 degree tolerance.
- ``foot_skate_cm``: horizontal foot travel per frame while that foot is in contact
  (cm/frame), on world positions (root + joints) when a root trajectory is known.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..core.skeleton import J, LIMB_BONES, LIMB_JOINTS

#: (name, left index into LIMB_BONES, right index) for the four judged bone pairs.
_BONE_PAIRS = (("upper_arm", 0, 4), ("forearm", 1, 5), ("thigh", 2, 6), ("shin", 3, 7))


def _valid_frames(joints: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    ok = np.isfinite(joints).all(axis=(1, 2))
    return ok if valid is None else ok & np.asarray(valid, bool)


def jitter_mm(joints: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Mean limb-joint acceleration magnitude in mm/frame^2 (BASELINE.md "jitter 3D").

    Constant-velocity motion gives 0. Only triplets t-1, t, t+1 all valid count."""
    ok = _valid_frames(joints, valid)
    if len(joints) < 3:
        return float("nan")
    x = joints[:, LIMB_JOINTS, :] * 1000.0                        # (T, 12, 3) mm
    acc = x[2:] - 2.0 * x[1:-1] + x[:-2]                          # (T-2, 12, 3)
    trip = ok[2:] & ok[1:-1] & ok[:-2]
    if not trip.any():
        return float("nan")
    return float(np.linalg.norm(acc[trip], axis=-1).mean())


def limb_bone_lengths_mm(joints: np.ndarray) -> np.ndarray:
    """(T, 8) lengths in mm of the LIMB_BONES (left upper arm, forearm, thigh, shin, then
    the right ones)."""
    p = [b[1] for b in LIMB_BONES]
    c = [b[2] for b in LIMB_BONES]
    return np.linalg.norm(joints[:, c] - joints[:, p], axis=-1) * 1000.0


def bone_length_std_mm(joints: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Std over valid frames of each limb bone's length (mm), averaged over the 8 bones."""
    ok = _valid_frames(joints, valid)
    if ok.sum() < 2:
        return float("nan")
    return float(limb_bone_lengths_mm(joints[ok]).std(axis=0).mean())


def lr_asymmetry_mm(joints: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Mean over valid frames of |left - right| length (mm), averaged over the 4 bone pairs."""
    ok = _valid_frames(joints, valid)
    if not ok.any():
        return float("nan")
    lengths = limb_bone_lengths_mm(joints[ok])
    diffs = [np.abs(lengths[:, l] - lengths[:, r]).mean() for _, l, r in _BONE_PAIRS]
    return float(np.mean(diffs))


#: (parent-of-proximal, proximal, middle, distal, sign) per judged hinge. For the right
#: elbow the plane normal is (shoulder - neck) x (elbow - shoulder) and the pose is illegal
#: when normal . (wrist - elbow) < 0; the sign flips for the left elbow and the right knee.
_HINGES = (
    ("right_elbow", "neck", J["right_shoulder"], J["right_elbow"], J["right_wrist"], 1.0),
    ("left_elbow", "neck", J["left_shoulder"], J["left_elbow"], J["left_wrist"], -1.0),
    ("right_knee", "pelvis", J["right_hip"], J["right_knee"], J["right_ankle"], -1.0),
    ("left_knee", "pelvis", J["left_hip"], J["left_knee"], J["left_ankle"], 1.0),
)


def illegal_joint_angles(joints: np.ndarray, tolerance_deg: float = 0.0) -> np.ndarray:
    """(T, 4) bool: elbows and knees bent the wrong way (Dabral et al., BASELINE.md).

    neck = shoulder midpoint, pelvis = hip midpoint (computed here, not taken from the
    neck/pelvis joints). With ``tolerance_deg`` > 0 only forearms/shins more than that
    angle past the plane count."""
    neck = 0.5 * (joints[:, J["left_shoulder"]] + joints[:, J["right_shoulder"]])
    pelvis = 0.5 * (joints[:, J["left_hip"]] + joints[:, J["right_hip"]])
    out = np.zeros((len(joints), len(_HINGES)), bool)
    for k, (_, base, a, b, c, sign) in enumerate(_HINGES):
        origin = neck if base == "neck" else pelvis
        n = np.cross(joints[:, a] - origin, joints[:, b] - joints[:, a])   # (T, 3)
        v = joints[:, c] - joints[:, b]                                    # (T, 3)
        d = sign * np.einsum("tk,tk->t", n, v)
        if tolerance_deg <= 0:
            out[:, k] = d < 0
        else:
            denom = np.linalg.norm(n, axis=-1) * np.linalg.norm(v, axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                past = np.degrees(np.arcsin(np.clip(-d / denom, -1.0, 1.0)))
            out[:, k] = past > tolerance_deg
    return out


def illegal_angles_pct(joints: np.ndarray, valid: np.ndarray | None = None,
                       tolerance_deg: float = 0.0) -> float:
    """Percent of (valid frame, elbow/knee) pairs that are illegal."""
    ok = _valid_frames(joints, valid)
    if not ok.any():
        return float("nan")
    return float(100.0 * illegal_joint_angles(joints[ok], tolerance_deg).mean())


#: The foot point that skates: the ankle (the pinned joint), per side (left, right).
FOOT_JOINTS = (J["left_ankle"], J["right_ankle"])


def foot_skate_cm(world_joints: np.ndarray, contacts: np.ndarray,
                  valid: np.ndarray | None = None) -> float:
    """Mean horizontal (X-Z) travel of a foot in cm per frame, over consecutive frame pairs
    in which that foot is in contact in both frames. ``world_joints`` (T, 25, 3) metres
    (root + pelvis-relative joints), ``contacts`` (T, 2) bool for (left, right).
    NaN when no foot is ever in contact for two frames."""
    ok = _valid_frames(world_joints, valid)
    steps = []
    for side, j in enumerate(FOOT_JOINTS):
        c = np.asarray(contacts[:, side], bool) & ok
        pair = c[1:] & c[:-1]
        if pair.any():
            d = world_joints[1:, j, [0, 2]] - world_joints[:-1, j, [0, 2]]   # (T-1, 2)
            steps.append(np.linalg.norm(d[pair], axis=-1))
    if not steps:
        return float("nan")
    return float(np.concatenate(steps).mean() * 100.0)


@dataclass(frozen=True)
class QualityReport:
    """One sequence's figures, in BASELINE.md's units."""
    frames: int
    valid_frames: int
    jitter_mm: float                 # mm/frame^2, 12 limb joints
    bone_length_std_mm: float        # mm, mean of 8 limb bones
    lr_asymmetry_mm: float           # mm, mean of 4 bone pairs
    illegal_angles_pct: float        # % of elbow/knee instances, strict
    illegal_angles_10deg_pct: float  # % more than 10 degrees past the plane
    foot_skate_cm: float             # cm/frame during contact (NaN without contacts)

    def as_dict(self) -> dict:
        return asdict(self)


def quality_report(joints: np.ndarray, valid: np.ndarray | None = None,
                   root_positions: np.ndarray | None = None,
                   contacts: np.ndarray | None = None) -> QualityReport:
    """All metrics for one sequence. Foot skate needs ``contacts``; it uses world positions
    when ``root_positions`` is given, else the pelvis-relative joints."""
    ok = _valid_frames(joints, valid)
    skate = float("nan")
    if contacts is not None:
        world = joints if root_positions is None else joints + root_positions[:, None, :]
        skate = foot_skate_cm(world, contacts, ok)
    return QualityReport(
        frames=len(joints), valid_frames=int(ok.sum()),
        jitter_mm=jitter_mm(joints, ok), bone_length_std_mm=bone_length_std_mm(joints, ok),
        lr_asymmetry_mm=lr_asymmetry_mm(joints, ok),
        illegal_angles_pct=illegal_angles_pct(joints, ok),
        illegal_angles_10deg_pct=illegal_angles_pct(joints, ok, tolerance_deg=10.0),
        foot_skate_cm=skate)
