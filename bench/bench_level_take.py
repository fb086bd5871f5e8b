"""Memory and time of lifting a whole take at the tilt found (``offline.level_take``, what
imports, ``mocap process``, batch and reports do after reading a file), by the take's
length: the peak memory must not grow with it.

    .venv/bin/python bench/bench_level_take.py [--frames 300,3000,12000]

Each length runs in a fresh process: the Pose2Sim cam01 detections (``--cache``, made by
``bench/eval_pose2sim.py --cache``) repeated to that length, their stand-in 3D lifted as
``process_video`` does (``level_take(lifted=False)``). Prints a table with the peak
resident memory's growth over the process before the call, and its ratio to the
shortest take's (the reference, measured in the same run).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(frames: int, cache: Path) -> dict:
    """In this process: lift ``frames`` frames once; peak RSS growth (MB) and seconds."""
    import resource

    import numpy as np
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT))
    from mocap_app.core.pose import PoseSequence
    from mocap_app.lift.inference import Lifter
    from mocap_app.pipeline.offline import level_take
    d = dict(np.load(cache))
    reps = frames // d["kp"].shape[1] + 1
    kp = np.concatenate([d["kp"][0]] * reps)[:frames]
    vis = np.concatenate([d["vis"][0]] * reps)[:frames]
    world = np.concatenate([d["world"][0]] * reps)[:frames]
    size = tuple(int(v) for v in d["sizes"][0])
    lifter = Lifter.load()
    valid = np.isfinite(kp).all(axis=(1, 2))
    seq = PoseSequence(np.arange(frames) / 30.0, np.where(np.isfinite(world), world, 0.0),
                       kp, vis, valid, 30.0, size, detector_3d=world)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    out, found = level_take(seq, lifter, lifted=False)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert np.isfinite(out.joints_3d[out.valid]).all()
    return {"frames": frames, "seconds": seconds, "peak_growth_mb": after - before,
            "tilt_deg": found.tilt_deg}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", default="300,3000,12000",
                    help="take lengths, comma separated, each 10..100000 (the first is "
                         "the reference)")
    ap.add_argument("--cache", default=str(ROOT / ".cache" / "pose2sim_det.npz"),
                    help="Pose2Sim detections (bench/eval_pose2sim.py --cache)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, Path(args.cache))))
        return 0
    try:
        lengths = [int(v) for v in args.frames.split(",")]
    except ValueError:
        ap.error(f"--frames must be comma-separated whole numbers, got {args.frames!r}")
    if not lengths or not all(10 <= n <= 100000 for n in lengths):
        ap.error(f"--frames must be 10..100000 each, got {args.frames!r}")
    if not Path(args.cache).is_file():
        ap.error(f"no detections at {args.cache}: make them with "
                 "bench/eval_pose2sim.py --cache FILE")
    rows = []
    for n in lengths:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--cache", args.cache],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ref = rows[0]
    print("| frames | seconds | ms a frame | peak memory growth, MB | x the shortest take's |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['frames']} | {r['seconds']:.1f} | {1000 * r['seconds'] / r['frames']:.2f} "
              f"| {r['peak_growth_mb']:.0f} | {r['peak_growth_mb'] / ref['peak_growth_mb']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
