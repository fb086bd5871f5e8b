"""MediaPipe's three hand networks run through LiteRT, and the crops they need.

``PalmDetectionModel`` finds palms (box and 7 keypoints) in a square region of the frame;
``HandLandmarkModel`` returns one hand's 21 landmarks (2D, metric 3D "world" landmarks,
handedness) in a rotated square ROI; ``HandRecropModel`` (Holistic's ``hand_recrop``)
turns a rough crop around a hand into a tighter one. The ROI rules are MediaPipe's graphs
(``palm_detection_detection_to_roi``, ``hand_landmark_landmarks_to_roi``, Holistic's
``hand_landmarks_from_pose_to_recrop_roi`` and ``hand_recrop_by_roi``), re-written in
pixels so that our crops give the networks the same pixels. Model files ship in
``mocap_app/resources/hands`` (Apache-2.0, see PROVENANCE.md there).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .base import Roi
from .blazepose_models import _interpreter
from .roi import letterbox_roi, normalize_radians, warp_crop
from .ssd import AnchorOptions, decode_detections, ssd_anchors, weighted_nms

PALM_FILE = "hands/palm_detection_full.tflite"
HAND_FILE = "hands/hand_landmark_full.tflite"
RECROP_FILE = "hands/hand_recrop.tflite"

PALM_INPUT = 192
PALM_KEYPOINTS = 7          # 0 wrist centre, 2 middle-finger knuckle (MCP), others unused
HAND_INPUT = 224
RECROP_INPUT = 256
NUM_HAND_LANDMARKS = 21

#: MediaPipe's 21 hand landmarks, in its order.
HAND_LANDMARK_NAMES: tuple[str, ...] = (
    "wrist",
    "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_mcp", "index_pip", "index_dip", "index_tip",
    "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)
#: Each landmark's parent in the hand's tree (wrist -1), for drawing and bone lengths.
HAND_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15,
                                 0, 17, 18, 19)
#: The landmarks that stay put when fingers move (wrist, knuckles, first joints): the
#: tracking crop is built from them (MediaPipe's SplitNormalizedLandmarkList ranges).
STABLE_SUBSET: tuple[int, ...] = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)


def rect_to_roi(center: np.ndarray, width: float, height: float, rotation: float,
                scale: float = 1.0, shift_y: float = 0.0) -> Roi:
    """MediaPipe's RectTransformationCalculator (``square_long``, no x shift) in pixels:
    shift the rect along its own up axis by ``shift_y`` heights, square it on its long
    side and grow it by ``scale``."""
    cx = float(center[0]) - height * shift_y * math.sin(rotation)
    cy = float(center[1]) + height * shift_y * math.cos(rotation)
    return Roi(center=(cx, cy), size=max(width, height) * scale, rotation=rotation)


def rotation_to_up(start: np.ndarray, end: np.ndarray, target: float = math.pi / 2) -> float:
    """The ROI rotation that turns start -> end to point at ``target`` (pixels)."""
    return normalize_radians(target - math.atan2(-(end[1] - start[1]), end[0] - start[0]))


def palm_roi(box: np.ndarray, keypoints: np.ndarray) -> Roi:
    """The hand crop of one palm detection (pixels): the box turned so that wrist ->
    middle knuckle points up, shifted half a box towards the fingers and grown 2.6x."""
    rot = rotation_to_up(keypoints[0], keypoints[2])
    centre = (box[:2] + box[2:]) / 2.0
    return rect_to_roi(centre, box[2] - box[0], box[3] - box[1], rot, scale=2.6, shift_y=-0.5)


def roi_from_hand_landmarks(points: np.ndarray) -> Roi:
    """The next frame's crop from this frame's 21 landmarks (pixels), as MediaPipe's
    HandLandmarksToRectCalculator and its 2x growth do: the box of the stable subset in the
    frame turned so that the wrist -> knuckles line points up."""
    pts = np.asarray(points, dtype=np.float64)[list(STABLE_SUBSET)]      # (12, 2)
    # subset indices 4, 6, 8 are the index, middle and ring knuckles
    mid = ((pts[4] + pts[8]) / 2.0 + pts[6]) / 2.0
    rot = rotation_to_up(pts[0], mid)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2.0
    c, s = math.cos(-rot), math.sin(-rot)
    d = pts - centre
    proj = np.stack([d[:, 0] * c - d[:, 1] * s, d[:, 0] * s + d[:, 1] * c], axis=1)
    plo, phi = proj.min(axis=0), proj.max(axis=0)
    pc = (plo + phi) / 2.0
    c, s = math.cos(rot), math.sin(rot)
    box_centre = np.array([pc[0] * c - pc[1] * s, pc[0] * s + pc[1] * c]) + centre
    w, h = phi - plo
    return rect_to_roi(box_centre, float(w), float(h), rot, scale=2.0, shift_y=-0.1)


def roi_from_pose_hand(wrist: np.ndarray, index: np.ndarray, pinky: np.ndarray) -> Roi:
    """Holistic's search crop from the body's wrist, index and pinky landmarks (pixels):
    centred on the estimated middle knuckle, twice its distance from the wrist, grown
    2.7x, turned so that the hand points up."""
    middle = (2.0 * np.asarray(index, float) + np.asarray(pinky, float)) / 3.0
    size = 2.0 * float(np.linalg.norm(middle - np.asarray(wrist, float)))
    return rect_to_roi(middle, size, size, rotation_to_up(wrist, middle), scale=2.7)


def _rgb_unit(crop: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) * np.float32(1 / 255.0)


@dataclass(frozen=True)
class PalmCandidate:
    """A palm the detector found (pixels)."""
    box: np.ndarray         # (4,) x0, y0, x1, y1
    keypoints: np.ndarray   # (7, 2): 0 wrist, 2 middle knuckle, ...
    score: float
    roi: Roi                # the hand landmark model's crop for it


class PalmDetectionModel:
    """MediaPipe's full palm detector on a square region (default: the whole frame,
    letterboxed with black bars)."""

    def __init__(self, num_threads: int = 1, min_score: float = 0.5, nms_iou: float = 0.3):
        self._interp = _interpreter(PALM_FILE, num_threads)
        self._input = self._interp.get_input_details()[0]["index"]
        out = {d["name"]: d["index"] for d in self._interp.get_output_details()}
        self._boxes, self._scores = out["Identity"], out["Identity_1"]
        self._anchors = ssd_anchors(AnchorOptions(num_layers=4, input_size=PALM_INPUT,
                                                  strides=(8, 16, 16, 16)))
        assert self._anchors.shape == (2016, 2)
        self.min_score, self.nms_iou = min_score, nms_iou

    def run(self, frame: np.ndarray, region: Roi | None = None) -> list[PalmCandidate]:
        """Palms in ``region`` (unrotated) of the BGR ``frame``, best score first."""
        h, w = frame.shape[:2]
        region = region if region is not None else letterbox_roi(w, h)
        crop = warp_crop(frame, region, PALM_INPUT, replicate_border=False)
        self._interp.set_tensor(self._input, _rgb_unit(crop)[None])   # (1, 192, 192, 3)
        self._interp.invoke()
        raw_boxes = self._interp.get_tensor(self._boxes)[0]          # (2016, 18)
        raw_scores = self._interp.get_tensor(self._scores)[0, :, 0]  # (2016,)
        dets = weighted_nms(decode_detections(raw_boxes, raw_scores, self._anchors,
                                              self.min_score, scale=PALM_INPUT,
                                              num_keypoints=PALM_KEYPOINTS), self.nms_iou)
        out = []
        for d in dets:
            kp = region.crop_to_image(d.keypoints)
            corners = region.crop_to_image(d.box.reshape(2, 2))
            box = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
            out.append(PalmCandidate(box, kp, d.score, palm_roi(box, kp)))
        return out


@dataclass(frozen=True)
class HandLandmarks:
    """The hand landmark model's answer for one ROI, mapped back to the frame."""
    roi: Roi
    presence: float             # the model's hand flag (a probability)
    handedness: float           # probability that this is the performer's RIGHT hand in
                                # an unmirrored image (the model's "Left" score: MediaPipe
                                # labels hands as if the image were a selfie)
    landmarks_2d: np.ndarray    # (21, 2) frame pixels
    depth: np.ndarray           # (21,) relative depth, pixels (wrist-relative scale)
    world_landmarks: np.ndarray  # (21, 3) metres about the hand's centre, camera axes
                                 # (x right, y down, z away), the ROI rotation undone


