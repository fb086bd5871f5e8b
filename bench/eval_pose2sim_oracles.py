"""What part of the app's error on the Pose2Sim take is what: its output with one part
of it replaced by the reference's (oracles), scored as ``eval_pose2sim`` scores it
(PA-MPJPE, 25 joints, against the other views' triangulation).

    .venv/bin/python bench/eval_pose2sim_oracles.py [--cache detections.npz]   # ~3 min

1. **The arms' length.** The take's man has arms about 15 % longer for his legs than any
   rendered body, and the lifter draws him with its training bodies' proportions
   (models/LIFTER_CARD.md, "Bone directions, orientation and proportions"). The app's
   offline output (side check, bidirectional refiner, image fit, skeleton fitting: the
   last row of ``eval_pose2sim.py --side-check``) with its fitted arm bones (upper arms,
   forearms, hands) lengthened by a factor, each keeping its direction.
2. **In the picture or in depth.** The app's output before fitting (side check,
   bidirectional refiner, image fit) with each limb bone's direction in the view's axes
   taken in part from the reference, its length kept and everything below it carried
   along: its angle in the picture plane ("plane": the depth component stays the app's),
   its depth component, how far it points towards or away from the camera ("depth": the
   angle in the picture stays the app's), or both ("all"); for the arms (upper arm,
   forearm, hand) and for all four limbs (the feet too).
3. **Depth from the picture alone** (not an oracle: what the 2D could give in place of
   the reference's depth): each limb bone's depth component from its foreshortening, the
   drawn length in the 2D keypoints over the bone's length (the 95th percentile of its
   drawn length over the take), pixels per metre per frame from the spread of all the 2D
   keypoints against the app's 3D drawn in the picture plane (median over 9 frames), the
   sign from the app; blended into the app's depth component by a weight, smoothed.
4. **How the limbs' depth is wrong** (no oracle, a reading): each limb bone's depth
   component (its unit direction's z in the view's axes) from the app and from BlazePose's
   world landmarks against the reference's: their mean size (is the depth squashed?),
   correlation, RMS difference and the share pointing the wrong way where the reference
   points clearly out of the picture (|z| > 0.35).
5. **The depth marginals decoded by their mode** (not by soft-argmax, their mean): a
   spread-out or two-peaked depth heatmap averages to a depth between its peaks. The
   lifter's per-frame output (no limb fusion) with each joint's depth taken from the
   bins around the peak of its depth marginal (the zy and xz maps summed over y and x).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_pose2sim as P2S  # noqa: E402
from mocap_app.core.skeleton import BONES, NUM_JOINTS, PARENTS, J, bone_lengths  # noqa: E402
from mocap_app.pipeline.fitting import apply_bone_lengths  # noqa: E402
from mocap_app.pipeline.image_fit import FIT_JOINTS, _BELOW  # noqa: E402
from mocap_train.metrics import pa_errors_masked as pa_errors  # noqa: E402

ARM_BONES = [k for k, (_, c) in enumerate(BONES)
             if c in [J[f"{s}_{p}"] for s in ("left", "right") for p in ("elbow", "wrist", "hand")]]
LEG_BONES = [k for k, (_, c) in enumerate(BONES)
             if c in [J[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle")]]
FACTORS = (1.0, 1.1, 1.2, 1.3)
ARM_JOINTS = [J[f"{s}_{p}"] for s in ("left", "right") for p in ("elbow", "wrist", "hand")]
LIMB_JOINTS = ARM_JOINTS + [J[f"{s}_{p}"] for s in ("left", "right")
                            for p in ("knee", "ankle", "heel", "toe")]
MODES = ("plane", "depth", "all")
WEIGHTS = (0.25, 0.5, 1.0)
#: a bone "points clearly out of the picture" where |its unit direction's z| exceeds this
OUT_OF_PLANE = 0.35
#: half-widths (bins) of the window round the depth marginal's peak (block 5)
MODE_WINDOWS = (1, 2, 4)


def _parents_first() -> list[int]:
    out: list[int] = []

    def visit(j: int) -> None:
        if j in out:
            return
        if PARENTS[j] >= 0:
            visit(PARENTS[j])
        out.append(j)
    for j in range(NUM_JOINTS):
        visit(j)
    return out


ORDER = _parents_first()


def with_reference_directions(pred: np.ndarray, ref: np.ndarray, joints: list[int],
                              mode: str) -> np.ndarray:
    """(F, J, 3) ``pred`` rebuilt from its root with the bones ending at ``joints`` turned
    to the reference's direction in part (``mode``, see the module doc), lengths kept.
    Both in the view's axes (z towards the camera). Where the reference has no bone the
    app's stays."""
    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)
    out = pred.copy()
    for j in ORDER:
        p = PARENTS[j]
        if p < 0:
            continue
        bone = pred[:, j] - pred[:, p]
        if j in joints:
            length = np.linalg.norm(bone, axis=-1, keepdims=True)
            u, r = unit(bone), unit(ref[:, j] - ref[:, p])
            if mode == "all":
                n = r
            else:
                plane, depth = (u, r) if mode == "depth" else (r, u)
                side = np.sqrt(np.clip(1.0 - depth[:, 2:] ** 2, 0.0, 1.0))
                n = np.concatenate([unit(plane[:, :2]) * side, depth[:, 2:]], -1)
            ok = np.isfinite(n).all(-1) & np.isfinite(ref[:, [j, p]]).all(axis=(-1, -2))
            bone = np.where(ok[:, None], length * n, bone)
        out[:, j] = out[:, p] + bone
    return out


