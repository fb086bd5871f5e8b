"""Hand-built poses for known-answer tests (app axes: metres, Y up, facing +Z, the
person's left towards +X)."""
import numpy as np

from mocap_app.core.skeleton import J, MIRROR_PERMUTATION, NUM_JOINTS

_PERM = list(MIRROR_PERMUTATION)

_REST = {
    "pelvis": (0, 0, 0), "spine": (0, 0.25, 0), "neck": (0, 0.5, 0), "head": (0, 0.65, 0),
    "nose": (0, 0.63, 0.1), "left_ear": (0.075, 0.65, 0), "right_ear": (-0.075, 0.65, 0),
    "left_shoulder": (0.18, 0.5, 0), "left_elbow": (0.18, 0.21, 0.02),
    "left_wrist": (0.18, -0.03, 0.10), "left_hand": (0.18, -0.11, 0.12),
    "right_shoulder": (-0.18, 0.5, 0), "right_elbow": (-0.18, 0.21, 0.02),
    "right_wrist": (-0.18, -0.03, 0.10), "right_hand": (-0.18, -0.11, 0.12),
    "left_hip": (0.1, 0, 0), "left_knee": (0.1, -0.42, 0.03), "left_ankle": (0.1, -0.82, -0.02),
    "left_heel": (0.1, -0.88, -0.07), "left_toe": (0.1, -0.89, 0.14),
    "right_hip": (-0.1, 0, 0), "right_knee": (-0.1, -0.42, 0.03),
    "right_ankle": (-0.1, -0.82, -0.02), "right_heel": (-0.1, -0.88, -0.07),
    "right_toe": (-0.1, -0.89, 0.14),
}


def rest_pose() -> np.ndarray:
    """(25, 3) standing pose, arms down with elbows slightly bent forward, knees slightly
    bent (both legal), pelvis at the origin, heels/toes about 0.88 m below it."""
    p = np.zeros((NUM_JOINTS, 3))
    for name, xyz in _REST.items():
        p[J[name]] = xyz
    return p


def rot_y(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def rot_x(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def walking_2d(T=120, seed=0):
    """(T, J, 2) pixels of a person seen from the front drifting across the picture with
    swinging arms, plus small detector noise; visibility 0.9."""
    rng = np.random.default_rng(seed)
    rest = rest_pose()[:, :2] * np.array([300.0, -300.0]) + np.array([320.0, 300.0])
    t = np.arange(T)[:, None]
    kp = np.repeat(rest[None], T, axis=0)
    kp[..., 0] += 1.5 * t                                    # drifts 1.5 px a frame
    swing = 25.0 * np.sin(2 * np.pi * np.arange(T) / 40.0)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for part in ("elbow", "wrist", "hand"):
            kp[:, J[f"{side}_{part}"], 0] += sign * swing
    kp += rng.normal(0, 1.0, kp.shape)
    return kp, np.full((T, NUM_JOINTS), 0.9)


def exchange(kp, frames):
    """The detector's labels exchanged on ``frames`` (what a front/back confusion does)."""
    out = kp.copy()
    out[frames] = out[frames][:, _PERM]
    return out
