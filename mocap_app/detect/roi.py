"""Regions of interest: from two keypoints to a rotated square, and the warped crop.

The rules follow MediaPipe's pose graphs (AlignmentPointsRectsCalculator with a target
angle of 90 degrees, RectTransformationCalculator scale 1.25 square-long, and the OpenCV
ImageToTensor converter), so that our crops give the landmark model the same pixels.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .base import Roi

ROI_SCALE = 1.25     # the body circle's square, grown so limbs fit


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roi_from_keypoints(centre: np.ndarray, scale_point: np.ndarray,
                       scale: float = ROI_SCALE) -> Roi:
    """The body ROI from the hip centre and a point on the body circle (pixels): a square
    of side ``2 |p1 - p0| * scale`` centred on p0, turned so that p0 -> p1 points up."""
    x0, y0 = float(centre[0]), float(centre[1])
    x1, y1 = float(scale_point[0]), float(scale_point[1])
    side = 2.0 * math.hypot(x1 - x0, y1 - y0) * scale
    rotation = normalize_radians(math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0))
    return Roi(center=(x0, y0), size=side, rotation=rotation)


def roi_box(roi: Roi) -> np.ndarray:
    """(4,) x0, y0, x1, y1: the axis-aligned box around the rotated square."""
    corners = roi.crop_to_image(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float))
    return np.concatenate([corners.min(axis=0), corners.max(axis=0)])


def warp_matrix(roi: Roi, width: int, height: int) -> np.ndarray:
    """3x3 perspective matrix from the frame to a (height, width) crop of ``roi``, exactly as
    MediaPipe builds it (the rect's corners onto the crop's corners)."""
    rect = ((roi.center[0], roi.center[1]), (roi.size, roi.size), math.degrees(roi.rotation))
    src = cv2.boxPoints(rect).astype(np.float32)          # bottom-left, top-left, ...
    dst = np.array([[0, height], [0, 0], [width, 0], [width, height]], np.float32)
    return cv2.getPerspectiveTransform(src, dst)


def warp_crop(image: np.ndarray, roi: Roi, size: int, replicate_border: bool) -> np.ndarray:
    """The (size, size, 3) uint8 crop of ``roi``; outside the frame: edge pixels replicated
    (landmark model) or black (detector letterbox)."""
    m = warp_matrix(roi, size, size)
    border = cv2.BORDER_REPLICATE if replicate_border else cv2.BORDER_CONSTANT
    return cv2.warpPerspective(image, m, (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=border, borderValue=(0, 0, 0))


def letterbox_roi(width: int, height: int) -> Roi:
    """The square around the whole frame, centred, that the detector sees (black bars)."""
    return Roi(center=(width / 2.0, height / 2.0), size=float(max(width, height)))
