"""3D accuracy on real video: monocular 3D from one view against the multi-view
triangulation of the Pose2Sim take (BASELINE.md's Pose2Sim row, for our models).

    .venv/bin/python bench/eval_pose2sim.py [--cache detections.npz] [--json out.json]

Data: ``video/pose2sim`` (four synchronised calibrated views, 100 frames at 60 fps). Our
BlazePose detector (tracking mode, reset per view) runs on every view. Reference per view
v and frame: the app's 25 joints triangulated (DLT, undistorted pixels) from the *other*
views (``mocap_train.multiview.leave_one_out``: views whose whole bodies disagree by > 30 px are
dropped, then per joint views are dropped while the mean reprojection error is > 15 px;
at least two views), so view v's own detections never enter its reference. BASELINE.md
triangulated from all four views instead; that variant is printed too
(``--reference all``).

Estimates from view v alone, each compared with PA-MPJPE (Procrustes: rotation, uniform
scale, translation, per frame, over the joints that have a reference), mm:

- BlazePose world landmarks (the detector's own 3D: what BASELINE.md measured with
  MediaPipe, 82.7 mm from cam01 against the all-view reference);
- the lifter per frame (``Lifter``, the app's settings), the same lifter given the
  2D alone (no detector 3D: how much the detector's own 3D moves it on real video), and
  without its limb fusion (``lift/fusion.py``);
- the lifter + the bidirectional temporal refiner, without and with the image fit
  (``pipeline/image_fit.py``: the limbs turned about the viewing axis towards the 2D's
  directions, assuming the app's default field of view unless ``--hfov`` says otherwise;
  with it: the offline pipeline before fitting);
- all offline stages (refiner, skeleton fitting with constant bone lengths; root and feet
  do not change a pelvis-relative pose's PA-MPJPE beyond the fitting).

The reference is made of BlazePose's own landmarks, so it carries their definitions
(where BlazePose puts a hip or a shoulder); the lifter learned the motion-capture
skeleton's (joint centres), which costs it a systematic part of this error that the
detector's own 3D does not pay. The table also gives the "core" set (the 12 limb joints)
and the 8 distal joints (elbows, wrists, knees, ankles, each frame aligned on those alone:
the points both definitions place most alike, without the surface shoulders and hips). ``--side-check`` adds the lifter rows again
after the app's side check (``pipeline/side_check.py``: where the continuity of the
detector's 2D labels says it exchanged left and right, they are exchanged back and those
frames lifted from the 2D alone), without the hands (what the app does by default) and
with the hands' votes (the hand tracker runs on every view), and a live row (the causal
side track, the lifter in one pass, the causal refiner and running bone fit, frame by
frame as a live session shows it). ``--per-joint`` adds each joint's
error (leave-one-out reference, each frame aligned on all its joints), over the views
without a swapped segment and over all four. ``--bones`` adds how far the limb bones point
from the reference's (degrees, each frame turned onto the reference over the torso
points, ``metrics.bone_angle_errors``): the forearms and shins join points every
convention places alike, so they compare the articulation free of where a skeleton puts
its shoulders and hips, and free of its size; the torso's turn is the body's orientation
error. By default each view's tilt is found from its own take (``--tilt auto``,
``lift.tilt.estimate_tilt``), as ``mocap process`` does; ``--tilt calibrated`` gives the
lifter each view's tilt from the calibration instead (cam01 and cam04 are rolled by 13
and -26 degrees), ``--tilt 0`` lifts every picture as it is.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.core.pose import PoseSequence  # noqa: E402
from mocap_app.lift.tilt import AUTO, estimate_tilt, picture_tilt  # noqa: E402
from mocap_app.pipeline.root_trajectory import WEBCAM_HFOV_DEG  # noqa: E402
from mocap_app.core.skeleton import J, NUM_JOINTS  # noqa: E402
from mocap_train.metrics import pa_errors_masked as pa_errors  # noqa: E402
from mocap_train.metrics import BONES, TORSO, bone_angle_errors, procrustes  # noqa: E402
from mocap_train.multiview import (leave_one_out, read_qca, select_views,  # noqa: E402
                                      triangulate_robust, undistort)

from _common import detect_each_view  # noqa: E402

MAX_REF_ERROR = 15.0
MAX_BODY_ERROR = 30.0
CORE = [J[f"{s}_{p}"] for s in ("left", "right")
        for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]
#: the limbs' middle and end joints: where BlazePose's (and so the reference's) points and
#: joint centres agree best (its hips and shoulders are surface points, cm off the centres)
DISTAL = [J[f"{s}_{p}"] for s in ("left", "right") for p in ("elbow", "wrist", "knee", "ankle")]


def take_dir() -> Path:
    return shared_data_dir() / "video" / "pose2sim"


def detect_views(videos: list[Path]) -> dict:
    """App keypoints (V, F, J, 2), visibility (V, F, J) and the detector's world joints
    (V, F, J, 3, app axes, pelvis-relative) of every view; NaN where no person."""
    def convert(det):
        if det is None:
            return (np.full((NUM_JOINTS, 2), np.nan), np.zeros(NUM_JOINTS),
                    np.full((NUM_JOINTS, 3), np.nan))
        k, v = det.app_keypoints()
        return k, v, det.app_world_joints()
    views, sizes, fps = detect_each_view(videos, convert)
    return {"kp": np.array([[f[0] for f in v] for v in views]),
            "vis": np.array([[f[1] for f in v] for v in views]),
            "world": np.array([[f[2] for f in v] for v in views]),
            "sizes": np.array(sizes), "fps": np.array(fps)}


def cached_detections(cams, cache: Path | None) -> dict:
    """``detect_views`` of every view of the take, read from ``cache`` (an npz) when it
    exists, else detected and written there (when given)."""
    if cache is not None and cache.exists():
        return dict(np.load(cache))
    data = detect_views([take_dir() / f"{c.name}.mp4" for c in cams])
    if cache is not None:
        np.savez(cache, **data)
    return data


def references(cams, kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(leave-one-out (V, F, J, 3), all-view (F, J, 3)) world points, NaN where none."""
    V, F = kp.shape[:2]
    Ps = np.array([c.P for c in cams])
    und = np.stack([undistort(c, kp[v]) for v, c in enumerate(cams)])
    loo = np.full((V, F, NUM_JOINTS, 3), np.nan)
    allv = np.full((F, NUM_JOINTS, 3), np.nan)
    for f in range(F):
        pts = und[:, f]
        r = leave_one_out(Ps, pts, min_views=2, max_ref_error=MAX_REF_ERROR,
                          max_body_error=MAX_BODY_ERROR)
        loo[:, f] = np.where(r.valid[..., None], r.points, np.nan)
        seen = np.isfinite(pts).all(-1)
        views = [u for u in range(V) if seen[u].any()]
        if len(views) < 2:
            continue
        views, err = select_views(Ps, pts, views, 2, MAX_BODY_ERROR)
        if err > MAX_BODY_ERROR:
            continue
        for j in range(NUM_JOINTS):
            vs = [u for u in views if seen[u, j]]
            if len(vs) < 2:
                continue
            X, e = triangulate_robust(Ps, pts[:, j], vs, 2, MAX_REF_ERROR)
            if e <= MAX_REF_ERROR:
                allv[f, j] = X
    return loo, allv


