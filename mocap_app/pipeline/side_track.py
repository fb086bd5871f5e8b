"""Left/right swaps of the body detector, caught by the continuity of its own 2D labels.

When the body detector takes a person for one facing the other way, its "left" and
"right" keypoints exchange places in the picture from one frame to the next: the 2D
point called the left wrist jumps to where the right wrist was a frame before, and the
right one the other way (Pose2Sim cam02 at frame 41: the labels as given move 289 px on
average, the exchanged labels 10 px). Real limbs cannot cross a body in 1/60 s, so
following which label continues which gives the detector's flips frame by frame; only
the starting side is not given, and the detector is taken to be right unless the
continuity says otherwise (a cost per relabelled frame).

Model (negative log likelihoods, nats). Between frames p and q the labels are either
kept or exchanged; the cost of a link is the mean displacement of the joints seen in
both, over the body's size in the picture, in units of the clip's typical frame motion
(``motion_scale``: the median best link), plus ``flip_cost`` when the detector's labels
flip between p and q. A frame may also link to the frame before the previous one at an
extra ``skip_cost``: a single garbled detection (half its joints swapped, or a limb on
the wrong person) then does not break the chain. A two-state ("as detected",
"exchanged") second-order Viterbi (states are pairs of consecutive frames) finds the
cheapest labelling of the take (``exchanged_frames``); ``SideTracker`` is its causal
form for live capture (the cheapest labelling of the frames so far, decided at each
frame, nothing revised). With the hands tracked, their side votes (``side_check``) are
a per-frame term in the same chain: the continuity says which frames share a side, the
hands which side that is.

Measured (bench/eval_side_track.py): on the rendered sets' sequences, with the truth,
and on every real clip (Pose2Sim cam02's 41-74 and a 4-frame swap in sports2d_walk,
nothing in the other views and clips).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.skeleton import MIRROR_PERMUTATION

_PERM = np.array(MIRROR_PERMUTATION)
#: a link needs this many joints seen in both frames (both labellings)
MIN_JOINTS = 6
#: the motion scale never goes under this (body sizes per frame): a person standing still
MIN_SCALE = 0.003
#: the causal tracker's motion scale is the median of this many recent links
SCALE_WINDOW = 300
#: ... and claims nothing before it has seen this many
MIN_HISTORY = 10


@dataclass(frozen=True)
class SideTrackOptions:
    flip_cost: float = 6.0       # nats a flip of the detector's labels costs
    frame_cost: float = 0.3      # nats each exchanged frame costs (the detector is right
                                 # unless its labels' continuity says otherwise)
    skip_cost: float = 3.0       # nats for linking over one frame (a garbled detection)
    min_visibility: float = 0.5  # joints below this visibility do not count

    def __post_init__(self):
        # (name, low, high, low allowed)
        for name, lo, hi, closed in (("flip_cost", 0.0, 1000.0, False),
                                     ("frame_cost", 0.0, 100.0, True),
                                     ("skip_cost", 0.0, 1000.0, True),
                                     ("min_visibility", 0.0, 1.0, True)):
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and (lo <= v if closed else lo < v) and v <= hi
            if not ok:
                raise ValueError(f"side track {name} must be in {'[' if closed else '('}"
                                 f"{lo:g}, {hi:g}], got {v!r}")


def _seen(keypoints: np.ndarray, visibility: np.ndarray, min_visibility: float) -> np.ndarray:
    kp = np.asarray(keypoints, float)
    vis = np.nan_to_num(np.asarray(visibility, float), nan=0.0)
    return np.isfinite(kp).all(-1) & (vis >= min_visibility)


def links(keypoints: np.ndarray, visibility: np.ndarray, lag: int = 1,
          min_visibility: float = 0.5) -> np.ndarray:
    """(T, 2) for each frame t: the mean displacement of its joints from frame t - lag with
    the labels kept and exchanged, over the body's size (the longer side of the box
    around frame t - lag's joints); NaN where either frame has fewer than ``MIN_JOINTS``
    joints seen in both labellings, and for the first ``lag`` frames."""
    kp = np.asarray(keypoints, float)
    T = len(kp)
    out = np.full((T, 2), np.nan)
    if T <= lag:
        return out
    ok = _seen(kp, visibility, min_visibility)
    a, b = np.nan_to_num(kp[:-lag]), np.nan_to_num(kp[lag:])
    oa, ob = ok[:-lag], ok[lag:]
    lo = np.where(oa[..., None], a, np.inf).min(1)
    hi = np.where(oa[..., None], a, -np.inf).max(1)
    with np.errstate(invalid="ignore"):
        size = (hi - lo).max(-1)
    for col, (bb, mask) in enumerate(((b, oa & ob), (b[:, _PERM], oa & ob[:, _PERM]))):
        d = np.linalg.norm(bb - a, axis=-1)
        n = mask.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(mask, d, 0.0).sum(1) / n / size
        out[lag:, col] = np.where((n >= MIN_JOINTS) & (size > 0), mean, np.nan)
    both = np.isfinite(out[lag:]).all(-1)
    out[lag:][~both] = np.nan
    return out


def _link(p: tuple[np.ndarray, np.ndarray], q: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``links`` for one pair of frames, each (keypoints with NaN as 0, seen mask)."""
    (a, oa), (b, ob) = p, q
    m = np.stack([oa & ob, oa & ob[_PERM]])                        # (2, J)
    n = m.sum(1)
    if n.min() < MIN_JOINTS:
        return np.full(2, np.nan)
    pts = a[oa]
    size = float((pts.max(0) - pts.min(0)).max())
    if size <= 0:
        return np.full(2, np.nan)
    diff = np.stack([b, b[_PERM]]) - a                             # (2, J, 2)
    d = np.sqrt((diff * diff).sum(-1))
    return (d * m).sum(1) / n / size


