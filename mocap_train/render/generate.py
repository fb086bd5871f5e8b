"""One shard of the rendered set: anny bodies moved by real mocap, rendered, and seen by
our own BlazePose detector, with the exact 3D of the rendered body kept beside it.

A shard holds ``items`` draws from one split. An item is a tracked sequence (1-4 s at
30 fps: the detector in tracking mode over consecutive frames, so ROI lag, left/right
swaps, loss and re-acquisition are in the data) or a still (the detector in static-image
mode on one frame). Every draw comes from ``np.random.default_rng([seed, item])``, so an
item, and so a shard, is the same whatever else ran before it.

Each frame stores (``FRAME_FIELDS``):

- the camera: size, intrinsics and extrinsics;
- the subject's exact app-skeleton joints in camera axes (OpenCV: x right, y down,
  z forward; metres) and their pixels;
- the detector's 33 landmarks, visibility, world landmarks, box and score, or "not found";
- the subject's visible box.

Each item stores its parameters as JSON (``params``): body, appearance, motion, camera,
background, light, floor, effects, second person, occluder, seed.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mocap_app.core.skeleton import NUM_JOINTS

from .cameras import sample_camera

GENERATOR_VERSION = 2   # 2: floor textures without anisotropic filtering; bump when anything in render/ changes what a seed renders
FPS = 30.0
SEQUENCE_FRAMES = (30, 120)     # 1-4 s at 30 fps
STILL_P = 0.25                  # items that are one frame through the static-image mode
SECOND_PERSON_P = 0.15
OCCLUDER_P = 0.12
ON_SUBJECT_IOU = 0.3            # a detection counts as the subject above this box IoU

#: per-frame arrays of a shard: name -> (shape after N, dtype)
FRAME_FIELDS = {
    "item": ((), np.int32),                 # index of the item (sequence or still) in the shard
    "frame": ((), np.int16),                # frame within the item
    "static": ((), np.bool_),               # detector in static-image mode
    "time_s": ((), np.float32),
    "image_size": ((2,), np.int16),         # width, height
    "K": ((4,), np.float32),                # fx, fy, cx, cy (pixels)
    "R": ((3, 3), np.float32),              # world -> camera rotation
    "t": ((3,), np.float32),                # x_cam = R x_world + t (metres)
    "joints_cam": ((NUM_JOINTS, 3), np.float32),   # exact app joints, camera axes, metres
    "joints_px": ((NUM_JOINTS, 2), np.float32),    # their projection (pixels)
    "subject_box": ((4,), np.float32),      # x0, y0, x1, y1 of the subject's visible pixels
    "subject_pixels": ((), np.int32),       # how many pixels of the subject are visible
    "found": ((), np.bool_),                # the detector returned a person
    "on_subject": ((), np.bool_),           # ... and its box overlaps the subject's
    "box": ((4,), np.float32),              # the detector's whole-body box (NaN if none)
    "score": ((), np.float32),
    "landmarks_2d": ((33, 2), np.float32),  # BlazePose landmarks, pixels (NaN if none)
    "visibility": ((33,), np.float16),
    "world_landmarks": ((33, 3), np.float32),  # BlazePose's metres, camera axes, hip-centred
}


@dataclass(frozen=True)
class ShardSpec:
    index: int
    split: str          # "train" | "val" | "test": motions, bodies and backgrounds of that split
    seed: int
    items: int
    max_frames: int = SEQUENCE_FRAMES[1]   # longest sequence (shorter for quick checks)
    motions: str = "mocap"  # "mocap": the split's clips (mocap_data); "take-like": only
                            # their stretches like the Pose2Sim take (``motions.py``);
                            # "sample": the small sample clips of the shared data (tests,
                            # benchmarks)

    @property
    def name(self) -> str:
        return f"{self.split}_{self.index:05d}"


class World:
    """What a worker process loads once: the body model, the renderer, the detectors,
    the mocap clips and the backgrounds of each split."""

    def __init__(self):
        from mocap_app.detect import make_detector

        from .body import BodyModel
        from .renderer import Renderer
        self.body = BodyModel()
        self.renderer = Renderer()
        self.tracker = make_detector("blazepose", keep_heatmaps=False, num_threads=1)
        self.still = make_detector("blazepose", keep_heatmaps=False, num_threads=1,
                                   static_image_mode=True)
        self._clips: dict[str, list] = {}
        self._take_like: dict[str, object] = {}
        self._banks: dict[str, object] = {}
        self.seconds: dict[str, float] = {}     # time spent per stage (bench/bench_render.py)

    def clock(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - since
        return now

    def clips(self, split: str, motions: str = "mocap") -> list:
        key = f"{motions}:{split}"
        if key not in self._clips:
            from mocap_train.mocap_data import load_sample_clips, load_split
            clips = load_sample_clips() if motions == "sample" else load_split(split)
            self._clips[key] = [c for c in clips if len(c) >= 2]
        return self._clips[key]

    def pick_motion(self, rng: np.random.Generator, split: str, motions: str, frames: int):
        """(clip, start, frames) of an item: any stretch of the split's clips, weighted by
        length, or (``motions`` "take-like") a stretch like the Pose2Sim take's."""
        clips = self.clips(split, motions)
        if motions != "take-like":
            return _pick_motion(rng, clips, frames)
        if split not in self._take_like:
            from .motions import TakeLike
            self._take_like[split] = TakeLike(clips)
        return self._take_like[split].pick(rng, frames)

    def backgrounds(self, split: str):
        bank_split = "test" if split == "test" else "train"
        if bank_split not in self._banks:
            from .backgrounds import BackgroundBank
            self._banks[bank_split] = BackgroundBank(bank_split)
        return self._banks[bank_split]

    def close(self) -> None:
        self.tracker.close()
        self.still.close()


