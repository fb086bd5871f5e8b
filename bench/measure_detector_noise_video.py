"""Measure our BlazePose detector's 2D error on real video against a multi-view reference
and write ``mocap_train/detector_noise_video.json`` (same schema as the LSP noise model
``detector_noise.json`` written by ``measure_detector_noise.py``).

    .venv/bin/python bench/measure_detector_noise_video.py [--cache detections.npz]

Data: the Pose2Sim demo take (``video/pose2sim``: four synchronised, calibrated views,
100 frames at 60 fps, Qualisys calibration ``Calib.qca.txt``). The app's detector
(``PoseEstimator(EstimatorConfig(lifter="none")).detector``, tracking mode, reset per
view) runs on every frame of each view. For each view, frame and limb joint the reference
is the point triangulated (DLT, undistorted points) from the *other* views that found the
person, so a view's own error never enters its reference: first the other views whose
whole bodies disagree are dropped (mean reprojection error over all 12 joints > 30 px,
e.g. a view where the detector swapped left and right), then per joint a view is dropped
while the mean reprojection error is over 15 px; at least two views, and a reference
still over 15 px is not used. Error = (detected - reprojected reference) / box, box = the longer
side of the box around the 12 reprojected reference joints in that view: the LSP
script's definitions (inlier sigma 1.4826 x MAD, outlier > 0.15 box, swap rule).

``vis_unannotated`` has no exact counterpart on video (every joint of a detected person is
"annotated" by the reference): it is the mean visibility of detected joints that got no
usable reference.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.core.skeleton import BLAZEPOSE_NAMES  # noqa: E402
from mocap_train.multiview import (leave_one_out, read_qca, triangulate_robust,  # noqa: E402
                                      undistort)

from _common import detect_each_view  # noqa: E402
from _noise import LSP_NAMES, OUTLIER, is_swapped, noise_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "mocap_train" / "detector_noise_video.json"
LSP_JSON = ROOT / "mocap_train" / "detector_noise.json"
MAX_REF_ERROR = 15.0    # px: mean reprojection error a reference may have in its views
MAX_BODY_ERROR = 30.0   # px: mean whole-body reprojection error of the views kept for a
                        # reference (a view swapped left/right reaches 70-130 px)
MIN_BOX_JOINTS = 8      # reprojected reference joints needed to size a view's box


def take_dir() -> Path:
    return shared_data_dir() / "video" / "pose2sim"


def detect_views(videos: list[Path]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Run the app's detector over every frame of each video (tracking mode, one fresh
    detector per view). Returns (V, F, 12, 2) pixels and (V, F, 12) visibility, NaN where
    no person was found, and each video's (width, height)."""
    bp = [BLAZEPOSE_NAMES.index(n) for n in LSP_NAMES]

    def convert(det):
        if det is None:
            return np.full((12, 2), np.nan), np.full(12, np.nan)
        return (np.asarray(det.landmarks_2d, dtype=np.float64)[bp],
                np.asarray(det.visibility, dtype=np.float64)[bp])
    views, sizes, _ = detect_each_view(videos, convert)
    return (np.array([[f[0] for f in v] for v in views]),
            np.array([[f[1] for f in v] for v in views]), sizes)


