"""Left/right swaps of the body detector, put right: found by the continuity of its own
labels (``side_track``), with the hand model's votes where the hands are tracked.

The body detector sometimes takes a person for one facing the other way: its left and
right swap for a stretch of frames (Pose2Sim cam02, frames 41-74), and its 2D, its own 3D
and the lifted pose all follow. Nothing in the body's output tells: the swap sets in while
the limbs overlap in the picture, and the swapped body is a plausible one. The hand
landmark model is a second, independent witness: it names each hand left or right from
its appearance (thumb side, palm or back). The hand tracker records, for each of the
body's wrists, the hand model's answer on the crop that wrist gives
(``HandsResult.sides``), even when it refuses the hand; when the body is swapped, both of
its "left" and "right" crops hold hands of the other side.

Per frame where both hands are present, the evidence is the log odds that both crops hold
the other side's hand (``swap_evidence``); a two-state Viterbi ("as detected" /
"swapped") over the take with a cost per switch and a cost per swapped frame
(``swapped_frames``) keeps only stretches where the evidence is strong and sustained. On
those frames ``fix_swaps`` exchanges left and right in everything side-indexed (2D,
visibility, hands and their evidence), drops the detector's 3D there (it is the
front/back-confused body: relabelling it gives a mirror image, not the person) and lifts
them again from the corrected 2D.

Measured (docs/QUALITY.md, bench/eval_pose2sim.py): on the Pose2Sim take it finds cam02's
41-74 and nothing in the other three views; on the five real clips of the motion table it
finds nothing.

Since 2026-12-05 the frames come from ``side_track`` (``find_swaps``): the continuity of
the detector's 2D labels says frame by frame where its left and right flip, which needs
no hands; with hands tracked, their log odds (``swap_evidence``) join that chain as a
per-frame vote, so the hands choose the side of a stretch and the continuity where it
starts and ends. The hands-only Viterbi above (``swapped_frames``) stays for comparison
(bench/eval_side_track.py). Live capture runs the side track's causal form in the
estimator; a recorded take is checked again when refined (``refine.refine_sequence``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.pose import PoseSequence
from ..core.skeleton import MIRROR_PERMUTATION
from .side_track import SideTrackOptions, exchanged_frames

#: Hand presence needed for the hand model's side to count.
MIN_PRESENCE = 0.5
#: The hand model's side probability is clipped to this range (one frame never decides).
CLIP = 0.05


@dataclass(frozen=True)
class SideCheckOptions:
    switch_cost: float = 20.0   # log-odds a switch between "as detected" and "swapped" costs
    frame_cost: float = 1.0     # log-odds each "swapped" frame costs: a stretch needs odds
                                # above e:1 on average to stay swapped

    def __post_init__(self):
        if not 0.0 < self.switch_cost <= 1000.0:
            raise ValueError(f"side check switch_cost must be in (0, 1000], got "
                             f"{self.switch_cost!r}")
        if not 0.0 <= self.frame_cost <= 10.0:
            raise ValueError(f"side check frame_cost must be in [0, 10], got "
                             f"{self.frame_cost!r}")


def swap_evidence(hand_sides: np.ndarray) -> np.ndarray:
    """(T,) log odds that the body's sides are swapped, from (T, 2, 2) hand evidence
    (presence, P(right hand)) for the body's left and right wrist; 0 where either hand is
    missing or not present."""
    x = np.asarray(hand_sides, float)
    pres = np.nan_to_num(x[..., 0], nan=0.0)
    both = (pres >= MIN_PRESENCE).all(-1) & np.isfinite(x[..., 1]).all(-1)
    p = np.clip(np.nan_to_num(x[..., 1], nan=0.5), CLIP, 1.0 - CLIP)   # (T, 2) P(right)
    # as detected: the left crop holds a left hand (1 - p), the right one a right (p);
    # swapped: the other way round
    llr = (np.log(p[:, 0]) - np.log1p(-p[:, 0])) + (np.log1p(-p[:, 1]) - np.log(p[:, 1]))
    return np.where(both, llr, 0.0)


def swapped_frames(hand_sides: np.ndarray | None,
                   options: SideCheckOptions = SideCheckOptions()) -> np.ndarray:
    """(T,) bool: the frames whose body sides the hands say are swapped (Viterbi)."""
    if hand_sides is None:
        return np.zeros(0, bool)
    llr = swap_evidence(hand_sides) - options.frame_cost
    T = len(llr)
    if T == 0:
        return np.zeros(0, bool)
    score = np.array([0.0, -options.switch_cost])       # starting swapped is a switch too
    back = np.zeros((T, 2), int)
    for t in range(T):
        if t:
            stay, move = score, score[::-1] - options.switch_cost
            back[t] = np.where(stay >= move, [0, 1], [1, 0])
            score = np.maximum(stay, move)
        score = score + np.array([0.0, llr[t]])
    state = np.zeros(T, int)
    state[-1] = int(np.argmax(score))
    for t in range(T - 1, 0, -1):
        state[t - 1] = back[t, state[t]]
    return state.astype(bool)


def find_swaps(seq: PoseSequence, options: SideTrackOptions = SideTrackOptions()
               ) -> np.ndarray:
    """(T,) bool: the frames of ``seq`` whose left and right the detector exchanged (the
    side track over its 2D, with the hands' votes where it has them)."""
    if len(seq) == 0 or seq.keypoints_2d is None:
        return np.zeros(len(seq), bool)
    votes = swap_evidence(seq.hand_sides) if seq.hand_sides is not None else None
    kp = np.where(np.asarray(seq.valid, bool)[:, None, None], seq.keypoints_2d, np.nan)
    return exchanged_frames(kp, seq.visibility, options, votes) & np.asarray(seq.valid, bool)


def swap_sides(seq: PoseSequence, frames: np.ndarray) -> PoseSequence:
    """``seq`` with left and right exchanged on ``frames`` in everything side-indexed:
    the 2D keypoints, visibility and lifted joints (the mirror permutation), the hands and
    their evidence; the detector's 3D is dropped there (NaN)."""
    m = np.asarray(frames, bool)
    if not m.any():
        return seq
    perm = list(MIRROR_PERMUTATION)

    def joints(a):
        if a is None:
            return None
        out = np.array(a, copy=True)
        out[m] = out[m][:, perm]
        return out

    def hands(a):
        if a is None:
            return None
        out = np.array(a, copy=True)
        out[m] = out[m][:, ::-1]
        return out

    det3 = None
    if seq.detector_3d is not None:
        det3 = np.array(seq.detector_3d, copy=True)
        det3[m] = np.nan
    return replace(seq, keypoints_2d=joints(seq.keypoints_2d),
                   visibility=joints(seq.visibility[..., None])[..., 0],
                   joints_3d=joints(seq.joints_3d), detector_3d=det3,
                   hands_2d=hands(seq.hands_2d), hands_3d=hands(seq.hands_3d),
                   hands_held=hands(seq.hands_held), hand_sides=hands(seq.hand_sides))


def fix_swaps(seq: PoseSequence, lifter=None,
              options: SideTrackOptions = SideTrackOptions(),
              frames: np.ndarray | None = None) -> tuple[PoseSequence, np.ndarray]:
    """(``seq`` with the swapped frames put right, those frames (T,) bool). ``frames``:
    the swapped frames when already found (``find_swaps``). With a ``lifter``
    (``lift.inference.Lifter``) those frames are lifted again from the corrected 2D
    alone. Without one the 3D is the detector's own, a body turned the other way:
    relabelled and reflected in depth (a front/back confusion from one camera is a
    reflection through the plane facing it)."""
    if frames is None:
        frames = find_swaps(seq, options)
    frames = np.asarray(frames, bool)
    if not frames.any():
        return seq, frames
    out = swap_sides(seq, frames)
    if lifter is not None:
        idx = np.flatnonzero(frames)
        kp, vis = out.keypoints_2d[idx], out.visibility[idx]
        lifted, ok = lifter.lift_joints(np.nan_to_num(kp),
                                        np.where(np.isfinite(kp).all(-1), vis, 0.0),
                                        tuple(int(v) for v in seq.image_size))
        joints = np.array(out.joints_3d, copy=True)
        joints[idx] = np.where(ok[:, None, None], lifted, joints[idx])
        out = replace(out, joints_3d=joints)
    else:
        joints = np.array(out.joints_3d, copy=True)
        joints[frames, :, 2] *= -1.0               # app axes: +Z towards the camera
        out = replace(out, joints_3d=joints)
    return out, frames
