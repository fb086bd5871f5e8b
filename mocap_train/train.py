"""Train the MargiPose-style lifter and the Martinez baseline on the same pairs.

    .venv/bin/python -m mocap_train.train --minutes 55

Every batch of training pairs (random mocap frames of the train split, random virtual
cameras, MediaPipe-like 2D noise; ``camera_sim``) is used for one step of *both* models,
so the two are compared on exactly the same data and number of steps. The validation
split (held-out styles/subjects) is scored every ``--eval-every`` steps; the best state
of each model by validation MPJPE is saved.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from mocap_app.core.paths import models_dir
from mocap_app.core.skeleton import J
from mocap_app.lift.checkpoint import save_checkpoint
from mocap_app.lift.margipose import (BaselineConfig, MargiPose, MargiPoseConfig,
                                      MartinezBaseline, widen_input)
from mocap_app.lift.normalize import cube_to_metres

from . import losses
from .camera_sim import PROPORTION_RANGES, make_pairs
from .metrics import mpjpe
from .mocap_data import Clip, load_split

#: Loss weights (coordinates are in cube units, ~1 m / S per unit).
#: The first checkpoint used W_SYMMETRY 0.02, too weak to matter (a 40 mm left/right
#: difference then costs 0.0006 against a coordinate loss of ~0.05); 1.0 makes it count.
W_JSD, W_ILLEGAL, W_SYMMETRY = 0.05, 0.02, 1.0
#: Samples of each batch the JSD regulariser is estimated on (see ``lifter_loss``).
JSD_SAMPLES = 64


def frames_of(clips: list[Clip], stride: int = 1) -> np.ndarray:
    """All frames (N, J, 3) of the clips, every ``stride``-th."""
    return np.concatenate([c.joints[::stride] for c in clips]).astype(np.float32)


def scale_per_height(frames: np.ndarray) -> float:
    """Median ratio of the body scale S to the stature, over frames standing upright on
    both feet; stature = ear-level head height above the lowest foot point + 12 cm (ear
    level to the crown of the head)."""
    from mocap_app.lift.normalize import body_scale
    up = frames[:, J["neck"]] - frames[:, J["pelvis"]]
    upright = up[:, 1] / np.linalg.norm(up, axis=1) > 0.97
    feet = frames[:, [J["left_heel"], J["right_heel"], J["left_toe"], J["right_toe"]], 1]
    low = feet.min(1)
    both = (np.abs(frames[:, J["left_ankle"], 1] - frames[:, J["right_ankle"], 1]) < 0.03)
    keep = upright & both
    stature = frames[keep, J["head"], 1] - low[keep] + 0.12
    return float(np.median(body_scale(frames[keep]) / stature))


def validation_pairs(frames: np.ndarray, n: int, seed: int, noise_scale: float = 1.0):
    rng = np.random.default_rng(seed)
    idx = rng.choice(frames.shape[0], size=min(n, frames.shape[0]), replace=False)
    return make_pairs(frames[idx], rng, noise_scale=noise_scale)


@torch.no_grad()
def predict_cube(model, inputs: np.ndarray, batch: int = 2048) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(inputs), batch):
        x = torch.from_numpy(inputs[i:i + batch])
        y = model(x)
        out.append((y.coords if hasattr(y, "coords") else y).numpy())
    return np.concatenate(out)


def val_mpjpe(model, pairs) -> float:
    """Root-relative MPJPE (mm) with metric scale from the true body scale S."""
    pred = cube_to_metres(predict_cube(model, pairs.inputs), pairs.scale)
    gt = cube_to_metres(pairs.target, pairs.scale)
    return mpjpe(pred, gt)


def lifter_loss(out, target: torch.Tensor, sigma: float, jsd_samples: int | None = None,
                weights: dict | None = None) -> tuple[torch.Tensor, dict]:
    """Total loss and its parts. ``jsd_samples``: estimate the JSD regulariser on the first
    that many samples of the (shuffled) batch only -- an unbiased estimate of the same mean
    at a fraction of the cost (the full-resolution maps dominate a training step)."""
    maps = out._asdict()
    if jsd_samples is not None and jsd_samples < target.shape[0]:
        maps = {k: maps[k][:jsd_samples] for k in ("xy", "zy", "xz")}
        jsd_target = target[:jsd_samples]
    else:
        jsd_target = target
    parts = {"coord": losses.coordinate_loss(out.coords, target),
             "jsd": losses.jsd_loss(maps, jsd_target, sigma),
             "illegal": losses.illegal_angle_loss(out.coords),
             "symmetry": losses.symmetry_loss(out.coords)}
    w = {"jsd": W_JSD, "illegal": W_ILLEGAL, "symmetry": W_SYMMETRY, **(weights or {})}
    total = parts["coord"] + w["jsd"] * parts["jsd"] + w["illegal"] * parts["illegal"] \
        + w["symmetry"] * parts["symmetry"]
    return total, {k: float(v.detach()) for k, v in parts.items()}


def train(train_frames: np.ndarray, val_frames: np.ndarray, *, minutes: float | None = None,
          steps: int | None = None, batch: int = 256, lr: float = 1e-3, seed: int = 0,
          config: MargiPoseConfig | None = None, baseline_config: BaselineConfig | None = None,
          eval_every: int = 200, val_size: int = 3000, noise_range=(0.3, 1.5),
          sample_weights: np.ndarray | None = None, init: tuple | None = None,
          loss_weights: dict | None = None, jsd_samples: int | None = JSD_SAMPLES,
          proportions: dict | None = None, log=print) -> dict:
    """Train both models; returns {"lifter", "baseline" (best states loaded), "history",
    "steps", "seconds"}. Stops after ``steps`` or ``minutes``, whichever comes first.
    ``proportions``: ranges to vary the training bodies' proportions by
    (``camera_sim.make_pairs``); validation keeps the motion capture's."""
    if minutes is None and steps is None:
        raise ValueError("give minutes or steps")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if init is not None:          # (lifter, baseline) to continue from
        lifter, baseline = init
    else:
        lifter = MargiPose(config or MargiPoseConfig())
        baseline = MartinezBaseline(baseline_config or BaselineConfig())
    opts = {m: torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=1e-4)
            for m in (lifter, baseline)}
    val = validation_pairs(val_frames, val_size, seed + 1)
    budget = (minutes or 1e9) * 60.0
    total_steps = steps or 10 ** 9
    best = {"lifter": (math.inf, None), "baseline": (math.inf, None)}
    history = []
    start = time.time()
    step = 0

    def progress() -> float:
        return max((time.time() - start) / budget, step / total_steps)

    def evaluate() -> None:
        row = {"step": step, "seconds": round(time.time() - start, 1)}
        for name, model in (("lifter", lifter), ("baseline", baseline)):
            err = val_mpjpe(model, val)
            row[name] = round(err, 2)
            if err < best[name][0]:
                best[name] = (err, {k: v.clone() for k, v in model.state_dict().items()})
        history.append(row)
        log(json.dumps(row))

    while progress() < 1.0:
        frac = progress()
        for opt in opts.values():   # cosine decay over the budget (time or steps)
            for g in opt.param_groups:
                g["lr"] = lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        if sample_weights is None:
            idx = rng.integers(0, train_frames.shape[0], batch)
        else:
            idx = rng.choice(train_frames.shape[0], size=batch, p=sample_weights)
        noise = rng.uniform(*noise_range, batch)
        pairs = make_pairs(train_frames[idx], rng, noise_scale=noise, proportions=proportions)
        x = torch.from_numpy(pairs.inputs)
        y = torch.from_numpy(pairs.target)
        lifter.train()
        loss, parts = lifter_loss(lifter(x), y, lifter.config.jsd_sigma, jsd_samples,
                                  loss_weights)
        opts[lifter].zero_grad()
        loss.backward()
        opts[lifter].step()
        baseline.train()
        bl = losses.coordinate_loss(baseline(x), y)
        opts[baseline].zero_grad()
        bl.backward()
        opts[baseline].step()
        step += 1
        if step % eval_every == 0:
            evaluate()
    evaluate()
    for name, model in (("lifter", lifter), ("baseline", baseline)):
        model.load_state_dict(best[name][1])
        model.eval()
    return {"lifter": lifter, "baseline": baseline, "history": history, "steps": step,
            "seconds": time.time() - start,
            "best_val_mpjpe": {k: v[0] for k, v in best.items()}}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=55.0, help="wall-clock training budget")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--balance", default=None,
                   help="source shares for sampling frames, e.g. bandai=0.5,cmu=0.3,deepmimic=0.2"
                        " (default: uniform over frames)")
    p.add_argument("--w-symmetry", type=float, default=W_SYMMETRY,
                   help="weight of the left/right bone symmetry loss")
    p.add_argument("--w-illegal", type=float, default=W_ILLEGAL,
                   help="weight of the illegal elbow/knee angle loss")
    p.add_argument("--jsd-samples", type=int, default=JSD_SAMPLES,
                   help="samples per batch the JSD regulariser is estimated on")
    p.add_argument("--width", type=int, default=None,
                   help="trunk width of a new lifter and of its baseline (default: the configs')")
    p.add_argument("--vary-proportions", action="store_true",
                   help="vary torso, shoulder/hip widths and limb lengths of the training "
                        "bodies (camera_sim.PROPORTION_RANGES)")
    p.add_argument("--input-features", type=int, choices=(3, 5), default=None,
                   help="per-joint input of a new lifter and its baseline: 3 = keypoint box "
                        "and visibility, 5 = also the place in the image; with --init, "
                        "5 widens a 3-feature pair (new weights start at zero)")
    p.add_argument("--init", type=Path, default=None,
                   help="continue from this lifter checkpoint (and baseline.pt beside it)")
    p.add_argument("--out", type=Path, default=None, help="default models_dir()/lifter.pt")
    p.add_argument("--baseline-out", type=Path, default=None,
                   help="default: baseline.pt beside --out")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = a.out or models_dir() / "lifter.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    base_out = a.baseline_out or out.with_name("baseline.pt")
    t0 = time.time()
    train_clips = load_split("train")
    train_frames = frames_of(train_clips)
    weights = None
    if a.balance:
        shares = {k: float(v) for k, v in (kv.split("=") for kv in a.balance.split(","))}
        group = np.concatenate([[c.source.rstrip("12")] * len(c) for c in train_clips])
        weights = np.zeros(len(group))
        for src, share in shares.items():
            m = group == src
            weights[m] = share / max(m.sum(), 1)
        weights /= weights.sum()
    init = None
    if a.init:
        from mocap_app.lift.checkpoint import load_checkpoint
        init = (load_checkpoint(a.init, kind="margipose")[0],
                load_checkpoint(a.init.with_name("baseline.pt"), kind="baseline")[0])
        if a.input_features:
            init = tuple(widen_input(m, a.input_features) for m in init)
    new_shape = {k: v for k, v in (("width", a.width), ("in_features", a.input_features))
                 if v}
    val_frames = frames_of(load_split("val"), stride=5)
    k = scale_per_height(train_frames)
    print(f"train frames {len(train_frames)}, val frames {len(val_frames)}, "
          f"S/height {k:.4f}, data {time.time() - t0:.1f} s", flush=True)
    result = train(train_frames, val_frames, minutes=a.minutes, steps=a.steps, batch=a.batch,
                   lr=a.lr, seed=a.seed, eval_every=a.eval_every, sample_weights=weights,
                   init=init, jsd_samples=a.jsd_samples,
                   config=MargiPoseConfig(**new_shape),
                   baseline_config=BaselineConfig(**new_shape),
                   loss_weights={"symmetry": a.w_symmetry, "illegal": a.w_illegal},
                   proportions=PROPORTION_RANGES if a.vary_proportions else None,
                   log=lambda s: print(s, flush=True))
    meta = {"scale_per_height": k, "steps": result["steps"], "batch": a.batch,
            "seconds": round(result["seconds"], 1), "seed": a.seed,
            "loss_weights": {"jsd": W_JSD, "symmetry": a.w_symmetry, "illegal": a.w_illegal},
            "jsd_samples": a.jsd_samples, "balance": a.balance, "init": str(a.init or ""),
            "vary_proportions": bool(a.vary_proportions),
            "input_features": result["lifter"].config.in_features,
            "best_val_mpjpe_mm": {n: round(v, 2) for n, v in result["best_val_mpjpe"].items()},
            "command": "python -m mocap_train.train " + " ".join(argv or [])}
    save_checkpoint(out, result["lifter"], "margipose", meta)
    save_checkpoint(base_out, result["baseline"], "baseline", meta)
    if a.init and a.init.with_suffix(".history.json").exists():   # keep the earlier stages
        earlier = json.loads(a.init.with_suffix(".history.json").read_text())
        result["history"] = earlier + [dict(r, stage="continued") for r in result["history"]]
    (out.with_suffix(".history.json")).write_text(json.dumps(result["history"], indent=0))
    print(f"saved {out} and {base_out} after {result['steps']} steps, "
          f"{result['seconds'] / 60:.1f} min", flush=True)


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
