"""Batch throughput: the same clips through ``mocap batch`` with 1 and 2 workers, against
one ``mocap process`` of one clip in the same run. Each row is a whole command as a user
runs it (a fresh process: imports, worker start-up and model loading included), timed on
the wall clock; frames/s = frames written / wall seconds. Prints a markdown table. CPU s is the command's user + system time with its worker
processes; cores busy = CPU s / wall s shows how much of the machine the command got
(another job on the machine caps it).

    .venv/bin/python bench/bench_batch.py [--clips 4] [--workers 1,2] [--no-refine]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mocap_app.core.paths import sample_clip  # noqa: E402


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one command, its worker processes included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mocap_app.cli", *cmd], cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=4, help="copies of the sample clip")
    ap.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    ap.add_argument("--no-refine", action="store_true", help="skip the refinement stages")
    args = ap.parse_args()
    if args.clips < 1:
        raise SystemExit("--clips must be at least 1")
    counts = [int(w) for w in args.workers.split(",")]
    extra = ["--no-refine"] if args.no_refine else []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i in range(args.clips):
            shutil.copy(sample_clip(), src / f"clip{i:02d}.mp4")
        single, single_cpu = run(["process", str(src / "clip00.mp4"), "-o", str(Path(tmp) / "one.bvh"),
                      "-q", *extra])
        frames_one = _bvh_frames(Path(tmp) / "one.bvh")
        rows = [("`mocap process`, 1 clip", 1, frames_one, single, single_cpu)]
        for n in counts:
            out = Path(tmp) / f"out{n}"
            seconds, cpu = run(["batch", str(src), "-o", str(out), "--workers", str(n), "-q",
                           *extra])
            doc = json.loads((out / "batch.json").read_text())
            assert all(e["status"] == "done" for e in doc["files"].values()), doc
            frames = sum(e["frames"] for e in doc["files"].values())
            rows.append((f"`mocap batch --workers {n}`, {args.clips} clips", n, frames,
                         seconds, cpu))
    base_fps = rows[0][2] / rows[0][3]
    one_worker = next((r[2] / r[3] for r in rows[1:] if r[1] == 1), None)
    print(f"### bench_batch ({platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{load:.2f} at the start, refine {'off' if args.no_refine else 'on'}, "
          f"{time.strftime('%Y-%m-%d %H:%M')})\n")
    print("| command | workers | frames | wall s | frames/s | / `mocap process` | / 1 worker "
          "| CPU s | cores busy | CPU ms/frame |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, frames, seconds, cpu in rows:
        fps = frames / seconds
        vs_one = f"{fps / one_worker:.2f}" if one_worker and name.startswith("`mocap batch") \
            else "—"
        print(f"| {name} | {n} | {frames} | {seconds:.1f} | {fps:.1f} | {fps / base_fps:.2f} "
              f"| {vs_one} | {cpu:.1f} | {cpu / seconds:.2f} | {1000 * cpu / frames:.1f} |")


def _bvh_frames(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("Frames:"):
            return int(line.split()[1])
    raise ValueError(f"no Frames: line in {path}")


if __name__ == "__main__":
    main()