def measure(cams, kp: np.ndarray, vis: np.ndarray) -> dict:
    """Errors of every view against its leave-one-out reference.

    kp (V, F, 12, 2) detected (distorted) pixels, vis (V, F, 12); NaN where not detected.
    Returns arrays: err (V, F, 12, 2) box units (NaN where no reference or no detection),
    err_px, valid (V, F, 12), ref_error (V, F, 12) px, box (V, F), swapped (V, F) bool with
    NaN where undecidable, and detected (V, F).
    """
    V, F = kp.shape[:2]
    Ps = np.array([c.P for c in cams])
    und = np.stack([undistort(c, kp[v]) for v, c in enumerate(cams)])     # (V, F, 12, 2)
    detected = np.isfinite(kp).all(axis=(-1, -2))
    err_px = np.full((V, F, 12, 2), np.nan)
    err = np.full_like(err_px, np.nan)
    valid = np.zeros((V, F, 12), dtype=bool)
    ref_error = np.full((V, F, 12), np.nan)
    box = np.full((V, F), np.nan)
    swapped = np.full((V, F), np.nan)
    for f in range(F):
        pts = und[:, f].copy()
        pts[~detected[:, f]] = np.nan
        loo = leave_one_out(Ps, pts, min_views=2, max_ref_error=MAX_REF_ERROR,
                            max_body_error=MAX_BODY_ERROR)
        ref_error[:, f] = np.where(loo.valid, loo.ref_error, np.nan)
        for v in range(V):
            ok = loo.valid[v]
            if ok.sum() < MIN_BOX_JOINTS:
                continue
            ref = loo.reprojected[v]
            size = float(np.max(ref[ok].max(0) - ref[ok].min(0)))
            box[v, f] = size
            if not detected[v, f]:
                continue
            e = pts[v] - ref
            e[~ok] = np.nan
            valid[v, f] = ok
            err_px[v, f] = e
            err[v, f] = e / size
            sw = is_swapped(pts[v], ref, ok)
            if sw is not None:
                swapped[v, f] = float(sw)
    return dict(err=err, err_px=err_px, valid=valid, ref_error=ref_error, box=box,
                swapped=swapped, detected=detected, undistorted=und)


def summarise(m: dict, vis: np.ndarray, n_views: int, n_frames: int, source: str) -> dict:
    """The noise model in ``detector_noise.json``'s schema (the LSP script's formulas)."""
    det = m["detected"]
    scored = m["valid"]                                 # (V, F, 12) detected + reference
    unref = det[..., None] & ~scored
    return noise_model(m["err"].reshape(-1, 12, 2), vis.reshape(-1, 12),
                       scored.reshape(-1, 12), m["swapped"].reshape(-1), source=source,
                       images=n_views * n_frames, detection_rate=float(det.mean()),
                       vis_unannotated=float(np.mean(vis[unref])) if unref.any() else 0.0)


