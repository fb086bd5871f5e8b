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
from mocap_app.lift.normalize import DETECTOR_CLIP, DETECTOR_FEATURES, IMAGE_FEATURES, VISIBLE

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


def roll_pairs(inputs: np.ndarray, target: np.ndarray, rng: np.random.Generator,
               max_deg: float, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Lifter inputs (B, J, 5 or 9) and cube targets (B, J, 3) as a camera rolled by a
    random angle (uniform within +-``max_deg``) about its optical axis would give them, for
    a ``share`` of the samples. The training cameras are nearly level (renders +-5
    degrees, projected mocap +-4), and on Pose2Sim the view rolled by 26 degrees is the
    lifter's worst: lifting its picture turned level (and the answer turned back) took it
    from 108.5 to about 95 mm (models/LIFTER_CARD.md).

    The picture turns about its centre: the place-in-the-picture features turn, the
    keypoints turn in their box and are framed again as ``normalize_keypoints`` frames
    them (the visible ones' bounding square); the detector's 3D and the target turn the
    opposite way about the app's Z axis (the picture's y points down, the app's up).
    Joints not seen (all features 0) stay so."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"roll share must be in [0, 1], got {share!r}")
    if not 0.0 <= max_deg <= 180.0:
        raise ValueError(f"roll max_deg must be in [0, 180] degrees, got {max_deg!r}")
    if inputs.shape[-1] < IMAGE_FEATURES:
        raise ValueError("rolling needs the place-in-the-picture features (in_features >= 5)")
    x = np.array(inputs, dtype=np.float32, copy=True)
    y = np.array(target, dtype=np.float32, copy=True)
    pick = np.flatnonzero(rng.random(len(x)) < share)
    if len(pick) == 0 or max_deg == 0.0:
        return x, y
    a = np.radians(rng.uniform(-max_deg, max_deg, len(pick)))
    c, s = np.cos(a)[:, None], np.sin(a)[:, None]

    def turn(u, v, sign):            # (n, J) pairs turned by sign * a
        return c * u - sign * s * v, sign * s * u + c * v

    xs = x[pick]
    seen = (xs[..., :2] != 0).any(-1) | (xs[..., 2] > 0)
    bx, by = turn(xs[..., 0], xs[..., 1], 1.0)
    frame = seen & (xs[..., 2] >= VISIBLE)
    few = frame.sum(-1, keepdims=True) < 2
    frame = np.where(few, seen, frame)
    with np.errstate(all="ignore"):
        lo = np.stack([np.where(frame, u, np.inf).min(-1) for u in (bx, by)], -1)
        hi = np.stack([np.where(frame, u, -np.inf).max(-1) for u in (bx, by)], -1)
    ok = np.isfinite(lo).all(-1) & np.isfinite(hi).all(-1)
    centre = np.where(ok[:, None], 0.5 * (lo + hi), 0.0)
    half = np.where(ok, np.maximum(0.5 * (hi - lo).max(-1), 1e-6), 1.0)[:, None]
    xs[..., 0] = np.where(seen, np.clip((bx - centre[:, :1]) / half, -3, 3), 0.0)
    xs[..., 1] = np.where(seen, np.clip((by - centre[:, 1:]) / half, -3, 3), 0.0)
    rx, ry = turn(xs[..., 3], xs[..., 4], 1.0)
    xs[..., 3] = np.where(seen, np.clip(rx, -1, 1), 0.0)
    xs[..., 4] = np.where(seen, np.clip(ry, -1, 1), 0.0)
    if xs.shape[-1] >= DETECTOR_FEATURES:
        dx, dy = turn(xs[..., 5], xs[..., 6], -1.0)
        given = xs[..., 8] > 0.5
        xs[..., 5] = np.where(given, np.clip(dx, -DETECTOR_CLIP, DETECTOR_CLIP), 0.0)
        xs[..., 6] = np.where(given, np.clip(dy, -DETECTOR_CLIP, DETECTOR_CLIP), 0.0)
    x[pick] = xs
    ty = y[pick]
    tx, tyy = turn(ty[..., 0], ty[..., 1], -1.0)
    ty[..., 0], ty[..., 1] = tx, tyy
    y[pick] = ty
    return x, y
