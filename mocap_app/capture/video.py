"""Video files through OpenCV (FFmpeg backend): any container and codec OpenCV reads.

Frames are decoded one at a time (a long file is streamed, never loaded), turned upright
from the rotation metadata, and stamped with their presentation time.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from .base import CaptureError, Frame, SourceInfo
from .guarded import GuardedCapture

_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


class VideoFileSource(GuardedCapture):
    """Reads a video file frame by frame. Raises CaptureError with a clear message for a
    missing, empty, unreadable or non-video file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise CaptureError(f"video file not found: {self.path}")
        if self.path.is_dir():
            raise CaptureError(f"expected a video file, got a folder: {self.path}")
        if self.path.stat().st_size == 0:
            raise CaptureError(f"video file is empty (0 bytes): {self.path}")
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"no video stream that can be decoded in {self.path} (audio "
                               "only, an unsupported codec, or not a video at all)")
        # We turn frames ourselves so that the behaviour is the same on every backend.
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        rotation = int(round(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)) % 360
        self._rotate = _ROTATE.get(rotation)
        ok, first = cap.read()
        if not ok or first is None or first.size == 0:
            cap.release()
            raise CaptureError(f"no video frames could be decoded from {self.path} "
                               "(not a video, audio only, corrupt or unsupported codec)")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not np.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 30.0
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        first = self._upright(first)
        h, w = first.shape[:2]
        self.info = SourceInfo(w, h, fps, count if count > 0 else None,
                               f"{self.path.name} ({w}x{h}, {fps:.2f} fps)")
        self.rotation = rotation
        self._cap = cap
        self._first = first
        self._init_guard()

    def _read(self) -> tuple[np.ndarray | None, float]:
        """The next decoded frame and its presentation time (ms), or (None, 0) at the end
        or once closed."""
        with self._lock:
            if self._cap is None or self._closing:
                self._release()
                return None, 0.0
            ok, img = self._cap.read()
            ms = self._cap.get(cv2.CAP_PROP_POS_MSEC) if ok else 0.0
            if self._closing:
                self._release()
        return (img if ok and img is not None else None), ms


    def _upright(self, img: np.ndarray) -> np.ndarray:
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        return cv2.rotate(img, self._rotate) if self._rotate is not None else img

    def __iter__(self) -> Iterator[Frame]:
        if self._cap is None:
            raise CaptureError(f"video source is closed: {self.path}")
        fps = self.info.fps
        index = 0
        first_ms = None
        img = self._first
        self._first = None
        with self._lock:
            ms = self._cap.get(cv2.CAP_PROP_POS_MSEC) if self._cap is not None else 0.0
            if img is None and self._cap is not None:  # iterated a second time: start again
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        if img is None:
            img, ms = self._read()
            if img is None:
                return
            img = self._upright(img)
        while img is not None:
            if first_ms is None:
                first_ms = ms if ms is not None and np.isfinite(ms) else 0.0
            ts = (ms - first_ms) / 1000.0 if (ms and np.isfinite(ms) and ms >= first_ms) \
                else index / fps
            if index > 0 and ts <= 0:
                ts = index / fps
            yield Frame(index, float(ts), img)
            index += 1
            nxt, ms = self._read()
            img = self._upright(nxt) if nxt is not None else None


    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
