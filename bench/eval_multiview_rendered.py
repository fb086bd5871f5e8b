"""How far a reference triangulated from BlazePose's own 2D favours BlazePose's 3D: the
Pose2Sim benchmark's reference, rebuilt on renders where the exact joints are known.

`bench/eval_pose2sim.py` scores every view against the triangulation of the *other*
views' BlazePose keypoints. That reference carries BlazePose's conventions (its hips and
shoulders are surface points) and its habits (where it puts a wrist or an ankle on a real
limb), and BlazePose's own world landmarks come from the same network, so they share
them. This script measures that effect where the truth is known. Each item:

- one held-out test motion, held-out body and clothes (`mocap_train.render`'s test split);
- seen at once by four static cameras standing round the person as Pose2Sim's do
  (about 3.2-3.8 m away, 12-21 degrees above the pelvis, a quarter turn apart with some
  scatter, portrait 540x960 frames with a 36-40 degree horizontal field of view, level);
- each view run through our tracker, as a video (`--frames` at 30 fps);
- every view scored, as `eval_pose2sim` does, against the leave-one-out triangulation of
  the other three views' BlazePose keypoints (`eval_pose2sim.references`), and against the
  rendered body's exact joints.

Rows: BlazePose's world landmarks, and the app's offline output as `eval_pose2sim` gives
it (side check, the tilt found from each view's take, flip-averaged lifter with its limb
fusion, bidirectional refiner and image fit). The figure to read is the app's ratio to
BlazePose under each reference: the same footage, two references.

    .venv/bin/python bench/eval_multiview_rendered.py --items 16 --cache .cache/multiview_rendered

`--motions take-like` draws only stretches like the Pose2Sim take (an arm raised, a wide
stance: `mocap_train/render/motions.py`; in the test split nearly all from CMU subject
94's dances).

Rendering is resumable: each item is kept in the cache folder as it is done (about 40 s an
item of 90 frames on one core). `--items` draws items from `--seed`; the same seed and item
give the same item.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mocap_app.core.skeleton import J, NUM_JOINTS  # noqa: E402

VIEWS = 4
FPS = 30.0
SIZE = (540, 960)                 # portrait, as Pose2Sim's views
HFOV_DEG = (36.0, 40.0)
DISTANCE_M = (3.2, 3.8)
ELEVATION_DEG = (12.0, 21.0)      # the pelvis seen from above, as Pose2Sim's cameras
YAW_SCATTER_DEG = 20.0
LIMB = [J[f"{s}_{p}"] for s in ("left", "right")
        for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]
DISTAL = [J[f"{s}_{p}"] for s in ("left", "right") for p in ("elbow", "wrist", "knee", "ankle")]
#: item resamples for the interval of the reference's effect
BOOTSTRAP = 2000
SETS = {"25 joints": list(range(NUM_JOINTS)), "12 limb joints": LIMB, "8 distal joints": DISTAL}


def place_cameras(rng: np.random.Generator, centre: np.ndarray) -> list:
    """``VIEWS`` level render cameras (``renderer.Camera``) standing round ``centre`` (the
    pelvis's mean, world metres, app axes) a quarter turn apart, as Pose2Sim's stand."""
    from mocap_train.render.renderer import Camera
    base_yaw = rng.uniform(-180.0, 180.0)
    cameras = []
    for v in range(VIEWS):
        hfov = rng.uniform(*HFOV_DEG)
        distance = rng.uniform(*DISTANCE_M)
        elevation = np.radians(rng.uniform(*ELEVATION_DEG))
        yaw = np.radians(base_yaw + 90.0 * v + rng.uniform(-YAW_SCATTER_DEG, YAW_SCATTER_DEG))
        eye = centre + distance * np.array([np.cos(elevation) * np.sin(yaw),
                                            np.sin(elevation),
                                            np.cos(elevation) * np.cos(yaw)])
        # aimed a little below the pelvis, so the whole body stays in the portrait frame
        target = centre - np.array([0.0, 0.1, 0.0])
        cameras.append(Camera.look_at(eye, target, hfov, SIZE[0], SIZE[1], roll_deg=0.0))
    return cameras


def triangulation_cameras(K: np.ndarray, R: np.ndarray, t: np.ndarray) -> list:
    """The views as ``mocap_train.multiview.Camera`` (no lens distortion) for
    ``eval_pose2sim.references``: K (V, 3, 3), R (V, 3, 3), t (V, 3)."""
    from mocap_train.multiview import Camera
    return [Camera(f"view{v}", SIZE, np.asarray(K[v], np.float64), np.zeros(4),
                   np.asarray(R[v], np.float64), np.asarray(t[v], np.float64))
            for v in range(len(K))]


def render_item(world, seed: int, item: int, frames: int, motions: str = "mocap") -> dict:
    """One motion seen by ``VIEWS`` cameras: the detector's output per view, the cameras
    and the exact joints (world metres, app axes)."""
    from mocap_train.render.appearance import sample_appearance, vertex_colors
    from mocap_train.render.body import sample_shape
    from mocap_train.render.renderer import Mesh
    from mocap_train.render.scene import (apply_sensor_effects, random_floor, random_light,
                                          sample_sensor_effects)
    rng = np.random.default_rng([seed, item])
    clip, start, frames = world.pick_motion(rng, "test", motions, frames)
    shape = sample_shape(rng, held_out=True)
    look = sample_appearance(rng)
    posed = world.body.pose(clip.joints[start:start + frames], shape)
    colors = vertex_colors(world.body, look)
    light, floor = random_light(rng), random_floor(rng)
    cameras = place_cameras(rng, posed.joints[:, 0].mean(axis=0))
    out = {"kp": [], "vis": [], "world": [], "K": [], "R": [], "t": [], "hfov": []}
    for v, cam in enumerate(cameras):
        background, _ = world.backgrounds("test").sample(rng, SIZE[0], SIZE[1])
        effects = sample_sensor_effects(rng)
        noise_rng = np.random.default_rng(int(rng.integers(2**31)))
        world.tracker.reset()
        kp = np.full((frames, NUM_JOINTS, 2), np.nan)
        vis = np.zeros((frames, NUM_JOINTS))
        w3 = np.full((frames, NUM_JOINTS, 3), np.nan)
        for f in range(frames):
            result = world.renderer.render(cam, [Mesh(posed.vertices[f], world.body.faces,
                                                      colors)],
                                           light=light, floor=floor, background=background)
            image = apply_sensor_effects(result.image, effects, noise_rng)
            det = world.tracker.detect(image, f / FPS)
            if det is not None:
                kp[f], vis[f] = det.app_keypoints()
                w3[f] = det.app_world_joints()
        out["kp"].append(kp)
        out["vis"].append(vis)
        out["world"].append(w3)
        out["K"].append(cam.K)
        out["R"].append(cam.R)
        out["t"].append(cam.t)
        out["hfov"].append(float(np.degrees(2 * np.arctan(SIZE[0] / 2 / cam.fx))))
    arrays = {k: np.array(v) for k, v in out.items()}
    arrays["truth"] = posed.joints.astype(np.float64)
    arrays["clip"] = np.array(clip.name)
    return arrays


def render_all(cache: Path, items: int, seed: int, frames: int,
               motions: str = "mocap") -> list[Path]:
    from mocap_train.render.generate import World
    cache.mkdir(parents=True, exist_ok=True)
    tag = "" if motions == "mocap" else "takelike_"
    paths = [cache / f"item_{tag}{seed}_{i:03d}_{frames}.npz" for i in range(items)]
    todo = [(i, p) for i, p in enumerate(paths) if not p.exists()]
    if todo:
        world = World()
        try:
            for i, p in todo:
                t0 = time.perf_counter()
                arrays = render_item(world, seed, i, frames, motions)
                tmp = p.with_suffix(".tmp.npz")
                np.savez_compressed(tmp, **arrays)
                tmp.replace(p)
                print(f"rendered item {i} ({arrays['clip']}, {len(arrays['truth'])} frames) "
                      f"in {time.perf_counter() - t0:.0f} s", flush=True)
        finally:
            world.close()
    return paths


def views_data(item: dict) -> dict:
    """A rendered item's four views as ``eval_pose2sim``'s functions take a take's
    detections (no hand votes)."""
    frames = item["kp"].shape[1]
    return {"kp": item["kp"], "vis": item["vis"], "world": item["world"],
            "sizes": np.array([SIZE] * VIEWS), "fps": np.full(VIEWS, FPS),
            "hand_sides": np.full((VIEWS, frames, 2, 2), np.nan)}


def score_item(path: Path, lifter: Path | None = None) -> dict:
    """Per view: (F, J) joint errors of BlazePose's 3D and of the app's output against the
    exact joints and against the leave-one-out triangulation of BlazePose's 2D."""
    from eval_pose2sim import (AUTO, estimates, joint_errors, references, resolved_tilt,
                               side_checked)
    a = dict(np.load(path))
    cams = triangulation_cameras(a["K"], a["R"], a["t"])
    data = views_data(a)
    loo, _ = references(cams, a["kp"])
    out = {}
    for v in range(VIEWS):
        d, _ = side_checked(data, v, hands=False)
        tilt = resolved_tilt(d, v, AUTO, lifter)
        app = estimates(d, v, lifter, lifter_only=True, tilt_deg=tilt)[
            "lifter + bidirectional refiner"]
        bp = np.where(np.isfinite(a["kp"][v]).all(axis=(-1, -2))[:, None, None],
                      a["world"][v], np.nan)
        out[v] = {(src, ref): joint_errors(x, r)
                  for src, x in (("BlazePose", bp), ("app", app))
                  for ref, r in (("exact joints", a["truth"]), ("BlazePose triangulated", loo[v]))}
        # the reference's own distance from the exact joints, aligned the same way
        out[v]["ref_vs_truth"] = joint_errors(loo[v], a["truth"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=16, help="items (motions), 1..500")
    ap.add_argument("--frames", type=int, default=90, help="frames a view, 10..400")
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--cache", default=".cache/multiview_rendered",
                    help="folder the rendered items are kept in")
    ap.add_argument("--motions", choices=("mocap", "take-like"), default="mocap",
                    help="mocap: any stretch of the test motions; take-like: only "
                         "stretches like the Pose2Sim take (arm raised, wide stance: "
                         "mocap_train/render/motions.py)")
    ap.add_argument("--lifter", type=Path, default=None,
                    help="lifter checkpoint to score (default: the shipped one)")
    ap.add_argument("--render-only", action="store_true")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    if not 1 <= args.items <= 500:
        ap.error(f"--items must be 1..500, got {args.items}")
    if not 10 <= args.frames <= 400:
        ap.error(f"--frames must be 10..400, got {args.frames}")
    import torch
    torch.set_num_threads(1)
    paths = render_all(Path(args.cache), args.items, args.seed, args.frames, args.motions)
    if args.render_only:
        return 0
    per, owner = {}, []
    for i, p in enumerate(paths):
        for v, errs in score_item(p, args.lifter).items():
            for k, e in errs.items():
                per.setdefault(k, []).append(e)
            owner.append(np.full(len(errs["ref_vs_truth"]), i))
    cat = {k: np.concatenate(v) for k, v in per.items()}
    owner = np.concatenate(owner)
    # every figure on the same frames: those scored by all four rows
    same = np.ones(len(cat[("BlazePose", "exact joints")]), bool)
    for k, e in cat.items():
        if isinstance(k, tuple):
            same &= np.isfinite(e).any(axis=1)
    print(f"\n{args.items} items x {VIEWS} views x {args.frames} frames; "
          f"{int(same.sum())} view-frames scored by every row\n")
    figures = {}
    for name, joints in SETS.items():
        print(f"PA-MPJPE (mm), {name}\n")
        print("| reference | BlazePose world landmarks | app (refined) | app / BlazePose |")
        print("|---|---|---|---|")
        for ref in ("exact joints", "BlazePose triangulated"):
            bp = float(np.nanmean(cat[("BlazePose", ref)][same][:, joints]))
            app = float(np.nanmean(cat[("app", ref)][same][:, joints]))
            figures[f"{name} | {ref}"] = {"BlazePose": bp, "app": app, "ratio": app / bp}
            label = ("exact joints (truth)" if ref == "exact joints" else
                     "BlazePose's 2D of the other 3 views, triangulated (as Pose2Sim)")
            print(f"| {label} | {bp:.1f} | {app:.1f} | {app / bp:.3f} |")
        print()
    print("How much the triangulated reference raises the app's ratio to BlazePose "
          "(its ratio there over its ratio against the exact joints), items resampled "
          f"{BOOTSTRAP} times (median, 95 % interval)\n")
    print("| joints | factor | 95 % interval |")
    print("|---|---|---|")
    rng = np.random.default_rng(args.seed)
    for name, joints in SETS.items():
        sums = {k: np.array([np.nansum(cat[k][same & (owner == i)][:, joints])
                             for i in range(args.items)])
                for k in cat if isinstance(k, tuple)}
        draws = rng.integers(0, args.items, size=(BOOTSTRAP, args.items))

        def ratio(ref, pick):
            return sums[("app", ref)][pick].sum(-1) / sums[("BlazePose", ref)][pick].sum(-1)
        factor = ratio("BlazePose triangulated", draws) / ratio("exact joints", draws)
        lo, mid, hi = np.percentile(factor, [2.5, 50, 97.5])
        figures[f"{name} | factor"] = {"median": float(mid), "lo": float(lo), "hi": float(hi)}
        print(f"| {name} | {mid:.3f} | {lo:.3f}-{hi:.3f} |")
    print()
    from mocap_app.core.skeleton import JOINT_NAMES
    print("per joint, mm: BlazePose / app against the exact joints; against the "
          "triangulated reference; the reference's own distance from the exact joints "
          "(aligned the same way)\n")
    print("| joint | exact: BlazePose | exact: app | triangulated: BlazePose | "
          "triangulated: app | reference's own error |")
    print("|---|---|---|---|---|---|")
    rows = {}
    for j, n in enumerate(JOINT_NAMES):
        vals = [float(np.nanmean(cat[(s, r)][same][:, j]))
                for r in ("exact joints", "BlazePose triangulated") for s in ("BlazePose", "app")]
        own = float(np.nanmean(cat["ref_vs_truth"][same][:, j]))
        rows[n] = vals + [own]
        print(f"| {n} | " + " | ".join(f"{x:.0f}" for x in vals) + f" | {own:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"figures": figures, "per_joint": rows, "items": args.items,
             "frames": args.frames, "seed": args.seed, "motions": args.motions}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
