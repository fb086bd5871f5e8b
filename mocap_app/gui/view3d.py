"""The 3D view (vispy, embedded): the skeleton with left and right coloured apart, the
ground as plain line segments, the root trail, orbit/zoom with the mouse (turntable
camera), and the camera follows the person.

Measured on Mesa llvmpipe: vispy's ``GridLines`` costs 70-90 ms a draw, so the floor is a
single ``Line`` of segments; the canvas is capped near 0.55 megapixels.
"""
from __future__ import annotations

import numpy as np
import vispy

vispy.use(app="pyside6")
from vispy import scene  # noqa: E402

from ..core.hand import HAND_PARENTS  # noqa: E402
from ..core.skeleton import BONES, J  # noqa: E402
from .skeleton_style import BONE_SIDES, JOINT_SIDES, side_rgb  # noqa: E402

MAX_CANVAS = (980, 560)          # 0.55 MP: software GL holds its frame rate below this
FLOOR_HALF = 3.0                 # metres either side of the person
FLOOR_STEP = 0.5
TRAIL_FRAMES = 300


def floor_segments(center_xz=(0.0, 0.0), half=FLOOR_HALF, step=FLOOR_STEP,
                   y=0.0) -> np.ndarray:
    """(2N, 3) endpoints of the floor lines, on a grid snapped to ``step`` so the grid
    stays put in the world while it follows the person."""
    cx = round(center_xz[0] / step) * step
    cz = round(center_xz[1] / step) * step
    ticks = np.arange(-half, half + 1e-9, step)
    segs = []
    for t in ticks:
        segs.append(((cx + t, y, cz - half), (cx + t, y, cz + half)))
        segs.append(((cx - half, y, cz + t), (cx + half, y, cz + t)))
    return np.asarray(segs, np.float32).reshape(-1, 3)


def skeleton_segments(joints: np.ndarray) -> np.ndarray:
    """(2 * len(BONES), 3) bone endpoints of a (J, 3) pose."""
    idx = np.asarray(BONES).reshape(-1)
    return np.asarray(joints, np.float32)[idx]


_BONE_COLOURS = np.repeat(np.array([(*side_rgb(s), 1.0) for s in BONE_SIDES], np.float32),
                          2, axis=0)
_JOINT_COLOURS = np.array([(*side_rgb(s), 1.0) for s in JOINT_SIDES], np.float32)
_HAND_COLOURS_LR = np.array([(*side_rgb("left"), 1.0), (*side_rgb("right"), 1.0)], np.float32)
_HAND_COLOURS = np.repeat(_HAND_COLOURS_LR, 1, axis=0)


