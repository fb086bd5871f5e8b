"""Everything heavy runs here, off the GUI thread.

A job is a ``QObject`` moved to its own ``QThread`` (never a QThread subclass). It is
stopped through a ``threading.Event`` set directly from the GUI thread: the job's thread
is busy in a blocking loop, so a queued slot would never arrive.

Live results are not emitted one signal per frame: the job drops each result into a
one-slot ``LatestBox`` and the views pick up the newest one on their redraw timer, so the
GUI can never be flooded and no queue can grow, whatever the camera rate. Everything put
in the box (frames, poses) is immutable from then on.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

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
        except _Cancelled:
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


class _Cancelled(Exception):
    pass


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


# ----------------------------------------------------------------- offline import
@dataclass(frozen=True)
class ImportResult:
    take_folder: Path
    frames: int
    frames_with_person: int
    seconds: float
    refined_with: str              # which refinement stages ran, for the status bar


class _PreviewEstimator:
    """Wraps a PoseEstimator so the import shows the frame being processed: each
    (image, pose) goes to a LatestBox the GUI polls."""

    def __init__(self, estimator, box: LatestBox):
        self._estimator = estimator
        self._box = box

    def estimate(self, image, index, timestamp):
        pose = self._estimator.estimate(image, index, timestamp)
        self._box.put((image, pose))   # ``image`` is a fresh decode, never reused
        return pose

    def __getattr__(self, name):
        return getattr(self._estimator, name)


def make_refine(bidirectional: bool = True) -> tuple[Callable | None, str]:
    """The refinement stages as a PoseSequence -> PoseSequence callable, and a note of
    what runs. Falls back to the stages without the temporal network when its weights
    are not shipped yet; None when pipeline.refine does not exist."""
    try:
        from ..pipeline.refine import RefineOptions, refine_sequence
    except ImportError:
        return None, "no refinement (pipeline.refine not available)"
    options = RefineOptions(bidirectional=bidirectional)
    try:
        from ..pipeline.refine import load_refiner
        refiner = load_refiner(causal=not bidirectional)
        note = "temporal refiner (bidirectional)" if bidirectional else "temporal refiner"
    except Exception as exc:  # missing weights or torch: keep the other stages
        refiner = None
        options = RefineOptions(temporal=False, bidirectional=bidirectional)
        note = f"refinement without temporal network ({type(exc).__name__})"

    def run(seq):
        return refine_sequence(seq, options, refiner).refined
    return run, note


class OfflineImportJob(Job):
    """Processes every frame of a video file, then saves the result as a take. A
    cancelled or failed import leaves nothing on disk."""

    def __init__(self, video: Path, takes_root: Path, config, refine: bool = True,
                 preview: LatestBox | None = None, take_name: str | None = None):
        super().__init__()
        self.video = Path(video)
        self.takes_root = Path(takes_root)
        self.config = config
        self.refine = refine
        self.preview = preview
        self.take_name = take_name

    def work(self) -> ImportResult:
        from ..pipeline.estimator import PoseEstimator
        from ..pipeline.offline import Cancelled, process_video
        from ..takes.manage import save_offline_take, unique_take_folder

        estimator = PoseEstimator(self.config)
        est = _PreviewEstimator(estimator, self.preview) if self.preview else estimator
        refine, note = make_refine(True) if self.refine else (None, "refinement off")
        last = [0.0]

        def progress(p):
            now = time.monotonic()
            # throttled: the bar needs ~10 updates a second, not one per frame
            if now - last[0] >= 0.1 or (p.total and p.done >= p.total):
                last[0] = now
                self.progress.emit(p)
        try:
            result = process_video(self.video, self.config, refine=refine,
                                   cancel=self.stop_event, progress=progress, estimator=est)
        except Cancelled:
            raise _Cancelled() from None
        finally:
            estimator.close()
        if self.stop_event.is_set():
            raise _Cancelled()
        folder = unique_take_folder(self.takes_root, self.take_name or self.video.stem)
        info = dict(result.info)
        lifter_loaded = bool(info.pop("lifter", False))
        save_offline_take(folder, result, parameters={
            **info, "detector": self.config.detector, "lifter": self.config.lifter,
            "lifter_loaded": lifter_loaded, "refinement": note})
        return ImportResult(folder, result.frames, result.frames_with_person,
                            result.seconds, note)


# ----------------------------------------------------------------- re-process a take
class ReprocessJob(Job):
    """Runs the bidirectional refiner over a take's raw poses and stores the result in the
    take (raw kept)."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)

    def work(self) -> str:
        from ..takes import load_take
        from ..takes.manage import store_refined
        refine, note = make_refine(True)
        if refine is None:
            raise RuntimeError("re-processing needs pipeline.refine, which is not installed "
                               "in this build")
        raw, _meta = load_take(self.folder, which="raw")
        if self.stop_event.is_set():
            raise _Cancelled()
        refined = refine(raw)
        store_refined(self.folder, raw, refined, note)
        return note


# ----------------------------------------------------------------- live capture
@dataclass
class LiveStatus:
    """What the status bar shows; written by the worker, read by the GUI timer."""
    capture_fps: float = 0.0
    processing_fps: float = 0.0
    latency_ms: float = 0.0
    dropped: int = 0
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

    # -- called from the GUI thread --
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


# ----------------------------------------------------------------- heatmaps on demand
class HeatmapJob(Job):
    """Computes the lifter's marginal heatmaps for the frame shown in playback: requests
    go to a one-slot box (the newest frame wins), answers to another."""

    unavailable = Signal(str)

    def __init__(self, requests: LatestBox, answers: LatestBox):
        super().__init__()
        self.requests = requests
        self.answers = answers
        self.wakeup = threading.Event()

    def request(self, index: int, keypoints, visibility, image_size) -> None:
        self.requests.put((index, keypoints, visibility, image_size))
        self.wakeup.set()

    def work(self):
        from ..pipeline.estimator import load_lifter
        try:
            lifter = load_lifter("auto")
        except Exception as exc:
            lifter, why = None, f"the lifter could not be loaded: {exc}"
        else:
            why = ("no lifter in this build yet (lift/inference.py or models/lifter.pt "
                   "missing): showing no heatmaps")
        if lifter is None:
            self.unavailable.emit(why)
            return "unavailable"
        import numpy as np
        while not self.stop_event.is_set():
            self.wakeup.wait(0.1)
            self.wakeup.clear()
            req = self.requests.take()
            if req is None:
                continue
            index, kp, vis, size = req
            if kp is None or not np.isfinite(kp).all():
                self.answers.put((index, None, None))
                continue
            res = lifter.lift(kp[None], vis[None], size)
            maps = getattr(res, "heatmaps", None)
            if maps is None:
                self.unavailable.emit("this lifter returns no heatmaps")
                return "unavailable"
            maps = {k: np.array(v[0]) for k, v in maps.items()}
            self.answers.put((index, maps, np.array(res.joints_3d[0])))
        return "stopped"


def default_takes_root() -> Path:
    env = os.environ.get("MOCAP_APP_TAKES")
    if env:
        return Path(env)
    return Path.home() / "mocap_takes"


__all__ = ["LatestBox", "Job", "JobRunner", "OfflineImportJob", "ReprocessJob", "LiveJob",
           "LiveEnded", "LiveStatus", "HeatmapJob", "ImportResult"]