def swapped_frames(pred: np.ndarray, ref_cam: np.ndarray) -> np.ndarray:
    """(F,) bool: frames whose limbs, pelvis-aligned and *not* rotated, lie clearly nearer
    the reference's other side (``eval_rendered.swapped``, the rendered benchmark's test).
    ``pred`` and ``ref_cam`` (F, J, 3) in the view's camera-app axes: a body seen facing
    the wrong way (the detector's front/back confusion) has its limbs on the wrong side
    there, which a Procrustes rotation would hide. Frames without all limbs and the pelvis
    in both are False."""
    from eval_rendered import LIMBS, swapped
    need = [J["pelvis"]] + LIMBS
    ok = np.isfinite(pred[:, need]).all(axis=(1, 2)) & np.isfinite(ref_cam[:, need]).all(axis=(1, 2))
    out = np.zeros(len(pred), bool)
    if ok.any():
        p = pred[ok] - pred[ok][:, J["pelvis"]:J["pelvis"] + 1]
        r = ref_cam[ok] - ref_cam[ok][:, J["pelvis"]:J["pelvis"] + 1]
        out[ok] = swapped(p, r)
    return out


def in_camera_app(cam, world: np.ndarray) -> np.ndarray:
    """World points (F, J, 3) -> the camera's axes turned into app axes (as a monocular
    estimate from that view is given)."""
    from mocap_app.core.pose import camera_to_app
    return camera_to_app(np.einsum("ij,fkj->fki", cam.R, world) + cam.t)


