"""BlazePose's person detector head: SSD anchors, box decoding and weighted NMS.

Pure numpy. The rules are MediaPipe's ``pose_detection`` graph (SsdAnchorsCalculator,
TensorsToDetectionsCalculator, NonMaxSuppressionCalculator), re-written here so that the
detector and the crop are ours.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT_SIZE = 224                # detector input, square letterbox
NUM_KEYPOINTS = 4               # 0 hip centre, 1 a point on the body circle, 2-3 face


@dataclass(frozen=True)
class AnchorOptions:
    num_layers: int = 5
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    input_size: int = INPUT_SIZE
    strides: tuple[int, ...] = (8, 16, 32, 32, 32)
    anchor_offset: float = 0.5
    # aspect ratio 1 plus the interpolated scale (ratio 1.0): 2 anchors a cell per layer;
    # fixed anchor size means every anchor is 1 x 1 and only centres matter


def ssd_anchors(opts: AnchorOptions = AnchorOptions()) -> np.ndarray:
    """(N, 2) anchor centres (x, y) in 0..1, in the order of the model's outputs.

    Layers with the same stride share one feature map: their anchors are emitted per
    cell together (2 per layer), as MediaPipe's SsdAnchorsCalculator does.
    """
    centres = []
    layer = 0
    while layer < opts.num_layers:
        stride = opts.strides[layer]
        per_cell = 0
        while layer < opts.num_layers and opts.strides[layer] == stride:
            per_cell += 2
            layer += 1
        n = int(np.ceil(opts.input_size / stride))
        ys, xs = np.meshgrid((np.arange(n) + opts.anchor_offset) / n,
                             (np.arange(n) + opts.anchor_offset) / n, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=1)          # (n*n, 2)
        centres.append(np.repeat(cell, per_cell, axis=0))
    return np.concatenate(centres, axis=0)


@dataclass(frozen=True)
class RawDetection:
    """One decoded detection in the detector's letterboxed input, coordinates 0..1."""
    box: np.ndarray         # (4,) xmin, ymin, xmax, ymax
    keypoints: np.ndarray   # (K, 2) x, y
    score: float


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray,
                      min_score: float = 0.5, scale: float = INPUT_SIZE,
                      score_clip: float = 100.0,
                      num_keypoints: int = NUM_KEYPOINTS) -> list[RawDetection]:
    """Model outputs -> detections above ``min_score``, best first.

    ``raw_boxes`` (N, 4 + 2K): x, y, w, h then K keypoints (x, y), offsets from the anchor
    in input pixels (K = 4 for the body, 7 for the palm detector); ``raw_scores`` (N,)
    logits.
    """
    raw_boxes = raw_boxes.reshape(-1, 4 + 2 * num_keypoints).astype(np.float64)
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -score_clip, score_clip)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    out = []
    for i in keep[np.argsort(-scores[keep], kind="stable")]:
        r, a = raw_boxes[i], anchors[i]
        cx, cy = r[0] / scale + a[0], r[1] / scale + a[1]
        w, h = r[2] / scale, r[3] / scale
        kp = r[4:].reshape(num_keypoints, 2) / scale + a
        out.append(RawDetection(np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]),
                                kp, float(scores[i])))
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (xmin, ymin, xmax, ymax) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(dets: list[RawDetection], iou_threshold: float = 0.3) -> list[RawDetection]:
    """MediaPipe's weighted non-maximum suppression: each cluster (IoU with its best member
    above ``iou_threshold``) becomes the score-weighted mean of its boxes and keypoints,
    keeping the best score. ``dets`` must be sorted best first."""
    remaining = list(dets)
    out = []
    while remaining:
        best = remaining[0]
        cluster = [d for d in remaining if iou(d.box, best.box) > iou_threshold]
        remaining = [d for d in remaining if iou(d.box, best.box) <= iou_threshold]
        if not cluster:     # a degenerate best box (zero area): keep it alone
            cluster = [best]
            remaining = remaining[1:]
        w = np.array([d.score for d in cluster])
        box = np.sum([d.box * s for d, s in zip(cluster, w)], axis=0) / w.sum()
        kp = np.sum([d.keypoints * s for d, s in zip(cluster, w)], axis=0) / w.sum()
        out.append(RawDetection(box, kp, best.score))
    return out
