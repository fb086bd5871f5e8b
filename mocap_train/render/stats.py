"""Statistics of a rendered set, for its committed manifest and docs/RENDERED.md.

    python -m mocap_train.render.stats DIR [--json OUT.json]

Reads every shard in DIR and gives, per split:
- items, pairs, stills;
- detection rates (a person found; the subject found);
- pairs by motion source and by camera distance, elevation, HFOV and body stature;
- portrait, partly-out-of-frame, second-person and occluder shares;
- background kinds.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

EDGES = {"distance_m": (1.5, 2.5, 4, 6, 10), "elevation_deg": (-20, 5, 25, 45, 60),
         "hfov_deg": (20, 45, 60, 75, 95), "stature_m": (1.45, 1.6, 1.75, 1.9, 2.0)}


def _hist(values: np.ndarray, edges) -> dict[str, int]:
    counts, _ = np.histogram(values, bins=edges)
    return {f"{lo}-{hi}": int(c) for lo, hi, c in zip(edges[:-1], edges[1:], counts)}


def shard_stats(folder: Path) -> dict:
    per_split: dict[str, dict] = {}
    for path in sorted(folder.glob("*.npz")):
        if path.name.startswith("."):
            continue
        split = path.stem.split("_")[0]
        with np.load(path) as z:
            found, on_subject, item = z["found"], z["on_subject"], z["item"]
            params = [json.loads(p) for p in z["params"]]
        s = per_split.setdefault(split, {"shards": 0, "items": 0, "pairs": 0, "stills": 0,
                                         "found": 0, "on_subject": 0, "values": {},
                                         "counts": Counter()})
        frames_of_item = np.bincount(item, minlength=len(params))
        s["shards"] += 1
        s["items"] += len(params)
        s["pairs"] += len(found)
        s["found"] += int(found.sum())
        s["on_subject"] += int(on_subject.sum())
        for p, n in zip(params, frames_of_item):
            s["stills"] += int(p["still"])
            cam = p["camera"]
            for key, value in (("distance_m", cam["distance_m"]),
                               ("elevation_deg", cam["elevation_deg"]),
                               ("hfov_deg", cam["hfov_deg"]),
                               ("stature_m", p["body"]["stature_m"])):
                s["values"].setdefault(key, []).extend([value] * int(n))
            c = s["counts"]
            c[f"source:{p['motion']['source']}"] += int(n)
            c["portrait"] += int(n) * bool(cam["portrait"])
            c["partly_out"] += int(n) * bool(cam["partly_out"])
            c["second_person"] += int(n) * (p["second_person"] is not None)
            c["occluder"] += int(n) * bool(p["occluder"] and p["occluder"].get("count", 1))
            bg = p["background"]
            c[f"background:{bg.get('source_kind', bg.get('kind', 'unknown'))}"] += int(n)
    out = {}
    for split, s in per_split.items():
        out[split] = {k: s[k] for k in ("shards", "items", "pairs", "stills", "found",
                                        "on_subject")}
        out[split]["person_found_rate"] = round(s["found"] / max(s["pairs"], 1), 4)
        out[split]["subject_found_rate"] = round(s["on_subject"] / max(s["pairs"], 1), 4)
        out[split]["pairs_by"] = {k: _hist(np.array(v), EDGES[k])
                                  for k, v in s["values"].items()}
        out[split]["pairs_with"] = dict(sorted(s["counts"].items()))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folder")
    p.add_argument("--json", help="write the statistics here")
    args = p.parse_args(argv)
    stats = shard_stats(Path(args.folder))
    text = json.dumps(stats, indent=1, sort_keys=True)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
