"""Evaluate the shipped lifter and the baseline on the held-out test split.

    .venv/bin/python -m mocap_train.evaluate [--stride 10] [--json out.json]

Test split: whole styles and subjects never trained on (``mocap_data.TEST_GROUPS``:
Bandai "old"/"elderly", CMU subjects 94 and 7, and hashed DeepMimic clips), every
``--stride``-th frame, random virtual cameras (fixed seed) and 2D noise at several
multiples of the MediaPipe-on-LSP noise model (0 = perfect 2D, 1 = as measured), and the
noise measured on video (Pose2Sim views, ``camera_sim`` "video" model) as measured.

Metrics (``metrics.py``, mm): MPJPE root-relative (pelvis aligned) with the metric scale
taken from the actor's true body scale (as if the person-height setting were right),
MPJPE with the default 1.75 m height instead, PA-MPJPE (Procrustes), PCK@150 mm and AUC
(0-150 mm), both root-aligned.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from mocap_app.core.paths import models_dir
from mocap_app.core.skeleton import JOINT_NAMES
from mocap_app.lift.checkpoint import load_checkpoint
from mocap_app.lift.inference import DEFAULT_HEIGHT, FlipAveraged
from mocap_app.lift.normalize import cube_to_metres

from . import metrics
from .camera_sim import make_pairs
from .mocap_data import load_split
from .train import frames_of, predict_cube

#: (noise model, multiple) pairs evaluated; "lsp" x1 is the level the targets refer to.
NOISE_LEVELS = (("lsp", 0.0), ("lsp", 0.5), ("lsp", 1.0), ("lsp", 1.5), ("video", 1.0))


def noise_label(level) -> str:
    model, ns = level
    return f"{'LSP' if model == 'lsp' else 'video'} x{ns:g}" if ns else "none (exact 2D)"


def evaluate_models(models: dict, frames: np.ndarray, noise_levels=NOISE_LEVELS,
                    seed: int = 1234, scale_per_height: float = 0.79) -> dict:
    """{noise: {model name: {"summary": {...}, "per_joint": {...}}}}"""
    out = {}
    for level in noise_levels:
        noise_model, ns = level
        rng = np.random.default_rng(seed)   # same cameras and noise draws for every model
        pairs = make_pairs(frames, rng, noise_scale=ns, noise_model=noise_model)
        gt = cube_to_metres(pairs.target, pairs.scale)
        key = noise_label(level)
        out[key] = {}
        for name, model in models.items():
            cube = predict_cube(model, pairs.inputs)
            pred = cube_to_metres(cube, pairs.scale)
            pred_default = cube_to_metres(cube, DEFAULT_HEIGHT * scale_per_height)
            s = metrics.summary(pred, gt)
            s["MPJPE@1.75m"] = metrics.mpjpe(pred_default, gt)
            pj_e = metrics.joint_errors(pred, gt).mean(0)
            pj_pa = metrics.pa_joint_errors(pred, gt).mean(0)
            out[key][name] = {"summary": s, "per_joint": {
                n: {"MPJPE": float(a), "PA-MPJPE": float(b)}
                for n, a, b in zip(JOINT_NAMES, pj_e, pj_pa)}}
    return out


def format_tables(res: dict, frames: int) -> str:
    lines = [f"Test split, {frames} frames, mm (PCK/AUC in %)", "",
             "| 2D noise | model | MPJPE | MPJPE@1.75m | PA-MPJPE | PCK@150 | AUC |",
             "|---|---|---|---|---|---|---|"]
    for ns, per in res.items():
        for name, r in per.items():
            s = r["summary"]
            lines.append(f"| {ns} | {name} | {s['MPJPE']:.1f} | {s['MPJPE@1.75m']:.1f} | "
                         f"{s['PA-MPJPE']:.1f} | {s['PCK@150']:.1f} | {s['AUC']:.1f} |")
    ns = "LSP x1" if "LSP x1" in res else list(res)[0]
    names = list(res[ns])
    lines += ["", f"Per joint at noise {ns} (MPJPE / PA-MPJPE, mm)", "",
              "| joint | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for j in JOINT_NAMES:
        cells = [f"{res[ns][n]['per_joint'][j]['MPJPE']:.1f} / "
                 f"{res[ns][n]['per_joint'][j]['PA-MPJPE']:.1f}" for n in names]
        lines.append(f"| {j} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def by_source_table(models: dict, scale_per_height: float, frames_per_source: int = 2000,
                    seed: int = 0) -> str:
    """MPJPE / PA-MPJPE per data source on training and test frames (random subsamples):
    exact 2D for the lifter, LSP x1 for every model."""
    names = list(models)
    lines = ["| split, source | exact 2D (lifter) | "
             + " | ".join(f"LSP x1 ({n})" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for split in ("train", "test"):
        clips = load_split(split)
        for src in ("bandai2", "cmu", "deepmimic"):
            fr = np.concatenate([c.joints for c in clips if c.source == src]).astype(np.float32)
            rng = np.random.default_rng(seed)
            fr = fr[rng.choice(len(fr), min(frames_per_source, len(fr)), replace=False)]
            r = evaluate_models(models, fr, noise_levels=(("lsp", 0.0), ("lsp", 1.0)),
                                scale_per_height=scale_per_height)

            def cell(x):
                return f"{x['summary']['MPJPE']:.1f} / {x['summary']['PA-MPJPE']:.1f}"
            lines.append(f"| {split}, {src} | {cell(r['none (exact 2D)'][names[0]])} | "
                         + " | ".join(cell(r["LSP x1"][n]) for n in names) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lifter", type=Path, default=None)
    p.add_argument("--baseline", type=Path, default=None)
    p.add_argument("--stride", type=int, default=10, help="use every n-th test frame")
    p.add_argument("--split", default="test")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--flip", action="store_true",
                   help="also evaluate every model flip-averaged (inference.FlipAveraged)")
    p.add_argument("--by-source", action="store_true",
                   help="instead: MPJPE / PA-MPJPE per data source, train and test frames")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    lifter_path = a.lifter or models_dir() / "lifter.pt"
    models, meta = {}, {}
    models["lifter"], meta = load_checkpoint(lifter_path, kind="margipose")
    base_path = a.baseline or lifter_path.with_name("baseline.pt")
    if base_path.exists():
        models["baseline"], _ = load_checkpoint(base_path, kind="baseline")
    else:
        print(f"(no baseline checkpoint at {base_path})")
    if a.flip:
        models.update({f"{n} + flip": FlipAveraged(m) for n, m in list(models.items())})
    if a.by_source:
        print(by_source_table(models, meta.get("scale_per_height", 0.79)))
        return
    frames = frames_of(load_split(a.split), stride=a.stride)
    res = evaluate_models(models, frames, scale_per_height=meta.get("scale_per_height", 0.79))
    print(format_tables(res, len(frames)))
    if a.json:
        a.json.write_text(json.dumps({str(k): v for k, v in res.items()}, indent=1))


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
