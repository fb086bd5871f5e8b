"""Train the lifter on the rendered set (real detector output: 2D, visibility and its own
3D) mixed with projected-mocap pairs.

    .venv/bin/python -m mocap_train.train_rendered --data .cache/rendered_v2 \
        --rendered-share 0.75 --minutes 60 --out models/lifter.pt

Each batch takes ``--rendered-share`` of its samples from the rendered train shards (each
mirrored with probability 1/2: the picture, the detector's 3D and the truth together) and
the rest from ``camera_sim.make_pairs`` on the mocap train split. Those get a detector 3D
made from their truth plus a real residual of the detector's 3D measured on a rendered
train pair (``rendered_data.DetectorResiduals``: its error carried in the body's own
axes onto the new pose), except a share ``--mocap-no-3d`` that gets none (the four
features 0, "not given": the lifter still works from 2D alone). With ``--extra-data`` (a
second rendered set, e.g. the take-like stretches of ``render --motions take-like``), a
share ``--extra-share`` of the rendered samples come from it. A new lifter starts from
``--init`` (default: the shipped one) widened to the 9 input features with zero weights
on the new ones, so it starts as exactly the old network. The rendered val shards (and
projected mocap val pairs) are scored every ``--eval-every`` steps; the best state by
rendered val MPJPE is kept. ``--log`` gets one JSON line per evaluation; the state is
saved to ``<out>.resume.pt`` at every evaluation and ``--resume`` goes on from it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch

from mocap_app.core.paths import models_dir
from mocap_app.lift.checkpoint import load_checkpoint, save_checkpoint
from mocap_app.lift.inference import mirror_x
from mocap_app.lift.margipose import widen_input
from mocap_app.lift.normalize import DETECTOR_FEATURES, cube_to_metres, detector_features

from .augment import arms_from, balance_cdf, hide_arm_2d, roll_pairs
from .camera_sim import make_pairs
from .metrics import joint_errors, pa_joint_errors
from .mocap_data import load_split
from .rendered_data import DetectorResiduals, RenderedPairs, load_rendered
from .train import JSD_SAMPLES, W_SYMMETRY, frames_of, lifter_loss, predict_cube


def with_no_detector_3d(inputs: np.ndarray) -> np.ndarray:
    """(B, J, 5) projected-mocap inputs -> (B, J, 9) with the detector's 3D "not given"."""
    pad = np.zeros(inputs.shape[:-1] + (DETECTOR_FEATURES - inputs.shape[-1],), np.float32)
    return np.concatenate([inputs, pad], axis=-1)


def draw(count: int, n: int, rng: np.random.Generator, cdf: np.ndarray | None) -> np.ndarray:
    """n indices below ``count``: uniform, or by the cumulative weights ``cdf``."""
    if cdf is None:
        return rng.integers(0, count, n)
    return np.minimum(np.searchsorted(cdf, rng.random(n)), count - 1)


