"""``mocap report TAKE_OR_VIDEO``: the motion-quality report.

For one take (a take folder or its ``poses.npz``; the raw per-frame poses are used) or a
video (run through the offline pipeline), the refinement stages are applied cumulatively
and left out one at a time, and each variant is measured with BASELINE.md's definitions
(``pipeline/quality.py``): jitter (mm/frame^2), bone-length std, left/right asymmetry (mm),
illegal elbow/knee angles (%, strict and 10 degree tolerance) and foot skate during
contact (cm/frame). Writes ``report.json`` and two PNG figures into the output folder and
prints a table.

Foot skate is measured for every variant on the same contact spans (detected by the full
pipeline) in the same levelled world frame, so the numbers compare.
"""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.pose import PoseSequence
from ..core.skeleton import J, LIMB_JOINTS
from ..lift.tilt import AUTO
from .hand_quality import hand_report
from .quality import limb_bone_lengths_mm, quality_report
from .refine import RefineOptions, RefinedResult, load_refiner, refine_sequence

METRICS = (("jitter_mm", "jitter (mm/frame²)"), ("bone_length_std_mm", "bone-length std (mm)"),
           ("lr_asymmetry_mm", "L/R asymmetry (mm)"), ("illegal_angles_pct", "illegal angles (%)"),
           ("illegal_angles_10deg_pct", "illegal > 10° (%)"),
           ("foot_skate_cm", "foot skate in contact (cm/frame)"))


def _variants(base: RefineOptions, have_bidir: bool, have_causal: bool) -> dict:
    """Name -> (options, which refiner) for every variant of the report."""
    off = replace(base, temporal=False, image_fit=False, skeleton_fitting=False,
                  root_trajectory=False, foot_contact="never")
    v = {"per-frame (raw)": (off, None)}
    if have_bidir:
        v["+ temporal refiner"] = (replace(off, temporal=True), "bidir")
    t = "bidir" if have_bidir else None
    fit = base.image_fit        # the image fit rides with the stages after the refiner
    v["+ skeleton fitting"] = (replace(off, temporal=have_bidir, image_fit=fit,
                                       skeleton_fitting=True), t)
    v["+ root trajectory"] = (replace(off, temporal=have_bidir, image_fit=fit,
                                      skeleton_fitting=True, root_trajectory=True), t)
    v["all stages (+ foot contact)"] = (replace(base, temporal=have_bidir), t)
    if have_bidir:
        v["all but temporal refiner"] = (replace(base, temporal=False), None)
    v["all but skeleton fitting"] = (replace(base, temporal=have_bidir,
                                             skeleton_fitting=False), t)
    if have_causal:
        v["live: causal refiner + fitting"] = (
            replace(off, temporal=True, bidirectional=False, skeleton_fitting=True), "causal")
    return v


def _levelled(res: RefinedResult, full: RefinedResult) -> np.ndarray:
    """A variant's pelvis-relative joints turned like the full pipeline's levelled world,
    so that its feet can be measured on the full pipeline's root track and contacts."""
    joints = res.refined.joints_3d
    if res.world_rotation is None and full.world_rotation is not None:
        joints = joints @ full.world_rotation.T
    return joints


def motion_report(seq: PoseSequence, options: RefineOptions = RefineOptions(),
                  refiners: dict | None = None) -> tuple[dict, dict]:
    """(JSON-ready report, {variant: RefinedResult}). ``refiners``: {"bidir": ...,
    "causal": ...}; missing ones are loaded if shipped, else those variants are left out."""
    refiners = dict(refiners or {})
    for kind in ("bidir", "causal"):
        if kind not in refiners:
            try:
                refiners[kind] = load_refiner(causal=kind == "causal")
            except FileNotFoundError:
                refiners[kind] = None
    variants = _variants(options, refiners["bidir"] is not None,
                         refiners["causal"] is not None)
    results = {name: refine_sequence(seq, opts, refiners.get(kind) if kind else None)
               for name, (opts, kind) in variants.items()}
    full = results["all stages (+ foot contact)"]
    valid = np.asarray(seq.valid, bool)
    rows = {}
    for name, res in results.items():
        r = quality_report(_levelled(res, full), valid, full.refined.root_positions,
                           full.contacts)
        rows[name] = r.as_dict()
    raw, best = rows["per-frame (raw)"], rows["all stages (+ foot contact)"]
    report = {
        "frames": len(seq), "frames_with_person": int(valid.sum()), "fps": seq.fps,
        "image_size": list(seq.image_size),
        "options": {"hfov_deg": options.hfov_deg, "foot_contact": options.foot_contact,
                    "image_fit": options.image_fit, "tilt_deg": options.tilt_deg},
        "refiners": {k: (None if m is None else
                         {"window": m.window, "latency_frames": m.latency})
                     for k, m in refiners.items()},
        "contact_fraction": {"left": float(full.contacts[valid, 0].mean()),
                             "right": float(full.contacts[valid, 1].mean())},
        "variants": rows,
        "checks": {
            "jitter_ratio_all_vs_raw": best["jitter_mm"] / raw["jitter_mm"],
            "jitter_at_least_halved": best["jitter_mm"] <= 0.5 * raw["jitter_mm"],
            "illegal_angles_under_0.5pct": best["illegal_angles_pct"] < 0.5,
            "lr_asymmetry_before_fitting_under_10mm": (
                rows.get("+ temporal refiner", raw)["lr_asymmetry_mm"] < 10.0),
            "lr_asymmetry_after_fitting_mm": best["lr_asymmetry_mm"],
        },
    }
    hands = hand_report(seq, options.finger)
    if hands is not None:
        report["hands"] = hands
    return report, results


