"""Ctrl-C in the middle of a batch, and the worker's models loaded once per process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mocap_app.batch import BatchSettings, find_jobs
from mocap_app.batch import worker as batch_worker
from mocap_app.cli import main
from mocap_app.core.errors import EXIT_CANCELLED

from .conftest import SAMPLE_FRAMES, bvh_frames, make_tree, temporaries

ROOT = Path(__file__).resolve().parents[2]


def _manifest(out: Path) -> dict:
    try:
        return json.loads((out / "batch.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def test_ctrl_c_stops_cleanly_and_a_rerun_goes_on(tmp_path, capsys, reference_bvh):
    tree = make_tree(tmp_path / "in", broken=False, cut=False)   # a.mp4, sub/b.MP4
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mocap_app.cli", "batch", str(tree), "-o", str(out),
           "--no-refine", "--workers", "1", "-q"]
    # SIGINT as a terminal delivers it, even when this test runs where it is ignored
    # (a shell's background job): the child starts with the default handler
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not _manifest(out).get("files") and time.monotonic() < deadline:
            assert child.poll() is None, child.communicate()
            time.sleep(0.1)
        assert _manifest(out).get("files"), "the first file never finished"
        time.sleep(1.5)                 # the second file is in flight
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == EXIT_CANCELLED, stderr
    assert "cancelled; run the same command again" in stderr
    assert "2 files: 1 done, 0 failed" in stdout and "1 not processed (cancelled)" in stdout
    files = _manifest(out)["files"]
    assert list(files) == ["a.mp4"] and files["a.mp4"]["status"] == "done"
    assert sorted(p.name for p in out.rglob("*.bvh")) == ["a.bvh"]
    assert temporaries(out) == [] and not list(out.glob(".batch.json*"))

    capsys.readouterr()
    assert main(cmd[3:]) == 0
    assert "2 files: 1 done, 0 failed, 1 already done" in capsys.readouterr().out
    assert (out / "sub" / "b.bvh").read_bytes() == reference_bvh.read_bytes()


def test_a_worker_loads_the_models_once_for_all_its_files(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    with open(make_tree(tmp_path / "t", broken=False, cut=False) / "a.mp4", "rb") as f:
        head = f.read(600_000)         # ~30 frames each: quick
    for name in ("one.mp4", "two.mp4"):
        (src / name).write_bytes(head)
    jobs = find_jobs([src], tmp_path / "out")
    settings = BatchSettings(refine=False)
    loads = batch_worker.models_loaded_here()
    first = batch_worker.process_file(jobs[0], settings)
    estimator = batch_worker.loaded_models(settings)[0]
    second = batch_worker.process_file(jobs[1], settings)
    assert first.status == second.status == "short" and first.frames == second.frames > 0
    assert batch_worker.models_loaded_here() == loads + 1
    assert batch_worker.loaded_models(settings)[0] is estimator
    assert first.worker == second.worker == f"{os.uname().nodename}:{os.getpid()}"
    # the same frames give the same file: the tracker was reset between the two
    assert Path(jobs[0].output).read_bytes() == Path(jobs[1].output).read_bytes()
    assert bvh_frames(Path(jobs[0].output)) == first.frames < SAMPLE_FRAMES


def _my_pool_workers() -> list[int]:
    """This process's spawned pool workers (never anyone else's processes)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


def test_a_killed_local_worker_s_files_go_to_a_fresh_pool(tmp_path, reference_bvh):
    from mocap_app.batch import run_batch
    tree = make_tree(tmp_path / "in", broken=False, cut=False)   # a.mp4, sub/b.MP4
    out = tmp_path / "out"
    killed: list[int] = []
    stop = threading.Event()

    def kill_the_worker_mid_file() -> None:
        seen: dict[int, float] = {}
        while not stop.is_set() and not killed:
            now = time.monotonic()
            for pid in _my_pool_workers():
                if now - seen.setdefault(pid, now) > 4.0:     # models loaded, frames going
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_worker_mid_file)
    killer.start()
    try:
        summary = run_batch([tree], out, BatchSettings(refine=False), workers=1)
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 1
    assert (summary.done, summary.failed, summary.cancelled) == (2, 0, False)
    files = _manifest(out)["files"]
    assert all(not e["worker"].endswith(f":{killed[0]}") for e in files.values())
    assert (out / "a.bvh").read_bytes() == reference_bvh.read_bytes()
    assert (out / "sub" / "b.bvh").read_bytes() == reference_bvh.read_bytes()
    assert temporaries(out) == []


@pytest.mark.parametrize("cores, processes, want", [(2, 1, 2), (2, 2, 1), (2, 8, 1),
                                                    (4, 2, 2), (32, 1, 8), (1, 1, 1)])
def test_the_workers_share_the_cores_out_to_their_detectors(monkeypatch, cores, processes,
                                                            want):
    from mocap_app.batch.pool import detector_threads_each
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert detector_threads_each(processes) == want


def test_a_worker_builds_its_detector_with_its_share_of_the_cores():
    settings = BatchSettings(refine=False)
    try:
        batch_worker.use_detector_threads(2)
        assert batch_worker.loaded_models(settings)[0].config.detector_threads == 2
        with pytest.raises(ValueError, match="1..8"):
            batch_worker.use_detector_threads(0)
    finally:
        batch_worker.use_detector_threads(None)
    assert batch_worker.loaded_models(settings)[0].config.detector_threads is None
