"""Losses: Euclidean coordinate loss, the JSD heatmap regulariser (see ``heatmaps``), and
the anatomical losses of Dabral et al. (seed 004) on 3D joints (B, J, 3) in right-handed,
Y-up app axes.

Illegal angles, as BASELINE.md defines them: neck = shoulder midpoint, pelvis = hip
midpoint; right elbow n = (R shoulder - neck) x (R elbow - R shoulder), illegal when
n . (R wrist - R elbow) < 0; the sign flips for the left elbow and the right knee (right
knee uses R hip - pelvis and R knee - R hip; the left knee flips twice, so it keeps the
right elbow's sign). The loss is the hinge -min(0, s n^ . limb^) with unit vectors, so
it is zero for every legal pose and grows with how far the limb is bent backwards.
"""
from __future__ import annotations

import torch

from mocap_app.core.skeleton import J, LEFT_RIGHT_PAIRS, PARENTS

from mocap_app.lift.heatmaps import jsd_to_gaussians

#: (root, joint, middle, end, sign) for the four limbs.
LIMBS = (
    ("neck", "right_shoulder", "right_elbow", "right_wrist", 1.0),
    ("neck", "left_shoulder", "left_elbow", "left_wrist", -1.0),
    ("pelvis", "right_hip", "right_knee", "right_ankle", -1.0),
    ("pelvis", "left_hip", "left_knee", "left_ankle", 1.0),
)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-8)


def illegal_angle_terms(joints: torch.Tensor) -> torch.Tensor:
    """(B, J, 3) -> (B, 4) signed cosines s n^ . limb^; negative = illegal bend."""
    out = []
    for root, a, b, c, sign in LIMBS:
        ja, jb, jc, jr = (joints[..., J[n], :] for n in (a, b, c, root))
        n = torch.cross(ja - jr, jb - ja, dim=-1)
        out.append(sign * (_unit(n) * _unit(jc - jb)).sum(-1))
    return torch.stack(out, -1)


def illegal_angle_loss(joints: torch.Tensor) -> torch.Tensor:
    """Mean hinge over limbs and batch: 0 for legal poses, > 0 when a limb bends back."""
    return torch.relu(-illegal_angle_terms(joints)).mean()


_BONE_PAIRS = tuple((l, r) for l, r in LEFT_RIGHT_PAIRS if PARENTS[l] >= 0 and PARENTS[r] >= 0)


def symmetry_loss(joints: torch.Tensor) -> torch.Tensor:
    """Mean |left bone length - right bone length| over the left/right bone pairs."""
    l = torch.tensor([p[0] for p in _BONE_PAIRS])
    r = torch.tensor([p[1] for p in _BONE_PAIRS])
    pl = torch.tensor([PARENTS[i] for i in l.tolist()])
    pr = torch.tensor([PARENTS[i] for i in r.tolist()])
    len_l = (joints[..., l, :] - joints[..., pl, :]).norm(dim=-1)
    len_r = (joints[..., r, :] - joints[..., pr, :]).norm(dim=-1)
    return (len_l - len_r).abs().mean()


def coordinate_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean Euclidean distance per joint (cube units)."""
    return (pred - target).norm(dim=-1).mean()


def jsd_loss(heatmaps: dict, target: torch.Tensor, sigma: float) -> torch.Tensor:
    """Mean JSD of the three marginal maps to Gaussians at the target coordinates."""
    return jsd_to_gaussians(heatmaps, target.clamp(-1, 1), sigma).mean()
