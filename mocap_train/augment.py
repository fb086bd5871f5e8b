"""Pose augmentation for the projected-mocap pairs: arms from other frames; and sampling
balanced over the arms' elevation (``balance_cdf``).

On real video the lifter's arms were its weakest joints (Pose2Sim: elbows 121 / 135 mm
PA against BlazePose's 81 / 110; models/LIFTER_CARD.md), and its arms there barely moved
with the detector's 3D, even an exact one: the arm poses of that take (flung wide while
lunging and hopping) are combinations the training motion rarely holds. ``arms_from``
gives a share of the poses each arm's configuration from another random frame: the
donor's upper-arm, forearm and hand directions in the donor's own body axes
(``rendered_data.body_frame``), laid into this pose's body axes from this pose's shoulder,
with this pose's bone lengths. Each arm stays one that a person held; the pairing with the
rest of the body is new.
"""
from __future__ import annotations

import numpy as np

from mocap_app.core.skeleton import J
from mocap_app.lift.normalize import IMAGE_FEATURES

from .rendered_data import body_frame

ARM_CHAINS = {side: [J[f"{side}_{p}"] for p in ("shoulder", "elbow", "wrist", "hand")]
              for side in ("left", "right")}


def arms_from(poses: np.ndarray, donors: np.ndarray, rng: np.random.Generator,
              share: float) -> np.ndarray:
    """Poses (B, J, 3) with, for a share of them, each arm taken from a random donor frame
    of ``donors`` (N, J, 3) (each side its own donor). Lengths and the shoulders stay."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"arm share must be in [0, 1], got {share!r}")
    x = np.array(poses, dtype=np.float64, copy=True)
    pick = np.flatnonzero(rng.random(len(x)) < share)
    if not len(pick):
        return x
    own = body_frame(x[pick])                                   # (n, 3, 3) rows = axes
    orig = x[pick].copy()
    for chain in ARM_CHAINS.values():
        donor = np.asarray(donors[rng.integers(0, len(donors), len(pick))], np.float64)
        d_frame = body_frame(donor)
        for a, b in zip(chain[:-1], chain[1:]):
            length = np.linalg.norm(orig[:, b] - orig[:, a], axis=-1, keepdims=True)
            bone = donor[:, b] - donor[:, a]
            bone /= np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True), 1e-9)
            local = np.einsum("nij,nj->ni", d_frame, bone)     # in the donor's axes
            world = np.einsum("nji,nj->ni", own, local)        # into this pose's axes
            x[pick, b] = x[pick, a] + length * world
    return x


#: upper-arm elevation bins (degrees from the neck-to-pelvis direction: 0 hanging, 90
#: out to the side or the front, 180 straight up)
ELEVATION_BINS = np.arange(0.0, 181.0, 15.0)


def arm_elevation(poses: np.ndarray) -> np.ndarray:
    """(N, 2) degrees: the left and right upper arm's angle from the neck-to-pelvis
    direction, for poses (N, J, 3) in any axes and units."""
    p = np.asarray(poses, np.float64)
    down = p[:, J["pelvis"]] - p[:, J["neck"]]
    out = []
    for side in ("left", "right"):
        arm = p[:, J[f"{side}_elbow"]] - p[:, J[f"{side}_shoulder"]]
        cos = (down * arm).sum(-1) / np.maximum(
            np.linalg.norm(down, axis=-1) * np.linalg.norm(arm, axis=-1), 1e-12)
        out.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return np.stack(out, axis=-1)


def balance_cdf(poses: np.ndarray, strength: float) -> np.ndarray:
    """(N,) cumulative sampling probabilities that draw the poses with weight
    count(bin)^-strength, the bin being the pair of both arms' elevation bins: 0 draws
    uniformly, 1 draws every (left, right) elevation pair equally often. Draw with
    ``np.searchsorted(cdf, rng.random(n))``."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"balance strength must be in [0, 1], got {strength!r}")
    e = arm_elevation(poses)
    k = len(ELEVATION_BINS) - 1
    b = np.clip(np.digitize(e, ELEVATION_BINS) - 1, 0, k - 1)
    cell = b[:, 0] * k + b[:, 1]
    counts = np.bincount(cell, minlength=k * k).astype(np.float64)
    w = counts[cell] ** -strength
    cdf = np.cumsum(w)
    return cdf / cdf[-1]


#: the joints whose 2D ``hide_arm_2d`` takes away, per side
ARM_2D = {side: [J[f"{side}_{p}"] for p in ("elbow", "wrist", "hand")]
          for side in ("left", "right")}


def hide_arm_2d(inputs: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Lifter inputs (B, J, 9) where, for a share of the samples that carry the detector's
    3D, one arm's elbow, wrist and hand lose their 2D (position, visibility and place in
    the picture 0: "not seen"), so that arm can only come from the detector's 3D. On the
    renders BlazePose's arms are worse than the lifter's own from the 2D, so it learned
    to lean on the 2D; on real footage of unusual arm poses the 2D prior fails while
    BlazePose's arms hold (models/LIFTER_CARD.md)."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"hidden-arm share must be in [0, 1], got {share!r}")
    x = np.array(inputs, copy=True)
    given = x[:, 0, -1] > 0.5                     # the detector's 3D is given
    pick = np.flatnonzero(given & (rng.random(len(x)) < share))
    left = rng.random(len(pick)) < 0.5
    for rows, joints in ((pick[left], ARM_2D["left"]), (pick[~left], ARM_2D["right"])):
        x[np.ix_(rows, joints, np.arange(IMAGE_FEATURES))] = 0.0
    return x
