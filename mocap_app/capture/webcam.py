"""Webcams through OpenCV. Reports what the camera actually delivers, which is often not
what was asked for."""
from __future__ import annotations

import time
from typing import Iterator

import cv2

from .base import CaptureError, Frame, SourceInfo
from .guarded import GuardedCapture


class WebcamSource(GuardedCapture):
    def __init__(self, device: int = 0, width: int | None = 1280, height: int | None = 720,
                 fps: float | None = 30.0, max_failed_reads: int = 30):
        self.device = device
        cap = cv2.VideoCapture(device)
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"camera {device} could not be opened (unplugged or in use?)")
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            cap.set(cv2.CAP_PROP_FPS, fps)
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise CaptureError(f"camera {device} opened but delivers no frames")
        h, w = first.shape[:2]
        real_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0) or float(fps or 30.0)
        self.info = SourceInfo(w, h, real_fps, None, f"camera {device} ({w}x{h}, {real_fps:g} fps)")
        self._cap = cap
        self._first = first
        self._max_failed = max_failed_reads
        self._init_guard()

    def __iter__(self) -> Iterator[Frame]:
        if self._cap is None:
            raise CaptureError(f"camera {self.device} is closed")
        t0 = time.monotonic()
        index, failed = 0, 0
        img = self._first
        self._first = None
        while self._cap is not None:
            if img is None:
                with self._lock:
                    if self._cap is None or self._closing:
                        self._release()
                        return
                    ok, img = self._cap.read()
                if not ok or img is None:
                    failed += 1
                    if failed >= self._max_failed:
                        raise CaptureError(f"camera {self.device} stopped delivering frames "
                                           "(unplugged?)")
                    img = None
                    time.sleep(0.01)
                    continue
            failed = 0
            yield Frame(index, time.monotonic() - t0, img)
            index += 1
            img = None




def list_cameras(max_devices: int = 8, stop=None) -> list[tuple[int, SourceInfo]]:
    """Cameras that open and deliver a frame: (device index, what it delivers).
    ``stop`` (a threading.Event) ends the probe early."""
    found = []
    for dev in range(max_devices):
        if stop is not None and stop.is_set():
            break
        try:
            src = WebcamSource(dev, None, None, None, max_failed_reads=3)
        except Exception:  # CaptureError, or a driver error: not a usable camera
            continue
        found.append((dev, src.info))
        src.close()
    return found
