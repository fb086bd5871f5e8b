"""A rolled camera's picture, levelled: the lifter learned from level cameras (the renders
+-5 degrees of roll, projected mocap +-4), and on Pose2Sim its two rolled views were its
worst; lifted levelled, with the answer turned back, they were not (models/LIFTER_CARD.md,
"Camera roll"). No torch here: the settings check it before any work starts."""
from __future__ import annotations

import numpy as np

#: The picture tilts ``Lifter`` levels, degrees.
MAX_TILT_DEG = 90.0


def check_tilt(tilt_deg: float) -> float:
    """A picture tilt in degrees, checked: finite and within +-``MAX_TILT_DEG``."""
    t = float(tilt_deg)
    if not np.isfinite(t) or abs(t) > MAX_TILT_DEG:
        raise ValueError(f"camera tilt must be between -{MAX_TILT_DEG:g} and {MAX_TILT_DEG:g} "
                         f"degrees, got {tilt_deg!r}")
    return t


def picture_tilt(R: np.ndarray, world_up) -> float:
    """How far the world's vertical leans in a calibrated camera's picture: the tilt
    ``levelled`` undoes, degrees clockwise. ``R`` (3, 3) world -> camera (x right, y down,
    z forward); ``world_up`` the world's up axis."""
    up = np.asarray(R, dtype=np.float64) @ np.asarray(world_up, dtype=np.float64)
    return float(np.degrees(np.arctan2(up[0], -up[1])))


def levelled(kp: np.ndarray, world: np.ndarray | None, image_size, tilt_deg: float):
    """Keypoints (T, J, 2) turned about the picture's centre by -``tilt_deg`` (so the
    world's vertical stands upright), the detector's 3D (T, J, 3, app axes) turned with
    them about the camera's axis, and the (3, 3) turn that takes app-axes answers of the
    levelled picture back to the camera's axes. A camera rolled by that angle about its
    optical axis sees exactly this (the picture's y points down, the app's up)."""
    a = np.radians(-tilt_deg)
    c, s = np.cos(a), np.sin(a)
    centre = 0.5 * np.asarray(image_size, dtype=np.float64)
    kp = (kp - centre) @ np.array([[c, -s], [s, c]]).T + centre
    to_level = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    if world is not None:
        world = np.asarray(world, dtype=np.float64) @ to_level.T
    return kp, world, to_level.T
