"""Plain data types that flow between layers: one frame's pose, and a whole sequence.

Conventions (see ``core/skeleton.py``): 3D joints in metres, right-handed, Y up, the
subject facing +Z; image keypoints in pixels of the (rotation-corrected) frame, x right,
y down. Arrays are never modified after they are put in one of these objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .skeleton import NUM_JOINTS


def camera_to_app(points: np.ndarray) -> np.ndarray:
    """Camera/MediaPipe axes (x right, y down, z away from the camera) -> app axes.

    A 180 degree turn about X: x stays, y and z flip. A person facing the camera then
    faces +Z with their left hand towards +X, as a Mixamo character does.
    """
    out = np.array(points, dtype=np.float64, copy=True)
    out[..., 1] *= -1
    out[..., 2] *= -1
    return out


def rotation_onto(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(3, 3) rotation R (no scale, no reflection) that best turns the points ``src``
    (K, 3), centred, onto ``dst`` (K, 3), centred: ``(src - src.mean(0)) @ R``."""
    a, b = src - src.mean(0), dst - dst.mean(0)
    u, _, vt = np.linalg.svd(a.T @ b)
    return u @ np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))]) @ vt


@dataclass(frozen=True)
class FramePose:
    """What the pipeline knows about one frame.

    ``joints_3d`` is root-relative (pelvis at the origin) in metres unless
    ``root_position`` is set, which then gives the pelvis in metres in the world.
    Missing data (no person) is ``None`` for the arrays.
    """
    index: int                                  # frame number in the source
    timestamp: float                            # seconds from the start of the source
    image_size: tuple[int, int]                 # (width, height) in pixels
    box: np.ndarray | None = None               # (4,) x0, y0, x1, y1 pixels: the crop
    keypoints_2d: np.ndarray | None = None      # (J, 2) pixels
    visibility: np.ndarray | None = None        # (J,) 0..1
    joints_3d: np.ndarray | None = None         # (J, 3) metres, Y up, facing +Z
    root_position: np.ndarray | None = None     # (3,) metres, world position of pelvis
    heatmaps: dict | None = field(default=None, compare=False)  # {"xy","zy","xz"}: (J,H,W)
    #: the detector's own 3D (J, 3) metres, app axes, pelvis at the origin (BlazePose's
    #: world landmarks), which the lifter takes as evidence; None when not known
    detector_3d: np.ndarray | None = field(default=None, compare=False)
    #: the performer's hands (left, right), MediaPipe's 21 landmarks each (core/hand.py);
    #: a hand not seen is NaN; None when hands were not tracked
    hands_2d: np.ndarray | None = field(default=None, compare=False)   # (2, 21, 2) pixels
    hands_3d: np.ndarray | None = field(default=None, compare=False)   # (2, 21, 3) metres,
                                                # app axes, each hand's wrist at the origin
    #: (2,) bool: the hand was not looked for this frame but held from an earlier one
    #: (live hands at half rate); offline, the finger track interpolates over it
    hands_held: np.ndarray | None = field(default=None, compare=False)
    #: (2, 2): for the body's left and right hand, the hand model's presence and its
    #: probability of a *right* hand in the crop the body gave (detect/hands.py
    #: ``HandsResult.sides``; NaN where not run): evidence of the body's sides
    hand_sides: np.ndarray | None = field(default=None, compare=False)

    @property
    def has_person(self) -> bool:
        return self.joints_3d is not None

    def __post_init__(self):
        for name, shape in (("keypoints_2d", (NUM_JOINTS, 2)), ("visibility", (NUM_JOINTS,)),
                            ("joints_3d", (NUM_JOINTS, 3)), ("detector_3d", (NUM_JOINTS, 3)),
                            ("hands_2d", (2, 21, 2)), ("hands_3d", (2, 21, 3)),
                            ("hands_held", (2,)), ("hand_sides", (2, 2))):
            value = getattr(self, name)
            if value is not None and value.shape != shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {shape}")