def _pick_motion(rng: np.random.Generator, clips: list, frames: int):
    """A clip (weighted by its length: every mocap frame is equally likely) and a start."""
    lengths = np.array([len(c) for c in clips], dtype=np.float64)
    clip = clips[rng.choice(len(clips), p=lengths / lengths.sum())]
    frames = min(frames, len(clip))
    start = int(rng.integers(0, len(clip) - frames + 1))
    return clip, start, frames


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    area = lambda r: max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def _mask_box(mask: np.ndarray) -> tuple[np.ndarray, int]:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return np.full(4, np.nan, np.float32), 0
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32), len(xs)


def _second_person(world: World, rng: np.random.Generator, clips: list, split: str,
                   frames: int, subject_path: np.ndarray):
    """Another body walking through the scene: its own motion, shape and clothes, put
    1-3 m from the subject (beside or behind), or None."""
    from .appearance import sample_appearance, vertex_colors
    from .body import sample_shape
    clip, start, n = _pick_motion(rng, clips, frames)
    shape = sample_shape(rng, held_out=split == "test")
    posed = world.body.pose(clip.joints[start:start + n], shape)
    verts = posed.vertices
    if n < frames:                          # hold its last pose
        verts = np.concatenate([verts, np.repeat(verts[-1:], frames - n, axis=0)])
    angle = rng.uniform(0, 2 * np.pi)
    dist = rng.uniform(1.0, 3.0)
    shift = subject_path.mean(axis=0) - posed.joints[:, 0].mean(axis=0)
    shift = np.array([shift[0] + dist * np.cos(angle), 0.0, shift[2] + dist * np.sin(angle)])
    look = sample_appearance(rng)
    info = {"clip": clip.name, "start": start, "frames": n, "shape": shape.as_dict(),
            "appearance": look.as_dict(), "offset_m": [round(float(v), 3) for v in shift]}
    return verts + shift.astype(np.float32), vertex_colors(world.body, look), info