class HandLandmarkModel:
    """MediaPipe's full hand landmark model on one hand's ROI."""

    def __init__(self, num_threads: int = 1):
        self._interp = _interpreter(HAND_FILE, num_threads)
        self._input = self._interp.get_input_details()[0]["index"]
        out = {d["name"]: d["index"] for d in self._interp.get_output_details()}
        # Identity: 21x3 landmarks; _1: hand flag; _2: handedness; _3: 21x3 world
        self._lm, self._flag = out["Identity"], out["Identity_1"]
        self._hand, self._world = out["Identity_2"], out["Identity_3"]

    def run(self, frame: np.ndarray, roi: Roi) -> HandLandmarks:
        crop = warp_crop(frame, roi, HAND_INPUT, replicate_border=True)
        self._interp.set_tensor(self._input, _rgb_unit(crop)[None])   # (1, 224, 224, 3)
        self._interp.invoke()
        g = self._interp.get_tensor
        return decode_hand(g(self._lm)[0], g(self._flag)[0], g(self._hand)[0],
                           g(self._world)[0], roi)


def decode_hand(raw_landmarks: np.ndarray, flag: np.ndarray, handedness: np.ndarray,
                raw_world: np.ndarray, roi: Roi) -> HandLandmarks:
    """Hand landmark model outputs (batch dimension removed) for ``roi`` -> HandLandmarks."""
    lm = raw_landmarks.reshape(NUM_HAND_LANDMARKS, 3).astype(np.float64)  # (21, xyz) crop px
    pts = roi.crop_to_image(lm[:, :2] / HAND_INPUT)
    depth = lm[:, 2] / HAND_INPUT / 0.4 * roi.size      # MediaPipe's normalize_z 0.4
    world = raw_world.reshape(NUM_HAND_LANDMARKS, 3).astype(np.float64)
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    world = np.stack([c * world[:, 0] - s * world[:, 1],
                      s * world[:, 0] + c * world[:, 1], world[:, 2]], axis=1)
    return HandLandmarks(roi=roi, presence=float(np.asarray(flag).reshape(-1)[0]),
                         handedness=float(np.asarray(handedness).reshape(-1)[0]),
                         landmarks_2d=pts, depth=depth, world_landmarks=world)


class HandRecropModel:
    """Holistic's ``hand_recrop``: two points (crop centre and a point on its circle) in a
    rough crop around a hand -> a tighter crop."""

    def __init__(self, num_threads: int = 1):
        self._interp = _interpreter(RECROP_FILE, num_threads)
        self._input = self._interp.get_input_details()[0]["index"]
        self._out = self._interp.get_output_details()[0]["index"]

    def run(self, frame: np.ndarray, roi: Roi) -> Roi:
        crop = warp_crop(frame, roi, RECROP_INPUT, replicate_border=True)
        self._interp.set_tensor(self._input, _rgb_unit(crop)[None])   # (1, 256, 256, 3)
        self._interp.invoke()
        kp = self._interp.get_tensor(self._out).reshape(2, 2).astype(np.float64)  # crop px
        p = roi.crop_to_image(kp / RECROP_INPUT)                      # (2, xy) pixels
        size = 2.0 * float(np.linalg.norm(p[1] - p[0]))
        return rect_to_roi(p[0], size, size, rotation_to_up(p[0], p[1], -math.pi / 2),
                           shift_y=-0.1)