def report(result: dict, lsp: dict, m: dict, cams) -> None:
    rows = [("sigma_inlier", "sigma_inlier"), ("outlier_rate", "outlier_rate"),
            ("outlier_median", "outlier_median"), ("median_error", "median_error"),
            ("left_right_swap_rate", "left_right_swap_rate"),
            ("detection_rate", "detection_rate")]
    print(f"\n{'':22s}{'LSP':>9s}{'video':>9s}{'video/LSP':>11s}")
    for label, k in rows:
        a, b = lsp[k], result[k]
        print(f"{label:22s}{a:9.4f}{b:9.4f}{(b / a if a else float('nan')):11.2f}")
    print(f"\n{'per joint':16s}{'sigma LSP':>10s}{'video':>8s}{'outl LSP':>10s}{'video':>8s}")
    for n in LSP_NAMES:
        a, b = lsp["per_joint"][n], result["per_joint"][n]
        print(f"{n:16s}{a['sigma']:10.4f}{b['sigma']:8.4f}{a['outlier_rate']:10.4f}"
              f"{b['outlier_rate']:8.4f}")
    ratio = result["median_error"] / lsp["median_error"]
    print(f"\nmedian error video/LSP = {ratio:.2f}")
    re = m["ref_error"]
    print(f"leave-one-out references: mean reprojection error {np.nanmean(re):.2f} px "
          f"(median {np.nanmedian(re):.2f}) over {int(np.isfinite(re).sum())} references; "
          f"{int(m['valid'].sum())} scored joints of "
          f"{int(m['detected'].sum()) * len(LSP_NAMES)} detected")
    # All views together, the BASELINE.md rule (drop a view while > 15 px).
    Ps = np.array([c.P for c in cams])
    und = m["undistorted"]
    full = []
    for f in range(und.shape[1]):
        for j in range(und.shape[2]):
            seen = [v for v in range(len(cams)) if m["detected"][v, f]]
            if len(seen) >= 2:
                full.append(triangulate_robust(Ps, und[:, f, j], seen, 2, MAX_REF_ERROR)[1])
    print(f"all-view references (drop a view while > {MAX_REF_ERROR:g} px): mean "
          f"reprojection error {np.mean(full):.2f} px (median {np.median(full):.2f})")
    # Diagnostic: a calibration error shows as a constant pixel offset of a whole view.
    debiased = []
    for v in range(len(cams)):
        ok = m["valid"][v]
        epx = m["err_px"][v][ok]
        debiased.append(np.linalg.norm(epx - np.median(epx, axis=0), axis=-1)
                        / np.repeat(m["box"][v][:, None], 12, axis=1)[ok])
    debiased = np.concatenate(debiased)
    print(f"diagnostic, each view's median pixel offset removed: median error "
          f"{np.median(debiased):.4f} (video/LSP {np.median(debiased) / lsp['median_error']:.2f}), "
          f"outlier rate {np.mean(debiased >= OUTLIER):.4f}")
    print(f"\n{'view':8s}{'det':>6s}{'box px':>8s}{'med err':>9s}{'med px':>8s}"
          f"{'bias x,y px':>15s}{'outl':>7s}{'swap':>7s}")
    for v, c in enumerate(cams):
        ok = m["valid"][v]
        e = m["err"][v][ok]
        epx = m["err_px"][v][ok]
        d = np.linalg.norm(e, axis=-1)
        bias = np.median(epx, axis=0)
        sw = m["swapped"][v]
        sw = sw[np.isfinite(sw)]
        print(f"{c.name:8s}{m['detected'][v].mean():6.2f}{np.nanmedian(m['box'][v]):8.0f}"
              f"{np.median(d):9.4f}{np.median(np.linalg.norm(epx, axis=-1)):8.1f}"
              f"{bias[0]:8.1f},{bias[1]:6.1f}{np.mean(d >= OUTLIER):7.3f}"
              f"{(np.mean(sw) if sw.size else float('nan')):7.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections: read if it exists, else written")
    args = ap.parse_args()
    take = take_dir()
    cams = read_qca(take / "Calib.qca.txt")
    videos = [take / f"{c.name}.mp4" for c in cams]      # serial cam0N <-> cam0N.mp4
    if args.cache is not None and args.cache.exists():
        data = np.load(args.cache)
        kp, vis = data["kp"], data["vis"]
        sizes = [tuple(s) for s in data["sizes"]]
    else:
        kp, vis, sizes = detect_views(videos)
        if args.cache is not None:
            np.savez(args.cache, kp=kp, vis=vis, sizes=np.array(sizes))
    for c, s in zip(cams, sizes):
        if tuple(s) != tuple(c.size):
            print(f"note: {c.name} video is {s[0]}x{s[1]}, calibration {c.size[0]}x{c.size[1]}")
    V, F = kp.shape[:2]
    m = measure(cams, kp, vis)
    source = (f"our BlazePose detector (tracking mode) on the Pose2Sim demo take, {V} "
              f"synchronised calibrated views x {F} frames at 60 fps; reference per view = "
              "DLT triangulation from the other views (leave-one-view-out, >= 2 views whose "
              f"whole bodies agree within {MAX_BODY_ERROR:g} px, mean reprojection error <= "
              f"{MAX_REF_ERROR:g} px; Qualisys calibration Calib.qca.txt) reprojected into it; "
              "errors in units of the reprojected 12-joint box size")
    result = summarise(m, vis, V, F, source)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    report(result, json.loads(LSP_JSON.read_text()), m, cams)


if __name__ == "__main__":
    main()
