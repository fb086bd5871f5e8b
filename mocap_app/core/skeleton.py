"""The app's skeleton, defined once.

Every layer (detector adapter, lifter, refiner, exporter, GUI) speaks in these joints.
A skeleton is a list of joint names, a parents array and left/right index pairs
(VideoPose3D's convention). Coordinates are in metres, right-handed, **Y up**, and a
person standing in the rest pose faces **+Z** (towards a camera placed on +Z).

Joints are chosen so that each one is seen by the detector (BlazePose's 33 landmarks, or
an average of a few of them) *and* can be placed on every motion-capture skeleton by
forward kinematics (see ``mocap_train/mocap_data.py`` for the per-dataset mapping).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Joint names in index order. ``pelvis`` (the hip midpoint) is the root.
JOINT_NAMES: tuple[str, ...] = (
    "pelvis",          # 0  midpoint of the two hip joints
    "spine",           # 1  midpoint of pelvis and neck
    "neck",            # 2  midpoint of the two shoulders
    "head",            # 3  midpoint of the two ears
    "nose",            # 4
    "left_ear",        # 5
    "right_ear",       # 6
    "left_shoulder",   # 7
    "left_elbow",      # 8
    "left_wrist",      # 9
    "left_hand",       # 10 midpoint of index and pinky knuckles
    "right_shoulder",  # 11
    "right_elbow",     # 12
    "right_wrist",     # 13
    "right_hand",      # 14
    "left_hip",        # 15
    "left_knee",       # 16
    "left_ankle",      # 17
    "left_heel",       # 18
    "left_toe",        # 19 ball/tip of the foot (BlazePose "foot index")
    "right_hip",       # 20
    "right_knee",      # 21
    "right_ankle",     # 22
    "right_heel",      # 23
    "right_toe",       # 24
)
NUM_JOINTS = len(JOINT_NAMES)
J = {name: i for i, name in enumerate(JOINT_NAMES)}

#: Parent of each joint (-1 for the root): the kinematic tree used for drawing,
#: bone lengths and the exported rig.
PARENTS: tuple[int, ...] = (
    -1,                # pelvis
    J["pelvis"],       # spine
    J["spine"],        # neck
    J["neck"],         # head
    J["head"],         # nose
    J["head"],         # left_ear
    J["head"],         # right_ear
    J["neck"],         # left_shoulder
    J["left_shoulder"],
    J["left_elbow"],
    J["left_wrist"],
    J["neck"],         # right_shoulder
    J["right_shoulder"],
    J["right_elbow"],
    J["right_wrist"],
    J["pelvis"],       # left_hip
    J["left_hip"],
    J["left_knee"],
    J["left_ankle"],   # left_heel
    J["left_ankle"],   # left_toe
    J["pelvis"],       # right_hip
    J["right_hip"],
    J["right_knee"],
    J["right_ankle"],  # right_heel
    J["right_ankle"],  # right_toe
)

#: (left, right) joint index pairs, for mirroring and symmetry.
LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (J[n], J["right_" + n[len("left_"):]]) for n in JOINT_NAMES if n.startswith("left_")
)
LEFT_JOINTS = tuple(l for l, _ in LEFT_RIGHT_PAIRS)
RIGHT_JOINTS = tuple(r for _, r in LEFT_RIGHT_PAIRS)

#: Index permutation that swaps left and right (used with x -> -x for mirroring).
MIRROR_PERMUTATION: tuple[int, ...] = tuple(
    next((r for l, r in LEFT_RIGHT_PAIRS if l == i),
         next((l for l, r in LEFT_RIGHT_PAIRS if r == i), i))
    for i in range(NUM_JOINTS)
)

#: Bones as (parent, child) pairs, in joint order.
BONES: tuple[tuple[int, int], ...] = tuple((p, c) for c, p in enumerate(PARENTS) if p >= 0)

#: The limb bones whose lengths animators and BASELINE.md judge: (name, parent, child).
LIMB_BONES: tuple[tuple[str, int, int], ...] = (
    ("left_upper_arm", J["left_shoulder"], J["left_elbow"]),
    ("left_forearm", J["left_elbow"], J["left_wrist"]),
    ("left_thigh", J["left_hip"], J["left_knee"]),
    ("left_shin", J["left_knee"], J["left_ankle"]),
    ("right_upper_arm", J["right_shoulder"], J["right_elbow"]),
    ("right_forearm", J["right_elbow"], J["right_wrist"]),
    ("right_thigh", J["right_hip"], J["right_knee"]),
    ("right_shin", J["right_knee"], J["right_ankle"]),
)

#: The torso points whose turn is the body's orientation, whatever the limbs do.
TORSO_JOINTS: tuple[int, ...] = tuple(J[n] for n in (
    "pelvis", "spine", "neck", "left_shoulder", "right_shoulder", "left_hip", "right_hip"))

#: The 12 limb joints of BASELINE.md (shoulders, elbows, wrists, hips, knees, ankles).
LIMB_JOINTS: tuple[int, ...] = tuple(J[n] for n in (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle"))

#: BlazePose's 33 landmark names, in its own order.
BLAZEPOSE_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
    "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
_B = {name: i for i, name in enumerate(BLAZEPOSE_NAMES)}


def _blazepose_sources() -> tuple[tuple[int, ...], ...]:
    """For each app joint, the BlazePose landmarks whose mean places it."""
    direct = {n: (_B[n],) for n in JOINT_NAMES if n in _B}
    derived = {
        "pelvis": (_B["left_hip"], _B["right_hip"]),
        "neck": (_B["left_shoulder"], _B["right_shoulder"]),
        "head": (_B["left_ear"], _B["right_ear"]),
        "left_hand": (_B["left_index"], _B["left_pinky"]),
        "right_hand": (_B["right_index"], _B["right_pinky"]),
        "left_toe": (_B["left_foot_index"],),
        "right_toe": (_B["right_foot_index"],),
        # spine is filled in by blazepose_to_app (mean of pelvis and neck)
        "spine": (_B["left_hip"], _B["right_hip"], _B["left_shoulder"], _B["right_shoulder"]),
    }
    return tuple(direct.get(n, derived.get(n)) for n in JOINT_NAMES)


BLAZEPOSE_SOURCES = _blazepose_sources()


def blazepose_matrix() -> np.ndarray:
    """(NUM_JOINTS, 33) averaging matrix: app_joints = M @ blazepose_landmarks."""
    m = np.zeros((NUM_JOINTS, len(BLAZEPOSE_NAMES)))
    for j, src in enumerate(BLAZEPOSE_SOURCES):
        m[j, list(src)] = 1.0 / len(src)
    return m


def blazepose_to_app(landmarks: np.ndarray) -> np.ndarray:
    """Map BlazePose landmarks (..., 33, C) onto the app joints (..., NUM_JOINTS, C).

    Averaging is linear, so it applies equally to 2D pixels, 3D metres and visibility.
    """
    return np.einsum("jk,...kc->...jc", blazepose_matrix(), landmarks)


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """Lengths of every bone in ``BONES``: (..., NUM_JOINTS, 3) -> (..., len(BONES))."""
    p = np.array([b[0] for b in BONES])
    c = np.array([b[1] for b in BONES])
    return np.linalg.norm(joints[..., c, :] - joints[..., p, :], axis=-1)


def mirror(joints: np.ndarray) -> np.ndarray:
    """Mirror a pose left/right: x -> -x and the left/right joints swap names."""
    out = joints[..., list(MIRROR_PERMUTATION), :].copy()
    out[..., 0] *= -1
    return out


@dataclass(frozen=True)
class Skeleton:
    """Bundle of the definitions above, for code that wants one object."""
    names: tuple[str, ...] = JOINT_NAMES
    parents: tuple[int, ...] = PARENTS
    left_right: tuple[tuple[int, int], ...] = LEFT_RIGHT_PAIRS

    def index(self, name: str) -> int:
        return self.names.index(name)


SKELETON = Skeleton()