def view_hfov(cam) -> float:
    """The view's horizontal field of view from its calibration, degrees."""
    return float(np.degrees(2 * np.arctan(0.5 * cam.size[0] / cam.K[0, 0])))


def view_values(ap, flag: str, value: str, bounds: tuple[float, float], cams, calibrated,
                auto: bool = False):
    """One value per view: each view's own from the calibration (``calibrated(cam)``) for
    'calibrated', 'auto' for 'auto' where ``auto`` allows it (found from each view's take
    later), else the number given, refused at once outside ``bounds``."""
    lo, hi = bounds
    if value == "calibrated":
        return [calibrated(c) for c in cams]
    if auto and value == AUTO:
        return [AUTO] * len(cams)
    try:
        x = float(value)
    except ValueError:
        ap.error(f"{flag} must be a number of degrees ({lo:g}..{hi:g}), 'calibrated'"
                 + (f" or '{AUTO}'" if auto else "") + f", got {value!r}")
    if not lo <= x <= hi:
        ap.error(f"{flag} must be {lo:g}..{hi:g} degrees, got {value}")
    return [x] * len(cams)


def view_tilt(cam) -> float:
    """How far the world's vertical (the calibration's Z) leans in the view's picture,
    degrees, clockwise positive (``Lifter.tilt_deg``)."""
    return picture_tilt(cam.R, (0.0, 0.0, 1.0))


def resolved_tilt(data: dict, v: int, tilt, lifter_path: Path | None = None) -> float:
    """View v's tilt for the lifter: ``tilt`` itself, or for 'auto' the tilt
    ``lift.tilt.estimate_tilt`` finds from the view's detections in ``data`` (as
    ``mocap process`` does after its side check)."""
    if tilt != AUTO:
        return float(tilt)
    from mocap_app.lift.inference import Lifter
    kp = data["kp"][v]
    return estimate_tilt(Lifter.load(lifter_path), kp, data["vis"][v],
                         tuple(int(s) for s in data["sizes"][v]), data["world"][v],
                         np.isfinite(kp).all(axis=(-1, -2))).tilt_deg


