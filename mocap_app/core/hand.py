"""The hand, defined once: MediaPipe's 21 landmarks, the five finger chains, the palm's
frame, and finger joint angles to and from 3D landmarks. Numpy only.

A finger has four angles (radians), ``[spread, flex1, flex2, flex3]``:

- ``spread``: the first bone turned towards the thumb (positive) or away from it, about
  the palm's normal;
- ``flex1``, ``flex2``, ``flex3``: each bone bent towards the palm (positive) about its
  own side axis (MCP, PIP, DIP; for the thumb CMC, MCP, IP).

Angles live in the palm's frame (``palm_frame``): columns ``a`` (across the palm, a x u),
``u`` (wrist -> middle knuckle) and ``p`` (out of the palm). The thumb works in its own
base frame (``THUMB_BASE``): turned ``THUMB_SPLAY`` towards the thumb side and rolled
``THUMB_ROLL`` so that its flexion bends it across the palm. Left and right hands use
mirrored frames (``SIDE_SIGN``), so a pose and its mirror image give the same angles.

The rotation of finger bone ``k`` relative to its parent, in the palm's axes, is
``B @ R_k @ B.T`` with ``B`` the finger's base (identity for the four fingers) and
``R_1 = Rx(flex1) @ Rz(-sign * spread)``, ``R_2 = Rx(flex2)``, ``R_3 = Rx(flex3)``.
"""
from __future__ import annotations

import numpy as np

