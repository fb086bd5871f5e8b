"""One worker process: loads the models once, then processes file after file.

The same code runs in a local pool's process (``pool``) and in a Ray worker
(``ray_tasks``): the detector, the lifter and the refiner are kept in this module's
``_LOADED`` and reused for every file of the same settings; only the detector's tracking
state is reset between files. Each worker uses one torch thread and one LiteRT thread, so
N workers keep N cores busy without oversubscribing them.

A file's output is written under a temporary name beside the final one and renamed when
complete; any failure (unreadable file, nobody in it, an export error, even a bug) becomes
a ``failed`` result with its message, never an exception out of ``process_file``.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .jobs import Job, temp_output
from .settings import BatchSettings


@dataclass(frozen=True)
class FileResult:
    status: str                       # "done" | "short" | "failed" | "cancelled"
    frames: int = 0                   # frames decoded and processed
    frames_with_person: int = 0
    seconds: float = 0.0              # wall time of this file in the worker
    error: str | None = None          # why it failed, or the short-input warning
    input_size: int | None = None     # the input as it was when read (resume checks it)
    input_mtime_ns: int | None = None
    worker: str = ""                  # host:pid

    def as_dict(self) -> dict:
        return asdict(self)


def limit_threads() -> None:
    """One thread per math library in this process; call before torch is imported."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"


_LOADED: dict = {}     # settings key -> (PoseEstimator, refine callable or None)
#: the body detector's threads in this process (``use_detector_threads``); None: one
_DETECTOR_THREADS: list = [None]


def use_detector_threads(threads: int | None) -> None:
    """The body detector's threads for models loaded from now on in this process (the
    pool gives each worker its share of the cores, ``pool.detector_threads_each``)."""
    from ..pipeline.estimator import check_detector_threads
    _DETECTOR_THREADS[0] = check_detector_threads(threads)


def loaded_models(settings: BatchSettings):
    """(estimator, refine) for ``settings``, loaded on first use in this process."""
    key = repr((settings, _DETECTOR_THREADS[0]))
    if key not in _LOADED:
        from ..pipeline.estimator import EstimatorConfig, PoseEstimator, tilt_config
        for old in _LOADED.values():
            old[0].close()
        _LOADED.clear()
        _LOAD_COUNT[0] += 1
        # one worker per core already: the hands stay on the worker's thread
        estimator = PoseEstimator(EstimatorConfig(detector=settings.detector,
                                                  lifter=settings.lifter,
                                                  hands=settings.hands, hand_thread=False,
                                                  detector_threads=_DETECTOR_THREADS[0],
                                                  **tilt_config(settings.tilt)))
        _LOADED[key] = (estimator, _make_refine(settings))
    return _LOADED[key]


def models_loaded_here() -> int:
    """How many times this process has loaded the models (for tests and the benchmark)."""
    return _LOAD_COUNT[0]


_LOAD_COUNT = [0]


def _make_refine(settings: BatchSettings):
    """The same stages as ``mocap process`` (cli/process.py ``_make_refine``)."""
    if not settings.refine:
        return None
    from ..pipeline.refine import RefineOptions, load_refiner, refine_sequence
    options = RefineOptions(foot_contact=settings.foot_lock, hfov_deg=settings.hfov)
    try:
        refiner = load_refiner(causal=False)
    except FileNotFoundError:
        refiner = None
        options = RefineOptions(temporal=False, foot_contact=settings.foot_lock,
                                hfov_deg=settings.hfov)

    def run(seq):
        return refine_sequence(seq, options, refiner).refined
    return run


def process_file(job: Job, settings: BatchSettings, *,
                 cancel: threading.Event | None = None,
                 progress: Callable[[str, int, int | None], None] | None = None
                 ) -> FileResult:
    """Process ``job`` to its output. ``progress(key, frames_done, frames_total)``."""
    from ..capture.base import CaptureError
    from ..pipeline.offline import Cancelled, NoPersonError, process_video

    t0 = time.perf_counter()
    who = f"{socket.gethostname()}:{os.getpid()}"
    try:
        st = os.stat(job.input)
    except OSError as exc:
        return FileResult("failed", error=f"cannot read {job.input}: {exc.strerror or exc}",
                          worker=who)
    base = dict(input_size=st.st_size, input_mtime_ns=st.st_mtime_ns, worker=who)
    tmp = temp_output(job, str(os.getpid()))
    try:
        estimator, refine = loaded_models(settings)
        estimator.reset()
        report = None
        if progress is not None:
            def report(p):
                progress(job.key, p.done, p.total)
        result = process_video(job.input, estimator.config, refine=refine, cancel=cancel,
                               progress=report, estimator=estimator)
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        from ..export import export_sequence
        Path(job.output).parent.mkdir(parents=True, exist_ok=True)
        export_sequence(result.refined, tmp, settings.export)
        os.replace(tmp, job.output)
    except Cancelled:
        _remove(tmp)
        return FileResult("cancelled", seconds=time.perf_counter() - t0, **base)
    except (CaptureError, NoPersonError, ValueError) as exc:
        _remove(tmp)
        return FileResult("failed", error=str(exc), seconds=time.perf_counter() - t0, **base)
    except OSError as exc:
        _remove(tmp)
        return FileResult("failed", error=f"could not write output: {exc.strerror or exc} "
                          f"({exc.filename or job.output})",
                          seconds=time.perf_counter() - t0, **base)
    except BaseException as exc:   # noqa: BLE001  a bug or a Blender error: this file only
        _remove(tmp)
        if isinstance(exc, KeyboardInterrupt):
            return FileResult("cancelled", seconds=time.perf_counter() - t0, **base)
        return FileResult("failed", error=f"{type(exc).__name__}: {exc}",
                          seconds=time.perf_counter() - t0, **base)
    short = result.short_input
    return FileResult("short" if short is not None else "done", result.frames,
                      result.frames_with_person, time.perf_counter() - t0,
                      short.message(Path(job.input).name) if short is not None else None,
                      **base)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