def rendered_batch(pairs: RenderedPairs, n: int, rng: np.random.Generator,
                   cdf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n random rendered pairs (by ``cdf`` if given), each mirrored with probability 1/2."""
    idx = draw(len(pairs), n, rng, cdf)
    x, y = pairs.inputs[idx].copy(), pairs.target[idx].copy()
    flip = rng.random(n) < 0.5
    x[flip], y[flip] = mirror_x(x[flip]), mirror_x(y[flip])
    return x, y


def limb_ranges(spread: float) -> dict[str, tuple[float, float]] | None:
    """Ranges of ``camera_sim.vary_proportions`` factors for ``--vary-limbs``: each limb
    segment (upper arm, forearm, thigh, shin; both sides alike) by 1 +- ``spread``, the
    spine by half that; the shoulder and hip widths are kept (widening them would teach
    BlazePose's surface points, not joint centres). None for 0."""
    if spread <= 0:
        return None
    limbs = {g: (1.0 - spread, 1.0 + spread) for g in ("upper_arm", "forearm", "thigh", "shin")}
    return {**limbs, "torso": (1.0 - spread / 2, 1.0 + spread / 2)}


def mocap_batch(frames: np.ndarray, n: int, rng: np.random.Generator, noise_range,
                residuals: DetectorResiduals | None = None, no_3d: float = 1.0,
                arm_share: float = 0.0, cdf: np.ndarray | None = None,
                proportions: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n projected-mocap pairs (frames drawn by ``cdf`` if given); with ``residuals``, all
    but a share ``no_3d`` get a detector 3D (truth + a measured residual); a share
    ``arm_share`` of the poses get their arms from other frames (``augment.arms_from``);
    ``proportions``: ranges to vary each body's segment lengths by (``limb_ranges``)."""
    idx = draw(frames.shape[0], n, rng, cdf)
    poses = frames[idx]
    if arm_share > 0:
        poses = arms_from(poses, frames, rng, arm_share)
    pairs = make_pairs(poses, rng, noise_scale=rng.uniform(*noise_range, n),
                       proportions=proportions)
    x = with_no_detector_3d(pairs.inputs)
    if residuals is not None:
        given = rng.random(n) >= no_3d
        if given.any():
            fake = residuals.apply(pairs.target[given], rng)
            x[given, :, 5:] = detector_features(fake, (int(given.sum()),))
    return x, pairs.target


def scores(model, inputs: np.ndarray, target: np.ndarray, scale: np.ndarray) -> dict:
    """MPJPE (root-relative, true scale) and PA-MPJPE in mm."""
    pred = cube_to_metres(predict_cube(model, inputs), scale)
    gt = cube_to_metres(target, scale)
    return {"mpjpe": round(float(joint_errors(pred, gt).mean()), 2),
            "pa_mpjpe": round(float(pa_joint_errors(pred, gt).mean()), 2)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="folder of rendered shards")
    p.add_argument("--rendered-share", type=float, default=0.75,
                   help="share of each batch from the rendered set, 0..1")
    p.add_argument("--extra-data", type=Path, default=None,
                   help="a second folder of rendered shards (e.g. --motions take-like); "
                        "its val shards are scored too, the best state is still chosen "
                        "on --data's val")
    p.add_argument("--extra-share", type=float, default=0.0,
                   help="share of the rendered samples drawn from --extra-data")
    p.add_argument("--mocap-no-3d", type=float, default=0.2,
                   help="share of the projected-mocap pairs given no detector 3D, 0..1 "
                        "(the others get truth + a measured residual)")
    p.add_argument("--arm-share", type=float, default=0.0,
                   help="share of the projected-mocap poses given arms from other frames, "
                        "0..1 (augment.arms_from)")
    p.add_argument("--hide-arm-2d", type=float, default=0.0,
                   help="share of the samples with the detector's 3D whose one arm loses "
                        "its 2D, 0..1 (augment.hide_arm_2d)")
    p.add_argument("--balance-arms", type=float, default=0.0,
                   help="draw the training poses balanced over both arms' elevation with "
                        "this strength, 0 (as they come) .. 1 (every elevation pair "
                        "equally often; augment.balance_cdf)")
    p.add_argument("--vary-limbs", type=float, default=0.0,
                   help="vary the projected-mocap bodies' limb segments by 1 +- this "
                        "(spine by half), 0..0.5 (limb_ranges)")
    p.add_argument("--roll", type=float, default=0.0,
                   help="turn a share of the pairs as a camera rolled by up to +- this many "
                        "degrees would see them, 0..180 (augment.roll_pairs)")
    p.add_argument("--roll-share", type=float, default=0.5,
                   help="share of the pairs that --roll turns, 0..1")
    p.add_argument("--w-symmetry", type=float, default=W_SYMMETRY,
                   help="weight of the left/right bone-length symmetry loss")
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock training budget")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--init", type=Path, default=None,
                   help="lifter to start from (default: the shipped models/lifter.pt)")
    p.add_argument("--out", type=Path, required=True, help="where the best lifter goes")
    p.add_argument("--log", type=Path, default=None, help="JSON lines (default <out>.log)")
    p.add_argument("--resume", action="store_true", help="go on from <out>.resume.pt")
    a = p.parse_args(argv)
    for name, high in (("rendered_share", 1.0), ("mocap_no_3d", 1.0), ("arm_share", 1.0),
                       ("hide_arm_2d", 1.0), ("balance_arms", 1.0), ("vary_limbs", 0.5),
                       ("roll", 180.0), ("roll_share", 1.0), ("extra_share", 1.0)):
        if not 0.0 <= getattr(a, name) <= high:
            p.error(f"--{name.replace('_', '-')} {getattr(a, name)}: must be within 0..{high:g}")
    if (a.extra_data is None) != (a.extra_share == 0.0):
        p.error("--extra-data and --extra-share (above 0) go together")
    if a.batch < 2:
        p.error(f"--batch {a.batch}: must be at least 2")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    log_path = a.log or a.out.with_suffix(".log")
    resume_path = a.out.with_name(a.out.name + ".resume.pt")

    def log(row: dict) -> None:
        line = json.dumps(row)
        print(line, flush=True)
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    t0 = time.time()
    train_r = load_rendered(a.data, "train")
    val_r = load_rendered(a.data, "val")
    train_x = val_x = None
    if a.extra_data is not None:
        train_x, val_x = load_rendered(a.extra_data, "train"), load_rendered(a.extra_data, "val")
    use_mocap = a.rendered_share < 1.0      # a rendered-only run needs no motion capture
    residuals = DetectorResiduals(train_r) if use_mocap and a.mocap_no_3d < 1.0 else None
    train_frames = frames_of(load_split("train")) if use_mocap else None
    val_m = None
    if use_mocap:
        val_frames = frames_of(load_split("val"), stride=5)
        vrng = np.random.default_rng(a.seed + 1)
        vidx = vrng.choice(len(val_frames), size=min(3000, len(val_frames)), replace=False)
        val_m = make_pairs(val_frames[vidx], vrng)
        val_m_inputs = with_no_detector_3d(val_m.inputs)
    cdf_r = cdf_m = None
    if a.balance_arms > 0:
        cdf_r = balance_cdf(train_r.target, a.balance_arms)
        cdf_m = balance_cdf(train_frames, a.balance_arms) if use_mocap else None
    log({"event": "data", "rendered_train": len(train_r), "rendered_val": len(val_r),
         "extra_train": 0 if train_x is None else len(train_x),
         "extra_val": 0 if val_x is None else len(val_x),
         "mocap_train_frames": 0 if train_frames is None else len(train_frames),
         "seconds": round(time.time() - t0, 1)})

    init = a.init or models_dir() / "lifter.pt"
    model, init_meta = load_checkpoint(init, kind="margipose")
    if model.config.in_features < DETECTOR_FEATURES:
        model = widen_input(model, DETECTOR_FEATURES)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    step, spent, best, history = 0, 0.0, (math.inf, None), []
    if a.resume and resume_path.exists():
        blob = torch.load(resume_path, weights_only=False)
        model.load_state_dict(blob["model"])
        opt.load_state_dict(blob["opt"])
        step, spent, history = blob["step"], blob["seconds"], blob["history"]
        best = (blob["best_err"], blob["best_state"])
        rng.bit_generator.state = blob["rng"]
        torch.set_rng_state(blob["torch_rng"])
        log({"event": "resumed", "step": step, "seconds": spent})
    budget = a.minutes * 60.0
    total_steps = a.steps or 10 ** 9
    start = time.time() - spent
    n_r = int(round(a.rendered_share * a.batch))
    n_x = int(round(a.extra_share * n_r))
    n_r -= n_x

    def progress() -> float:
        return max((time.time() - start) / budget, step / total_steps)

    def evaluate() -> None:
        nonlocal best
        row = {"step": step, "seconds": round(time.time() - start, 1),
               "rendered_val": scores(model, val_r.inputs, val_r.target, val_r.scale)}
        if val_x is not None and len(val_x):
            row["extra_val"] = scores(model, val_x.inputs, val_x.target, val_x.scale)
        if val_m is not None:
            row["mocap_val"] = scores(model, val_m_inputs, val_m.target, val_m.scale)
        history.append(row)
        log(row)
        err = row["rendered_val"]["mpjpe"]
        if err < best[0]:
            best = (err, {k_: v.clone() for k_, v in model.state_dict().items()})
            save(best[1])
        tmp = resume_path.with_name(resume_path.name + ".part")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "seconds": time.time() - start, "history": history,
                    "best_err": best[0], "best_state": best[1],
                    "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, resume_path)

    def save(state) -> None:
        keep = {k_: v.clone() for k_, v in model.state_dict().items()}
        model.load_state_dict(state)
        meta = {"scale_per_height": init_meta.get("scale_per_height", 0.79),
                "trained_on": "rendered set + projected mocap", "data": str(a.data),
                "extra_data": None if a.extra_data is None else str(a.extra_data),
                "extra_share": a.extra_share,
                "rendered_share": a.rendered_share, "mocap_no_3d": a.mocap_no_3d,
                "arm_share": a.arm_share, "balance_arms": a.balance_arms,
                "hide_arm_2d": a.hide_arm_2d, "vary_limbs": a.vary_limbs,
                "roll_deg": a.roll, "roll_share": a.roll_share if a.roll > 0 else 0.0,
                "w_symmetry": a.w_symmetry,
                "steps": step, "batch": a.batch,
                "seconds": round(time.time() - start, 1), "seed": a.seed, "lr": a.lr,
                "init": str(init), "input_features": DETECTOR_FEATURES,
                "best_rendered_val": history[-1]["rendered_val"],
                "mocap_val_then": history[-1].get("mocap_val"),
                "command": "python -m mocap_train.train_rendered " + " ".join(argv or [])}
        save_checkpoint(a.out, model, "margipose", meta)
        model.load_state_dict(keep)

    if step == 0:
        evaluate()
    while progress() < 1.0:
        for g in opt.param_groups:
            g["lr"] = a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress())))
        parts_x, parts_y = [], []
        if n_r:
            x, y = rendered_batch(train_r, n_r, rng, cdf_r)
            parts_x.append(x)
            parts_y.append(y)
        if n_x:
            x, y = rendered_batch(train_x, n_x, rng)
            parts_x.append(x)
            parts_y.append(y)
        if a.batch - n_r - n_x:
            x, y = mocap_batch(train_frames, a.batch - n_r - n_x, rng, (0.3, 1.5), residuals,
                               a.mocap_no_3d, a.arm_share, cdf_m, limb_ranges(a.vary_limbs))
            parts_x.append(x)
            parts_y.append(y)
        x = np.concatenate(parts_x)
        y = np.concatenate(parts_y)
        if a.hide_arm_2d > 0:
            x = hide_arm_2d(x, rng, a.hide_arm_2d)
        if a.roll > 0:
            x, y = roll_pairs(x, y, rng, a.roll, a.roll_share)
        perm = rng.permutation(len(x))        # the JSD is estimated on the first samples
        model.train()
        loss, _ = lifter_loss(model(torch.from_numpy(x[perm])), torch.from_numpy(y[perm]),
                              model.config.jsd_sigma, JSD_SAMPLES, {"symmetry": a.w_symmetry})
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % a.eval_every == 0:
            evaluate()
    evaluate()
    log({"event": "done", "steps": step, "minutes": round((time.time() - start) / 60, 1),
         "best_rendered_val_mpjpe": best[0]})


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
