"""Per-frame CPU inference time of the lifter, against the 3 ms target (issue 4).

    .venv/bin/python bench/bench_lifter.py [--threads 1]

Times ``Lifter.lift`` end to end (input normalisation, network, decoding, metres) for a
single frame and for batches (offline), flip-averaged as imports run it, one pass as live
capture runs it, and the bare network forward. The
reference op, measured in the same run, is a float32 512x512 @ 512x512 torch matmul, so
the ratios can be compared across machines and loads. Uses ``models/lifter.pt`` (or an
untrained network of the default size when it is missing: the cost is the same).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import models_dir  # noqa: E402
from mocap_app.lift.inference import Lifter  # noqa: E402
from mocap_app.lift.margipose import MargiPose, MargiPoseConfig  # noqa: E402

TARGET_MS = 3.0


def best_of(fn, repeats: int, rounds: int = 5) -> float:
    """Best mean seconds per call over a few rounds (least disturbed by other load)."""
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(repeats):
            fn()
        times.append((time.perf_counter() - t) / repeats)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lifter", type=Path, default=None, help="default models/lifter.pt")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    path = a.lifter or models_dir() / "lifter.pt"
    if path.exists():
        lifter = Lifter.load(path, device="cpu")
        which = str(path)
    else:
        lifter = Lifter(MargiPose(MargiPoseConfig()), {}, torch.device("cpu"))
        which = "untrained default-size network (no models/lifter.pt)"
    a1, b1 = torch.rand(512, 512), torch.rand(512, 512)
    ref = best_of(lambda: a1 @ b1, 20)
    rng = np.random.default_rng(0)
    rows = []
    # the detector's own 3D, as the pipeline passes it (lifters with 9 input features
    # use it; the others ignore it)
    for t in (1, 8, 64, 256):
        kp = rng.uniform(100, 500, (t, 25, 2))
        vis = rng.uniform(0.5, 1, (t, 25))
        world = rng.normal(0, 0.3, (t, 25, 3))
        s = best_of(lambda: lifter.lift(kp, vis, (640, 480), world=world),
                    max(2, 200 // t)) / t
        rows.append((f"Lifter.lift, T={t}", s))
    one_pass = Lifter(lifter.model, lifter.meta, lifter.device, flip_average=False)
    kp, vis = rng.uniform(100, 500, (1, 25, 2)), rng.uniform(0.5, 1, (1, 25))
    world = rng.normal(0, 0.3, (1, 25, 3))
    rows.append(("Lifter.lift, T=1, one pass (live)",
                 best_of(lambda: one_pass.lift(kp, vis, (640, 480), world=world), 200)))
    if lifter.uses_detector_3d:     # what the extra input costs: the same without it
        rows.append(("Lifter.lift, T=1, one pass, no detector 3D given",
                     best_of(lambda: one_pass.lift(kp, vis, (640, 480)), 200)))
    x1 = torch.rand(1, 25, lifter.model.config.in_features)   # (B, J, F)
    with torch.no_grad():
        s = best_of(lambda: lifter.model(x1), 200)
    rows.append(("network forward, T=1", s))
    print(f"model: {which}; torch threads: {a.threads}")
    print(f"reference op: 512x512 float32 matmul = {ref * 1e3:.3f} ms\n")
    print("| what | ms per frame | / 3 ms target | / reference op |")
    print("|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {s * 1e3:.3f} | {s * 1e3 / TARGET_MS:.2f} | {s / ref:.1f} |")


if __name__ == "__main__":
    main()
