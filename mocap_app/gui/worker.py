"""The generic job machinery: everything heavy runs off the GUI thread through it.

A job is a ``QObject`` moved to its own ``QThread`` (never a QThread subclass). It is
stopped through a ``threading.Event`` set directly from the GUI thread: the job's thread
is busy in a blocking loop, so a queued slot would never arrive.

Live results are not emitted one signal per frame: the job drops each result into a
one-slot ``LatestBox`` and the views pick up the newest one on their redraw timer, so the
GUI can never be flooded and no queue can grow, whatever the camera rate. Everything put
in the box (frames, poses) is immutable from then on.

The jobs themselves live beside it: ``offline_jobs`` (video import, re-process),
``live_job`` (camera loop) and ``heatmap_job`` (lifter heatmaps for playback).
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

class LatestBox:
    """One-slot, thread-safe 'newest value wins' box. ``put`` replaces a value not yet
    taken (counted in ``replaced``); ``take`` returns the value once."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value: Any = None
        self._fresh = False
        self.put_count = 0
        self.replaced = 0

    def put(self, value: Any) -> None:
        with self._lock:
            if self._fresh:
                self.replaced += 1
            self._value, self._fresh = value, True
            self.put_count += 1

    def take(self) -> Any:
        """The newest value if it was not taken yet, else None."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            return self._value

    def peek(self) -> Any:
        with self._lock:
            return self._value


def compute_device() -> str:
    """'CUDA' when torch is loaded and sees a GPU, else 'CPU'."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            return "CUDA"
    except Exception:
        pass
    return "CPU"


class Job(QObject):
    """Base of the worker jobs. Subclasses implement ``work()``; it runs on the job's
    thread and must return soon after ``self.stop_event`` is set."""

    failed = Signal(str)          # a message for the user
    done = Signal(object)         # the job's result (immutable)
    cancelled = Signal()
    progress = Signal(object)     # job-specific progress record

    def __init__(self):
        super().__init__()
        self.stop_event = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except JobCancelled:
            self.cancelled.emit()
        except Exception as exc:  # every failure reaches the user as a message
            self.failed.emit(_describe(exc))
        else:
            if self.stop_event.is_set() and result is None:
                self.cancelled.emit()
            else:
                self.done.emit(result)

    def work(self):  # pragma: no cover - abstract
        raise NotImplementedError


class JobCancelled(Exception):
    """Raised inside ``work()`` to end the job as cancelled."""


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (OSError,)) and getattr(exc, "filename", None):
        text = f"{exc.strerror or text}: {exc.filename}"
    return text


class JobRunner:
    """Owns one job and its thread: start, request stop, shut down (stop, quit, wait)."""

    def __init__(self, job: Job, name: str = "worker"):
        self.job = job
        self.thread = QThread()
        self.thread.setObjectName(name)
        job.moveToThread(self.thread)
        self.thread.started.connect(job.run)
        # the thread's event loop ends once the job reports, whatever the outcome
        for sig in (job.done, job.failed, job.cancelled):
            sig.connect(self.thread.quit)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.job.stop_event.set()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        self.stop()
        self.thread.quit()
        return self.thread.wait(timeout_ms)


def default_takes_root() -> Path:
    env = os.environ.get("MOCAP_APP_TAKES")
    if env:
        return Path(env)
    return Path.home() / "mocap_takes"


__all__ = ["LatestBox", "Job", "JobCancelled", "JobRunner", "compute_device",
           "default_takes_root"]