NUM_HAND_LANDMARKS = 21
FINGERS: tuple[str, ...] = ("thumb", "index", "middle", "ring", "pinky")
#: Landmarks of each finger's chain: its three joints and its tip (MediaPipe's order).
FINGER_CHAINS: tuple[tuple[int, int, int, int], ...] = (
    (1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
HAND_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15,
                                 0, 17, 18, 19)
WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17
TIPS: tuple[int, ...] = (4, 8, 12, 16, 20)
SIDES: tuple[str, ...] = ("left", "right")
#: +1 for the right hand, -1 for the left: the palm frame's ``a`` axis points to the
#: thumb on a right hand and away from it on a left one.
SIDE_SIGN = {"left": -1.0, "right": 1.0}

THUMB_SPLAY = np.radians(45.0)   # thumb's rest direction from the middle finger's
THUMB_ROLL = np.radians(45.0)    # thumb's flexion plane rolled from the palm's normal


def _rx(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def _rz(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def thumb_base(side: str) -> np.ndarray:
    """(3, 3) the thumb's base frame in the palm frame's axes (columns a_t, u_t, p_t)."""
    sg = SIDE_SIGN[side]
    a, r = THUMB_SPLAY, THUMB_ROLL
    u = np.array([sg * np.sin(a), np.cos(a), 0.0])
    m = np.array([-sg * np.cos(a), np.sin(a), 0.0])         # in the palm, towards the fingers
    p = np.cos(r) * np.array([0.0, 0.0, 1.0]) + np.sin(r) * m
    return np.stack([np.cross(u, p), u, p], axis=1)


def finger_bases(side: str) -> np.ndarray:
    """(5, 3, 3) each finger's base frame in the palm's axes."""
    out = np.broadcast_to(np.eye(3), (5, 3, 3)).copy()
    out[0] = thumb_base(side)
    return out


def palm_frame(landmarks: np.ndarray, side: str) -> np.ndarray:
    """(..., 3, 3) the palm's frame (columns a, u, p) from (..., 21, 3) landmarks in any
    right-handed axes. NaN where the landmarks are NaN."""
    x = np.asarray(landmarks, float)
    u = x[..., MIDDLE_MCP, :] - x[..., WRIST, :]
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    lat = x[..., INDEX_MCP, :] - x[..., PINKY_MCP, :]        # towards the thumb
    lat = lat - np.sum(lat * u, axis=-1, keepdims=True) * u
    lat = lat / np.linalg.norm(lat, axis=-1, keepdims=True)
    a = SIDE_SIGN[side] * lat
    p = np.cross(a, u)
    return np.stack([a, u, p], axis=-1)


def finger_local_rotations(angles: np.ndarray, side: str) -> np.ndarray:
    """(..., 5, 3, 3, 3): per finger, the three bones' rotations relative to their parents
    (the first relative to the palm), in the palm frame's axes, from (..., 5, 4) angles."""
    ang = np.asarray(angles, float)
    sg = SIDE_SIGN[side]
    r1 = _rx(ang[..., 1]) @ _rz(-sg * ang[..., 0])
    r = np.stack([r1, _rx(ang[..., 2]), _rx(ang[..., 3])], axis=-3)   # (..., 5, 3, 3, 3)
    b = finger_bases(side)[:, None]                                   # (5, 1, 3, 3)
    return b @ r @ np.swapaxes(b, -1, -2)


def finger_angles(landmarks: np.ndarray, side: str) -> np.ndarray:
    """(..., 5, 4) finger angles (radians) from (..., 21, 3) landmarks of a ``side`` hand.
    Only directions count: the result does not depend on the hand's size or place."""
    x = np.asarray(landmarks, float)
    sg = SIDE_SIGN[side]
    h = palm_frame(x, side)                                       # (..., 3, 3)
    bases = finger_bases(side)
    out = np.empty(x.shape[:-2] + (5, 4))
    for f, chain in enumerate(FINGER_CHAINS):
        frame = h @ bases[f]
        for k in range(3):
            v = x[..., chain[k + 1], :] - x[..., chain[k], :]
            v = np.einsum("...ji,...j->...i", frame, v)           # in the bone's frame
            v = v / np.linalg.norm(v, axis=-1, keepdims=True)
            flex = np.arctan2(v[..., 2], v[..., 1])
            if k == 0:
                spread = np.arcsin(np.clip(sg * v[..., 0], -1.0, 1.0))
                out[..., f, 0] = spread
                step = _rx(flex) @ _rz(-sg * spread)
            else:
                step = _rx(flex)
            out[..., f, k + 1] = flex
            frame = frame @ step
    return out


def hand_from_angles(angles: np.ndarray, side: str, bases: np.ndarray,
                     lengths: np.ndarray, frame: np.ndarray | None = None,
                     wrist: np.ndarray | None = None) -> np.ndarray:
    """Forward kinematics of a hand: (..., 21, 3) landmarks from (..., 5, 4) angles.

    ``bases`` (5, 3): each chain's first joint in the palm frame (a, u, p), relative to
    the wrist; ``lengths`` (5, 3): each finger's three bone lengths; ``frame`` (..., 3, 3)
    the palm frame in the output axes (identity: palm-frame coordinates); ``wrist`` its
    position."""
    ang = np.asarray(angles, float)
    lead = ang.shape[:-2]
    h = np.broadcast_to(np.eye(3) if frame is None else frame, lead + (3, 3))
    w = np.zeros(lead + (3,)) if wrist is None else np.broadcast_to(wrist, lead + (3,))
    local = finger_local_rotations(ang, side)                    # (..., 5, 3, 3, 3)
    fb = finger_bases(side)
    out = np.empty(lead + (21, 3))
    out[..., WRIST, :] = w
    for f, chain in enumerate(FINGER_CHAINS):
        pos = w + np.einsum("...ij,j->...i", h, bases[f])
        out[..., chain[0], :] = pos
        rot = np.asarray(h)
        for k in range(3):
            rot = rot @ local[..., f, k, :, :]
            pos = pos + lengths[f, k] * np.einsum("...ij,j->...i", rot, fb[f][:, 1])
            out[..., chain[k + 1], :] = pos
    return out


def hand_layout(landmarks: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """The rest hand of a take from (T, 21, 3) landmarks (NaN frames ignored): each
    chain's first joint in the palm frame with the palm flattened (p = 0), and the bone
    lengths, both medians. Raises ValueError when no frame has a hand."""
    x = np.asarray(landmarks, float)
    ok = np.all(np.isfinite(x), axis=(-1, -2))
    if not ok.any():
        raise ValueError("no frame with this hand")
    x = x[ok]
    h = palm_frame(x, side)
    rel = np.einsum("tji,tkj->tki", h, x - x[:, :1])              # (T, 21, 3) palm frame
    bases = np.median(rel[:, [c[0] for c in FINGER_CHAINS]], axis=0)
    bases[:, 2] = 0.0
    lengths = np.empty((5, 3))
    for f, chain in enumerate(FINGER_CHAINS):
        for k in range(3):
            lengths[f, k] = np.median(np.linalg.norm(x[:, chain[k + 1]] - x[:, chain[k]],
                                                     axis=-1))
    return bases, lengths


def _deg(rows) -> np.ndarray:
    return np.radians(np.array(rows, float))


#: A relaxed hand (spread, flex1, flex2, flex3 per finger): what a hand that is not seen
#: is held at, and what the rig's hands drift to while the hand model is blind.
NEUTRAL = _deg([[10, 10, 10, 10], [5, 15, 20, 10], [-5, 20, 25, 12], [-12, 25, 28, 14],
                [-20, 30, 30, 15]])
#: Anatomical limits, (5, 4, 2) low/high. Flexions: the middle and end joints bend
#: backwards by 10 degrees at most, the knuckles by 20 (passive hyperextension; MediaPipe's
#: open hands show the end joints 5-13 degrees back), the thumb's MCP and IP by 30 and 20.
#: Spread is measured from the wrist -> middle knuckle line, not from each finger's own
#: metacarpal, so the ring and little fingers' ranges sit on the little-finger side (their
#: metacarpals fan out 8 and 16 degrees), and a curled finger's spread takes up some of the
#: knuckle's obliquity (MediaPipe's fists lean 25-40 degrees towards the little finger).
LIMITS = np.stack([
    _deg([[-40, 40], [-30, 60], [-30, 70], [-20, 85]]),     # thumb (CMC, MCP, IP)
    _deg([[-40, 35], [-20, 95], [-10, 110], [-10, 85]]),    # index
    _deg([[-35, 25], [-20, 95], [-10, 110], [-10, 85]]),    # middle
    _deg([[-45, 25], [-20, 95], [-10, 110], [-10, 85]]),    # ring
    _deg([[-60, 25], [-20, 95], [-10, 110], [-10, 85]]),    # pinky
])
#: Where a hand is not measured (no take data): an adult hand in the palm frame, metres.
DEFAULT_BASES = np.array([[0.025, 0.025, 0.0], [0.022, 0.090, 0.0], [0.0, 0.090, 0.0],
                          [-0.018, 0.085, 0.0], [-0.034, 0.078, 0.0]])
DEFAULT_LENGTHS = np.array([[0.040, 0.032, 0.028], [0.042, 0.025, 0.022],
                            [0.046, 0.028, 0.024], [0.043, 0.027, 0.023],
                            [0.034, 0.020, 0.020]])


def default_layout(side: str) -> tuple[np.ndarray, np.ndarray]:
    """``DEFAULT_BASES`` (given for a right hand) and ``DEFAULT_LENGTHS`` for ``side``."""
    bases = DEFAULT_BASES.copy()
    bases[:, 0] *= SIDE_SIGN[side]
    return bases, DEFAULT_LENGTHS.copy()
