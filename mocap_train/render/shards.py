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


def run(out: Path, specs: list[ShardSpec], manifest: dict, workers: int,
        keep_images: int, only: set[str] | None = None) -> dict:
    """Write every shard of ``specs`` not yet in the manifest (or those named in ``only``),
    ``workers`` processes in parallel; the manifest is updated as each one lands."""
    done = manifest.setdefault("shards", {})
    todo = [s for s in specs if (only is None and (s.name not in done
                                                   or not (out / f"{s.name}.npz").exists()))
            or (only is not None and s.name in only)]
    log(out, f"{len(todo)} of {len(specs)} shards to render with {workers} workers")
    if not todo:
        return manifest
    t0 = time.perf_counter()
    frames = 0
    ctx = mp.get_context("spawn")
    jobs = [(s, str(out), keep_images if s.index < IMAGE_SHARDS else 0) for s in todo]
    with ctx.Pool(workers, initializer=_init_worker) as pool:
        for k, (entry, seconds) in enumerate(pool.imap_unordered(_run_shard, jobs), 1):
            done[entry["name"]] = entry
            write_manifest(out / "manifest.json", manifest)
            frames += entry["frames"]
            rate = frames / (time.perf_counter() - t0)
            left = sum(s.items * mean_frames_per_item(s.max_frames) for s in todo[k:]) \
                / max(rate, 1e-9)
            log(out, f"{entry['name']}: {entry['frames']} pairs ({entry['found']} detected) "
                      f"in {seconds:.0f} s | {k}/{len(todo)} shards, {rate:.1f} pairs/s "
                      f"overall, ~{left / 60:.0f} min left")
    return manifest


def specs_of(manifest: dict) -> list[ShardSpec]:
    return [ShardSpec(**s) for s in manifest["plan"]]
