"""Do the arms' lengths explain the app's error on the Pose2Sim take? The app's offline
output (side check, bidirectional refiner, image fit, skeleton fitting: the last row of
``eval_pose2sim.py --side-check``) with its fitted arm bones (upper arms, forearms,
hands) lengthened by a factor, scored as ``eval_pose2sim`` scores it (PA-MPJPE, 25
joints, against the other views' triangulation).

    .venv/bin/python bench/eval_pose2sim_proportions.py [--cache detections.npz]   # ~2 min

Why: the take's man has arms about 15 % longer for his legs than any rendered body, and
the lifter draws him with its training bodies' proportions (models/LIFTER_CARD.md, "Bone
directions, orientation and proportions"). If that were what keeps the app from 0.85x
BlazePose here, longer arms would bring the error down.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_pose2sim as P2S  # noqa: E402
from mocap_app.core.skeleton import BONES, J, bone_lengths  # noqa: E402
from mocap_app.pipeline.fitting import apply_bone_lengths  # noqa: E402
from mocap_train.metrics import pa_errors_masked as pa_errors  # noqa: E402

ARM_BONES = [k for k, (_, c) in enumerate(BONES)
             if c in [J[f"{s}_{p}"] for s in ("left", "right") for p in ("elbow", "wrist", "hand")]]
LEG_BONES = [k for k, (_, c) in enumerate(BONES)
             if c in [J[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle")]]
FACTORS = (1.0, 1.1, 1.2, 1.3)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections (eval_pose2sim's): read if it exists")
    args = ap.parse_args(argv)
    cams = P2S.read_qca(P2S.take_dir() / "Calib.qca.txt")
    if args.cache is not None and args.cache.exists():
        data = dict(np.load(args.cache))
    else:
        data = P2S.detect_views([P2S.take_dir() / f"{c.name}.mp4" for c in cams])
    loo, _ = P2S.references(cams, data["kp"])
    print("| view | arm / leg length, app | the reference's | "
          + " | ".join(f"arms x{k:g}" for k in FACTORS) + " |")
    print("|---|---|---|" + "---|" * len(FACTORS))
    out = {}
    for v, cam in enumerate(cams):
        checked, _ = P2S.side_checked(data, v, hands=False)
        tilt = P2S.resolved_tilt(checked, v, P2S.AUTO)
        fitted = P2S.estimates(checked, v, None, None, True, P2S.WEBCAM_HFOV_DEG,
                               tilt)["lifter + refiner + skeleton fitting"]
        ok = np.isfinite(fitted).all(axis=(1, 2))
        lengths = np.median(bone_lengths(fitted[ok]), 0)
        ref = np.nanmedian(bone_lengths(loo[v]), 0)
        errs = []
        for k in FACTORS:
            scaled = lengths.copy()
            scaled[ARM_BONES] *= k
            x = fitted.copy()
            x[ok] = apply_bone_lengths(fitted[ok], scaled)
            errs.append(float(np.nanmean(pa_errors(x, loo[v], None))))
        ratio = (lengths[ARM_BONES].sum() / lengths[LEG_BONES].sum(),
                 ref[ARM_BONES].sum() / ref[LEG_BONES].sum())
        out[cam.name] = {"arm_leg": ratio, "pa_mm": dict(zip(FACTORS, errs))}
        print(f"| {cam.name} | {ratio[0]:.3f} | {ratio[1]:.3f} | "
              + " | ".join(f"{e:.1f}" for e in errs) + " |", flush=True)
    return out


if __name__ == "__main__":
    main()
