"""The hand tracker on its own thread: the live path's second core.

LiteRT releases the GIL while a model runs (two hand landmark passes on two threads take
half the time of the same passes one after the other on this two-core machine), so the
hands of frame t can run while the body detector works on frame t+1. ``PoseEstimator``
with ``EstimatorConfig(hand_thread=True)`` (the live default where there are two cores)
submits the hands of each frame after its body detection and collects them one frame
later: every frame gets both hands, one frame old, their 2D moved with the body's wrist
(the 3D is wrist-relative). Offline keeps the hands on the estimator's thread (every
frame exact).

    worker = HandWorker(HandTracker())
    worker.submit(image, body, ("left", "right"))   # returns at once
    result, seconds = worker.collect()               # waits for it; (None, 0) if nothing
    worker.close()
"""
from __future__ import annotations

import threading
import time


class HandWorkerError(RuntimeError):
    """The hand tracker failed on the worker thread (the original error is the cause)."""


class HandWorker:
    """One job at a time: ``submit`` then ``collect``; a second ``submit`` first waits for
    the job before it (its result is dropped)."""

    def __init__(self, tracker):
        self.tracker = tracker
        self._cond = threading.Condition()
        self._job = None            # (image, body, sides) waiting for the thread
        self._busy = False          # the thread is on a job
        self._result = None         # (HandsResult, seconds) or an exception
        self._pending = False       # a job was submitted and not collected
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="hands", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> bool:
        return self._pending

    def submit(self, image, body, sides) -> None:
        if self._pending:
            self.collect()
        with self._cond:
            if self._closed:
                raise HandWorkerError("the hand worker is closed")
            self._job = (image, body, tuple(sides))
            self._pending = True
            self._cond.notify_all()

    def collect(self, timeout: float | None = 10.0):
        """(HandsResult, seconds the tracker took) of the last job; (None, 0.0) when none
        is pending. Raises ``HandWorkerError`` if the tracker failed or did not answer
        within ``timeout`` seconds."""
        if not self._pending:
            return None, 0.0
        with self._cond:
            done = self._cond.wait_for(
                lambda: self._job is None and not self._busy and self._result is not None,
                timeout)
            if not done:
                raise HandWorkerError(f"the hand tracker gave no answer in {timeout:g} s")
            result, self._result = self._result, None
            self._pending = False
        if isinstance(result, BaseException):
            raise HandWorkerError(f"hand tracking failed: {result}") from result
        return result

    def reset(self) -> None:
        """Drop any pending job and forget the tracked hands (a new take or source)."""
        try:
            self.collect()
        except HandWorkerError:
            pass
        self.tracker.reset()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=10.0)
        self._pending = False
        self.tracker.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._closed)
                if self._closed:
                    return
                job, self._job = self._job, None
                self._busy = True
            t0 = time.perf_counter()
            try:
                result = (self.tracker.track(*job), time.perf_counter() - t0)
            except Exception as exc:  # handed to the estimator's thread by collect()
                result = exc
            with self._cond:
                self._result = result
                self._busy = False
                self._cond.notify_all()
