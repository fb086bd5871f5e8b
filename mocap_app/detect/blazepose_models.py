"""The two BlazePose networks run through LiteRT (``ai_edge_litert``, XNNPACK on the CPU).

``PoseDetectionModel`` finds people (hip centre and body circle) in a square region of the
frame; ``PoseLandmarkModel`` returns the 39 landmarks of one person's ROI. Model files
ship in ``mocap_app/resources/blazepose`` (Apache-2.0, see PROVENANCE.md there).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core.paths import resource_path
from .base import DetectorError, Roi
from .landmarks import CROP_SIZE, REFINE_KERNEL, LandmarkResult, decode_landmarks
from .roi import letterbox_roi, roi_from_keypoints, warp_crop
from .ssd import INPUT_SIZE, decode_detections, ssd_anchors, weighted_nms

DETECTOR_FILE = "blazepose/pose_detection.tflite"
LANDMARK_FILE = "blazepose/pose_landmark_full.tflite"


def _interpreter(name: str, num_threads: int):
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise DetectorError(f"ai-edge-litert is not installed: {exc}") from exc
    try:
        path: Path = resource_path(name)
    except FileNotFoundError as exc:
        raise DetectorError(str(exc)) from exc
    interp = Interpreter(model_path=str(path), num_threads=num_threads)
    interp.allocate_tensors()
    return interp


@dataclass(frozen=True)
class PersonCandidate:
    """A person the detector found: the body circle (centre = hip centre) in pixels."""
    keypoints: np.ndarray   # (4, 2) pixels: 0 hip centre, 1 body-circle point, 2-3 face
    score: float            # detector confidence 0..1
    roi: Roi                # the landmark model's crop for this person

    @property
    def center(self) -> np.ndarray:
        return self.keypoints[0]

    @property
    def radius(self) -> float:
        """Radius of the circle around the whole body, pixels (about half the height)."""
        return float(np.linalg.norm(self.keypoints[1] - self.keypoints[0]))

    @property
    def body_box(self) -> np.ndarray:
        """(4,) x0, y0, x1, y1 around the body circle (may extend past the frame)."""
        c, r = self.center, self.radius
        return np.array([c[0] - r, c[1] - r, c[0] + r, c[1] + r])


class PoseDetectionModel:
    """BlazePose's person detector on a square region (default: the whole frame,
    letterboxed with black bars)."""

    def __init__(self, num_threads: int = 1, min_score: float = 0.5,
                 nms_iou: float = 0.3):
        self._interp = _interpreter(DETECTOR_FILE, num_threads)
        self._input = self._interp.get_input_details()[0]["index"]
        out = {d["name"]: d["index"] for d in self._interp.get_output_details()}
        self._boxes, self._scores = out["Identity"], out["Identity_1"]
        self._anchors = ssd_anchors()
        assert self._anchors.shape == (2254, 2)
        self.min_score = min_score
        self.nms_iou = nms_iou

    def run(self, frame: np.ndarray, region: Roi | None = None) -> list[PersonCandidate]:
        """People in ``region`` of the BGR ``frame``, best score first."""
        h, w = frame.shape[:2]
        region = region if region is not None else letterbox_roi(w, h)
        crop = warp_crop(frame, region, INPUT_SIZE, replicate_border=False)
        x = crop[:, :, ::-1].astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        self._interp.set_tensor(self._input, x[None])                 # (1, 224, 224, 3)
        self._interp.invoke()
        raw_boxes = self._interp.get_tensor(self._boxes)[0]          # (2254, 12)
        raw_scores = self._interp.get_tensor(self._scores)[0, :, 0]  # (2254,)
        dets = weighted_nms(decode_detections(raw_boxes, raw_scores, self._anchors,
                                              self.min_score), self.nms_iou)
        out = []
        for d in dets:
            kp = region.crop_to_image(d.keypoints)
            out.append(PersonCandidate(kp, d.score, roi_from_keypoints(kp[0], kp[1])))
        return out


class PoseLandmarkModel:
    """BlazePose's full landmark model on one person's ROI."""

    def __init__(self, num_threads: int = 1, refine_kernel: int = REFINE_KERNEL):
        self._interp = _interpreter(LANDMARK_FILE, num_threads)
        self._input = self._interp.get_input_details()[0]["index"]
        out = {d["name"]: d["index"] for d in self._interp.get_output_details()}
        # Identity: 39x5 landmarks; _1: pose flag; _2: segmentation; _3: heatmaps; _4: world
        self._lm, self._flag = out["Identity"], out["Identity_1"]
        self._heat, self._world = out["Identity_3"], out["Identity_4"]
        self.refine_kernel = refine_kernel

    def run(self, frame: np.ndarray, roi: Roi) -> LandmarkResult:
        crop = warp_crop(frame, roi, CROP_SIZE, replicate_border=True)
        x = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) * np.float32(1 / 255.0)
        self._interp.set_tensor(self._input, x[None])                 # (1, 256, 256, 3)
        self._interp.invoke()
        g = self._interp.get_tensor
        return decode_landmarks(g(self._lm)[0], g(self._flag)[0], g(self._heat)[0],
                                g(self._world)[0], roi, kernel=self.refine_kernel)


def square_tiles(width: int, height: int, min_tiles: int = 2) -> list[Roi]:
    """Overlapping squares of the frame's short side along its long side, so that a person
    cut by one tile's edge lies whole in the next (for finding small people)."""
    short, long = min(width, height), max(width, height)
    n = max(min_tiles, math.ceil(1.2 * long / short))
    step = (long - short) / (n - 1) if n > 1 else 0.0
    tiles = []
    for i in range(n):
        a = i * step + short / 2.0
        centre = (a, height / 2.0) if width >= height else (width / 2.0, a)
        tiles.append(Roi(center=centre, size=float(short)))
    return tiles
