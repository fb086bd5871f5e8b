"""A puppet take with hands whose finger angles are known (test helper)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from mocap_app.core.hand import LIMITS, NEUTRAL, SIDES, default_layout, hand_from_angles
from mocap_app.core.pose import PoseSequence

from .puppet import puppet_sequence


def known_finger_angles(n: int) -> np.ndarray:
    """(n, 2, 5, 4): every finger curling and spreading at its own pace, inside the
    limits (a quarter of the way in from each end)."""
    t = np.arange(n)[:, None, None, None]
    phase = np.arange(2 * 5 * 4).reshape(1, 2, 5, 4) * 0.7
    lo, hi = LIMITS[..., 0], LIMITS[..., 1]
    mid, half = (lo + hi) / 2, (hi - lo) / 4
    return mid + half * np.sin(2 * np.pi * t / 40.0 + phase)


def puppet_with_hands(n: int = 60, fps: float = 30.0, turns: float = 0.25,
                      unseen: slice | None = None) -> tuple[PoseSequence, np.ndarray]:
    """The puppet, with hand landmarks built from ``known_finger_angles`` in a turning
    palm frame (angles are intrinsic: the frame must not matter); a right hand not seen
    in ``unseen``. Returns the take and the angles."""
    seq = puppet_sequence(n, fps=fps, turns=turns)
    angles = known_finger_angles(n)
    rng = np.random.default_rng(5)
    hands = np.empty((n, 2, 21, 3))
    for k, side in enumerate(SIDES):
        bases, lengths = default_layout(side)
        q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        frame = q * np.linalg.det(q)
        hands[:, k] = hand_from_angles(angles[:, k], side, bases, lengths, frame)
    if unseen is not None:
        hands[unseen, 1] = np.nan
        angles = angles.copy()
        angles[unseen, 1] = NEUTRAL
    return replace(seq, hands_3d=hands, hands_2d=np.zeros((n, 2, 21, 2))), angles