def depth_from_foreshortening(pred: np.ndarray, kp: np.ndarray, weight: float) -> np.ndarray:
    """(F, J, 3) ``pred`` (the view's axes) with each limb bone's depth component moved by
    ``weight`` towards the one its foreshortening in ``kp`` (F, J, 2) gives (section 3 of
    the module doc); lengths and picture-plane angles kept, the joints below carried."""
    x = pred.copy()
    k = kp - np.nanmean(kp, 1, keepdims=True)
    y = x[:, :, :2] - x[:, :, :2].mean(1, keepdims=True)
    scale = median_filter(np.sqrt(np.nansum(k ** 2, (1, 2)) / np.sum(y ** 2, (1, 2))), 9,
                          mode="nearest")                              # pixels per metre
    for c in FIT_JOINTS:
        p = PARENTS[c]
        bone = x[:, c] - x[:, p]
        length = np.linalg.norm(bone, axis=-1)
        drawn = np.linalg.norm(kp[:, c] - kp[:, p], axis=-1) / scale
        q = np.clip(drawn / np.nanpercentile(drawn, 95), 0.0, 1.0)
        u = bone / length[:, None]
        dz = gaussian_filter1d((1 - weight) * u[:, 2]
                               + weight * np.sign(u[:, 2]) * np.sqrt(1 - q ** 2), 2,
                               mode="nearest")
        plane = u[:, :2] / np.maximum(np.linalg.norm(u[:, :2], axis=-1, keepdims=True), 1e-9)
        n = np.concatenate([plane * np.sqrt(np.clip(1 - dz[:, None] ** 2, 0, 1)),
                            dz[:, None]], -1)
        shift = x[:, p] + length[:, None] * n - x[:, c]
        shift = np.where(np.isfinite(shift).all(-1, keepdims=True), shift, 0.0)
        for j in _BELOW[c]:
            x[:, j] += shift
    return x


