"""Where the lifter's error on the held-out test split comes from: the same frames, cameras
and random draws, with the parts of the simulated detector error (``mocap_train/camera_sim``,
"LSP x1" = MediaPipe measured on LSP) switched on one after another.

    .venv/bin/python bench/lifter_noise_budget.py [--stride 10] [--lifter models/lifter.pt]

Rows (each adds to the one above): exact 2D with the detector's visibility; + Gaussian
jitter (the measured inlier sigma); + gross outliers (the measured per-joint rate); +
whole-body left/right swaps (the measured rate) = the full LSP x1 model the targets refer
to. Also the full model on its frames split by whether the person was swapped. Every model
is flip-averaged, as the app runs it. PA-MPJPE and MPJPE (true body scale) in mm, like
``python -m mocap_train.evaluate``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocap_app.core.paths import models_dir  # noqa: E402
from mocap_train import camera_sim, metrics  # noqa: E402
from mocap_app.lift.checkpoint import load_checkpoint  # noqa: E402
from mocap_app.lift.inference import FlipAveraged  # noqa: E402
from mocap_train.mocap_data import load_split  # noqa: E402
from mocap_app.lift.normalize import cube_to_metres  # noqa: E402
from mocap_train.train import frames_of, predict_cube  # noqa: E402

#: (label, inlier sigma on, outliers on, swaps on)
STEPS = (("exact 2D (detector visibility)", False, False, False),
         ("+ jitter (inlier sigma)", True, False, False),
         ("+ gross outliers", True, True, False),
         ("+ left/right swaps = LSP x1", True, True, True))


def noise_parts(sigma_on: bool, outliers_on: bool, swaps_on: bool, model: str = "lsp"):
    """Patches for ``camera_sim`` that keep only the chosen parts of the noise model. The
    visibility stays the detector's (outliers lower it, so it follows ``outliers_on``)."""
    noise = dict(camera_sim.detector_noise(model))
    sigma, out_rate, vis_in, vis_out = camera_sim.per_joint_noise(model)
    if not swaps_on:
        noise["left_right_swap_rate"] = 0.0
    parts = (sigma if sigma_on else np.zeros_like(sigma),
             out_rate if outliers_on else np.zeros_like(out_rate), vis_in, vis_out)
    return (mock.patch.object(camera_sim, "detector_noise", lambda m="lsp": noise),
            mock.patch.object(camera_sim, "per_joint_noise", lambda m="lsp": parts))


def swapped_frames(frames: np.ndarray, seed: int) -> np.ndarray:
    """(N,) bool: which frames the full model swaps, found by replaying the same draws
    with a spy on the keypoints (a swap permutes them, nothing else does)."""
    seen = {}

    def spy(kp, cam, sizes, rng, noise_scale=1.0, noise_model="lsp"):
        exact = kp.copy()
        out, vis = camera_sim.detector_errors(kp, cam, sizes, rng, noise_scale, noise_model)
        seen["exact"], seen["noisy"] = exact, out
        return out, vis

    camera_sim.make_pairs(frames, np.random.default_rng(seed), noise_scale=1.0, errors=spy)
    exact, noisy = seen["exact"], seen["noisy"]
    from mocap_app.core.skeleton import MIRROR_PERMUTATION, J
    limbs = [J[f"{s}_{p}"] for s in ("left", "right") for p in ("wrist", "ankle", "knee",
                                                                   "elbow")]
    d = np.nanmean(np.linalg.norm(noisy[:, limbs] - exact[:, limbs], axis=-1), 1)
    mirrored = exact[:, list(MIRROR_PERMUTATION)]
    d_sw = np.nanmean(np.linalg.norm(noisy[:, limbs] - mirrored[:, limbs], axis=-1), 1)
    return d_sw < 0.5 * d


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lifter", type=Path, default=None)
    p.add_argument("--stride", type=int, default=10)
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    path = a.lifter or models_dir() / "lifter.pt"
    models = {"lifter + flip": FlipAveraged(load_checkpoint(path, kind="margipose")[0])}
    base = path.with_name("baseline.pt")
    if base.exists():
        models["baseline + flip"] = FlipAveraged(load_checkpoint(base, kind="baseline")[0])
    frames = frames_of(load_split("test"), stride=a.stride)
    print(f"held-out test split, {len(frames)} frames (every {a.stride}th), lifter {path}")
    print("| 2D input | " + " | ".join(f"{n} PA-MPJPE / MPJPE" for n in models) + " |")
    print("|---|" + "---|" * len(models))
    per_frame = {}
    for label, s_on, o_on, w_on in STEPS:
        p1, p2 = noise_parts(s_on, o_on, w_on)
        with p1, p2:
            pairs = camera_sim.make_pairs(frames, np.random.default_rng(a.seed),
                                          noise_scale=1.0)
        gt = cube_to_metres(pairs.target, pairs.scale)
        cells = []
        for name, model in models.items():
            pred = cube_to_metres(predict_cube(model, pairs.inputs), pairs.scale)
            pa = metrics.pa_joint_errors(pred, gt).mean(1)
            e = metrics.joint_errors(pred, gt).mean(1)
            per_frame[name] = (pa, e)
            cells.append(f"{pa.mean():.1f} / {e.mean():.1f}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    sw = swapped_frames(frames, a.seed)
    for mask, label in ((~sw, "LSP x1, frames not swapped"), (sw, "LSP x1, swapped frames")):
        cells = [f"{pa[mask].mean():.1f} / {e[mask].mean():.1f}"
                 for pa, e in per_frame.values()]
        print(f"| {label} ({100 * mask.mean():.1f} %) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
