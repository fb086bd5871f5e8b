"""What the lifter does with the Pose2Sim take's own kind of poses in its training: an
upper bound, not a model to ship.

    .venv/bin/python bench/eval_pose2sim_own_poses.py [--cache detections.npz]  # ~4 min
    .venv/bin/python bench/eval_pose2sim_own_poses.py --virtual [--cache ...]   # ~10 min

Issue 18's last target (Pose2Sim, at most 0.85x BlazePose's PA-MPJPE on every view) is
missed on the limbs' depth, and training on other performers' stretches of such motion
moved the lifter by about 1 mm (models/LIFTER_CARD.md, stage 12). This script measures
the other side: for each view v, the shipped lifter is fine-tuned for ``--steps`` steps
on the **other three views' frames of the same take** (each view's own detector output,
2D, visibility and BlazePose's 3D, as the input; the triangulation that scores v, turned
into that view's axes, as the target; the usual losses), then view v is lifted (one pass,
no limb fusion, no refiner, the picture levelled by the view's calibrated tilt: cam01
and cam04 are rolled by 13 and 26 degrees) and scored against that triangulation,
before and after, on the 25 joints and on the 8 distal joints (each frame aligned on
them, free of where the reference puts the hips and shoulders). The poses are the take's
own, seen from other cameras: what 3D of exactly this motion would give, the most any
data of its kind could. Every view's detections go through the side check first (cam02's
left/right swap put right), as the app runs; batch norm keeps its learned statistics.

``--virtual``: the same triangulated poses seen instead through the training's own random
virtual cameras (``camera_sim.make_pairs``: every heading, webcam and phone lenses,
simulated detector 2D errors, mirrored half the time), half of every batch, the other half
projected motion capture of the train split, all from the 2D alone (no detector 3D: its
residual model needs the rendered set); view v is then lifted from its 2D alone, before and
after. This is what the lifter could do with these poses in its prior from all round,
the most a motion capture of this kind could give it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_pose2sim as P2S  # noqa: E402
from mocap_app.core.paths import models_dir  # noqa: E402
from mocap_app.lift.checkpoint import load_checkpoint  # noqa: E402
from mocap_app.lift.inference import Lifter  # noqa: E402
from mocap_app.lift.margipose import fused_for_inference  # noqa: E402
from mocap_app.lift.normalize import body_scale, camera_to_cube  # noqa: E402
from mocap_train.metrics import pa_errors_masked as pa_errors  # noqa: E402
from mocap_train.train import lifter_loss  # noqa: E402


def view_pairs(lifter: Lifter, data: dict, u: int, cam, ref_world: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, cube targets) of view u's frames with a pose and a reference: the
    network's input from u's detector output, the reference in u's axes as the target."""
    kp = data["kp"][u]
    seen = np.isfinite(kp).all(-1)
    x, valid, _, _ = lifter._inputs(np.nan_to_num(kp), np.where(seen, data["vis"][u], 0.0),
                                    tuple(int(s) for s in data["sizes"][u]), data["world"][u])
    ref = P2S.in_camera_app(cam, ref_world)
    ok = valid & seen.any(-1) & np.isfinite(ref).all(axis=(1, 2))
    target = camera_to_cube(ref[ok], body_scale(ref[ok]))
    return x.cpu().numpy()[ok], target.astype(np.float32)


def lift_view(model, meta: dict, data: dict, v: int, tilt: float,
              world: bool = True) -> np.ndarray:
    """(F, J, 3) view v lifted per frame by ``model`` (one pass, no fusion; the picture
    levelled by ``tilt`` degrees), with the detector's 3D or (``world`` False) from the
    2D alone."""
    lifter = Lifter(fused_for_inference(model).eval(), meta, torch.device("cpu"),
                    flip_average=False, tilt_deg=tilt)
    kp = data["kp"][v]
    seen = np.isfinite(kp).all(-1)
    res = lifter.lift(np.nan_to_num(kp), np.where(seen, data["vis"][v], 0.0),
                      tuple(int(s) for s in data["sizes"][v]),
                      world=data["world"][v] if world else None)
    return np.where((res.valid & seen.any(-1))[:, None, None], res.joints_3d, np.nan)