def motion_scale(link1: np.ndarray) -> float:
    """The typical frame motion (body sizes): the median of each frame's better link."""
    seen = np.isfinite(link1).all(-1)
    best = link1[seen].min(-1)
    return max(float(np.median(best)) if len(best) else MIN_SCALE, MIN_SCALE)


def _step_costs(l1, l2, scale: float, o: SideTrackOptions) -> np.ndarray:
    """(2, 2, 2) cost of frame t in state c after (a, b) at t-2, t-1: the cheaper of the
    link to t-1 and the link over it to t-2 (plus ``skip_cost``)."""
    def pair(link):             # (2, 2): from state x to state y
        keep, flip = (0.0, 0.0) if np.isnan(link).any() else (link[0] / scale,
                                                              link[1] / scale)
        return np.array([[keep, flip + o.flip_cost], [flip + o.flip_cost, keep]])
    return np.minimum(pair(l1)[None, :, :], pair(l2)[:, None, :] + o.skip_cost)


def _unary(T: int, o: SideTrackOptions, hand_evidence) -> np.ndarray:
    """(T, 2) cost of each frame as detected / exchanged."""
    u = np.zeros((T, 2))
    u[:, 1] = o.frame_cost
    if hand_evidence is not None:
        u[:, 1] -= np.nan_to_num(np.asarray(hand_evidence, float), nan=0.0)
    return u


