"""Score 3D sources on the held-out rendered test set. The test set is the rendered set's
test shards (``python -m mocap_train.render``). Its motions, bodies and backgrounds are
never trained on, and its 2D comes from our real detector.

    .venv/bin/python bench/eval_rendered.py --data .cache/rendered_v2 [--json out.json] [--split test]

Rows:
- BlazePose's own world landmarks (33 mapped onto the app skeleton).
- The shipped lifter in one pass (live) and flip-averaged (imports: with its limb fusion,
  ``lift/fusion.py``, and without it).
- The flip-averaged lifter followed by the bidirectional refiner over each tracked
  sequence; and the same after the app's side check (``pipeline/side_track.py``: frames
  whose left and right labels the detector exchanged, by their continuity, relabelled and
  lifted from the 2D alone), what ``process_video`` does. The shipped set's refined rows
  include the image fit after the refiner (``pipeline/image_fit.py``, the app's default
  field of view: it is not told the renders' cameras); the side check row is given
  without it too.

``--tilt`` says how the lifters learn each sequence's camera tilt (the world's vertical
in the picture; the renders' cameras are rolled by up to 5 degrees): ``auto`` (default, as
``mocap process`` does) finds it from the sequence itself after the side check
(``lift.tilt.estimate_tilt``; the live row stays level, as live capture does), ``render``
gives them the render camera's own, as ``mocap process --tilt`` would be given it, and
``level`` lifts every picture as it is. ``--roll DEG`` turns every sequence as if its
camera were rolled that much further (the detector's output and the truth turned with
it): what the tilt found from the take has to undo.

Each row is scored on the same frames: those where the detector found the subject (its box
overlaps the subject's visible pixels, IoU > 0.3).

Metrics, mm, on the app's 25 joints with the rendered body's exact joints as truth:
- PA-MPJPE: each frame Procrustes-aligned (rotation, scale, translation).
- MPJPE: pelvis-aligned, metric, no scaling.

Breakdowns:
- per joint;
- by camera distance, elevation, body stature and mean detector visibility.

Also reported:
- detection rate: frames with the subject found, of all frames;
- left/right swap rate: frames whose detected limbs lie clearly nearer the mirrored truth
  than the truth, in 2D (``SWAP_MARGIN``); and per row the same test in 3D on the
  pelvis-aligned output (a swap in the detector must not become one in the take).
- bone angles (``metrics.bone_angle_errors``, as ``eval_pose2sim --bones``): each frame
  turned onto the truth over the torso points; the turn is the body's orientation error
  in the camera's axes, then how far the forearms and shins point from the truth's
  (degrees; free of where a skeleton puts its shoulders and hips, and of its size).

BlazePose puts hips and shoulders on the body surface, the truth at joint centres: read
those joints per joint, not as a verdict.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.pose import camera_to_app  # noqa: E402
from mocap_app.lift.tilt import estimate_tilt, picture_tilt  # noqa: E402
from mocap_app.core.skeleton import (JOINT_NAMES, LEFT_RIGHT_PAIRS, J,  # noqa: E402
                                     blazepose_to_app)
from mocap_train.metrics import (TORSO, bone_angle_errors, joint_errors,  # noqa: E402
                                 pa_joint_errors)

LIMBS = [J[n] for n in ("left_elbow", "left_wrist", "left_knee", "left_ankle",
                        "right_elbow", "right_wrist", "right_knee", "right_ankle")]
BINS = {
    "distance_m": (0, 2.5, 4, 6, 10.5),
    "elevation_deg": (-90, 5, 25, 45, 90),
    "stature_m": (0, 1.6, 1.75, 1.9, 3),
    "mean_visibility": (0, 0.6, 0.8, 0.9, 1.01),
}


def load_frames(folder: Path, split: str) -> dict:
    """Every frame of the split's shards, with per-frame copies of the item facts the
    breakdowns use."""
    shards = sorted(folder.glob(f"{split}_*.npz"))
    if not shards:
        raise SystemExit(f"no {split} shards in {folder}")
    parts = []
    for s in shards:
        with np.load(s) as z:
            d = {k: z[k] for k in z.files}
        params = [json.loads(p) for p in d.pop("params")]
        item = d["item"]
        d["distance_m"] = np.array([params[i]["camera"]["distance_m"] for i in item])
        d["elevation_deg"] = np.array([params[i]["camera"]["elevation_deg"] for i in item])
        d["stature_m"] = np.array([params[i]["body"]["stature_m"] for i in item])
        d["sequence"] = np.array([f"{s.stem}/{i}" for i in item])
        parts.append(d)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


#: a frame counts as swapped when its limbs are this much nearer the mirrored truth: in
#: side views left and right limbs overlap in 2D and a bare "nearer" flips on noise
SWAP_MARGIN = 0.5


def swapped(kp: np.ndarray, truth_px: np.ndarray) -> np.ndarray:
    """(N,) frames whose detected 2D limbs are clearly nearer the mirrored truth (mean
    limb distance to it below ``SWAP_MARGIN`` of the distance to the truth)."""
    mirror = np.arange(len(JOINT_NAMES))
    for a, b in LEFT_RIGHT_PAIRS:
        mirror[a], mirror[b] = b, a
    d = np.linalg.norm(kp[:, LIMBS] - truth_px[:, LIMBS], axis=-1).mean(-1)
    dm = np.linalg.norm(kp[:, LIMBS] - truth_px[:, mirror[LIMBS]], axis=-1).mean(-1)
    return dm < SWAP_MARGIN * d


def sources(data: dict, use: np.ndarray, lifter_path=None, refiner_path=None,
            reference: tuple | None = None, tilt: str = "auto") -> dict[str, np.ndarray]:
    """name -> (N, 25, 3) metres in camera axes, pelvis-relative, for the used frames.
    ``lifter_path``/``refiner_path``: the lifter and bidirectional refiner to score
    (default: the shipped ones); ``reference``: (lifter path, refiner path) of another
    pair scored beside them (e.g. the previously shipped models), rows prefixed "reference".
    ``tilt``: how the shipped set's lifters learn each sequence's camera tilt: "auto"
    (found from the sequence, as ``mocap process`` does), "render" (the render camera's,
    ``render_tilt``, as ``mocap process --tilt`` would be given it) or "level" (none); the
    reference pair lifts level."""
    out = {}
    world_all = blazepose_to_app(data["world_landmarks"].astype(np.float64))
    world_all = world_all - world_all[:, :1]
    out["BlazePose world landmarks"] = world_all[use]
    world_app = camera_to_app(world_all)          # what Detection.app_world_joints gives
    kp = blazepose_to_app(data["landmarks_2d"].astype(np.float64))
    vis = blazepose_to_app(data["visibility"].astype(np.float64)[..., None])[..., 0]
    sets = [("", lifter_path, refiner_path, True)]
    if reference:
        sets.append(("reference ", reference[0], reference[1], False))
    for prefix, lp, rp, both in sets:
        out.update(_lifted_rows(data, use, kp, vis, world_app, prefix, lp, rp, both,
                                tilt if both else "level"))
    return out


def rolled(data: dict, roll_deg: float) -> dict:
    """``data`` as cameras rolled ``roll_deg`` further about their optical axes would give
    it (clockwise in the picture, ``Lifter.tilt_deg``'s sense): the detector's 2D and the
    truth's pixels turned about the picture's centre, the detector's and the truth's 3D
    (camera axes) about the optical axis, and the cameras' rotations with them. The
    detector's output is turned, not run again on turned pictures (BlazePose on a rolled
    picture errs a little differently)."""
    a = np.radians(roll_deg)
    c, s = np.cos(a), np.sin(a)
    turn2 = np.array([[c, -s], [s, c]])
    turn3 = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    centre = 0.5 * data["image_size"].astype(np.float64)[:, None, :]
    out = dict(data)
    for key in ("landmarks_2d", "joints_px"):
        out[key] = ((data[key].astype(np.float64) - centre) @ turn2.T + centre).astype(
            data[key].dtype)
    for key in ("world_landmarks", "joints_cam"):
        out[key] = (data[key].astype(np.float64) @ turn3.T).astype(data[key].dtype)
    out["R"] = np.einsum("ij,njk->nik", turn3, data["R"].astype(np.float64))
    return out


def render_tilt(R: np.ndarray) -> float:
    """How far the render world's vertical (Y) leans in the camera's picture, degrees
    clockwise (``Lifter.tilt_deg``); ``R`` world -> camera (x right, y down)."""
    return picture_tilt(R, (0.0, 1.0, 0.0))


def _lifted_rows(data, use, kp, vis, world_app, prefix, lifter_path, refiner_path,
                 one_pass: bool, tilt: str = "level") -> dict[str, np.ndarray]:
    from mocap_app.lift.inference import Lifter
    from mocap_app.lift.refiner import TemporalRefiner
    lifters = {f"{prefix}lifter, flip-averaged": Lifter.load(lifter_path, flip_average=True)}
    if one_pass:
        lifters[f"{prefix}lifter, one pass (live)"] = Lifter.load(lifter_path,
                                                                  flip_average=False)
        lifters[f"{prefix}lifter, flip-averaged, no limb fusion"] = Lifter.load(
            lifter_path, flip_average=True, fusion=False)
    refiner = TemporalRefiner.load(refiner_path, causal=False)
    from mocap_app.core.pose import PoseSequence
    from mocap_app.pipeline.image_fit import fit_to_image
    from mocap_app.pipeline.side_check import find_swaps, fix_swaps, swap_sides
    lifted = {name: np.full((len(kp), 25, 3), np.nan) for name in lifters}
    refined = np.full((len(kp), 25, 3), np.nan)
    checked = np.full((len(kp), 25, 3), np.nan)       # the side check first (one_pass sets)
    unfit = np.full((len(kp), 25, 3), np.nan)         # the same without the image fit
    for seq in np.unique(data["sequence"]):
        idx = np.nonzero((data["sequence"] == seq) & data["on_subject"])[0]
        if len(idx) == 0:
            continue
        size = tuple(int(v) for v in data["image_size"][idx[0]])
        flip_lifter = lifters[f"{prefix}lifter, flip-averaged"]
        if tilt == "auto":      # as process_video: found after the side check
            flip_lifter.tilt_deg = 0.0
            take = PoseSequence(np.arange(len(idx)) / 30.0, np.zeros((len(idx), 25, 3)),
                                kp[idx], vis[idx], np.ones(len(idx), bool), 30.0, size,
                                detector_3d=world_app[idx])
            if len(idx) >= 3 and not data["static"][idx[0]]:
                swaps = find_swaps(take)
                if swaps.any():
                    take = swap_sides(take, swaps)
            found = estimate_tilt(flip_lifter, take.keypoints_2d, take.visibility, size,
                                  take.detector_3d).tilt_deg
        for name, lifter in lifters.items():
            if tilt == "render":
                lifter.tilt_deg = render_tilt(data["R"][idx[0]])
            elif tilt == "auto" and "one pass" not in name:
                lifter.tilt_deg = found
            else:
                lifter.tilt_deg = 0.0
        for name, lifter in lifters.items():
            res = lifter.lift(kp[idx], vis[idx], size, world=world_app[idx])
            lifted[name][idx] = np.where(res.valid[:, None, None], res.joints_3d, np.nan)
        flip = lifted[f"{prefix}lifter, flip-averaged"][idx]
        if len(idx) >= 2 and not data["static"][idx[0]]:
            refined[idx] = refiner.refine(flip)
        else:
            refined[idx] = flip
        if not one_pass:
            continue
        # the app's side check (side_check.fix_swaps, as process_video runs it): frames
        # whose labels the detector exchanged are relabelled and lifted from the 2D alone
        if len(idx) < 3 or data["static"][idx[0]]:
            checked[idx] = unfit[idx] = refined[idx]
            continue
        take = PoseSequence(np.arange(len(idx)) / 30.0, flip, kp[idx], vis[idx],
                            np.isfinite(flip).all(axis=(1, 2)), 30.0, size,
                            detector_3d=world_app[idx])
        fixed, m = fix_swaps(take, lifters[f"{prefix}lifter, flip-averaged"])
        checked[idx] = refiner.refine(fixed.joints_3d) if m.any() else refined[idx]
        # the image fit, as the offline pipeline runs it after the refiner (the app's
        # default field of view: the app is not told the renders' cameras)
        unfit[idx] = checked[idx]
        on = np.isfinite(checked[idx]).all(axis=(1, 2))
        checked[idx] = fit_to_image(checked[idx], fixed.keypoints_2d if m.any() else kp[idx],
                                    vis[idx], on, size, 30.0)
        on = np.isfinite(refined[idx]).all(axis=(1, 2))
        refined[idx] = fit_to_image(refined[idx], kp[idx], vis[idx], on, size, 30.0)
    out = {}
    for name in sorted(lifted, key=lambda n: "flip" in n):
        out[name] = camera_to_app(lifted[name][use])  # app axes <-> camera axes (self-inverse)
    out[f"{prefix}lifter, flip-averaged + bidirectional refiner"] = camera_to_app(refined[use])
    if one_pass:
        out[f"{prefix}side check, lifter, flip-averaged + bidirectional refiner, "
            "no image fit"] = camera_to_app(unfit[use])
        out[f"{prefix}side check, lifter, flip-averaged + bidirectional refiner"] = \
            camera_to_app(checked[use])
    return out


def table(rows: dict[str, dict]) -> str:
    lines = ["| source | frames | PA-MPJPE mm | MPJPE mm | left/right swapped | "
             "orientation deg | forearms + shins deg |", "|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['frames']} | {r['pa_mpjpe']:.1f} | {r['mpjpe']:.1f} | "
                     f"{100 * r['swap_rate']:.1f} % | {r['orientation_deg']:.1f} | "
                     f"{r['forearm_shin_deg']:.1f} |")
    return "\n".join(lines)


def score(pred: np.ndarray, gt: np.ndarray, data_used: dict) -> dict:
    ok = np.isfinite(pred).all(axis=(1, 2))
    pa = pa_joint_errors(pred[ok], gt[ok])
    orient, bones = bone_angle_errors(pred[ok], gt[ok], TORSO)
    mp = joint_errors(pred[ok], gt[ok])
    r = {"frames": int(ok.sum()), "pa_mpjpe": float(pa.mean()), "mpjpe": float(mp.mean()),
         # in 3D, pelvis-aligned, not rotated: a body turned round counts (as it would
         # on the animator's rig)
         "swap_rate": float(swapped(pred[ok], gt[ok]).mean()),
         "orientation_deg": float(np.nanmean(orient)),
         "forearm_shin_deg": float(np.nanmean(np.concatenate([bones["forearm"],
                                                               bones["shin"]], 1))),
         "per_joint_pa": {n: round(float(v), 1) for n, v in zip(JOINT_NAMES, pa.mean(0))},
         "per_joint_mpjpe": {n: round(float(v), 1) for n, v in zip(JOINT_NAMES, mp.mean(0))}}
    for key, edges in BINS.items():
        values = data_used[key][ok]
        r[f"by_{key}"] = {}
        for lo, hi in zip(edges[:-1], edges[1:]):
            m = (values >= lo) & (values < hi)
            if m.any():
                r[f"by_{key}"][f"{lo}-{hi}"] = {"frames": int(m.sum()),
                                                "pa_mpjpe": round(float(pa[m].mean()), 1),
                                                "mpjpe": round(float(mp[m].mean()), 1)}
    return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder of rendered shards")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--json", help="write every figure to this JSON file")
    p.add_argument("--lifter", help="lifter checkpoint to score (default: the shipped one)")
    p.add_argument("--refiner", help="bidirectional refiner checkpoint (default: shipped)")
    p.add_argument("--tilt", choices=("auto", "render", "level"), default="auto",
                   help="each sequence's camera tilt: found from the sequence, as mocap "
                        "process does (auto, default), the render camera's own, as mocap "
                        "process --tilt would be given it (render; the renders' cameras are "
                        "rolled up to 5 degrees), or none (level)")
    p.add_argument("--roll", type=float, default=0.0,
                   help="turn every sequence as its camera rolled this much further would "
                        "see it (degrees, -45..45, clockwise; the detector's output turned, "
                        "not run again): what the tilt found from the take must undo")
    p.add_argument("--reference", nargs=2, metavar=("LIFTER", "REFINER"),
                   help="also score this lifter and refiner (rows prefixed 'reference')")
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    if not -45.0 <= args.roll <= 45.0:
        p.error(f"--roll must be -45..45 degrees, got {args.roll}")
    data = load_frames(Path(args.data), args.split)
    if args.roll:
        data = rolled(data, args.roll)
    n = len(data["found"])
    use = data["on_subject"]
    kp = blazepose_to_app(data["landmarks_2d"].astype(np.float64))
    vis = blazepose_to_app(data["visibility"].astype(np.float64)[..., None])[..., 0]
    seen = np.isfinite(vis).all(axis=1)                  # frames with a detection
    data["mean_visibility"] = np.full(n, np.nan)
    data["mean_visibility"][seen] = vis[seen].mean(axis=1)
    gt = data["joints_cam"][use].astype(np.float64)
    gt = gt - gt[:, :1]
    used = {k: data[k][use] for k in BINS}
    rows = {name: score(pred, gt, used) for name, pred in
            sources(data, use, args.lifter, args.refiner, args.reference,
                    args.tilt).items()}
    sw = swapped(kp[use], data["joints_px"][use].astype(np.float64))
    report = {"frames": n, "items": len(np.unique(data["sequence"])),
              "detection_rate": float(data["found"].mean()),
              "subject_found_rate": float(use.mean()),
              "swap_rate": float(sw.mean()), "rows": rows}
    print(f"{args.split}: {n} frames in {report['items']} items; subject found in "
          f"{100 * use.mean():.1f} % (a person in {100 * data['found'].mean():.1f} %); "
          f"left/right swapped in {100 * sw.mean():.1f} % of found frames\n")
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
