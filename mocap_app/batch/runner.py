"""``run_batch``: the driver. Lists the jobs, skips what an earlier run finished, hands the
rest to the local pool or to Ray, records every file's result in the manifest as it
ends, and reports the whole batch's progress."""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..core.errors import EXIT_OUTPUT, UserError
from .jobs import Job, find_jobs
from .manifest import Manifest
from .settings import BatchSettings, check_workers, fingerprint


@dataclass(frozen=True)
class BatchProgress:
    files_total: int          # files in this batch (skipped ones included)
    files_skipped: int        # finished by an earlier run, unchanged
    files_done: int           # ended in this run (done or short)
    files_failed: int         # failed in this run
    frames_done: int          # frames processed in this run (files in flight included)
    frames_total: int         # frames this run has to process (containers' counts)
    elapsed: float            # seconds since this run started

    @property
    def files_finished(self) -> int:
        return self.files_skipped + self.files_done + self.files_failed

    @property
    def remaining(self) -> float | None:
        """Seconds left, from this run's frame rate so far."""
        if self.frames_done <= 0 or self.frames_total <= 0:
            return None
        return self.elapsed / self.frames_done * max(0, self.frames_total - self.frames_done)


@dataclass
class BatchSummary:
    manifest: Path
    files: int = 0
    skipped: int = 0
    done: int = 0
    short: int = 0
    failed: int = 0
    frames: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)   # (key, error)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        parts = [f"{self.files} files: {self.done} done"]
        if self.short:
            parts.append(f"{self.short} ended early")
        parts.append(f"{self.failed} failed")
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        if self.cancelled:
            parts.append(f"{self.files - self.skipped - self.done - self.short - self.failed}"
                         " not processed (cancelled)")
        return (", ".join(parts) + f"; {self.frames} frames in {self.seconds:.1f} s "
                f"({self.fps:.1f} frames/s) -> {self.manifest}")


def run_batch(inputs: list, out_dir: str | os.PathLike, settings: BatchSettings, *,
              workers: int | None = None, ray: str | None = None,
              progress: Callable[[BatchProgress], None] | None = None,
              cancel: threading.Event | None = None) -> BatchSummary:
    """Process every video under ``inputs`` into ``out_dir``. ``ray``: None for the local
    pool, "" to start a local Ray cluster, "auto" or an address to join one. Ctrl-C (or
    ``cancel``) stops cleanly: files in flight are abandoned (no output), finished ones
    stay recorded. A user mistake raises ``UserError`` before any work starts."""
    workers = check_workers(workers)
    out = Path(out_dir)
    jobs = find_jobs(inputs, out, settings.export.format)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the output folder {out}: {exc.strerror or exc}",
                        EXIT_OUTPUT) from None
    if not os.access(out, os.W_OK):
        raise UserError(f"output folder is not writable: {out}", EXIT_OUTPUT)
    models = settings.model_versions()
    key = fingerprint(settings, models)
    manifest = Manifest.load(out)
    manifest.add_run(key, settings.as_dict(), models)
    manifest.save()
    _remove_temporaries(jobs)
    todo = [j for j in jobs if not manifest.is_finished(j, key)]
    summary = BatchSummary(manifest.path, files=len(jobs), skipped=len(jobs) - len(todo))
    cancel = cancel or threading.Event()
    totals = {j.key: _declared_frames(j.input) for j in todo}
    in_flight: dict[str, int] = {}
    t0 = time.perf_counter()
    last_shown = [0.0]

    def show(force: bool = False) -> None:
        now = time.perf_counter()
        if progress is None or (not force and now - last_shown[0] < 0.2):
            return
        last_shown[0] = now
        progress(BatchProgress(len(jobs), summary.skipped, summary.done + summary.short,
                               summary.failed, summary.frames + sum(in_flight.values()),
                               sum(totals.values()), now - t0))

    def on_progress(k: str, done: int, total: int | None) -> None:
        in_flight[k] = done
        show()

    def on_result(job: Job, result: dict) -> None:
        in_flight.pop(job.key, None)
        if result["status"] == "cancelled":
            return
        manifest.record(job, result, key)
        summary.frames += result["frames"]
        if result["status"] == "failed":
            summary.failed += 1
            summary.failures.append((job.key, result["error"] or "failed"))
            totals[job.key] = 0      # its frames will never come
        else:
            setattr(summary, result["status"], getattr(summary, result["status"]) + 1)
            totals[job.key] = result["frames"]   # the real count (a short file has fewer)
        show(force=True)

    show(force=True)
    try:
        with _ctrl_c_sets(cancel):
            if not todo:
                pass
            elif ray is None:
                from .pool import run_local
                run_local(todo, settings, workers, on_result, on_progress, cancel)
            else:
                from .ray_tasks import run_ray
                run_ray(todo, settings, ray, on_result, on_progress, cancel)
    except KeyboardInterrupt:
        cancel.set()
    finally:
        _remove_temporaries(todo)
        summary.seconds = time.perf_counter() - t0
        summary.cancelled = cancel.is_set()
    return summary


@contextlib.contextmanager
def _ctrl_c_sets(cancel: threading.Event):
    """While the batch runs, Ctrl-C (SIGINT) sets ``cancel`` instead of raising
    KeyboardInterrupt wherever the driver happens to be (half-way through recording a
    result, say): the loops see it within a quarter of a second and stop the workers.
    Only in the main thread (a GUI runs the batch on a worker thread and cancels it
    itself), and never where SIGINT is ignored."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda _sig, _frame: cancel.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _declared_frames(path: str) -> int:
    """The container's frame count (0 when unknown or unreadable): the progress total."""
    from ..capture.base import CaptureError
    from ..capture.video import VideoFileSource
    try:
        source = VideoFileSource(path)
    except (CaptureError, OSError):
        return 0
    try:
        return int(source.info.frame_count or 0)
    finally:
        source.close()


def _remove_temporaries(jobs: list[Job]) -> None:
    """Temporary outputs left by a worker that was killed (or by an earlier run)."""
    for job in jobs:
        folder = Path(job.output).parent
        if not folder.is_dir():
            continue
        for name in os.listdir(folder):
            if name.startswith(job.temp_prefix):
                try:
                    os.unlink(folder / name)
                except OSError:
                    pass
