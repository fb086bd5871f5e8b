"""The live job: a camera's LiveSession run on the job's thread, newest frame wins;
recording and subject-selection requests from the GUI are applied between frames, and the
status bar figures are kept in ``LiveStatus``."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal

from .worker import Job, LatestBox, compute_device


@dataclass
class LiveStatus:
    """What the status bar shows; written by the worker, read by the GUI timer."""
    capture_fps: float = 0.0
    processing_fps: float = 0.0
    latency_ms: float = 0.0
    dropped: int = 0
    side_fixed: int = 0          # frames whose left/right the side track put right
    recording_frames: int = 0
    device: str = "CPU"
    people: tuple = ()           # ((x0, y0, x1, y1), ...) everyone the detector sees
    people_frame: int = -1       # the frame those boxes were found in


@dataclass(frozen=True)
class LiveEnded:
    error: str | None              # camera lost etc., None when stopped by the user
    take_folder: Path | None       # the take being recorded when the source ended
    captured: int
    processed: int
    dropped: int


class ReaderClosedSource:
    """Wraps a frame source so that it is closed by the thread that reads it.

    ``LiveSession.run`` closes its source from the processing thread while the capture
    thread may still be inside ``cv2.VideoCapture.read``; releasing the capture under a
    read aborts the process (seen here: ``Fatal Python error: Aborted`` in
    ``VideoFileSource.close``). Here ``close`` only asks; the reading thread stops after
    the frame in hand and releases the source itself."""

    def __init__(self, source):
        self._source = source
        self.info = source.info
        self._lock = threading.Lock()
        self._closing = False
        self._reading = False
        self._released = False

    def __iter__(self):
        with self._lock:
            if self._closing:
                return
            self._reading = True
        try:
            for frame in self._source:
                yield frame
                if self._closing:
                    break
        finally:
            self._release()

    def _release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._source.close()

    def close(self) -> None:
        with self._lock:
            self._closing = True
            reading = self._reading
        if not reading:
            self._release()


class LiveJob(Job):
    """Runs a LiveSession on this job's thread. ``source_factory`` opens the camera (on
    this thread, so a slow driver cannot freeze the window)."""

    recording_changed = Signal(object)   # Path of the take started, or None when stopped
    ready = Signal(str)                  # the source's description, once it delivers

    def __init__(self, source_factory: Callable[[], Any], config, results: LatestBox,
                 use_refiner: bool = True, estimator=None):
        super().__init__()
        self.source_factory = source_factory
        self.config = config
        self.results = results
        self.use_refiner = use_refiner
        self.estimator = estimator
        self.session = None
        self.status = LiveStatus()
        self.refiner_note = ""
        self._subject_point = None
        self._lock = threading.Lock()
        self._rec_request: list = []
        self._times: list[float] = []
        self._recording_folder: Path | None = None
        self._streamer = None        # link.LiveStreamer while the Stream toggle is on

    # -- called from the GUI thread --
    def set_streamer(self, streamer) -> None:
        """Stream every live pose from now on (a ``link.LiveStreamer``), or stop (None).
        The streamer only takes the pose over on this job's thread; it sends on its own."""
        self._streamer = streamer

    def request_recording(self, folder: Path | None, parameters: dict | None = None) -> None:
        """Start (folder) or stop (None) recording; done by the worker between frames."""
        with self._lock:
            self._rec_request.append((folder, parameters))

    def select_subject(self, point: tuple[float, float]) -> None:
        with self._lock:
            self._subject_point = point

    # -- the worker side --
    def work(self) -> LiveEnded:
        from ..pipeline.estimator import PoseEstimator, live_config
        from ..pipeline.live import LiveSession

        source = ReaderClosedSource(self.source_factory())
        own = self.estimator is None
        estimator = self.estimator or PoseEstimator(live_config(self.config))
        refiner = None
        if self.use_refiner:
            try:
                from ..pipeline.refine import LiveRefiner
                refiner = LiveRefiner()
                self.refiner_note = "causal refiner"
            except Exception as exc:
                self.refiner_note = f"no live refiner ({type(exc).__name__})"
        self.status.device = compute_device()
        self.session = session = LiveSession(source, estimator, on_result=self._on_result,
                                             refiner=refiner)
        self.ready.emit(source.info.description)
        self._t0 = time.monotonic()
        try:
            # requests issued before the first frame (e.g. record pressed at once)
            self._apply_requests(estimator)
            session.run(self.stop_event)
        finally:
            if own:
                estimator.close()
        folder = self._recording_folder
        if folder is not None:
            self.recording_changed.emit(None)
        st = session.stats
        return LiveEnded(session.error, folder, st.captured, st.processed, st.dropped)

    def _apply_requests(self, estimator) -> None:
        with self._lock:
            requests, self._rec_request = self._rec_request, []
            point, self._subject_point = self._subject_point, None
        for folder, params in requests:
            if folder is not None:
                if self.session.recording:
                    continue
                try:
                    self.session.start_recording(folder, params)
                except Exception as exc:
                    self.failed_recording(str(exc))
                    continue
                self._recording_folder = Path(folder)
                self.recording_changed.emit(Path(folder))
            elif self.session.recording:
                self.session.stop_recording()
                self.recording_changed.emit(None)
                self._recording_folder = None
        if point is not None:
            detector = getattr(estimator, "detector", None)
            select = getattr(detector, "select_subject", None)
            if select is not None:
                select(point)

    def failed_recording(self, message: str) -> None:
        self.recording_changed.emit(None)
        self.progress.emit(("recording_error", message))

    PEOPLE_EVERY = 15   # frames between whole-frame "who is there" passes (~0.5 s)

    def _find_people(self, result) -> None:
        """Everyone in the frame, now and then, so the view can show whom a click would
        pick (one whole-frame detector pass, no landmarks: a few ms every 15 frames)."""
        self._people_count = getattr(self, "_people_count", 0) + 1
        if self._people_count % self.PEOPLE_EVERY != 1:
            return
        detector = getattr(self.session.estimator, "detector", None)
        find = getattr(detector, "detect_people", None)
        if find is None:
            return
        try:
            people = find(result.frame.image, tiles=False, verify=False)
        except Exception:
            return
        h, w = result.frame.image.shape[:2]
        boxes = []
        for c in people:
            # the detector's body circle (centre at the hips, radius about half the
            # height) as an upright box about half as wide as tall, inside the frame
            (cx, cy), r = c.center, c.radius
            boxes.append((max(0.0, cx - 0.45 * r), max(0.0, cy - r),
                          min(float(w), cx + 0.45 * r), min(float(h), cy + r)))
        self.status.people_frame = result.frame.index
        self.status.people = tuple(boxes)

    def _on_result(self, result) -> None:
        streamer = self._streamer
        if streamer is not None:        # first: the pose leaves as soon as it exists
            streamer.send_result(result)
        session = self.session
        self.results.put(result)
        now = time.monotonic()
        self._times.append(now)
        cut = now - 1.0
        while self._times and self._times[0] < cut:
            self._times.pop(0)
        st = session.stats
        s = self.status
        elapsed = max(1e-6, now - self._t0)
        s.processing_fps = len(self._times) / min(1.0, elapsed)
        s.capture_fps = st.captured / elapsed
        s.latency_ms = result.latency * 1000.0
        s.dropped = result.dropped
        s.side_fixed = getattr(getattr(session, "estimator", None), "side_fixed", 0)
        rec = session.recorder
        s.recording_frames = rec.frames if rec is not None else 0
        self._find_people(result)
        if self._recording_folder is not None and rec is None:
            # the session stopped the take itself (disk full): tell the GUI
            self.recording_changed.emit(None)
            self._recording_folder = None
            if session.error:
                self.progress.emit(("recording_error", session.error))
        self._apply_requests(self.session.estimator)


__all__ = ["LiveEnded", "LiveJob", "LiveStatus", "ReaderClosedSource"]