def exchanged_frames(keypoints: np.ndarray, visibility: np.ndarray,
                     options: SideTrackOptions = SideTrackOptions(),
                     hand_evidence: np.ndarray | None = None) -> np.ndarray:
    """(T,) bool: the frames whose left and right labels the detector has exchanged, by
    the cheapest labelling of the whole take. ``hand_evidence``: (T,) log odds from the
    hands that a frame is exchanged (``side_check.swap_evidence``), or None."""
    kp = np.asarray(keypoints, float)
    T = len(kp)
    if T == 0:
        return np.zeros(0, bool)
    l1 = links(kp, visibility, 1, options.min_visibility)
    l2 = links(kp, visibility, 2, options.min_visibility)
    scale = motion_scale(l1)
    unary = _unary(T, options, hand_evidence)
    # state index 2 * s[t-1] + s[t]; frame 0 starts "as detected" before it
    cost = np.full(4, np.inf)
    cost[0], cost[1] = unary[0, 0], unary[0, 1] + options.flip_cost
    back = np.zeros((T, 4), int)
    b_of = np.array([[0, 0], [1, 1]])                    # [b, c] -> b
    for t in range(1, T):
        step = _step_costs(l1[t], l2[t], scale, options)                 # [a, b, c]
        total = cost.reshape(2, 2)[:, :, None] + step + unary[t][None, None, :]
        a = total.argmin(axis=0)                                         # [b, c]
        back[t] = (2 * a + b_of).reshape(4)
        cost = total.min(axis=0).reshape(4)
    state = np.zeros(T, bool)
    s = int(np.argmin(cost))
    for t in range(T - 1, -1, -1):
        state[t] = bool(s & 1)
        s = back[t, s] if t else s
    return state


class SideTracker:
    """The causal labelling, one frame at a time (live capture): ``update`` returns
    whether this frame's left and right labels are exchanged, given the frames so far."""

    def __init__(self, options: SideTrackOptions = SideTrackOptions()):
        self.options = options
        self.reset()

    def reset(self) -> None:
        self._frames: list[tuple[np.ndarray, np.ndarray]] = []   # the last two (kp, seen)
        self._best: list[float] = []
        self._scale = 1.0                   # the median of _best
        self._cost: np.ndarray | None = None

    def update(self, keypoints: np.ndarray, visibility: np.ndarray,
               hand_evidence: float = 0.0) -> bool:
        o = self.options
        kp = np.asarray(keypoints, float)
        finite = np.isfinite(kp)
        seen = finite.all(-1) & (np.asarray(visibility, float) >= o.min_visibility)
        frame = (np.where(finite, kp, 0.0), seen)
        before, self._frames = self._frames, (self._frames + [frame])[-2:]
        vote = float(hand_evidence) if np.isfinite(hand_evidence) else 0.0
        unary = np.array([0.0, o.frame_cost - vote])
        if self._cost is None:
            self._cost = np.array([unary[0], unary[1] + o.flip_cost, np.inf, np.inf])
        else:
            l1 = _link(before[-1], frame)
            l2 = _link(before[-2], frame) if len(before) == 2 else np.full(2, np.nan)
            if np.isfinite(l1).all():
                self._best = (self._best + [float(l1.min())])[-SCALE_WINDOW:]
                self._scale = max(float(np.median(self._best)), MIN_SCALE)
            if len(self._best) < MIN_HISTORY:      # the clip's motion not known yet:
                l1 = l2 = np.full(2, np.nan)        # no evidence either way
            scale = self._scale
            step = _step_costs(l1, l2, scale, o)                 # [a, b, c]
            total = self._cost.reshape(2, 2)[:, :, None] + step + unary[None, None, :]
            new = total.min(axis=0).reshape(4)                   # [b, c]
            self._cost = new - new[np.isfinite(new)].min()
        return bool(min(self._cost[1], self._cost[3]) < min(self._cost[0], self._cost[2]))

    def put_right(self, keypoints: np.ndarray, visibility: np.ndarray, world: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
        """One live frame through the tracker: (2D, visibility, the detector's 3D for the
        lifter, the detector's body as this frame's 3D without a lifter, exchanged). On an
        exchanged frame the labels are put back, the detector's 3D is not given to the
        lifter (it is the body turned the other way: NaN) and, for a take without a
        lifter, is relabelled and reflected in depth (as ``side_check.fix_swaps``)."""
        if not self.update(keypoints, visibility):
            return keypoints, visibility, world, world, False
        return (keypoints[_PERM], visibility[_PERM], np.full_like(world, np.nan),
                world[_PERM] * np.array([1.0, 1.0, -1.0]), True)
