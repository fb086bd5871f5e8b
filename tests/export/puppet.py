"""A synthetic walking puppet with constant bone lengths: the app's 25 joints placed by
its own forward kinematics (independent of the exporter's), so an exact export must give
every joint back."""
from __future__ import annotations

import numpy as np

from mocap_app.core.pose import PoseSequence
from mocap_app.core.rotations import axis_matrix
from mocap_app.core.skeleton import J, NUM_JOINTS

# Bone lengths (metres) of the puppet: deliberately a little asymmetric left/right.
LEN = dict(hip=0.10, spine=0.24, chest=0.26, clav=0.17, head=0.20, ear=0.075,
           upper_l=0.29, upper_r=0.28, fore_l=0.25, fore_r=0.26, hand=0.08,
           thigh_l=0.43, thigh_r=0.42, shin_l=0.41, shin_r=0.41)


def _rx(d):
    return axis_matrix("X", d)


def _ry(d):
    return axis_matrix("Y", d)


def _rz(d):
    return axis_matrix("Z", d)


def _apply(r, v):
    return np.einsum("tij,j->ti", r, np.asarray(v, float))


def puppet_joints(n: int, turns: float = 0.0, seed_phase: float = 0.0) -> np.ndarray:
    """(n, NUM_JOINTS, 3) root-relative joints of a walk cycle; ``turns`` full turns of
    the whole body about the vertical over the take."""
    t = np.arange(n) / 30.0
    ph = 2 * np.pi * 1.1 * t + seed_phase
    yaw = 360.0 * turns * np.arange(n) / max(n - 1, 1) + 15 * np.sin(0.3 * ph)
    x = np.zeros((n, NUM_JOINTS, 3))
    r_pelvis = _ry(yaw) @ _rz(4 * np.sin(ph)) @ _rx(5 + 3 * np.sin(2 * ph))
    x[:, J["left_hip"]] = _apply(r_pelvis, (LEN["hip"], 0, 0))
    x[:, J["right_hip"]] = _apply(r_pelvis, (-LEN["hip"], 0, 0))
    r_spine = r_pelvis @ _rx(-6 + 4 * np.sin(ph)) @ _rz(3 * np.cos(ph))
    x[:, J["spine"]] = _apply(r_spine, (0, LEN["spine"], 0))
    r_chest = r_spine @ _ry(-12 * np.sin(ph)) @ _rx(4 * np.cos(2 * ph))
    x[:, J["neck"]] = x[:, J["spine"]] + _apply(r_chest, (0, LEN["chest"], 0))
    x[:, J["left_shoulder"]] = x[:, J["neck"]] + _apply(r_chest, (LEN["clav"], 0, 0))
    x[:, J["right_shoulder"]] = x[:, J["neck"]] + _apply(r_chest, (-LEN["clav"], 0, 0))
    r_neck = r_chest @ _rx(8 * np.sin(0.5 * ph)) @ _rz(5 * np.sin(0.7 * ph))
    x[:, J["head"]] = x[:, J["neck"]] + _apply(r_neck, (0, LEN["head"], 0))
    r_head = r_neck @ _ry(25 * np.sin(0.4 * ph)) @ _rx(10 * np.cos(0.4 * ph))
    x[:, J["left_ear"]] = x[:, J["head"]] + _apply(r_head, (LEN["ear"], 0, 0))
    x[:, J["right_ear"]] = x[:, J["head"]] + _apply(r_head, (-LEN["ear"], 0, 0))
    x[:, J["nose"]] = x[:, J["head"]] + _apply(r_head, (0, -0.025, 0.10))
    for side, sign, phase in (("left_", 1.0, 0.0), ("right_", -1.0, np.pi)):
        k = side[0]
        swing = 30 * np.sin(ph + phase + np.pi)        # arms swing against the legs
        r_up = r_chest @ _rz(sign * (-75 + 5 * np.sin(ph))) @ _ry(sign * swing)
        x[:, J[side + "elbow"]] = x[:, J[side + "shoulder"]] + _apply(
            r_up, (sign * LEN["upper_" + k], 0, 0))
        r_fore = r_up @ _ry(sign * (-25 - 20 * (1 + np.sin(ph + phase))))
        x[:, J[side + "wrist"]] = x[:, J[side + "elbow"]] + _apply(
            r_fore, (sign * LEN["fore_" + k], 0, 0))
        r_hand = r_fore @ _rz(sign * 15 * np.sin(ph)) @ _rx(20 * np.cos(ph))
        x[:, J[side + "hand"]] = x[:, J[side + "wrist"]] + _apply(r_hand, (sign * LEN["hand"], 0, 0))
        r_thigh = r_pelvis @ _rx(-25 * np.sin(ph + phase)) @ _rz(sign * 3)
        x[:, J[side + "knee"]] = x[:, J[side + "hip"]] + _apply(r_thigh, (0, -LEN["thigh_" + k], 0))
        r_shin = r_thigh @ _rx(5 + 30 * (1 + np.sin(ph + phase + 0.8)))
        x[:, J[side + "ankle"]] = x[:, J[side + "knee"]] + _apply(r_shin, (0, -LEN["shin_" + k], 0))
        r_foot = r_shin @ _rx(-15 * np.sin(ph + phase)) @ _rz(sign * 6 * np.cos(ph))
        x[:, J[side + "toe"]] = x[:, J[side + "ankle"]] + _apply(r_foot, (0, -0.07, 0.15))
        x[:, J[side + "heel"]] = x[:, J[side + "ankle"]] + _apply(r_foot, (0, -0.07, -0.05))
    return x


def puppet_sequence(n: int = 90, fps: float = 30.0, turns: float = 0.0,
                    with_root: bool = True, timestamps: np.ndarray | None = None
                    ) -> PoseSequence:
    joints = puppet_joints(n, turns)
    ts = np.arange(n) / fps if timestamps is None else np.asarray(timestamps, float)
    root = None
    if with_root:
        root = np.stack([0.2 * np.sin(0.5 * ts), 0.92 + 0.02 * np.sin(2 * np.pi * 2.2 * ts),
                         1.2 * ts], axis=1)
    return PoseSequence(ts, joints, np.zeros((n, NUM_JOINTS, 2)), np.ones((n, NUM_JOINTS)),
                        np.ones(n, bool), float(fps), (640, 480), root)