def _plot(report: dict, results: dict, seq: PoseSequence, out_dir: Path, title: str) -> list[Path]:
    import matplotlib  # noqa: PLC0415
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = list(report["variants"])
    paths = []
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, (key, label) in zip(axes.flat, METRICS):
        vals = [report["variants"][n][key] for n in names]
        ax.barh(range(len(names)), np.nan_to_num(vals), color="tab:blue")
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names if ax in axes[:, 0] else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(label, fontsize=10)
        for i, v in enumerate(vals):
            ax.text(np.nan_to_num(v), i, f" {v:.2f}" if np.isfinite(v) else " n/a",
                    va="center", fontsize=7)
    fig.suptitle(f"{title}: motion quality with and without each stage")
    fig.tight_layout()
    paths.append(out_dir / "quality_by_stage.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)

    raw = results["per-frame (raw)"].refined.joints_3d
    full = results["all stages (+ foot contact)"]
    fin = full.refined.joints_3d
    t = seq.timestamps
    fig, axes = plt.subplots(4, 1, figsize=(12, 12), sharex=True)

    def acc(x):
        a = np.full(len(x), np.nan)
        d = x[2:, LIMB_JOINTS] - 2 * x[1:-1, LIMB_JOINTS] + x[:-2, LIMB_JOINTS]
        a[1:-1] = np.linalg.norm(d, axis=-1).mean(-1) * 1000
        return a
    axes[0].plot(t, acc(raw), lw=0.8, label="per-frame")
    axes[0].plot(t, acc(fin), lw=0.8, label="all stages")
    axes[0].set_ylabel("limb accel. (mm/frame²)")
    axes[0].legend(fontsize=8)
    lr, lf = limb_bone_lengths_mm(raw), limb_bone_lengths_mm(fin)
    for k, name in ((2, "left thigh"), (6, "right thigh"), (1, "left forearm"), (5, "right forearm")):
        axes[1].plot(t, lr[:, k], lw=0.8, label=f"{name} per-frame")
    for k in (2, 1):
        axes[1].plot(t, lf[:, k], lw=1.5, ls="--", label=f"{['', 'forearm', 'thigh'][k]} fitted")
    axes[1].set_ylabel("bone length (mm)")
    axes[1].legend(fontsize=7, ncol=3)
    world = fin + (full.refined.root_positions[:, None] if full.refined.root_positions is not None else 0)
    for side, (heel, toe), c in ((0, ("left_heel", "left_toe"), "tab:green"),
                                 (1, ("right_heel", "right_toe"), "tab:red")):
        h = world[:, [J[heel], J[toe]], 1].min(1)
        axes[2].plot(t, h * 100, color=c, lw=0.8, label=["left", "right"][side] + " foot height")
        axes[2].fill_between(t, 0, np.where(full.contacts[:, side], 3 + side * 3, np.nan),
                             color=c, alpha=0.3, step="mid")
    axes[2].set_ylabel("foot height (cm); bands = contact")
    axes[2].legend(fontsize=8)
    if full.refined.root_positions is not None:
        r = full.refined.root_positions
        for k, lab in enumerate("XYZ"):
            axes[3].plot(t, r[:, k], lw=0.8, label=f"root {lab}")
        axes[3].legend(fontsize=8)
    axes[3].set_ylabel("root (m)")
    axes[3].set_xlabel("time (s)")
    fig.suptitle(f"{title}: over time")
    fig.tight_layout()
    paths.append(out_dir / "over_time.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    return paths


def load_input(path: Path, lifter: str = "auto", hands: bool = False,
               tilt_deg: float | str = 0.0) -> tuple[PoseSequence, dict]:
    """A take folder / poses.npz (its raw poses) or a video (offline pipeline; ``hands``:
    track the hands too; ``tilt_deg``: the camera's tilt, ``lift/tilt.py``, or "auto":
    found from the take). The source's "tilt_deg": the tilt the poses were lifted with."""
    if path.is_dir() or path.suffix == ".npz":
        from ..takes import load_take  # noqa: PLC0415
        from .offline import take_tilt  # noqa: PLC0415
        seq, meta = load_take(path, which="raw")
        return seq, {"kind": "take", "name": meta.get("name", path.stem),
                     "tilt_deg": take_tilt(meta)}
    from .report_inputs import per_frame_poses  # noqa: PLC0415
    seq, lifted, short, tilt = per_frame_poses(path, lifter, hands=hands, tilt_deg=tilt_deg)
    source = {"kind": "video", "name": path.stem, "tilt_deg": tilt,
              "per_frame_3d": "lifter" if lifted else "MediaPipe world landmarks"}
    if short is not None:   # reported on what decoded; the report says so
        source["short_input"] = {**short.as_dict(), "message": short.message(path.name)}
    return seq, source


def write_report(path: str | os.PathLike, out_dir: str | os.PathLike | None = None,
                 options: RefineOptions = RefineOptions(), lifter: str = "auto",
                 plots: bool = True, hands: bool = False, auto_tilt: bool = True) -> dict:
    """The motion-quality report of a take or video. ``auto_tilt`` (default, as imports
    and ``mocap report``): a video's tilt is found from the take (``options.tilt_deg``
    then unused); the report's options record the tilt the poses were lifted with."""
    path = Path(path)
    seq, source = load_input(path, lifter, hands, AUTO if auto_tilt else options.tilt_deg)
    options = replace(options, tilt_deg=source["tilt_deg"])
    if not np.asarray(seq.valid).any():
        raise ValueError(f"no person in any frame of {path}")
    report, results = motion_report(seq, options)
    report = {"source": str(path), **source, **report}
    out = Path(out_dir) if out_dir else Path(f"{path.stem}_report")
    out.mkdir(parents=True, exist_ok=True)
    if plots:
        report["plots"] = [p.name for p in _plot(report, results, seq, out, path.stem)]
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float))
    report["output_dir"] = str(out)
    return report