def depth_agreement(pred: np.ndarray, ref: np.ndarray, joints: list[int]) -> dict:
    """How the depth components (z of the unit bone directions, the view's axes) of the
    bones ending at ``joints`` in ``pred`` (F, J, 3) compare with ``ref``'s, over the
    frames and bones both have: mean |z| of each, their correlation, the RMS difference and
    the share of the bones the reference points clearly out of the picture (|z| >
    ``OUT_OF_PLANE``) that ``pred`` points the other way."""
    def depth(x):
        b = np.stack([x[:, j] - x[:, PARENTS[j]] for j in joints], 1)
        with np.errstate(all="ignore"):
            return (b[..., 2] / np.linalg.norm(b, axis=-1)).ravel()
    a, r = depth(pred), depth(ref)
    ok = np.isfinite(a) & np.isfinite(r)
    a, r = a[ok], r[ok]
    clear = np.abs(r) > OUT_OF_PLANE
    return {"pred": float(np.abs(a).mean()), "ref": float(np.abs(r).mean()),
            "corr": float(np.corrcoef(a, r)[0, 1]) if a.std() > 0 and r.std() > 0
            else float("nan"),                          # nothing to correlate
            "rmse": float(np.sqrt(np.mean((a - r) ** 2))),
            "wrong_sign": float(np.mean(np.sign(a[clear]) != np.sign(r[clear])))}


def depth_by_mode(heatmaps: dict, half: int) -> np.ndarray:
    """(T, J) cube z of each joint from the bins within ``half`` of the peak of its depth
    marginal (zy summed over its rows y, xz over its columns x, the two averaged), where
    soft-argmax takes the whole marginal's mean."""
    import torch
    from mocap_app.lift.heatmaps import pixel_centres
    zy = np.asarray(heatmaps["zy"], np.float64).sum(-2)
    xz = np.asarray(heatmaps["xz"], np.float64).sum(-1)
    p = 0.5 * (zy / zy.sum(-1, keepdims=True) + xz / xz.sum(-1, keepdims=True))
    centres = pixel_centres(p.shape[-1], torch.device("cpu"), torch.float64).numpy()
    idx = p.argmax(-1)[..., None] + np.arange(-half, half + 1)
    inside = (idx >= 0) & (idx < p.shape[-1])
    idx = np.clip(idx, 0, p.shape[-1] - 1)
    w = np.take_along_axis(p, idx, -1) * inside
    return (w * centres[idx]).sum(-1) / w.sum(-1)


def mode_decoded(data: dict, v: int, tilt: float, ref: np.ndarray) -> dict:
    """Block 5 for view v: PA-MPJPE (mm, 25 joints) of the per-frame lifter (flip-averaged,
    no limb fusion) with its depth decoded by soft-argmax and by each window round the
    depth marginal's peak."""
    from mocap_app.lift.inference import Lifter
    from mocap_app.lift.normalize import CUBE_HALF
    lifter = Lifter.load(fusion=False, tilt_deg=tilt)
    kp = data["kp"][v]
    seen = np.isfinite(kp).all(-1)
    res = lifter.lift(np.nan_to_num(kp), np.where(seen, data["vis"][v], 0.0),
                      tuple(int(s) for s in data["sizes"][v]), world=data["world"][v])
    base = np.where((res.valid & seen.any(-1))[:, None, None], res.joints_3d, np.nan)
    out = {"soft-argmax (as the lifter decodes)": float(np.nanmean(pa_errors(base, ref)))}
    for half in MODE_WINDOWS:
        shift = (depth_by_mode(res.heatmaps, half) - res.coords[..., 2]) \
            * CUBE_HALF * lifter.body_scale            # the picture's tilt leaves z alone
        x = base.copy()
        x[..., 2] += shift - shift[:, J["pelvis"]:J["pelvis"] + 1]
        out[f"the peak, +-{half} bins"] = float(np.nanmean(pa_errors(x, ref)))
    return out


