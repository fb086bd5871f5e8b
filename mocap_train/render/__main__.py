"""Generate the rendered set: sharded, resumable, reproducible from its manifest.

    python -m mocap_train.render --count 156000 --workers 2 --out .cache/rendered_v2
    python -m mocap_train.render --out DIR --from-manifest mocap_train/render/manifests/rendered_v2.json
    python -m mocap_train.render --out DIR --verify       # re-derive each shard's checksum

``--count`` is the number of pairs (frames) asked for. It is planned as shards of
``--items`` items (sequences or stills, ~56 frames each on average); the plan is written
first to ``DIR/manifest.json`` (generator version, seeds, splits). Each shard's entry
(frames, detections, content checksum) is added when it is written. An interrupted run
started again with the same ``--out`` skips the shards already written. A later session
regenerates any shard bit-identically from the manifest's seed: same arrays, same
checksum. Progress and timing go to stderr and to ``DIR/render.log``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .generate import GENERATOR_VERSION, SEQUENCE_FRAMES, ShardSpec
from .shards import SPLIT_CYCLE, log, plan, run, specs_of, write_manifest

def _run(*args) -> dict | None:
    """``shards.run``; None (the reason on stderr) when shards were given up."""
    try:
        return run(*args)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def _reproduce(p: argparse.ArgumentParser, args, out: Path, mpath: Path,
               only: set[str] | None) -> int:
    """--from-manifest: render the shards a manifest lists into --out (resuming), each
    checked against the manifest's checksum. --verify: re-render shards of --out's own
    manifest into --out/verify/ and compare."""
    source = Path(args.from_manifest) if args.from_manifest else mpath
    if not source.exists():
        p.error(f"no manifest at {source}")
    reference = json.loads(source.read_text())
    if reference.get("generator_version") != GENERATOR_VERSION:
        p.error(f"{source} was made by generator version "
                f"{reference.get('generator_version')}; this is {GENERATOR_VERSION}")
    listed = set(reference.get("shards", {})) or {ShardSpec(**s).name
                                                  for s in reference["plan"]}
    wanted = (only & listed) if only else listed
    if args.verify:
        target = out / "verify"
        target.mkdir(exist_ok=True)
        manifest = {k: v for k, v in reference.items() if k != "shards"}
        wanted = only or set(sorted(listed)[:1])
    else:
        target = out
        manifest = json.loads(mpath.read_text()) if mpath.exists() else \
            {k: v for k, v in reference.items() if k != "shards"}
        wanted -= set(manifest.get("shards", {}))
    manifest = _run(target, specs_of(reference), manifest, args.workers, 0, wanted)
    if manifest is None:
        return 1
    ref = reference.get("shards", {})
    bad = sorted(n for n in wanted if n in ref and n in manifest["shards"]
                 and manifest["shards"][n]["sha256"] != ref[n]["sha256"])
    log(out, f"{len(wanted)} shards rendered from {source}; {len(bad)} differ from its "
              f"checksums {bad[:5]}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mocap_train.render",
                                description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output folder (a cache folder, never git)")
    p.add_argument("--count", type=int, help="pairs (frames) to plan, >= 1")
    p.add_argument("--items", type=int, default=16, help="items per shard (default 16)")
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1)),
                   help="worker processes (default: one per core)")
    p.add_argument("--seed", type=int, default=20261204, help="base seed of the plan")
    p.add_argument("--max-frames", type=int, default=SEQUENCE_FRAMES[1],
                   help=f"longest sequence, 1..{SEQUENCE_FRAMES[1]} (default {SEQUENCE_FRAMES[1]})")
    p.add_argument("--motions", choices=("mocap", "take-like", "sample"), default="mocap",
                   help="mocap: every shared mocap source by split; take-like: only their "
                        "stretches like the Pose2Sim take (motions.py); sample: the small "
                        "sample clips (quick checks)")
    p.add_argument("--keep-images", type=int, default=8,
                   help="JPEGs kept for inspection from each of the first 40 shards")
    p.add_argument("--from-manifest", help="regenerate the shards of this manifest")
    p.add_argument("--shards", help="with --from-manifest or --verify: only these names, "
                                    "comma-separated")
    p.add_argument("--verify", action="store_true",
                   help="re-render the shards of DIR/manifest.json and compare checksums")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error(f"--workers must be at least 1, got {args.workers}")
    if args.items < 1:
        p.error(f"--items must be at least 1, got {args.items}")
    if not 1 <= args.max_frames <= SEQUENCE_FRAMES[1]:
        p.error(f"--max-frames must be 1..{SEQUENCE_FRAMES[1]}, got {args.max_frames}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # llvmpipe and torch: one thread per worker, the same results every run
    os.environ.setdefault("LP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mpath = out / "manifest.json"
    only = set(args.shards.split(",")) if args.shards else None
    if args.from_manifest or args.verify:
        return _reproduce(p, args, out, mpath, only)
    if args.count is None:
        p.error("--count is required (or --from-manifest / --verify)")
    if args.count < 1:
        p.error(f"--count must be at least 1, got {args.count}")
    specs = plan(args.count, args.items, args.seed, args.max_frames, args.motions)
    if mpath.exists():
        manifest = json.loads(mpath.read_text())
        old = specs_of(manifest)
        if old[:len(specs)] != specs[:len(old)]:
            p.error(f"{mpath} holds another plan (seed or items differ): use another --out")
        manifest["plan"] = [s.__dict__ for s in (specs if len(specs) > len(old) else old)]
        manifest["count"] = max(args.count, manifest.get("count", 0))
    else:
        manifest = {"generator_version": GENERATOR_VERSION, "seed": args.seed,
                    "items_per_shard": args.items, "count": args.count,
                    "split_cycle": list(SPLIT_CYCLE), "plan": [s.__dict__ for s in specs],
                    "shards": {}}
    write_manifest(mpath, manifest)
    return 0 if _run(out, specs, manifest, args.workers, args.keep_images) is not None else 1


if __name__ == "__main__":
    sys.exit(main())
