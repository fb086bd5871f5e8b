"""Finger bones on the rig: fifteen joints and five tips per hand, Mixamo's names
(``LeftHandThumb1..4``, ``LeftHandIndex1..4``, ... ; ``LeftHandMiddle1`` is the body
rig's own hand-end bone, now the middle finger's first bone).

The rest pose is the rig's T-pose with the fingers straight along the hand and the thumb
splayed (``core.hand.THUMB_SPLAY``): knuckles where the take's hands put them (medians in
the palm's frame, the palm flattened), scaled so that the middle knuckle lands on the
body's ``HandMiddle1``. The fingers turn relative to the hand bone, whose rotation comes
from the body: each bone's rotation relative to its parent is the finger angles' rotation
(``core.hand.finger_local_rotations``) carried from the palm's axes into the rig's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.hand import (FINGERS, NEUTRAL, SIDES, default_layout, finger_angles,
                         finger_bases, finger_local_rotations, hand_layout, LIMITS)
from ..core.pose import PoseSequence

_SIDE_NAMES = ("Left", "Right")
#: The palm frame (columns a, u, p) of each hand in the rig's T-pose: fingers along the
#: arm (+X left, -X right), palms down (p = -Y), so the thumbs point forward (+Z).
REST_PALM = {
    "left": np.array([[0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]]),
    "right": np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]),
}
TIP_END = 0.3      # End Site past each tip bone, in lengths of the finger's last bone


def finger_bone_names(side_name: str) -> list[list[str]]:
    """Per finger, the four bones' canonical names (joints 1-3 and the tip 4)."""
    return [[f"{side_name}Hand{f.capitalize()}{k}" for k in range(1, 5)] for f in FINGERS]


@dataclass(frozen=True)
class FingerRig:
    """The finger bones added after the body's ``first`` bones."""
    names: tuple[str, ...]          # canonical names of the added bones
    parents: tuple[int, ...]        # parent indices (body + finger bones)
    offsets: np.ndarray             # (F, 3) metres, rest offsets from the parents
    end_sites: np.ndarray           # (F, 3) metres (tips only)
    angles: np.ndarray              # (T, 2, 5, 4) radians on the output frames
    hand_bones: tuple[int, int]     # the body's LeftHand, RightHand
    chains: np.ndarray              # (2, 5, 4) bone index of each finger's 1..4


def _angles_on_output(seq: PoseSequence, query: np.ndarray) -> np.ndarray:
    """(T_out, 2, 5, 4): the take's finger angles at the output times. A take whose
    angles were not made (``pipeline.fingers.add_finger_angles``) gets its raw angles
    clamped to the limits and the relaxed hand where unseen, without smoothing."""
    ang = seq.finger_angles
    if ang is None:
        ang = np.full(seq.hands_3d.shape[:2] + (5, 4), np.nan)
        for k, side in enumerate(SIDES):
            with np.errstate(invalid="ignore", divide="ignore"):
                ang[:, k] = finger_angles(seq.hands_3d[:, k], side)
        ang = np.clip(ang, LIMITS[..., 0], LIMITS[..., 1])
        ang = np.where(np.isfinite(ang), ang, NEUTRAL)
    ts = np.asarray(seq.timestamps, float)
    flat = np.asarray(ang, float).reshape(len(ts), -1)
    out = np.empty((len(query), flat.shape[1]))
    for c in range(flat.shape[1]):
        out[:, c] = np.interp(query, ts, flat[:, c])
    return out.reshape((len(query),) + ang.shape[1:])


def finger_rig(seq: PoseSequence, body_bones: tuple[str, ...], body_offsets: np.ndarray,
               query: np.ndarray) -> FingerRig:
    """The finger bones for a take with hands, after ``body_bones`` (canonical names)."""
    index = {n: i for i, n in enumerate(body_bones)}
    names, parents, offsets, ends = [], [], [], []
    chains = np.zeros((2, 5, 4), int)
    for k, (side, side_name) in enumerate(zip(SIDES, _SIDE_NAMES)):
        try:
            bases, lengths = hand_layout(seq.hands_3d[:, k], side)
        except ValueError:
            bases, lengths = default_layout(side)
        middle = index[side_name + "HandMiddle1"]
        span = float(np.linalg.norm(body_offsets[middle]))
        scale = span / bases[2, 1] if bases[2, 1] > 1e-6 else 1.0
        palm = REST_PALM[side]
        fb = finger_bases(side)
        for f, bone_names in enumerate(finger_bone_names(side_name)):
            direction = palm @ fb[f][:, 1]
            for j, name in enumerate(bone_names):
                if name in index:                       # HandMiddle1: the body's bone
                    chains[k, f, j] = index[name]
                    continue
                chains[k, f, j] = len(body_bones) + len(names)
                names.append(name)
                if j == 0:
                    parents.append(index[side_name + "Hand"])
                    offsets.append(scale * palm @ bases[f])
                else:
                    parents.append(int(chains[k, f, j - 1]))
                    offsets.append(scale * lengths[f, j - 1] * direction)
                ends.append(TIP_END * scale * lengths[f, 2] * direction if j == 3
                            else np.zeros(3))
    return FingerRig(tuple(names), tuple(parents), np.array(offsets), np.array(ends),
                     _angles_on_output(seq, query),
                     (index["LeftHand"], index["RightHand"]), chains)


def finger_world_rotations(g_body: np.ndarray, angles: np.ndarray, rig: FingerRig
                           ) -> np.ndarray:
    """(T, N_body + F, 3, 3): the body's world rotations with the fingers' added (and the
    HandMiddle1 bone turned as the middle finger's first joint)."""
    t = len(g_body)
    g = np.concatenate([g_body, np.zeros((t, len(rig.names), 3, 3))], axis=1)
    for k, side in enumerate(SIDES):
        palm = REST_PALM[side]
        local = finger_local_rotations(angles[:, k], side)        # (T, 5, 3, 3, 3)
        local = palm @ local @ palm.T                               # palm -> rig axes
        hand = g_body[:, rig.hand_bones[k]]
        for f in range(5):
            rot = hand
            for j in range(3):
                rot = rot @ local[:, f, j]
                g[:, rig.chains[k, f, j]] = rot
            g[:, rig.chains[k, f, 3]] = rot                        # the tip: its parent's
    return g