def scores(pred: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(25 joints, 8 distal joints) PA-MPJPE mm."""
    return (float(np.nanmean(pa_errors(pred, ref))),
            float(np.nanmean(pa_errors(pred, ref, P2S.DISTAL))))


def shipped_for_tuning(lr: float, seed: int):
    """(model, meta, optimiser): the shipped lifter ready to fine-tune, its batch norm
    keeping the statistics it learned (a few hundred frames of one take would shift them)."""
    torch.manual_seed(seed)
    model, meta = load_checkpoint(models_dir() / "lifter.pt", kind="margipose")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()
    return model, meta, opt


def tuning_step(model, opt, x: np.ndarray, y: np.ndarray) -> None:
    """One step of the usual lifter losses on inputs ``x`` and cube targets ``y``."""
    loss, _ = lifter_loss(model(torch.from_numpy(x)), torch.from_numpy(y),
                          model.config.jsd_sigma)
    opt.zero_grad()
    loss.backward()
    opt.step()


def fine_tuned(x: np.ndarray, y: np.ndarray, steps: int, lr: float, seed: int):
    """The shipped lifter trained ``steps`` full-batch steps on (x, y)."""
    model, meta, opt = shipped_for_tuning(lr, seed)
    for _ in range(steps):
        tuning_step(model, opt, x, y)
    return model.eval(), meta


def z_up_to_app(world: np.ndarray) -> np.ndarray:
    """Pose2Sim world points (Z up) -> a right-handed Y-up frame (x, z, -y)."""
    return np.stack([world[..., 0], world[..., 2], -world[..., 1]], -1)


def virtual_fine_tuned(take_poses: np.ndarray, mocap: np.ndarray, steps: int, lr: float,
                       seed: int, batch: int = 256):
    """The shipped lifter trained ``steps`` steps on batches half of ``take_poses`` (F, J,
    3, Y up), half of ``mocap`` frames, each through random virtual cameras, 2D only."""
    from mocap_train.train_rendered import mocap_batch
    model, meta, opt = shipped_for_tuning(lr, seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        xa, ya = mocap_batch(take_poses, batch // 2, rng, (0.3, 1.5))
        xb, yb = mocap_batch(mocap, batch - batch // 2, rng, (0.3, 1.5))
        tuning_step(model, opt, np.concatenate([xa, xb]), np.concatenate([ya, yb]))
    return model.eval(), meta


def print_before_after(rows, label: str, short: str) -> None:
    """A table of (view, BlazePose, shipped, after) scores (25 joints, 8 distal joints)."""
    print(f"| view | BlazePose world landmarks | shipped lifter | {label} | x BlazePose, "
          f"shipped / {short} (25 joints) |")
    print("|---|---|---|---|---|")
    for name, bp, before, after in rows:
        print(f"| {name} | {bp[0]:.1f} / {bp[1]:.1f} | {before[0]:.1f} / {before[1]:.1f} | "
              f"{after[0]:.1f} / {after[1]:.1f} | {before[0] / bp[0]:.2f} / "
              f"{after[0] / bp[0]:.2f} |")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections (eval_pose2sim's): read if it exists, else written")
    ap.add_argument("--steps", type=int, default=200, help="fine-tuning steps per view")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--virtual", action="store_true",
                    help="the take's poses through virtual cameras (see the doc), 2D only")
    args = ap.parse_args(argv)
    if args.steps < 1 or not args.lr > 0:
        ap.error(f"--steps must be at least 1 and --lr positive, got {args.steps}, {args.lr}")
    torch.set_num_threads(1)
    cams = P2S.read_qca(P2S.take_dir() / "Calib.qca.txt")
    data = P2S.cached_detections(cams, args.cache)
    loo, _ = P2S.references(cams, data["kp"])
    shipped, meta = load_checkpoint(models_dir() / "lifter.pt", kind="margipose")
    inputs = Lifter.load(fusion=False, flip_average=False)
    # each view as the app sees it: the side check puts cam02's left/right swap right
    checked = [P2S.side_checked(data, u, hands=False)[0] for u in range(len(cams))]
    rows = []
    mocap = None
    if args.virtual:
        from mocap_train.mocap_data import load_split
        from mocap_train.train import frames_of
        mocap = frames_of(load_split("train"), stride=4)
    for v, cam in enumerate(cams):
        t0 = time.time()
        bp = scores(checked[v]["world"][v], loo[v])
        tilt = P2S.view_tilt(cam)                # the calibration's: the same for both
        if args.virtual:
            ok = np.isfinite(loo[v]).all(axis=(1, 2))
            model, meta_ft = virtual_fine_tuned(z_up_to_app(loo[v][ok]).astype(np.float32),
                                                mocap, args.steps, args.lr, args.seed)
            before = scores(lift_view(shipped, meta, checked[v], v, tilt, False), loo[v])
            after = scores(lift_view(model, meta_ft, checked[v], v, tilt, False), loo[v])
            rows.append((cam.name, int(ok.sum()), bp, before, after, time.time() - t0))
            print(f"{cam.name}: {int(ok.sum())} poses, {time.time() - t0:.0f} s", flush=True)
            continue
        parts = [view_pairs(inputs, checked[u], u, cams[u], loo[v]) for u in range(len(cams))
                 if u != v]
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        model, meta_ft = fine_tuned(x, y, args.steps, args.lr, args.seed)
        before = scores(lift_view(shipped, meta, checked[v], v, tilt), loo[v])
        after = scores(lift_view(model, meta_ft, checked[v], v, tilt), loo[v])
        fit = np.mean([scores(lift_view(model, meta_ft, checked[u], u, 0.0), loo[v])[0]
                       for u in range(len(cams)) if u != v])
        rows.append((cam.name, len(x), bp, before, after, time.time() - t0))
        print(f"{cam.name}: {len(x)} training frames from the other views, {fit:.1f} mm "
              f"on them after the fine-tuning (25 joints), {time.time() - t0:.0f} s",
              flush=True)
    how = ("from the 2D alone; fine-tuned on the take's poses through virtual cameras"
           if args.virtual else "fine-tuned on the other views' frames")
    print("\nPA-MPJPE mm, per frame (one pass, no limb fusion, no refiner; the picture "
          "levelled by the view's calibrated tilt); 25 joints / 8 distal joints\n")
    print_before_after([(r[0], r[2], r[3], r[4]) for r in rows], how, "fine-tuned")
    return {"rows": rows}


if __name__ == "__main__":
    main()
