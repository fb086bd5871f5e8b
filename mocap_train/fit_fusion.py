"""Fit a lifter's limb-fusion table (``mocap_app/lift/fusion.py``) on the rendered val set.

    .venv/bin/python -m mocap_train.fit_fusion --data .cache/rendered_v2 [--lifter models/lifter.pt]

The lifter runs on every val frame where the detector found the subject, in one pass and
flip-averaged (without a table). Each limb's doubt is how far the two passes (the picture
and its mirror image) place its joints apart. The doubts of all limbs are cut at their
quantiles (``EDGES``); in each bin, the weight of the detector's bone directions (from
``GRID``) with the least error on those limbs' joints (PA-MPJPE of the whole pose, exact
joints) is kept, at the bin's median doubt. The table is written beside the lifter
(``fusion.fusion_path``), with what it was fitted on and the val error before and
after. A few minutes on one CPU thread.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from mocap_app.core.pose import camera_to_app
from mocap_app.core.skeleton import J, blazepose_to_app
from mocap_app.lift.fusion import LIMBS, FusionTable, fuse_limbs, limb_doubt

from .metrics import pa_joint_errors

EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 1.0)
GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def lift_val(folder: Path, lifter_path: Path | None) -> dict:
    """One-pass and flip-averaged lifts of the val frames with the subject found, the
    detector's 3D (app axes, pelvis-relative) and the exact joints."""
    from mocap_app.lift.inference import Lifter
    shards = sorted(folder.glob("val_*.npz"))
    if not shards:
        raise SystemExit(f"no val shards in {folder}")
    one = Lifter.load(lifter_path, flip_average=False, fusion=False)
    flip = Lifter.load(lifter_path, flip_average=True, fusion=False)
    parts = {"one": [], "flip": [], "det": [], "gt": []}
    for shard in shards:
        with np.load(shard) as z:
            d = {k: z[k] for k in ("landmarks_2d", "visibility", "world_landmarks",
                                   "joints_cam", "image_size", "item", "on_subject")}
        kp = blazepose_to_app(d["landmarks_2d"].astype(np.float64))
        vis = blazepose_to_app(d["visibility"].astype(np.float64)[..., None])[..., 0]
        world = blazepose_to_app(d["world_landmarks"].astype(np.float64))
        world = camera_to_app(world - world[:, :1])
        for item in np.unique(d["item"]):
            idx = np.nonzero((d["item"] == item) & d["on_subject"])[0]
            if len(idx) == 0:
                continue
            size = tuple(int(v) for v in d["image_size"][idx[0]])
            a = one.lift(kp[idx], vis[idx], size, world=world[idx])
            b = flip.lift(kp[idx], vis[idx], size, world=world[idx])
            ok = a.valid & b.valid & np.isfinite(world[idx]).all(axis=(1, 2))
            gt = camera_to_app(d["joints_cam"][idx].astype(np.float64))
            for key, x in (("one", a.joints_3d), ("flip", b.joints_3d),
                           ("det", world[idx]), ("gt", gt - gt[:, :1])):
                parts[key].append(x[ok])
    out = {k: np.concatenate(v) for k, v in parts.items()}
    out["scale"] = flip.body_scale
    out["shards"] = [s.name for s in shards]
    return out


def fit(v: dict) -> tuple[FusionTable, dict]:
    """The table, and the val PA-MPJPE (mm) without and with it."""
    other = 2.0 * v["flip"] - v["one"]          # the mirror-image pass, mirrored back
    doubt = limb_doubt(v["one"], other, v["scale"])
    every = np.concatenate(list(doubt.values()))
    edges = np.quantile(every, EDGES)
    errors = {}
    for w in GRID:
        fused = fuse_limbs(v["flip"], v["det"], {n: np.full(len(v["flip"]), w) for n in LIMBS})
        e = pa_joint_errors(fused, v["gt"])
        errors[w] = {n: e[:, [J[j] for j in LIMBS[n][0]]].mean(1) for n in LIMBS}
    knots, weights = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        cost = [sum(errors[w][n][(doubt[n] >= lo) & (doubt[n] <= hi)].sum() for n in LIMBS)
                for w in GRID]
        knot = float(np.median(every[(every >= lo) & (every <= hi)]))
        if knots and knot <= knots[-1]:      # bins that tie (many equal doubts): keep one
            continue
        knots.append(knot)
        weights.append(float(GRID[int(np.argmin(cost))]))
    table = FusionTable(tuple(knots), tuple(weights))
    fused = fuse_limbs(v["flip"], v["det"], {n: table(d) for n, d in doubt.items()})
    return table, {"pa_mpjpe_without": round(float(pa_joint_errors(v["flip"], v["gt"]).mean()), 2),
                   "pa_mpjpe_with": round(float(pa_joint_errors(fused, v["gt"]).mean()), 2)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="folder of rendered shards")
    p.add_argument("--lifter", type=Path, default=None, help="default models/lifter.pt")
    p.add_argument("--out", type=Path, default=None,
                   help="default: beside the lifter (<stem>.fusion.json)")
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from mocap_app.core.paths import models_dir
    from mocap_app.lift.fusion import fusion_path
    lifter = a.lifter or models_dir() / "lifter.pt"
    t0 = time.time()
    v = lift_val(a.data, lifter)
    table, scores = fit(v)
    doc = {"doubt": list(table.doubt), "weight": list(table.weight),
           "what": "weight of the detector's bone directions against a limb's two-pass "
                   "disagreement over the body scale (mocap_app/lift/fusion.py)",
           "lifter": lifter.name, "val_frames": int(len(v["gt"])), "val_shards": v["shards"],
           "rendered_val": scores, "seconds": round(time.time() - t0, 1),
           "command": "python -m mocap_train.fit_fusion " + " ".join(argv or sys.argv[1:])}
    out = a.out or fusion_path(lifter)
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: doc[k] for k in ("doubt", "weight", "val_frames", "rendered_val",
                                          "seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
