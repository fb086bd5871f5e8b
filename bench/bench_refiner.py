"""Cost of the temporal refiner per frame on this CPU (1 thread). Target: <= 1 ms/frame.

    .venv/bin/python bench/bench_refiner.py

Prints a table: median milliseconds per frame for each path, and its ratio to a
reference operation timed in the same run (a 256x256 float64 matrix product in numpy),
so figures from different machines or loads can be compared.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from mocap_app.lift.refiner import TemporalRefiner
from mocap_app.pipeline.refine import LiveRefiner


def _median_ms(fn, repeats: int, per: int = 1) -> float:
    fn()                                            # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0 / per)
    return statistics.median(times)


def main() -> int:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(256, 256)), rng.normal(size=(256, 256))
    reference = _median_ms(lambda: a @ b, 200)
    causal = TemporalRefiner.load(causal=True)
    bidir = TemporalRefiner.load(causal=False)
    seq = rng.normal(0, 0.3, (300, 25, 3))
    window = seq[:causal.window]
    live = LiveRefiner(causal, fit_skeleton=True)
    frame = iter(np.tile(seq, (100, 1, 1)))
    rows = [
        ("reference: 256x256 float64 matmul (numpy)", reference),
        (f"causal, one frame (live, window {causal.window})",
         _median_ms(lambda: causal.refine_window(window), 300)),
        ("LiveRefiner.push (causal + running bone fit)",
         _median_ms(lambda: live.push(next(frame), 0.0), 300)),
        (f"bidirectional, 300-frame take (window {bidir.window}), per frame",
         _median_ms(lambda: bidir.refine(seq), 10, per=len(seq))),
        (f"causal, 300-frame take, per frame",
         _median_ms(lambda: causal.refine(seq), 10, per=len(seq))),
    ]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    print("| path | ms per frame | x reference | target <= 1 ms |")
    print("|---|---|---|---|")
    for name, ms in rows:
        ok = "" if name.startswith("reference") else ("yes" if ms <= 1.0 else "NO")
        print(f"| {name} | {ms:.3f} | {ms / reference:.2f} | {ok} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
