"""BVH export: the retargeted take written as a BVH that Blender, MotionBuilder and the
Mixamo-style retargeting tools import as it is.

File conventions: Y up, the character faces +Z with its left hand towards +X, lengths in
centimetres by default (``ExportOptions.unit``), the rest pose is a T-pose, the root
(Hips) has OFFSET 0 0 0 and six channels ``Xposition Yposition Zposition Zrotation
Xrotation Yrotation`` holding its absolute position, every other joint three channels
``Zrotation Xrotation Yrotation`` (R = Rz @ Rx @ Ry, degrees), ``Frame Time`` with 8
decimals from the take's real frame rate. Reading uses ``core.bvh`` (``read_bvh``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.bvh import BVHJoint, BVHMotion, read_bvh, write_bvh_file  # noqa: F401 (re-export)
from ..core.pose import PoseSequence
from .options import ExportOptions
from .retarget import Retargeted, retarget

ROOT_CHANNELS = ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"]
JOINT_CHANNELS = ["Zrotation", "Xrotation", "Yrotation"]


def retargeted_to_bvh(r: Retargeted) -> BVHMotion:
    """BVHMotion of a retargeted take (leaf bones get an End Site)."""
    joints = []
    has_child = {p for p in r.parents if p >= 0}
    for b, (name, parent) in enumerate(zip(r.names, r.parents)):
        joints.append(BVHJoint(
            name, parent, np.array(r.offsets[b], float),
            list(ROOT_CHANNELS if parent < 0 else JOINT_CHANNELS),
            None if b in has_child else np.array(r.end_sites[b], float)))
    t, n = r.local_euler.shape[:2]
    motion = np.empty((t, 3 + 3 * n))
    motion[:, :3] = r.root_positions
    motion[:, 3:] = r.local_euler.reshape(t, 3 * n)
    return BVHMotion(joints, r.frame_time, motion)


def write_bvh(seq: PoseSequence, path: str | os.PathLike,
              options: ExportOptions = ExportOptions(),
              progress: Callable[[float], None] | None = None) -> Path:
    """Write a take as BVH (atomically) and return the path."""
    path = Path(path)
    if progress:
        progress(0.0)
    r = retarget(seq, options)
    if progress:
        progress(0.6)
    write_bvh_file(retargeted_to_bvh(r), path)
    if progress:
        progress(1.0)
    return path
