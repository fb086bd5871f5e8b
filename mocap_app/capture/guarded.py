"""One OpenCV capture shared by a reading thread and whoever closes it.

FFmpeg aborts the whole process if a capture is released while another thread decodes
from it (a live session stopping, the GUI closing): reads and the release take turns
under one lock, and a close that cannot get the lock in time leaves the release to the
reading thread when its read returns.
"""
from __future__ import annotations

import threading


class GuardedCapture:
    _cap = None

    def _init_guard(self) -> None:
        self._lock = threading.Lock()
        self._closing = False

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def close(self) -> None:
        """Safe from any thread: waits for a read in progress (at most 2 s; after that
        the reading thread releases the capture when its read returns)."""
        self._closing = True
        if self._lock.acquire(timeout=2.0):
            try:
                self._release()
            finally:
                self._lock.release()