def format_table(report: dict) -> str:
    lines = [f"| variant | {' | '.join(label for _, label in METRICS)} |",
             "|---" * (len(METRICS) + 1) + "|"]
    for name, row in report["variants"].items():
        cells = [f"{row[k]:.2f}" if np.isfinite(row[k]) else "n/a" for k, _ in METRICS]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


#: BASELINE.md's MediaPipe figures per clip: jitter, bone std, L/R asymmetry (mm), illegal %.
BASELINE = {"sports2d_walk": (62.0, 31.4, 23.6, 7.7), "hybrik_taiji": (32.9, 19.1, 19.5, 0.2),
            "stgcn_taichi": (14.4, 22.1, 22.1, 25.7),
            "stgcn_clean_and_jerk": (13.8, 15.1, 12.4, 6.8), "ntu_drink": (1.6, 10.6, 23.2, 0.0)}


def summary_table(reports: dict) -> str:
    """Markdown: per clip, BASELINE.md's MediaPipe row, our per-frame output, after the
    temporal refiner only, and after all stages."""
    lines = ["| clip | frames | variant | jitter mm/f² | bone std mm | L/R asym mm | "
             "illegal % | illegal >10° % | foot skate cm/f |", "|---" * 9 + "|"]
    for name, rep in reports.items():
        base = BASELINE.get(name)
        if base:
            lines.append(f"| {name} | {rep['frames']} | BASELINE.md (MediaPipe) | {base[0]} | "
                         f"{base[1]} | {base[2]} | {base[3]} | | |")
        for v in ("per-frame (raw)", "+ temporal refiner", "all stages (+ foot contact)",
                  "live: causal refiner + fitting"):
            if v not in rep["variants"]:
                continue
            r = rep["variants"][v]
            skate = f"{r['foot_skate_cm']:.2f}" if np.isfinite(r["foot_skate_cm"]) else "n/a"
            lines.append(f"| {name} | {rep['frames']} | {v} | {r['jitter_mm']:.1f} | "
                         f"{r['bone_length_std_mm']:.1f} | {r['lr_asymmetry_mm']:.2f} | "
                         f"{r['illegal_angles_pct']:.2f} | {r['illegal_angles_10deg_pct']:.2f} | "
                         f"{skate} |")
    return "\n".join(lines)
