"""Shards of the rendered set: the plan, the worker processes and the manifest.

``python -m mocap_train.render`` (``__main__.py``) is the command line over this module.
The workers live here, not in ``__main__``, because spawned processes cannot import a
package's ``__main__`` module.
"""
from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np

from .generate import SEQUENCE_FRAMES, STILL_P, ShardSpec

#: shard i belongs to the test split when i % 10 == 9 and to val when i % 10 == 8
SPLIT_CYCLE = ("train",) * 8 + ("val", "test")
#: the first shards keep the first image of a few items as JPEG (a few hundred in all)
IMAGE_SHARDS = 40


def mean_frames_per_item(max_frames: int = SEQUENCE_FRAMES[1]) -> float:
    """Expected frames of an item: stills are one frame, sequence lengths are uniform."""
    lengths = np.minimum(np.arange(SEQUENCE_FRAMES[0], SEQUENCE_FRAMES[1] + 1), max_frames)
    return STILL_P * 1 + (1 - STILL_P) * float(lengths.mean())


def plan(count: int, items: int, seed: int, max_frames: int = SEQUENCE_FRAMES[1],
         motions: str = "mocap") -> list[ShardSpec]:
    """Shards of ``items`` items enough for ``count`` pairs; seeds from ``seed``."""
    if count <= 0 or items <= 0 or max_frames <= 0:
        raise ValueError("--count, --items and --max-frames must be positive")
    n = max(1, math.ceil(count / (items * mean_frames_per_item(max_frames))))
    ss = np.random.SeedSequence(seed)
    seeds = [int(s.generate_state(1)[0]) for s in ss.spawn(n)]
    return [ShardSpec(i, SPLIT_CYCLE[i % len(SPLIT_CYCLE)], seeds[i], items, max_frames,
                      motions) for i in range(n)]


def write_manifest(path: Path, manifest: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, path)


_WORLD = None


def _init_worker() -> None:
    global _WORLD
    import torch
    torch.set_num_threads(1)
    from .generate import World
    _WORLD = World()


def _run_shard(job: tuple[ShardSpec, str, int]) -> tuple[dict, float]:
    from .generate import generate_shard
    spec, out_dir, keep = job
    t0 = time.perf_counter()
    entry = generate_shard(_WORLD, spec, Path(out_dir), keep_images=keep)
    return entry, time.perf_counter() - t0


def log(out: Path, text: str) -> None:
    print(text, file=sys.stderr, flush=True)
    with open(out / "render.log", "a", encoding="utf-8") as f:
        f.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text + "\n")


#: times a shard may take its worker process down, running alone, before it is given up
#: (a native crash: a worker segfaulted once in libc during the take-like run of
#: 2026-12-05, and multiprocessing.Pool then waited for its shard for ever)
MAX_TRIES = 3


def run(out: Path, specs: list[ShardSpec], manifest: dict, workers: int,
        keep_images: int, only: set[str] | None = None,
        initializer=_init_worker, job=_run_shard) -> dict:
    """Write every shard of ``specs`` not yet in the manifest (or those named in ``only``),
    ``workers`` processes in parallel; the manifest is updated as each one lands.

    A worker that dies (a native crash) breaks the pool and loses the shards that were
    running. Those are then rendered again one at a time, alone, so that a shard that
    crashes every time is told from its neighbours; one that brings its worker down
    ``MAX_TRIES`` times alone is given up. The rest go on in parallel. The shards given
    up are named in a RuntimeError once every other one is written. (``initializer`` and
    ``job`` are the workers' functions; tests give light ones.)"""
    done = manifest.setdefault("shards", {})
    todo = [s for s in specs if (only is None and (s.name not in done
                                                   or not (out / f"{s.name}.npz").exists()))
            or (only is not None and s.name in only)]
    log(out, f"{len(todo)} of {len(specs)} shards to render with {workers} workers")
    if not todo:
        return manifest
    t0 = time.perf_counter()
    count = {"frames": 0, "landed": 0}
    jobs = {s.name: (s, str(out), keep_images if s.index < IMAGE_SHARDS else 0) for s in todo}
    left = [s.name for s in todo]
    suspects: set[str] = set()
    crashes = {name: 0 for name in left}
    failed: list[str] = []

    def landed(entry: dict, seconds: float) -> None:
        left.remove(entry["name"])
        suspects.discard(entry["name"])
        done[entry["name"]] = entry
        write_manifest(out / "manifest.json", manifest)
        count["frames"] += entry["frames"]
        count["landed"] += 1
        rate = count["frames"] / (time.perf_counter() - t0)
        eta = sum(jobs[n][0].items * mean_frames_per_item(jobs[n][0].max_frames)
                  for n in left) / max(rate, 1e-9)
        log(out, f"{entry['name']}: {entry['frames']} pairs ({entry['found']} detected) in "
                 f"{seconds:.0f} s | {count['landed']}/{len(todo)} shards, {rate:.1f} "
                 f"pairs/s overall, ~{eta / 60:.0f} min left")

    while left:
        alone = [n for n in left if n in suspects][:1]
        lost = _pool_round([jobs[n] for n in (alone or left)], 1 if alone else workers,
                           initializer, job, landed)
        if not lost:
            continue
        if alone:
            crashes[alone[0]] += 1
            if crashes[alone[0]] >= MAX_TRIES:
                failed.append(alone[0])
                left.remove(alone[0])
                suspects.discard(alone[0])
        else:
            suspects.update(lost)
        log(out, f"a worker process died under {', '.join(lost)}; "
                 + ("giving it up" if alone and alone[0] in failed else
                    "rendering it again alone" if alone else "rendering those again alone"))
    if failed:
        raise RuntimeError(f"shards {failed} brought their worker process down "
                           f"{MAX_TRIES} times each; every other shard is written; run the "
                           f"same command again to retry them")
    return manifest


def _pool_round(batch: list, workers: int, initializer, job, landed) -> list[str]:
    """Run ``batch`` (jobs) on a fresh pool of ``workers``, ``workers`` at a time, calling
    ``landed(entry, seconds)`` for each shard written. Returns the names of the shards
    that were running when a worker died (the round stops there), or [] when all landed."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    queue = list(batch)
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                             initializer=initializer) as pool:
        running = {}
        while queue or running:
            broken = False
            while queue and len(running) < workers and not broken:
                try:
                    running[pool.submit(job, queue[0])] = queue[0][0].name
                    queue.pop(0)
                except BrokenProcessPool:       # a worker died since the last wait
                    broken = True
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    entry, seconds = fut.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                del running[fut]
                landed(entry, seconds)
            if broken:      # every shard still in flight died with the pool
                pool.shutdown(wait=False, cancel_futures=True)
                return list(running.values())
    return []


def specs_of(manifest: dict) -> list[ShardSpec]:
    return [ShardSpec(**s) for s in manifest["plan"]]
