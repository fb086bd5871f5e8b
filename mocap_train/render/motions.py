"""Which stretch of motion an item renders: any (weighted by length, ``generate``'s
default), or only stretches like the Pose2Sim take's ("take-like").

The Pose2Sim take (a man lunging and hopping sideways, arms flung wide) is where the
lifter's 3D stays furthest from its rendered-test figures (models/LIFTER_CARD.md). The
rendered test split is mostly calmer motion. A take-like stretch holds, like that take:

- an arm raised: in at least ``ARM_UP_SHARE`` of its frames the higher upper arm is at
  least ``ARM_UP_DEG`` from hanging (the take, triangulated: 93 % of its frames with an
  arm 30-120 degrees up, the higher arm 61 degrees on average);
- a wide stance: the ankles on average at least ``STANCE`` hip-to-ankle lengths apart
  (the take: 0.67).

The thresholds are the take's, loosened; nothing is fitted to its poses.
"""
from __future__ import annotations

import numpy as np

from mocap_app.core.skeleton import J

from ..augment import arm_elevation

ARM_UP_DEG = 40.0
ARM_UP_SHARE = 0.8
STANCE = 0.45


def frame_measures(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For poses (F, J, 3) in any axes: (F,) whether the higher upper arm is at least
    ``ARM_UP_DEG`` from hanging, and (F,) how far apart the ankles are in hip-to-ankle
    lengths (the mean of both legs')."""
    p = np.asarray(joints, np.float64)
    arm_up = arm_elevation(p).max(axis=1) >= ARM_UP_DEG
    leg = 0.5 * sum(np.linalg.norm(p[:, J[f"{s}_hip"]] - p[:, J[f"{s}_ankle"]], axis=-1)
                    for s in ("left", "right"))
    feet = np.linalg.norm(p[:, J["left_ankle"]] - p[:, J["right_ankle"]], axis=-1)
    return arm_up, feet / np.maximum(leg, 1e-9)


def _starts(arm_up: np.ndarray, stance: np.ndarray, frames: int) -> np.ndarray:
    if len(arm_up) < frames:
        return np.zeros(0, np.int64)
    def mean(x):            # the mean of every stretch of ``frames`` frames
        c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
        return (c[frames:] - c[:-frames]) / frames
    up, wide = mean(arm_up), mean(stance)
    return np.flatnonzero((up >= ARM_UP_SHARE - 1e-9) & (wide >= STANCE))


def take_like_starts(joints: np.ndarray, frames: int) -> np.ndarray:
    """Starts of the take-like stretches of ``frames`` frames in a clip (F, J, 3)."""
    if frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    return _starts(*frame_measures(joints), frames)


class TakeLike:
    """Draws take-like stretches from a list of clips (each with ``.joints``); the
    measures of every clip are computed once."""

    def __init__(self, clips: list):
        self.clips = clips
        self._measures = [frame_measures(c.joints) for c in clips]

    def starts(self, frames: int) -> list[np.ndarray]:
        return [_starts(arm_up, stance, frames) for arm_up, stance in self._measures]

    def pick(self, rng: np.random.Generator, frames: int):
        """(clip, start, frames): a take-like stretch drawn uniformly among all of them.
        Shorter stretches are tried when no clip holds one of ``frames`` frames."""
        n = frames
        while n >= 1:
            starts = self.starts(n)
            counts = np.array([len(s) for s in starts], np.float64)
            if counts.sum() > 0:
                k = int(rng.choice(len(starts), p=counts / counts.sum()))
                return self.clips[k], int(starts[k][rng.integers(0, len(starts[k]))]), n
            n //= 2
        raise ValueError("no take-like stretch in these clips")