def segments(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True as (first, last) frame."""
    runs, start = [], None
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def hand_sides_views(videos: list[Path]) -> np.ndarray:
    """(V, F, 2, 2) the hand tracker's view of the body's sides (``FramePose.hand_sides``)
    on every frame of every view: the same detector run again with the hands."""
    from mocap_app.capture.video import VideoFileSource
    from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
    out = []
    for path in videos:
        est = PoseEstimator(EstimatorConfig(lifter="none", hands=True))
        src = VideoFileSource(path)
        rows = []
        for frame in src:
            pose = est.estimate(frame.image, frame.index, frame.timestamp)
            rows.append(pose.hand_sides if pose.hand_sides is not None
                        else np.full((2, 2), np.nan))
        src.close()
        est.close()
        out.append(rows)
    n = min(len(r) for r in out)
    return np.array([r[:n] for r in out])


def side_checked(data: dict, v: int, hands: bool = True) -> tuple[dict, np.ndarray]:
    """``data`` with view v's body sides exchanged where the side check finds the
    detector exchanged them (``side_check.find_swaps``: the continuity of its labels, with
    the hands' votes when ``hands``), the detector's 3D dropped there (what ``fix_swaps``
    does before lifting those frames again), and those frames."""
    from mocap_app.pipeline.side_check import find_swaps, swap_sides
    kp, world = data["kp"][v], data["world"][v]
    seq = PoseSequence(np.arange(len(kp)) / 60.0, world, kp, data["vis"][v],
                       np.isfinite(kp).all(axis=(-1, -2)), 60.0,
                       tuple(int(x) for x in data["sizes"][v]), detector_3d=world,
                       hand_sides=data["hand_sides"][v] if hands else None)
    frames = find_swaps(seq)
    seq = swap_sides(seq, frames)
    d = {**data, "kp": data["kp"].copy(), "vis": data["vis"].copy(),
         "world": data["world"].copy()}
    d["kp"][v], d["vis"][v], d["world"][v] = seq.keypoints_2d, seq.visibility, seq.detector_3d
    return d, frames


def estimates(data: dict, v: int, lifter_path: Path | None = None,
              refiner_path: Path | None = None, lifter_only: bool = False,
              hfov_deg: float = WEBCAM_HFOV_DEG, tilt_deg: float = 0.0) -> dict:
    """Name -> (F, J, 3) pelvis-relative 3D from view v alone. The lifter gets what the
    detector gave: 2D, visibility and its own 3D (lifters that take it use it).
    ``lifter_only``: only the lifter rows with the detector's 3D. ``hfov_deg``: the
    camera's field of view the image fit assumes (the app's default unless told);
    ``tilt_deg``: the picture's tilt the lifter levels (``Lifter.tilt_deg``; 0 unless told)."""
    from mocap_app.lift.inference import Lifter
    from mocap_app.pipeline.refine import RefineOptions, load_refiner, refine_sequence
    kp, vis = data["kp"][v], data["vis"][v]
    valid = np.isfinite(kp).all(axis=(-1, -2))
    size = tuple(int(s) for s in data["sizes"][v])
    lifter = Lifter.load(lifter_path, tilt_deg=tilt_deg)
    lifted = lifter.lift(np.nan_to_num(kp), np.where(np.isfinite(kp).all(-1), vis, 0.0), size,
                         world=data["world"][v])
    per_frame = np.where((valid & lifted.valid)[:, None, None], lifted.joints_3d, np.nan)
    alone = lifter.lift(np.nan_to_num(kp), np.where(np.isfinite(kp).all(-1), vis, 0.0), size)
    no_3d = np.where((valid & alone.valid)[:, None, None], alone.joints_3d, np.nan)
    unfused = Lifter.load(lifter_path, fusion=False, tilt_deg=tilt_deg).lift(
        np.nan_to_num(kp), np.where(np.isfinite(kp).all(-1), vis, 0.0), size,
        world=data["world"][v]).joints_3d
    fps = float(data["fps"][v]) or 60.0
    seq = PoseSequence(np.arange(len(kp)) / fps, per_frame, kp, vis,
                       valid & lifted.valid, fps, size)
    off = RefineOptions(temporal=False, image_fit=False, skeleton_fitting=False,
                        root_trajectory=False, foot_contact="never", side_check=False,
                        hfov_deg=hfov_deg)        # the side check's rows are given apart
    if refiner_path is not None:
        from mocap_app.lift.refiner import TemporalRefiner
        bidir = TemporalRefiner.load(refiner_path, causal=False)
    else:
        bidir = load_refiner(causal=False)
    no_fit = refine_sequence(seq, replace(off, temporal=True), bidir).refined.joints_3d
    temporal = refine_sequence(seq, replace(off, temporal=True, image_fit=True),
                               bidir).refined.joints_3d
    fitted = refine_sequence(seq, replace(off, temporal=True, image_fit=True,
                                          skeleton_fitting=True), bidir).refined.joints_3d
    if lifter_only:
        return {"lifter per frame": per_frame,
                "lifter + bidirectional refiner, no image fit": no_fit,
                "lifter + bidirectional refiner": temporal,
                "lifter + refiner + skeleton fitting": fitted}
    return {"BlazePose world landmarks": data["world"][v],
            "lifter per frame": per_frame,
            "lifter per frame, 2D only (no detector 3D)": no_3d,
            "lifter per frame, no limb fusion": np.where(valid[:, None, None], unfused, np.nan),
            "lifter + bidirectional refiner, no image fit": no_fit,
            "lifter + bidirectional refiner": temporal,
            "lifter + refiner + skeleton fitting": fitted}


def live_estimate(data: dict, v: int, lifter_path: Path | None = None,
                  tilt_deg: float = 0.0) -> np.ndarray:
    """(F, J, 3) what a live session shows from view v: frame by frame, the causal side
    track (``SideTracker``: the detector's exchanged labels put back, those frames lifted
    without its 3D), the lifter in one pass, the causal refiner with the running bone fit
    (``LiveRefiner``)."""
    from mocap_app.lift.inference import Lifter
    from mocap_app.pipeline.refine import LiveRefiner
    from mocap_app.pipeline.side_track import SideTracker
    kp, vis, world = data["kp"][v], data["vis"][v], data["world"][v]
    size = tuple(int(s) for s in data["sizes"][v])
    fps = float(data["fps"][v]) or 60.0
    lifter = Lifter.load(lifter_path, flip_average=False, tilt_deg=tilt_deg)
    tracker, refiner = SideTracker(), LiveRefiner()
    out = np.full(kp.shape[:1] + (NUM_JOINTS, 3), np.nan)
    for f in range(len(kp)):
        seen = np.isfinite(kp[f]).all()
        vv = np.where(np.isfinite(kp[f]).all(-1), vis[f], 0.0)
        k, vv, w, _, _ = tracker.put_right(kp[f], vv, world[f])    # as the estimator does
        pose = None
        if seen:
            res = lifter.lift(k[None], vv[None], size, world=w[None])
            pose = res.joints_3d[0] if res.valid[0] else None
        shown = refiner.push(pose, f / fps)
        if shown is not None:
            out[f] = shown
    return out


def joint_errors(pred: np.ndarray, ref: np.ndarray, min_joints: int = 8) -> np.ndarray:
    """(F, J) mm: each joint's distance after aligning the frame (Procrustes) on all the
    joints finite in both; NaN where a joint or the frame has none."""
    out = np.full(pred.shape[:2], np.nan)
    for f in range(len(pred)):
        ok = np.isfinite(pred[f]).all(-1) & np.isfinite(ref[f]).all(-1)
        if ok.sum() < min_joints:
            continue
        a = procrustes(pred[f][ok][None], ref[f][ok][None])[0]
        out[f, ok] = 1000.0 * np.linalg.norm(a - ref[f][ok], axis=-1)
    return out


def print_per_joint(per_joint: dict, views: list[str], clean: list[str]) -> None:
    """Per-joint means (mm) of each estimate over the ``clean`` views and over all."""
    from mocap_app.core.skeleton import JOINT_NAMES
    for label, use in ((f"views without a swapped segment ({', '.join(clean)})", clean),
                       ("all views", views)):
        print(f"\nper joint, leave-one-out reference, {label} (mm)\n")
        names = list(per_joint)
        print("| joint | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for j, joint in enumerate(JOINT_NAMES):
            vals = [np.nanmean(np.concatenate([per_joint[n][v][:, j] for v in use]))
                    for n in names]
            print(f"| {joint} | " + " | ".join(f"{x:.0f}" for x in vals) + " |")


def print_bones(bones: dict, views: list[str]) -> None:
    """Mean bone angles (degrees) per view: forearms and shins (convention-free), all four
    limb bones, and the torso's orientation error; each row's ratio to the first's."""
    print("\nlimb bone directions against the leave-one-out reference, degrees (each frame "
          "turned onto it over the torso points; forearms and shins join points every "
          "convention places alike)\n")
    base = next(iter(bones))
    for col, names in (("forearms + shins", ("forearm", "shin")),
                       ("all 4 limb bones", tuple(BONES)), ("torso orientation", ())):
        print(f"{col}: " + " | ".join(views) + " | mean | x first row per view")
        for name, per_view in bones.items():
            vals = [np.nanmean(per_view[v][1] if not names else
                               np.concatenate([per_view[v][0][n] for n in names], 1))
                    for v in views]
            ref = [np.nanmean(bones[base][v][1] if not names else
                              np.concatenate([bones[base][v][0][n] for n in names], 1))
                   for v in views]
            print(f"| {name} | " + " | ".join(f"{x:.1f}" for x in vals)
                  + f" | {np.mean(vals):.1f} | "
                  + " ".join(f"{a / b:.2f}" for a, b in zip(vals, ref)) + " |")
        print()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections: read if it exists, else written")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--lifter", type=Path, default=None, help="default models/lifter.pt")
    ap.add_argument("--refiner", type=Path, default=None,
                    help="bidirectional refiner, default models/refiner_bidir.pt")
    ap.add_argument("--per-joint", action="store_true", help="per-joint tables too")
    ap.add_argument("--bones", action="store_true",
                    help="limb bone directions (degrees) and orientation too")
    ap.add_argument("--hfov", default=str(WEBCAM_HFOV_DEG),
                    help="field of view (degrees, 1..179) the image fit assumes, or "
                         "'calibrated' for each view's own (default: the app's, "
                         "%(default)s)")
    ap.add_argument("--tilt", default=AUTO,
                    help="the picture's tilt (degrees, -90..90, clockwise) the lifter levels "
                         "(mocap process --tilt), 'calibrated' for each view's own from "
                         "the calibration (world Z up), or 'auto' for the tilt found from "
                         "each view's take (lift.tilt.estimate_tilt; default, as the app "
                         "does; the live row, which has none, lifts the picture as it is)")
    ap.add_argument("--side-check", action="store_true",
                    help="the lifter rows again after the side check, without and with "
                         "the hands (runs the hand tracker on every view once; kept in "
                         "--cache)")
    args = ap.parse_args(argv)
    take = take_dir()
    cams = read_qca(take / "Calib.qca.txt")
    hfovs = view_values(ap, "--hfov", args.hfov, (1.0, 179.0), cams, view_hfov)
    tilts = view_values(ap, "--tilt", args.tilt, (-90.0, 90.0), cams, view_tilt, auto=True)
    if args.tilt == "calibrated":
        print("each view's tilt from the calibration (degrees): "
              + ", ".join(f"{c.name} {t:.1f}" for c, t in zip(cams, tilts)))
    data = cached_detections(cams, args.cache)
    if args.side_check and "hand_sides" not in data:
        data["hand_sides"] = hand_sides_views([take / f"{c.name}.mp4" for c in cams])
        if args.cache is not None:
            np.savez(args.cache, **data)
    loo, allv = references(cams, data["kp"])
    V = data["kp"].shape[0]
    rows: dict = {}
    swaps: dict = {}
    per_joint: dict = {}
    bones: dict = {}
    checked_frames = {}
    found_tilts: dict = {}
    for v in range(V):
        tilt = resolved_tilt(data, v, tilts[v], args.lifter)
        found_tilts.setdefault("no side check", []).append(tilt)
        rows_v = estimates(data, v, args.lifter, args.refiner, hfov_deg=hfovs[v],
                           tilt_deg=tilt)
        if args.side_check:
            rows_v["live: side track, lifter one pass, causal refiner + bone fit"] = \
                live_estimate(data, v, args.lifter, 0.0 if tilts[v] == AUTO else tilts[v])
            for label, hands in (("side check", False), ("side check + hands", True)):
                checked, frames = side_checked(data, v, hands)
                checked_frames.setdefault(label, {})[cams[v].name] = segments(frames)
                tilt = resolved_tilt(checked, v, tilts[v], args.lifter)
                found_tilts.setdefault(label, []).append(tilt)
                rows_v.update({f"{label}, {k}": x for k, x in
                               estimates(checked, v, args.lifter, args.refiner, True,
                                         hfovs[v], tilt).items()})
        for name, pred in rows_v.items():
            per_joint.setdefault(name, {})[cams[v].name] = joint_errors(pred, loo[v])
            if args.bones:
                # in the view's own axes, as the estimate is given: the turn left is
                # the estimate's error in the body's orientation to the camera
                orient, b = bone_angle_errors(pred, in_camera_app(cams[v], loo[v]), TORSO)
                bones.setdefault(name, {})[cams[v].name] = (b, orient)
            sw = swapped_frames(pred, in_camera_app(cams[v], allv))
            swaps.setdefault(name, []).append(
                {"view": cams[v].name, "frames": int(sw.sum()),
                 "segments": [list(x) for x in segments(sw)]})
            r = rows.setdefault(name, {})
            for ref_name, ref in (("leave-one-out", loo[v]), ("all views", allv)):
                for set_name, joints in (("25 joints", None), ("12 limb joints", CORE),
                                         ("8 distal joints", DISTAL)):
                    e = pa_errors(pred, ref, joints)
                    r.setdefault(f"{ref_name}, {set_name}", []).append(
                        (cams[v].name, float(np.nanmean(e)), int(np.isfinite(e).sum())))
    if args.tilt == AUTO:
        print("each view's tilt found from its take (degrees; calibrated: "
              + ", ".join(f"{c.name} {view_tilt(c):.1f}" for c in cams) + ")")
        for label, found in found_tilts.items():
            print(f"  {label}: " + ", ".join(f"{c.name} {t:.1f}" for c, t in zip(cams, found)))
    cols = list(next(iter(rows.values())))
    print(f"\nPA-MPJPE (mm) on the Pose2Sim take, {data['kp'].shape[1]} frames per view; "
          f"per view {', '.join(c.name for c in cams)} and their mean")
    for col in cols:
        print(f"\nreference: {col}\n")
        print("| 3D from one view | " + " | ".join(c.name for c in cams) + " | mean |")
        print("|---|" + "---|" * (V + 1))
        for name, r in rows.items():
            vals = [x[1] for x in r[col]]
            print(f"| {name} | " + " | ".join(f"{x:.1f}" for x in vals)
                  + f" | {np.mean(vals):.1f} |")
    print("\nleft/right swapped frames against the all-view reference in the view's own axes "
          "(segments, first-last)\n")
    print("| 3D from one view | " + " | ".join(c.name for c in cams) + " |")
    print("|---|" + "---|" * V)
    for name, per_view in swaps.items():
        print(f"| {name} | " + " | ".join(
            f"{x['frames']}" + (f" ({', '.join(f'{a}-{b}' for a, b in x['segments'])})"
                                if x["segments"] else "") for x in per_view) + " |")
    for label, per_view in checked_frames.items():
        print(f"\nframes the {label} exchanged left and right on (first-last): "
              + "; ".join(f"{k} {', '.join(f'{a}-{b}' for a, b in s) or 'none'}"
                          for k, s in per_view.items()))
    if args.per_joint:
        names = [c.name for c in cams]
        anyname = next(iter(swaps))
        clean = [x["view"] for x in swaps[anyname] if not x["segments"]]
        print_per_joint(per_joint, names, clean)
    if args.bones:
        print_bones(bones, [c.name for c in cams])
    res = {name: {col: [{"view": a, "pa_mpjpe_mm": b, "frames": c} for a, b, c in r[col]]
                  for col in cols} for name, r in rows.items()}
    for name in res:
        res[name]["swapped frames (all views reference)"] = swaps[name]
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
