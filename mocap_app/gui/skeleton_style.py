"""Colours shared by the 2D overlay and the 3D view: the performer's left in blue, right
in orange-red, the centre line in light grey (animation tools' usual convention)."""
from __future__ import annotations

from ..core.skeleton import BONES, JOINT_NAMES, LEFT_JOINTS, RIGHT_JOINTS

LEFT_RGB = (0.25, 0.55, 1.0)
RIGHT_RGB = (1.0, 0.35, 0.2)
CENTRE_RGB = (0.85, 0.85, 0.85)


def side_of(joint: int) -> str:
    if joint in LEFT_JOINTS:
        return "left"
    if joint in RIGHT_JOINTS:
        return "right"
    return "centre"


def bone_side(bone: tuple[int, int]) -> str:
    """A bone takes the side of its child joint (a shoulder bone is the arm's side)."""
    return side_of(bone[1])


def side_rgb(side: str) -> tuple[float, float, float]:
    return {"left": LEFT_RGB, "right": RIGHT_RGB}.get(side, CENTRE_RGB)


BONE_SIDES = tuple(bone_side(b) for b in BONES)
JOINT_SIDES = tuple(side_of(j) for j in range(len(JOINT_NAMES)))
