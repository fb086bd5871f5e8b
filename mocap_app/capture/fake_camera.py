"""A fake camera: a video file played at its real frame rate through the same protocol as
a webcam (frames come when their time comes; nobody waits for the consumer). Used by the
tests and benchmarks, the only place where the camera is faked, and by ``mocap stream
VIDEO``, which streams a file's poses live as a camera's would be."""
from __future__ import annotations

import time
from typing import Iterator

from .base import CaptureError, Frame, SourceInfo
from .video import VideoFileSource


class PacedVideoSource:
    def __init__(self, path, loop: bool = False, fail_after: int | None = None,
                 speed: float = 1.0):
        self._video = VideoFileSource(path)
        v = self._video.info
        self.info = SourceInfo(v.width, v.height, v.fps, None, f"fake camera: {v.description}")
        self.path = path
        self.loop = loop
        self.fail_after = fail_after     # raise CaptureError after this many frames (unplug)
        self.speed = speed
        self._closed = False

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        period = 1.0 / (self.info.fps * self.speed)
        n = 0
        while not self._closed:
            for f in self._video:
                if self._closed:
                    return
                if self.fail_after is not None and n >= self.fail_after:
                    raise CaptureError("camera stopped delivering frames (unplugged?)")
                due = t0 + n * period
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                yield Frame(n, time.monotonic() - t0, f.image)
                n += 1
            if not self.loop or self._closed:
                return
            self._video.close()
            self._video = VideoFileSource(self.path)
            if self._closed:         # closed while reopening
                self._video.close()
                return

    def close(self) -> None:
        self._closed = True
        self._video.close()
