"""Adapting the lifter to one take from motion-capture poses like the app's own estimate
of it (a lead for issue 18, not shipped).

    .venv/bin/python bench/eval_pose2sim_take_adaptation.py --cache detections.npz   # ~5 min
    .venv/bin/python bench/eval_pose2sim_take_adaptation.py --random-pool ...        # control

``eval_pose2sim_own_poses.py --virtual`` shows that the take's own poses through virtual
cameras would bring every Pose2Sim view under 0.85x BlazePose, but those are the test's
poses. This script uses only what the app has: for each view, the shipped lifter's own
per-frame estimate (2D only, the picture levelled by the view's calibrated tilt) picks its
``--k`` nearest poses in the train split's motion capture (every 4th frame; pelvis at the
origin, in the body's own axes, over the body scale). The lifter is fine-tuned on that pool
through virtual cameras (half of every batch; the other half random motion capture; 2D
only; ``eval_pose2sim_own_poses.virtual_fine_tuned``). Then the view is lifted again and
scored against the other views' triangulation. ``--random-pool`` draws a pool of the same
size at random instead: the control, which shows how much of the gain comes from the
neighbours and how much from fine-tuning at all.

``--refined``: each adapted lifter is also run through the app's offline stages as
``eval_pose2sim --side-check`` runs them (the tilt found from the take, flip averaging,
the bidirectional refiner, the image fit; no limb fusion, whose table is fitted per
checkpoint), given the detector's 3D and from the 2D alone, beside the shipped lifter's
rows: whether the adaptation carries through to what the app gives.
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
import eval_pose2sim_own_poses as OWN  # noqa: E402
from mocap_app.core.paths import models_dir  # noqa: E402
from mocap_app.core.skeleton import J  # noqa: E402
from mocap_app.lift.checkpoint import load_checkpoint  # noqa: E402
from mocap_app.lift.normalize import body_scale  # noqa: E402
from mocap_train.rendered_data import body_frame  # noqa: E402


def canonical(poses: np.ndarray) -> np.ndarray:
    """(N, J*3) poses with the pelvis at the origin, in the body's own axes, over the body
    scale: the same for a pose turned, moved or scaled."""
    p = np.asarray(poses, np.float64)
    p = p - p[:, J["pelvis"]:J["pelvis"] + 1]
    p = np.einsum("nij,nkj->nki", body_frame(p), p)
    return (p / body_scale(p)[:, None, None]).reshape(len(p), -1)


def nearest(queries: np.ndarray, bank: np.ndarray, k: int) -> np.ndarray:
    """Indices into ``bank`` (M, D) of the ``k`` nearest rows to each query (N, D), the
    union over the queries, sorted."""
    d = (queries ** 2).sum(1)[:, None] - 2 * queries @ bank.T + (bank ** 2).sum(1)[None]
    return np.unique(np.argpartition(d, k, axis=1)[:, :k])


def refined(model, meta: dict, data: dict, v: int, ref: np.ndarray) -> dict:
    """The app's offline output for view v (``eval_pose2sim.estimates``' refined row) with
    the shipped lifter and with ``model``, given the detector's 3D and from the 2D alone;
    PA-MPJPE mm (25 joints)."""
    import tempfile

    from mocap_app.lift.checkpoint import save_checkpoint
    tilt = P2S.resolved_tilt(data, v, P2S.AUTO)
    no_3d = dict(data, world=np.array(data["world"], copy=True))
    no_3d["world"][v] = np.nan
    out = {}
    with tempfile.TemporaryDirectory(prefix="mocap_adapted_") as tmp:
        path = Path(tmp) / "adapted.pt"
        save_checkpoint(path, model, "margipose", meta)
        for name, lifter, given in (("shipped (the app)", None, data),
                                    ("shipped, 2D only", None, no_3d),
                                    ("adapted, with the detector's 3D", path, data),
                                    ("adapted, 2D only", path, no_3d)):
            x = P2S.estimates(given, v, lifter, None, True, P2S.WEBCAM_HFOV_DEG, tilt)[
                "lifter + bidirectional refiner"]
            out[name] = float(np.nanmean(OWN.pa_errors(x, ref)))
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections (eval_pose2sim's): read if it exists, else written")
    ap.add_argument("--k", type=int, default=20, help="neighbours per frame")
    ap.add_argument("--steps", type=int, default=200, help="fine-tuning steps per view")
    ap.add_argument("--random-pool", action="store_true",
                    help="the control: a random pool of the same size")
    ap.add_argument("--refined", action="store_true",
                    help="also through the app's offline stages (see the doc)")
    args = ap.parse_args(argv)
    if args.k < 1 or args.steps < 1:
        ap.error(f"--k and --steps must be at least 1, got {args.k}, {args.steps}")
    torch.set_num_threads(1)
    from mocap_train.mocap_data import load_split
    from mocap_train.train import frames_of
    cams = P2S.read_qca(P2S.take_dir() / "Calib.qca.txt")
    data = P2S.cached_detections(cams, args.cache)
    loo, _ = P2S.references(cams, data["kp"])
    checked = [P2S.side_checked(data, u, hands=False)[0] for u in range(len(cams))]
    mocap = frames_of(load_split("train"), stride=4)
    bank = canonical(mocap).astype(np.float32)
    shipped, meta = load_checkpoint(models_dir() / "lifter.pt", kind="margipose")
    rows, refined_rows = [], []
    for v, cam in enumerate(cams):
        t0 = time.time()
        tilt = P2S.view_tilt(cam)
        est = OWN.lift_view(shipped, meta, checked[v], v, tilt, False)
        ok = np.isfinite(est).all(axis=(1, 2))
        pick = nearest(canonical(est[ok]).astype(np.float32), bank, args.k)
        if args.random_pool:
            pick = np.random.default_rng(v).choice(len(mocap), len(pick), replace=False)
        model, meta_ft = OWN.virtual_fine_tuned(mocap[pick], mocap, args.steps, 1e-4, 0)
        after = OWN.scores(OWN.lift_view(model, meta_ft, checked[v], v, tilt, False), loo[v])
        if args.refined:
            refined_rows.append((cam.name, refined(model, meta_ft, checked[v], v, loo[v])))
        rows.append((cam.name, len(pick), OWN.scores(checked[v]["world"][v], loo[v]),
                     OWN.scores(est, loo[v]), after))
        print(f"{cam.name}: a pool of {len(pick)} poses, {time.time() - t0:.0f} s", flush=True)
    pool = "a random pool" if args.random_pool else f"the {args.k} nearest poses a frame"
    print(f"\nPA-MPJPE mm, per frame, 2D only, 25 joints / 8 distal joints; fine-tuned on "
          f"{pool}\n")
    OWN.print_before_after([(r[0], r[2], r[3], r[4]) for r in rows], "adapted", "adapted")
    if refined_rows:
        names = list(refined_rows[0][1])
        print("\nThrough the app's offline stages (side check, tilt found, flip averaging, "
              "bidirectional refiner, image fit), PA-MPJPE mm, 25 joints\n")
        print("| view | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for name, r in refined_rows:
            print(f"| {name} | " + " | ".join(f"{r[k]:.1f}" for k in names) + " |")
    return {"rows": rows, "refined": refined_rows}


if __name__ == "__main__":
    main()