class SkeletonView3D:
    """Owns the vispy canvas; ``widget`` is the Qt widget to put in a layout."""

    def __init__(self, parent=None):
        self.canvas = scene.SceneCanvas(keys=None, show=False, bgcolor=(0.11, 0.11, 0.13, 1),
                                        parent=parent, size=(640, 400))
        self.widget = self.canvas.native
        self.widget.setMaximumSize(*MAX_CANVAS)
        self.widget.setMinimumSize(240, 180)
        self.view = self.canvas.central_widget.add_view()
        self.view.camera = scene.TurntableCamera(up="+y", fov=45, elevation=15,
                                                 azimuth=20, distance=4.5,
                                                 center=(0, 0.9, 0))
        self.floor = scene.visuals.Line(pos=floor_segments(), color=(0.4, 0.4, 0.45, 1),
                                        connect="segments", width=1, parent=self.view.scene)
        self.trail = scene.visuals.Line(pos=np.zeros((2, 3), np.float32),
                                        color=(0.95, 0.85, 0.3, 1), width=2,
                                        parent=self.view.scene)
        self.bones = scene.visuals.Line(pos=np.zeros((2 * len(BONES), 3), np.float32),
                                        color=_BONE_COLOURS, connect="segments", width=4,
                                        parent=self.view.scene)
        self.joints = scene.visuals.Markers(parent=self.view.scene)
        self.joints.set_data(np.zeros((1, 3), np.float32), size=0)
        self.hands = scene.visuals.Line(pos=np.zeros((2, 3), np.float32), color=_HAND_COLOURS,
                                        connect="segments", width=2, parent=self.view.scene)
        self.hands.visible = False
        self.shown_hands: np.ndarray | None = None     # (2, 21, 3) world metres, as drawn
        self.trail.visible = self.bones.visible = self.joints.visible = False
        self.shown_joints: np.ndarray | None = None    # (J, 3) world metres, as drawn
        self.follow = True
        self._trail: list[np.ndarray] = []
        self._floor_center = (0.0, 0.0)

    def _show_hands(self, hands: np.ndarray | None) -> None:
        seen = [] if hands is None else [k for k in range(2) if np.isfinite(hands[k]).all()]
        if not seen:
            self.hands.visible = False
            self.shown_hands = None
            return
        self.shown_hands = hands
        segs = np.zeros((2, 20, 2, 3), np.float32)          # (hand, bone, ends, xyz)
        for k in seen:
            segs[k] = [(hands[k, p], hands[k, j]) for j, p in enumerate(HAND_PARENTS) if p >= 0]
        colours = np.repeat(_HAND_COLOURS_LR, 40, axis=0)
        keep = np.repeat(np.isin(np.arange(2), seen), 40)
        self.hands.set_data(pos=segs.reshape(-1, 3)[keep], color=colours[keep])
        self.hands.visible = True

    # -- data in --
    def clear(self) -> None:
        self._trail = []
        self.shown_joints = None
        self.trail.visible = self.bones.visible = self.joints.visible = False
        self.canvas.update()

    def set_trail(self, roots: np.ndarray | None) -> None:
        """A whole take's root track (T, 3) (playback), NaN frames skipped."""
        if roots is None:
            self._trail = []
        else:
            ok = np.isfinite(roots).all(axis=1)
            self._trail = list(np.asarray(roots[ok], np.float32))

    def show_pose(self, joints: np.ndarray | None, root: np.ndarray | None = None,
                  append_trail: bool = False, hands: np.ndarray | None = None) -> None:
        """``joints`` (J, 3) metres root-relative (Y up); ``root`` the pelvis in the world,
        else the pose is stood on the floor; ``hands`` (2, 21, 3) wrist-relative metres
        (left, right; NaN: unseen), drawn on the skeleton's wrists."""
        self._show_hands(None)
        if joints is None or not np.isfinite(joints).all():
            self.bones.visible = self.joints.visible = False
            self.shown_joints = None
            self.canvas.update()
            return
        world = np.asarray(joints, np.float64)
        if root is not None and np.isfinite(root).all():
            world = world + np.asarray(root, np.float64)
        else:
            world = world - np.array([0.0, np.min(world[:, 1]), 0.0])
        world = world.astype(np.float32)
        self.shown_joints = world
        self.bones.set_data(pos=skeleton_segments(world), color=_BONE_COLOURS)
        self.joints.set_data(world, face_color=_JOINT_COLOURS, edge_color=(0, 0, 0, 1),
                             size=7)
        self.bones.visible = self.joints.visible = True
        if hands is not None:
            wrists = world[[J["left_wrist"], J["right_wrist"]]]
            self._show_hands(np.asarray(hands, np.float32) + wrists[:, None, :])
        pelvis = world[0]
        if append_trail:
            self._trail.append(pelvis.copy())
            del self._trail[:-TRAIL_FRAMES]
        if len(self._trail) >= 2:
            trail = np.asarray(self._trail, np.float32).copy()
            trail[:, 1] = 0.01      # drawn on the floor, like a footpath
            self.trail.set_data(pos=trail)
            self.trail.visible = True
        else:
            self.trail.visible = False
        if self.follow:
            self.view.camera.center = (float(pelvis[0]), float(pelvis[1]), float(pelvis[2]))
            c = (float(pelvis[0]), float(pelvis[2]))
            if abs(c[0] - self._floor_center[0]) > FLOOR_STEP or \
                    abs(c[1] - self._floor_center[1]) > FLOOR_STEP:
                self._floor_center = c
                self.floor.set_data(pos=floor_segments(c))
        self.canvas.update()

    def close(self) -> None:
        self.canvas.close()
