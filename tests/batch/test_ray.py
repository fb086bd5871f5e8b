"""``--ray``: the same jobs as Ray tasks on a local Ray cluster started here (2 CPUs); a
worker process killed in the middle of a file: Ray runs that file again and the batch
completes with the same outputs and one manifest."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import ray  # the [ray] extra, installed by scripts/setup.sh: missing, this fails loudly

from mocap_app.batch import BatchSettings, run_batch

from .conftest import bvh_frames, make_tree, temporaries

TASK_TITLE = b"ray::mocap_batch_file"


def _busy_task_workers() -> list[int]:
    """Processes of this machine running our Ray task (Ray sets the title while it runs)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(TASK_TITLE):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_a_killed_worker_s_file_is_retried_and_the_batch_completes(tmp_path, local_ray,
                                                                   reference_bvh):
    tree = make_tree(tmp_path / "in", cut=False)    # a.mp4, sub/b.MP4, sub/broken.mp4
    out = tmp_path / "out"
    killed: list[int] = []
    stop = threading.Event()

    def kill_one_worker_mid_file() -> None:
        seen: dict[int, float] = {}
        while not stop.is_set() and not killed:
            now = time.monotonic()
            for pid in _busy_task_workers():
                # busy for 3 s: past loading the models, in the middle of a 230-frame file
                if now - seen.setdefault(pid, now) > 3.0:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.1)

    killer = threading.Thread(target=kill_one_worker_mid_file)
    killer.start()
    try:
        summary = run_batch([tree], out, BatchSettings(refine=False), ray="auto")
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 1, "no Ray worker was seen running a file"
    assert (summary.done, summary.failed, summary.short) == (2, 1, 0)
    assert not summary.cancelled
    files = json.loads((out / "batch.json").read_text())["files"]
    assert {k: e["status"] for k, e in files.items()} == {
        "a.mp4": "done", "sub/b.MP4": "done", "sub/broken.mp4": "failed"}
    # the killed process finished nothing; its file was done again by another process
    assert all(not e["worker"].endswith(f":{killed[0]}") for e in files.values())
    assert (out / "a.bvh").read_bytes() == reference_bvh.read_bytes()
    assert (out / "sub" / "b.bvh").read_bytes() == reference_bvh.read_bytes()
    assert bvh_frames(out / "sub" / "b.bvh") == 230
    assert temporaries(out) == []
