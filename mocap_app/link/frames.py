"""Poses as the live link sends them: the rig's world rotations (from the T-pose rest),
the Hips position and the rest offsets, in the bone order of the message format
(``blender_addon/wire.py``). Made from a whole take (the BVH export's own retargeting, so
a stream and a BVH of the same frames pose a rig identically) or one live pose at a time.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..core.pose import PoseSequence
from ..core.skeleton import J
from ..export.options import ExportOptions
from ..export.retarget import build_rig, forward_kinematics, retarget
from ..export.retarget import BONES as RIG_BONES
from .blender_addon.wire import BONES, NUM_BONES, PARENTS
from .one_pose import OnePoseRig

#: index in the export rig of each bone of the message format
_RIG_INDEX = np.array([RIG_BONES.index(b) for b in BONES])


@dataclass(frozen=True)
class LinkFrame:
    """One pose to send. Metres, app axes (Y up, the performer faces +Z)."""
    timestamp: float              # seconds from the start of the stream (capture time)
    world_rotations: np.ndarray   # (NUM_BONES, 3, 3) from the T-pose rest, wire order
    root: np.ndarray              # (3,) world position of the Hips
    offsets: np.ndarray           # (NUM_BONES, 3) rest offset from the wire parent
    root_tracked: bool = True     # False: the Hips stand at their rest height, in place

    def positions(self) -> np.ndarray:
        """World heads (NUM_BONES, 3): forward kinematics in wire order."""
        pos = np.zeros((NUM_BONES, 3))
        pos[0] = self.root
        for b, p in enumerate(PARENTS):
            if p >= 0:
                pos[b] = pos[p] + self.world_rotations[p] @ self.offsets[b]
        return pos

    def local_rotations(self) -> np.ndarray:
        """(NUM_BONES, 3, 3) rotation of each bone relative to its wire parent."""
        g = self.world_rotations
        local = g.copy()
        for b, p in enumerate(PARENTS):
            if p >= 0:
                local[b] = g[p].T @ g[b]
        return local


def wire_offsets(rig_offsets: np.ndarray) -> np.ndarray:
    """Rest offsets (NUM_BONES, 3) between the message format's parent and child, from
    the export rig's offsets (its bone list may hold more bones than the format)."""
    n = len(RIG_BONES)
    heads = forward_kinematics(np.zeros((1, 3)), np.broadcast_to(np.eye(3), (1, n, 3, 3)),
                               rig_offsets)[0][_RIG_INDEX]
    out = np.zeros((NUM_BONES, 3))
    for b, p in enumerate(PARENTS):
        if p >= 0:
            out[b] = heads[b] - heads[p]
    return out


def take_frames(seq: PoseSequence, root_motion: str = "world") -> list[LinkFrame]:
    """A recorded take as the stream sends it: exactly the poses ``write_bvh`` writes with
    the same options in metres (frame k at k / fps seconds)."""
    r = retarget(seq, ExportOptions(unit="m", root_motion=root_motion))
    offsets = wire_offsets(r.offsets)
    g = r.world_rotations[:, _RIG_INDEX]
    return [LinkFrame(k / r.fps, g[k], r.root_positions[k], offsets)
            for k in range(len(g))]


class LiveRetargeter:
    """One live pose at a time onto the rig. The rig (bone lengths, T-pose rest) is
    fitted to the first ``fit_frames`` poses with a person and then kept, so the bones
    keep their lengths for the rest of the stream. Live poses are pelvis-relative: the
    Hips stand at the rig's rest height, in place, unless a root position is given."""

    def __init__(self, fit_frames: int = 60):
        self.fit_frames = fit_frames
        self._fit: deque = deque(maxlen=fit_frames)
        self.rig = None
        self._one = None
        self._offsets = None
        self._hips_height = 0.0

    def frame(self, joints: np.ndarray | None, timestamp: float,
              root: np.ndarray | None = None) -> LinkFrame | None:
        """The frame to send for one pose (J, 3), or None when nobody is seen."""
        if joints is None:
            return None
        x = np.asarray(joints, float)
        if x.shape != (len(J), 3) or not np.isfinite(x).all():
            return None
        x = x - x[J["pelvis"]]
        if self.rig is None or len(self._fit) < self.fit_frames:
            self._fit.append(x)
            self.rig = build_rig(np.stack(self._fit))
            self._one = OnePoseRig(self.rig)
            self._offsets = wire_offsets(self.rig.offsets)
            rest = self.rig.rest_joints
            feet = [J[s + n] for s in ("left_", "right_") for n in ("ankle", "heel", "toe")]
            self._hips_height = float(rest[J["pelvis"], 1] - rest[feet, 1].min())
        g = self._one.world_rotations(x)[_RIG_INDEX]
        tracked = root is not None and np.isfinite(root).all()
        where = np.asarray(root, float) if tracked else np.array([0.0, self._hips_height, 0.0])
        return LinkFrame(float(timestamp), g, where, self._offsets, bool(tracked))