@dataclass(frozen=True)
class PoseSequence:
    """A take's poses as stacked arrays; frames with no person have ``valid`` False and
    NaN in the arrays."""
    timestamps: np.ndarray      # (T,) seconds
    joints_3d: np.ndarray       # (T, J, 3) metres, root-relative
    keypoints_2d: np.ndarray    # (T, J, 2) pixels
    visibility: np.ndarray      # (T, J)
    valid: np.ndarray           # (T,) bool
    fps: float                  # nominal frame rate of the source
    image_size: tuple[int, int]
    root_positions: np.ndarray | None = None  # (T, 3) metres, world pelvis
    detector_3d: np.ndarray | None = None     # (T, J, 3) the detector's own 3D (FramePose)
    hands_2d: np.ndarray | None = None        # (T, 2, 21, 2) pixels (FramePose), NaN: unseen
    hands_3d: np.ndarray | None = None        # (T, 2, 21, 3) metres, app axes, wrist-relative
    #: (T, 2, 5, 4) radians: finger angles (core/hand.py) after limits, smoothing and the
    #: neutral hold (pipeline/fingers.py); None when not made
    finger_angles: np.ndarray | None = None
    #: (T, 2) bool: hands held from an earlier frame, not seen in this one (FramePose)
    hands_held: np.ndarray | None = None
    #: (T, 2, 2) the hand model's view of the body's sides (FramePose.hand_sides)
    hand_sides: np.ndarray | None = None

    @property
    def has_hands(self) -> bool:
        """Whether the take tracked hands and saw one at least once."""
        return self.hands_3d is not None and bool(np.isfinite(self.hands_3d).any())

    def __len__(self) -> int:
        return len(self.timestamps)

    @classmethod
    def from_frames(cls, frames: Iterable[FramePose], fps: float) -> "PoseSequence":
        frames = list(frames)
        t = len(frames)
        nan3 = np.full((t, NUM_JOINTS, 3), np.nan)
        nan2 = np.full((t, NUM_JOINTS, 2), np.nan)
        vis = np.zeros((t, NUM_JOINTS))
        valid = np.zeros(t, bool)
        roots = np.full((t, 3), np.nan)
        det3 = np.full((t, NUM_JOINTS, 3), np.nan)
        hands_2d = np.full((t, 2, 21, 2), np.nan)
        hands_3d = np.full((t, 2, 21, 3), np.nan)
        held = np.zeros((t, 2), bool)
        sides = np.full((t, 2, 2), np.nan)
        have_root = have_det3 = have_hands = have_held = have_sides = False
        for i, f in enumerate(frames):
            if f.has_person:
                valid[i] = True
                nan3[i] = f.joints_3d
                if f.keypoints_2d is not None:
                    nan2[i] = f.keypoints_2d
                if f.visibility is not None:
                    vis[i] = f.visibility
                if f.root_position is not None:
                    roots[i] = f.root_position
                    have_root = True
                if f.detector_3d is not None:
                    det3[i] = f.detector_3d
                    have_det3 = True
            if f.hands_3d is not None:
                hands_3d[i] = f.hands_3d
                if f.hands_2d is not None:
                    hands_2d[i] = f.hands_2d
                have_hands = True
                if f.hands_held is not None and f.hands_held.any():
                    held[i] = f.hands_held
                    have_held = True
            if f.hand_sides is not None:
                sides[i] = f.hand_sides
                have_sides = True
        size = frames[0].image_size if frames else (0, 0)
        return cls(np.array([f.timestamp for f in frames], float), nan3, nan2, vis, valid,
                   float(fps), size, roots if have_root else None,
                   det3 if have_det3 else None, hands_2d if have_hands else None,
                   hands_3d if have_hands else None,
                   hands_held=held if have_held else None,
                   hand_sides=sides if have_sides else None)
