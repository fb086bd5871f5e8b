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
                         finger_bases, finger_local_rotations, hand_layout, LIMITS,
                         palm_frame)
from ..core.pose import PoseSequence
from ..core.rotations import frame_from_axes

_SIDE_NAMES = ("Left", "Right")
#: The palm frame (columns a, u, p) of each hand in the rig's T-pose: fingers along the
#: arm (+X left, -X right), palms down (p = -Y), so the thumbs point forward (+Z).
REST_PALM = {
    "left": np.array([[0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]]),
    "right": np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]),
}
TIP_END = 0.3      # End Site past each tip bone, in lengths of the finger's last bone
TWIST_BLEND_S = 0.3     # a hand lost or found: its twist blends to/from the forearm's
TWIST_SMOOTH_S = 0.05   # Gaussian sigma on the palm's normal (the hand model is noisy)


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


def _smoothstep_left(d: np.ndarray) -> np.ndarray:
    x = np.clip(d / TWIST_BLEND_S, 0.0, 1.0)
    return 1.0 - x * x * (3.0 - 2.0 * x)


def palm_normals(seq: PoseSequence, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per side, the palm's normal (out of the palm) in the take's axes at the output
    times, (2, T_out, 3), and how much to trust it, (2, T_out) in 0..1: 1 where the hand is
    seen, blending to 0 over ``TWIST_BLEND_S`` away from seen frames (both ways), so that
    the hand's twist never snaps. Normals are smoothed over the seen frames
    (``TWIST_SMOOTH_S``) and held from the nearest seen frame across a gap."""
    ts = np.asarray(seq.timestamps, float)
    normals = np.zeros((2, len(query), 3))
    weights = np.zeros((2, len(query)))
    for k, side in enumerate(SIDES):
        x = np.asarray(seq.hands_3d[:, k], float)
        seen = np.all(np.isfinite(x), axis=(-1, -2))
        if not seen.any():
            continue
        idx = np.flatnonzero(seen)
        with np.errstate(invalid="ignore", divide="ignore"):
            n = palm_frame(x[idx], side)[..., 2]                   # (S, 3)
        ok = np.all(np.isfinite(n), axis=-1)
        idx, n = idx[ok], n[ok]
        if not len(idx):
            continue
        tsn = ts[idx]
        smooth = np.empty_like(n)
        for j, t in enumerate(tsn):                                 # Gaussian over seen
            w = np.exp(-0.5 * ((tsn - t) / TWIST_SMOOTH_S) ** 2)
            smooth[j] = w @ n / w.sum()
        # nearest seen frame for every source frame, and the distance to it in time
        pos = np.clip(np.searchsorted(tsn, ts), 0, len(tsn) - 1)
        prev = np.clip(pos - 1, 0, len(tsn) - 1)
        near = np.where(np.abs(tsn[prev] - ts) <= np.abs(tsn[pos] - ts), prev, pos)
        filled = smooth[near]                                       # (T, 3)
        w_src = _smoothstep_left(np.abs(tsn[near] - ts))
        for c in range(3):
            normals[k, :, c] = np.interp(query, ts, filled[:, c])
        weights[k] = np.interp(query, ts, w_src)
    return normals, weights


def twist_hands_to_palms(g: np.ndarray, normals: np.ndarray, weights: np.ndarray,
                         hand_bones: tuple[int, int], rest_frames: np.ndarray) -> np.ndarray:
    """The body's hand bones (T, N, 3, 3 world rotations) turned about their own aim so
    that the palm faces where the hand model sees it (weights 0: the forearm's twist, as
    the body alone gives; in between, that share of the turn from the forearm's twist to
    the palm's). The aim, so every bone head, stays where it was."""
    g = g.copy()
    for k, side in enumerate(SIDES):
        b = hand_bones[k]
        frame = g[:, b] @ rest_frames[b]                 # columns: aim, hinge, third
        aim, hinge = frame[..., 0], frame[..., 1]
        # the hand's secondary axis is the back of the hand on the left, the palm on the
        # right (REST_PALM: p = -Y; the left hand's rest frame has +Y, the right's -Y)
        palm_side = (-1.0 if side == "left" else 1.0) * normals[k]
        # the twist about the aim from the forearm's hinge to the palm, unwrapped over
        # time, and a share ``weights`` of it: a blend along the arc, never through zero
        palm_side = palm_side - np.sum(palm_side * aim, -1, keepdims=True) * aim
        phi = np.arctan2(np.sum(aim * np.cross(hinge, palm_side), -1),
                         np.sum(hinge * palm_side, -1))
        usable = (np.linalg.norm(palm_side, axis=-1) > 1e-6) & (weights[k] > 0)
        if not usable.any():
            continue
        phi[~usable] = 0.0
        phi = np.unwrap(phi) * weights[k]
        c, s_ = np.cos(phi)[:, None], np.sin(phi)[:, None]
        secondary = c * hinge + s_ * np.cross(aim, hinge)      # hinge turned about the aim
        f = frame_from_axes(aim[usable], secondary[usable], 0, 1)
        g[usable, b] = f @ rest_frames[b].T
    return g
