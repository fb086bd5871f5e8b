"""Keeping a tracked person's left and right labels consistent from frame to frame.

BlazePose sometimes labels the whole body the wrong way round for a stretch of frames and
then swaps back (the Pose2Sim take's cam02, frames 41-74 at 60 fps, flickering at the
end; BASELINE.md). A real turn moves every joint a little at a time, so between two
consecutive tracked frames the labels that fit the previous frame are the right ones. A
sudden swap shows as the opposite: every limb is far from where it was, and the mirrored
labels put each one back next to its previous place.

``LeftRightGuard`` compares each tracked frame's limb landmarks with the previous frame's
(as already corrected) and relabels the frame when the mirrored labels fit at least
``ratio`` times better and the plain labels moved by more than ``min_jump`` of the torso.
It knows nothing before the first frame of a track: a person labelled wrongly from the
start stays so. People seen side-on (left and right limbs overlapping in the picture)
fit both ways about equally and are left alone. Pure numpy.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from mocap_app.core.skeleton import BLAZEPOSE_MIRROR, BLAZEPOSE_NAMES

from .base import Detection

_N = {n: i for i, n in enumerate(BLAZEPOSE_NAMES)}
#: Landmarks the decision looks at: shoulders, elbows, wrists, hips, knees, ankles.
LIMBS = tuple(_N[f"{s}_{p}"] for s in ("left", "right")
              for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"))
_PERM = list(BLAZEPOSE_MIRROR)


def mirrored_labels(det: Detection) -> Detection:
    """The same detection with every left and right landmark exchanged (2D, visibility,
    world landmarks and heatmap channels); 2D positions are not moved. The world
    landmarks are also reflected in depth about the hip centre: a body labelled the
    wrong way round is, in 3D, the person turned to face the other way (depth order
    reversed), so exchanging the labels alone would leave a mirror-image body."""
    heat = None if det.heatmaps is None else np.ascontiguousarray(det.heatmaps[..., _PERM])
    world = det.world_landmarks[_PERM].copy()
    world[:, 2] *= -1.0                              # camera z, hip-centred
    return replace(det, landmarks_2d=det.landmarks_2d[_PERM].copy(),
                   visibility=det.visibility[_PERM].copy(), world_landmarks=world,
                   heatmaps=heat)


class LeftRightGuard:
    """Relabels tracked frames whose left and right jumped (see the module docstring)."""

    def __init__(self, ratio: float = 0.5, min_jump: float = 0.1):
        self.ratio = ratio          # mirrored fit must be this many times the plain fit
        self.min_jump = min_jump    # plain labels' mean limb move, in torso lengths
        self.relabelled = 0         # frames relabelled so far (for the status and tests)
        self.reset()

    def reset(self) -> None:
        """Forget the previous frame (a new track starts)."""
        self._previous: np.ndarray | None = None

    def __call__(self, det: Detection, continuing: bool) -> Detection:
        """``det`` or its relabelled copy. ``continuing``: the tracker followed the same
        person from the previous frame (otherwise there is nothing to compare with)."""
        out = det
        prev = self._previous if continuing else None
        pts = det.landmarks_2d[list(LIMBS)]
        if prev is not None and np.isfinite(pts).all():
            plain = float(np.mean(np.linalg.norm(pts - prev, axis=-1)))
            swapped = float(np.mean(np.linalg.norm(
                det.landmarks_2d[_PERM][list(LIMBS)] - prev, axis=-1)))
            torso = _torso(prev)
            if plain > self.min_jump * torso and swapped < self.ratio * plain:
                out = mirrored_labels(det)
                self.relabelled += 1
        self._previous = out.landmarks_2d[list(LIMBS)].copy()
        return out


def _torso(limbs: np.ndarray) -> float:
    """Shoulder-midpoint to hip-midpoint distance of (12, 2) ``LIMBS`` points, pixels."""
    k = {n: i for i, n in enumerate(BLAZEPOSE_NAMES[j] for j in LIMBS)}
    shoulders = 0.5 * (limbs[k["left_shoulder"]] + limbs[k["right_shoulder"]])
    hips = 0.5 * (limbs[k["left_hip"]] + limbs[k["right_hip"]])
    return max(float(np.linalg.norm(shoulders - hips)), 1.0)
