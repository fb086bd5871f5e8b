"""The local pool: one worker process per core (by default), each loading the models once.

Processes are spawned (not forked: torch and LiteRT do not survive a fork with threads
running) and ignore SIGINT; the driver turns Ctrl-C into a shared cancel event that every
worker checks between frames, so a cancelled file stops within a frame, removes its
temporary output and is left for the next run. A worker that dies (killed, out of memory)
breaks the pool: the files it and its siblings were on are given to a fresh pool, and a
file that kills its worker ``MAX_ATTEMPTS`` times is recorded as failed.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from .jobs import Job
from .settings import BatchSettings
from .worker import FileResult

#: a file whose worker process dies this many times is recorded as failed
MAX_ATTEMPTS = 3
#: seconds between progress messages from one worker
PROGRESS_EVERY = 0.5

_CANCEL = None          # in a worker: the pool's cancel event
_PROGRESS = None        # in a worker: the queue progress messages go to


def detector_threads_each(processes: int) -> int:
    """The body detector's threads in each of ``processes`` workers: the cores shared
    out (one each when there are at least as many workers as cores; a batch of one file
    on two cores gives its worker both)."""
    from ..pipeline.estimator import MAX_DETECTOR_THREADS
    return max(1, min(MAX_DETECTOR_THREADS, (os.cpu_count() or 1) // max(1, processes)))


def _init_worker(cancel, progress, detector_threads: int = 1) -> None:
    from .worker import limit_threads, use_detector_threads
    limit_threads()
    use_detector_threads(detector_threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the driver decides; see the module doc
    global _CANCEL, _PROGRESS
    _CANCEL, _PROGRESS = cancel, progress


def _run_job(job: Job, settings: BatchSettings) -> dict:
    from .worker import process_file
    last = [0.0]

    def report(key: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or (total and done >= total):
            last[0] = now
            _PROGRESS.put((key, done, total))
    return process_file(job, settings, cancel=_CANCEL, progress=report).as_dict()


def run_local(jobs: list[Job], settings: BatchSettings, workers: int,
              on_result: Callable[[Job, dict], None],
              on_progress: Callable[[str, int, int | None], None],
              cancel: threading.Event) -> None:
    """Process ``jobs`` on ``workers`` processes; ``on_result(job, FileResult dict)`` is
    called in this thread as each file ends (``cancelled`` ones too)."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    progress = ctx.Queue()
    attempts = {job.key: 0 for job in jobs}
    todo = list(jobs)
    while todo:
        died: list[Job] = []
        processes = min(workers, len(todo))
        with ProcessPoolExecutor(max_workers=processes, mp_context=ctx,
                                 initializer=_init_worker,
                                 initargs=(stop, progress,
                                           detector_threads_each(processes))) as pool:
            futures = {pool.submit(_run_job, job, settings): job for job in todo}
            pending = set(futures)
            while pending:
                try:
                    done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    cancel.set()
                    done = set()
                if cancel.is_set() and not stop.is_set():
                    stop.set()
                    for f in pending:
                        f.cancel()
                _drain(progress, on_progress)
                for f in done:
                    job = futures[f]
                    if f.cancelled():
                        on_result(job, FileResult("cancelled").as_dict())
                        continue
                    exc = f.exception()
                    if isinstance(exc, BrokenProcessPool):
                        died.append(job)
                    elif exc is not None:   # cannot happen: process_file returns failures
                        on_result(job, FileResult("failed", error=f"{type(exc).__name__}: "
                                                  f"{exc}").as_dict())
                    else:
                        on_result(job, f.result())
        _drain(progress, on_progress)
        todo = []
        for job in died:
            attempts[job.key] += 1
            if cancel.is_set():
                on_result(job, FileResult("cancelled").as_dict())
            elif attempts[job.key] >= MAX_ATTEMPTS:
                on_result(job, FileResult("failed", error=f"the worker process died "
                                          f"{attempts[job.key]} times on this file").as_dict())
            else:
                todo.append(job)


def _drain(progress, on_progress) -> None:
    while True:
        try:
            key, done, total = progress.get_nowait()
        except queue.Empty:
            return
        on_progress(key, done, total)
