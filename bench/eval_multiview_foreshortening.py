"""The depth-from-foreshortening stage of ``eval_pose2sim_oracles.py`` (its third block)
on the four-camera renders of ``eval_multiview_rendered.py``: does what it gains on the
Pose2Sim take hold where the exact joints are known?

    .venv/bin/python bench/eval_multiview_rendered.py --motions take-like --items 24 \\
        --frames 90 --render-only                                    # ~20 min, once
    .venv/bin/python bench/eval_multiview_foreshortening.py          # ~5 min

Every view of every rendered item (default: the take-like items) is scored as
``eval_multiview_rendered`` scores it (side check, tilt found, lifter, bidirectional
refiner, image fit), then with the limbs' depth moved towards their foreshortening by
each weight; PA-MPJPE (mm, 25 joints) against the exact joints and against the
leave-one-out triangulation of BlazePose's 2D, on the view-frames every row scores. Then
the oracles script's block 4 against the exact joints: how the limb bones' depth
components of the app and of BlazePose's world landmarks compare with the truth's (the
mean over the views).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_multiview_rendered as M  # noqa: E402
from eval_pose2sim import (AUTO, estimates, in_camera_app, joint_errors, references,  # noqa: E402
                           resolved_tilt, side_checked)
from eval_pose2sim_oracles import (LIMB_JOINTS, OUT_OF_PLANE, WEIGHTS, depth_agreement,  # noqa: E402
                                   depth_from_foreshortening)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", default=".cache/multiview_rendered/item_takelike_*_90.npz",
                    help="glob of rendered items (eval_multiview_rendered's cache)")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    paths = sorted(Path().glob(args.items))
    if not paths:
        ap.error(f"no rendered items match {args.items}: render them first (see the doc)")
    rows: dict = {}
    depth: dict = {}
    for path in paths:
        a = dict(np.load(path))
        cams = M.triangulation_cameras(a["K"], a["R"], a["t"])
        data = M.views_data(a)
        loo, _ = references(cams, a["kp"])
        for v in range(M.VIEWS):
            d, _ = side_checked(data, v, hands=False)
            app = estimates(d, v, None, lifter_only=True,
                            tilt_deg=resolved_tilt(d, v, AUTO, None))[
                "lifter + bidirectional refiner"]
            seen = np.isfinite(a["kp"][v]).all(axis=(-1, -2))[:, None, None]
            outputs = {"BlazePose world landmarks": np.where(seen, a["world"][v], np.nan),
                       "app (refined, image fit)": app}
            for w in WEIGHTS:
                outputs[f"+ depth from foreshortening, weight {w:g}"] = \
                    depth_from_foreshortening(app, d["kp"][v], w)
            truth = in_camera_app(cams[v], a["truth"])
            for name in ("app (refined, image fit)", "BlazePose world landmarks"):
                depth.setdefault(name, []).append(depth_agreement(outputs[name], truth,
                                                                  LIMB_JOINTS))
            for name, x in outputs.items():
                for ref_name, ref in (("exact joints", a["truth"]),
                                      ("BlazePose triangulated", loo[v])):
                    with np.errstate(all="ignore"):
                        e = np.nanmean(joint_errors(x, ref), 1)
                    rows.setdefault(name, {}).setdefault(ref_name, []).append(e)
    cat = {n: {r: np.concatenate(e) for r, e in refs.items()} for n, refs in rows.items()}
    same = np.ones(len(next(iter(next(iter(cat.values())).values()))), bool)
    for refs in cat.values():
        for e in refs.values():
            same &= np.isfinite(e)
    print(f"\n{len(paths)} items, {int(same.sum())} view-frames scored by every row; "
          "PA-MPJPE mm, 25 joints\n")
    print("| output | against the exact joints | against BlazePose's 2D triangulated |")
    print("|---|---|---|")
    out = {}
    for name, refs in cat.items():
        vals = [float(np.mean(refs[r][same])) for r in ("exact joints",
                                                        "BlazePose triangulated")]
        out[name] = vals
        print(f"| {name} | {vals[0]:.1f} | {vals[1]:.1f} |")
    print(f"\nthe limb bones' depth components against the exact joints' (mean of "
          f"{len(next(iter(depth.values())))} views)\n")
    print("| output | mean abs, output | mean abs, truth | correlation | RMS difference | "
          f"wrong sign where |z| > {OUT_OF_PLANE:g} |")
    print("|---|---|---|---|---|---|")
    for name, views in depth.items():
        m = {k: float(np.mean([r[k] for r in views])) for k in views[0]}
        out[f"depth: {name}"] = m
        print(f"| {name} | {m['pred']:.3f} | {m['ref']:.3f} | {m['corr']:.2f} | "
              f"{m['rmse']:.3f} | {100 * m['wrong_sign']:.1f} % |")
    return out


if __name__ == "__main__":
    main()
