"""The same jobs as Ray tasks, on a local Ray cluster or an existing one.

Each file is one task (one CPU). A Ray worker process keeps the models it loaded
(``worker._LOADED``) for the next task it runs, so models are loaded once per worker, as
in the local pool. A task whose worker process dies (killed, out of memory, a node lost)
is run again by Ray up to ``MAX_RETRIES`` times; after that the file is recorded as
failed. Only the driver writes the manifest. The workers read inputs and write outputs at
the same absolute paths, so on a real cluster both must be on storage every node mounts;
the models travel inside the installed package (``mocap_app`` and ``models/`` on each node).

Progress from Ray comes per file, not per frame.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from ..core.errors import EXIT_USAGE, UserError
from .jobs import Job
from .settings import BatchSettings
from .worker import FileResult

#: times Ray re-runs a file whose worker process died
MAX_RETRIES = 3


def mocap_batch_file(job: Job, settings: BatchSettings) -> dict:
    """The task (its name is the worker's process title while it runs: ``ray::mocap_batch_file``)."""
    from .worker import limit_threads, process_file
    limit_threads()
    return process_file(job, settings).as_dict()


def check_available() -> None:
    """Raise ``UserError`` now, before any work, when Ray is not installed."""
    import importlib.util
    if importlib.util.find_spec("ray") is None:
        raise UserError("--ray needs Ray: pip install 'mocap_app[ray]'", EXIT_USAGE)


def connect(address: str):
    """Join the cluster at ``address`` ("auto": the one this machine belongs to), or start
    a local one (""). Returns (ray module, whether we started the connection)."""
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs Ray: pip install 'mocap_app[ray]'", EXIT_USAGE) from None
    if ray.is_initialized():
        return ray, False
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(log_to_driver=False, include_dashboard=False,
                     logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local cluster"
        raise UserError(f"cannot connect to Ray at {where}: {exc}", EXIT_USAGE) from None
    return ray, True


def run_ray(jobs: list[Job], settings: BatchSettings, address: str,
            on_result: Callable[[Job, dict], None],
            on_progress: Callable[[str, int, int | None], None],
            cancel: threading.Event) -> None:
    ray, started = connect(address)
    try:
        task = ray.remote(mocap_batch_file).options(num_cpus=1, max_retries=MAX_RETRIES,
                                                    retry_exceptions=False)
        refs = {task.remote(job, settings): job for job in jobs}
        pending = list(refs)
        while pending:
            try:
                done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            except KeyboardInterrupt:
                cancel.set()
                done = []
            for ref in done:
                on_result(refs[ref], _result(ray, ref))
            if cancel.is_set():
                for ref in pending:
                    ray.cancel(ref, force=True)
                for ref in pending:
                    on_result(refs[ref], FileResult("cancelled").as_dict())
                return
    finally:
        if started:
            ray.shutdown()


def _result(ray, ref) -> dict:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:   # the worker died more than MAX_RETRIES times
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return FileResult("failed", error=f"Ray task failed after {MAX_RETRIES} retries: "
                          f"{type(exc).__name__}: {first}").as_dict()