def print_views(first: str, cams, rows: dict) -> None:
    """A table of mm per view and their mean, a row per entry of ``rows``."""
    print(f"| {first} | " + " | ".join(c.name for c in cams) + " | mean |")
    print("|---|" + "---|" * (len(cams) + 1))
    for name, errs in rows.items():
        print(f"| {name} | " + " | ".join(f"{e:.1f}" for e in errs)
              + f" | {np.mean(errs):.1f} |")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections (eval_pose2sim's): read if it exists, else written")
    args = ap.parse_args(argv)
    cams = P2S.read_qca(P2S.take_dir() / "Calib.qca.txt")
    data = P2S.cached_detections(cams, args.cache)
    loo, _ = P2S.references(cams, data["kp"])
    lengths_rows, split_rows, depth_rows, mode_rows = [], {}, {}, {}
    for v, cam in enumerate(cams):
        checked, _ = P2S.side_checked(data, v, hands=False)
        tilt = P2S.resolved_tilt(checked, v, P2S.AUTO)
        est = P2S.estimates(checked, v, None, None, True, P2S.WEBCAM_HFOV_DEG, tilt)
        fitted = est["lifter + refiner + skeleton fitting"]
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
        lengths_rows.append((cam.name, ratio, errs))
        pred = est["lifter + bidirectional refiner"]
        ref_cam = P2S.in_camera_app(cam, loo[v])
        variants = {"app (side check, refiner, image fit)": pred,
                    "BlazePose world landmarks (side check)": checked["world"][v]}
        for label, joints in (("arms", ARM_JOINTS), ("limbs", LIMB_JOINTS)):
            for mode in MODES:
                variants[f"{label}: the reference's {mode}"] = with_reference_directions(
                    pred, ref_cam, joints, mode)
        for w in WEIGHTS:
            variants[f"depth from the 2D's foreshortening, weight {w:g}"] = \
                depth_from_foreshortening(pred, checked["kp"][v], w)
        for name, x in variants.items():
            split_rows.setdefault(name, []).append(float(np.nanmean(pa_errors(x, loo[v]))))
        for name, x in (("app", pred), ("BlazePose", checked["world"][v])):
            depth_rows.setdefault(name, []).append(depth_agreement(x, ref_cam, LIMB_JOINTS))
        for name, err in mode_decoded(checked, v, tilt, loo[v]).items():
            mode_rows.setdefault(name, []).append(err)
    print("\n1. the arms' length (skeleton fitting's arm bones x a factor), PA-MPJPE mm\n")
    print("| view | arm / leg length, app | the reference's | "
          + " | ".join(f"arms x{k:g}" for k in FACTORS) + " |")
    print("|---|---|---|" + "---|" * len(FACTORS))
    for name, ratio, errs in lengths_rows:
        print(f"| {name} | {ratio[0]:.3f} | {ratio[1]:.3f} | "
              + " | ".join(f"{e:.1f}" for e in errs) + " |")
    print("\n2. the limbs' directions in the picture plane or in depth taken from the "
          "reference; 3. their depth from the 2D's foreshortening; PA-MPJPE mm\n")
    print_views("output", cams, split_rows)
    print("\n4. the limb bones' depth components (unit direction's z in the view's axes) "
          "against the reference's\n")
    print("| output | view | mean abs, output | mean abs, reference | correlation | RMS "
          f"difference | wrong sign where |z| > {OUT_OF_PLANE:g} |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in depth_rows.items():
        for cam, r in zip(cams, rows):
            print(f"| {name} | {cam.name} | {r['pred']:.3f} | {r['ref']:.3f} | "
                  f"{r['corr']:.2f} | {r['rmse']:.3f} | {100 * r['wrong_sign']:.1f} % |")
    print("\n5. the lifter per frame (no limb fusion), its depth decoded by soft-argmax or "
          "by the depth marginal's peak; PA-MPJPE mm\n")
    print_views("decoding", cams, mode_rows)
    return {"lengths": lengths_rows, "split": split_rows, "depth": depth_rows,
            "mode": mode_rows}


if __name__ == "__main__":
    main()
