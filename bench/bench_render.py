"""Throughput of the rendered-set generator on this CPU (issue 17: at least 20,000 pairs per
CPU-core-hour, rendering, detection and writing together).

    .venv/bin/python bench/bench_render.py [--items 24] [--seed 5] [--motions mocap]

One process and one thread (one core) renders shards of real items (the generator's own
mix of sequences and stills, bodies, scenes and effects) and writes them. The table gives:
- pairs per core-hour;
- seconds per pair, stage by stage;
- a same-run reference: our detector alone, run again on the same rendered frames. Its
  ratio to the whole pair says what the generator adds around the detection that any use
  of the detector pays anyway.

Two workers on two cores give about twice the per-core figure (they share nothing).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
TARGET_PER_CORE_HOUR = 20_000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--items", type=int, default=24, help="items to render (default 24)")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--motions", choices=("mocap", "sample"), default="mocap")
    args = p.parse_args(argv)
    import os
    os.environ.setdefault("LP_NUM_THREADS", "1")
    import torch
    torch.set_num_threads(1)
    from mocap_train.render.generate import ShardSpec, World, generate_shard

    t_load = time.perf_counter()
    world = World()
    world.clips("train", args.motions)
    world.backgrounds("train")
    load_s = time.perf_counter() - t_load
    world.seconds.clear()
    spec = ShardSpec(0, "train", args.seed, args.items, motions=args.motions)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        entry = generate_shard(world, spec, Path(tmp))
        total = time.perf_counter() - t0
    pairs = entry["frames"]
    stages = dict(world.seconds)
    # the reference: the tracker alone on frames of the same shard, rendered again
    frames = _reference_frames(world, spec)
    det = world.tracker
    det.reset()
    t0 = time.perf_counter()
    for k, img in enumerate(frames):
        det.detect(img, k / 30.0)
    det_s = (time.perf_counter() - t0) / len(frames)
    per_pair = total / pairs
    print(f"# bench_render  ({time.strftime('%Y-%m-%d %H:%M')}, one process, one thread; "
          f"world loaded in {load_s:.1f} s, not counted)\n")
    print(f"{args.items} items, {pairs} pairs ({entry['found']} with a detection) in "
          f"{total:.1f} s\n")
    print("| measure | value | / target or reference |")
    print("|---|---|---|")
    rate = 3600.0 / per_pair
    print(f"| pairs per core-hour | {rate:,.0f} | {rate / TARGET_PER_CORE_HOUR:.2f} of "
          f"{TARGET_PER_CORE_HOUR:,} |")
    print(f"| seconds per pair | {per_pair:.4f} | {per_pair / det_s:.2f}x the detector alone |")
    print(f"| reference: detector alone, s per frame ({len(frames)} rendered frames) | "
          f"{det_s:.4f} | 1.00 |")
    for stage, s in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"| stage: {stage}, s per pair | {s / pairs:.4f} | {s / pairs / det_s:.2f}x |")
    worst = _grazing_floor_frame(world)
    print(f"| worst case: one 960x540 frame from 0.15 m over a textured floor, s | "
          f"{worst:.4f} | {worst / det_s:.2f}x |")
    return 0


def _grazing_floor_frame(world) -> float:
    """A camera 15 cm above a textured floor looking along it (the lowest camera the
    generator places): with 8x anisotropic filtering llvmpipe took 45-90 s for such a
    frame (generator version 1); the row keeps that case in view."""
    from mocap_train.render.renderer import Camera, Mesh
    from mocap_train.render.scene import random_floor, random_light
    rng = np.random.default_rng(3)
    floor = random_floor(rng)
    while floor.texture is None:
        floor = random_floor(rng)
    cam = Camera.look_at(np.array([-5.0, 0.15, -1.3]), np.array([0.0, 0.9, 0.0]), 70.0,
                         960, 540)
    from mocap_train.mocap_data import load_sample_clips
    clip = load_sample_clips()[0]
    body = world.body.pose(clip.joints[:1], _shape(world))
    mesh = Mesh(body.vertices[0], world.body.faces, np.full((len(body.vertices[0]), 3), 0.6,
                                                             np.float32))
    world.renderer.render(cam, [mesh], light=random_light(rng), floor=floor)   # warm-up
    t0 = time.perf_counter()
    world.renderer.render(cam, [mesh], light=random_light(rng), floor=floor)
    return time.perf_counter() - t0


def _shape(world):
    from mocap_train.render.body import sample_shape
    return sample_shape(np.random.default_rng(0))


def _reference_frames(world, spec) -> list[np.ndarray]:
    """The rendered, noised images of the first sequence item of ``spec``."""
    from mocap_train.render.generate import render_item
    kept: list[np.ndarray] = []
    original = world.tracker.detect

    def keep(image, t):
        kept.append(image)
        return original(image, t)
    world.tracker.detect = keep
    try:
        for item in range(spec.items):
            render_item(world, spec, item)
            if len(kept) >= 30:
                break
    finally:
        world.tracker.detect = original
    return kept


if __name__ == "__main__":
    sys.exit(main())