def render_item(world: World, spec: ShardSpec, item: int
                ) -> tuple[dict, dict, np.ndarray]:
    """(per-frame arrays of one item, its parameters, its first image as the detector
    saw it)."""
    from .appearance import sample_appearance, vertex_colors
    from .body import sample_shape
    from .renderer import Mesh
    from .scene import (apply_sensor_effects, occluder_meshes, random_floor, random_light,
                        sample_sensor_effects)

    t0 = time.perf_counter()
    rng = np.random.default_rng([spec.seed, item])
    still = bool(rng.random() < STILL_P)
    frames = 1 if still else int(rng.integers(SEQUENCE_FRAMES[0], SEQUENCE_FRAMES[1] + 1))
    frames = min(frames, spec.max_frames)
    clips = world.clips(spec.split, spec.motions)
    clip, start, frames = world.pick_motion(rng, spec.split, spec.motions, frames)
    shape = sample_shape(rng, held_out=spec.split == "test")
    look = sample_appearance(rng)
    t0 = world.clock("setup", t0)
    posed = world.body.pose(clip.joints[start:start + frames], shape)
    colors = vertex_colors(world.body, look)
    t0 = world.clock("posing", t0)
    camera, draw = sample_camera(rng, posed.joints[:, 0], shape.stature_m)
    background, bg_info = world.backgrounds(spec.split).sample(rng, camera.width,
                                                               camera.height)
    light, floor = random_light(rng), random_floor(rng)
    others = []
    second = None
    if rng.random() < SECOND_PERSON_P:
        verts2, colors2, second = _second_person(world, rng, clips, spec.split, frames,
                                                 posed.joints[:, 0])
        others.append((verts2, colors2))
    occluder = None
    if rng.random() < OCCLUDER_P:
        occluder_list, occluder = occluder_meshes(rng, camera, posed.joints[:, 0].mean(axis=0))
    else:
        occluder_list = []
    t0 = world.clock("scene", t0)
    # the camera's look (colour, blur, compression) holds for the item; only the sensor
    # noise is drawn again for every frame
    effects = sample_sensor_effects(rng)
    noise_seed = int(rng.integers(2**31))
    noise_rng = np.random.default_rng(noise_seed)

    detector = world.still if still else world.tracker
    detector.reset()
    out = {k: np.empty((frames, *shape_), dtype) for k, (shape_, dtype) in FRAME_FIELDS.items()}
    K = np.array([camera.fx, camera.fy, camera.cx, camera.cy], np.float32)
    first_image = None
    for f in range(frames):
        meshes = [Mesh(posed.vertices[f], world.body.faces, colors)]
        meshes += [Mesh(v[f], world.body.faces, c) for v, c in others]
        meshes += list(occluder_list)
        result = world.renderer.render(camera, meshes, light=light, floor=floor,
                                       background=background)
        t0 = world.clock("render", t0)
        image = apply_sensor_effects(result.image, effects, noise_rng)
        t0 = world.clock("effects", t0)
        first_image = image if first_image is None else first_image
        t = f / FPS
        det = detector.detect(image, t)
        t0 = world.clock("detection", t0)
        sbox, spix = _mask_box(np.asarray(result.mask))
        row = out
        row["item"][f], row["frame"][f], row["static"][f], row["time_s"][f] = item, f, still, t
        row["image_size"][f] = (camera.width, camera.height)
        row["K"][f], row["R"][f], row["t"][f] = K, camera.R, camera.t
        row["joints_cam"][f] = camera.to_camera(posed.joints[f])
        row["joints_px"][f] = camera.project(posed.joints[f])
        row["subject_box"][f], row["subject_pixels"][f] = sbox, spix
        if det is None:
            row["found"][f] = row["on_subject"][f] = False
            for k in ("box", "landmarks_2d", "visibility", "world_landmarks"):
                row[k][f] = np.nan
            row["score"][f] = 0.0
        else:
            row["found"][f] = True
            row["on_subject"][f] = spix > 0 and _box_iou(det.box, sbox) > ON_SUBJECT_IOU
            row["box"][f], row["score"][f] = det.box, det.score
            row["landmarks_2d"][f] = det.landmarks_2d
            row["visibility"][f] = det.visibility
            row["world_landmarks"][f] = det.world_landmarks
        t0 = world.clock("records", t0)
    params = {"item": item, "seed": [spec.seed, item], "still": still,
              "motion": {"clip": clip.name, "source": clip.source, "group": clip.group,
                         "split": spec.split, "start": start, "frames": frames, "fps": FPS},
              "body": shape.as_dict(), "appearance": look.as_dict(),
              "camera": {**camera.as_dict(), **draw.as_dict()}, "background": bg_info,
              "light": _jsonable(light), "floor": _jsonable(floor),
              "effects": {**effects, "noise_seed": noise_seed},
              "second_person": second, "occluder": occluder}
    return out, params, first_image


def _jsonable(obj):
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _jsonable(getattr(obj, k)) for k in obj.__dataclass_fields__}
    if isinstance(obj, np.ndarray):
        return [round(float(v), 5) for v in obj.ravel()]
    if isinstance(obj, (np.floating, float)):
        return round(float(obj), 5)
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def content_digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 of a shard's arrays (names, dtypes, shapes, bytes, in name order): what
    "regenerates identically" means (the .npz zip itself stamps file times)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def generate_shard(world: World, spec: ShardSpec, out_dir: Path,
                   keep_images: int = 0) -> dict:
    """Render, detect and write one shard (``<split>_<index>.npz``, written under a
    temporary name and renamed when complete). The first image of the first
    ``keep_images`` items is kept as JPEG in ``examples/`` for inspection. Returns the
    shard's manifest entry."""
    parts, params = [], []
    for item in range(spec.items):
        arrays, p, image = render_item(world, spec, item)
        parts.append(arrays)
        params.append(json.dumps(p, sort_keys=True))
        if item < keep_images:
            import cv2
            (out_dir / "examples").mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out_dir / "examples" / f"{spec.name}_{item:03d}.jpg"), image)
    t0 = time.perf_counter()
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in FRAME_FIELDS}
    arrays["params"] = np.array(params)
    digest = content_digest(arrays)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{spec.name}.npz"
    tmp = out_dir / f".{spec.name}.part.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    world.clock("writing", t0)
    found = arrays["found"]
    return {"name": spec.name, **spec.__dict__, "frames": int(len(found)),
            "found": int(found.sum()), "on_subject": int(arrays["on_subject"].sum()),
            "sha256": digest, "bytes": path.stat().st_size,
            "generator_version": GENERATOR_VERSION}
