"""Backgrounds of the rendered set: real crops away from people, and procedural images.

Backgrounds (``BackgroundBank``) are real or procedural:

- Real: crops of frames of the shared videos (``<shared data>/video``) and of the LSP
  photos (``<shared data>/images/lsp``), taken away from their people. Keep-out boxes:
  on LSP the annotated person (its 14 joints' box, grown by ``LSP_MARGIN`` of its long
  side on each side) plus everyone our BlazePose person detector finds; on the videos
  everyone the detector finds in each sampled frame (whole frame plus tiles, unverified
  so that doubtful finds are kept out too; each body circle grown by
  ``DETECTOR_MARGIN``). A crop never overlaps a keep-out box. The detector runs once per
  sampled frame, lazily, the first time a source is drawn; the boxes and the sampled
  video frames are cached under ``cache_dir()/render_backgrounds/``.
- Procedural (``procedural_background``): gradients, smooth noise, tiled walls seen at
  an angle, wall-and-floor rooms, random shapes; each rebuilt exactly from (recipe, seed).

Held-out backgrounds, split by source file (``split_of``), never by frame:

- videos, by scene: ``TEST_GROUPS`` (the four Pose2Sim views as one scene, the ST-GCN
  clean-and-jerk clip, the MMAction2 basketball clip) are "test" only; every other video
  is "train". Pose2Sim is held out because it is also the real-footage evaluation take.
- LSP photos: "test" when sha1(file key) % 5 == 0 (40 of the 200), else "train".
- procedural: test draws only odd seeds, train only even ones (same recipes, never the
  same image).
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mocap_app.core.paths import cache_dir, shared_data_dir


SPLITS = ("train", "test")
TEST_GROUPS = ("video/pose2sim", "video/stgcn_clean_and_jerk.mp4",
               "video/multi/mmaction2_basketball.mp4")
MULTIVIEW_FOLDERS = ("video/pose2sim",)   # one scene seen by several cameras: one group
PHOTO_TEST_MODULUS = 5                    # sha1(key) % 5 == 0 -> test
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
FRAMES_PER_VIDEO = 12                     # frames sampled (evenly) from each video
LSP_MARGIN = 0.2                          # of the joint box's long side (hands, feet, hair)
DETECTOR_MARGIN = 0.1                     # of the body circle's radius
MAX_UPSCALE = 4.0                         # a crop is at least 1/4 of the output height ...
MIN_CROP_PX = 64                          # ... and at least this many pixels high
ANALYSIS_VERSION = 1                      # bump when keep-out boxes are computed otherwise
PROCEDURAL_RECIPES = ("gradient", "noise", "tiles", "room", "shapes")


# ------------------------------------------------------------------ sources and split


@dataclass(frozen=True)
class BackgroundSource:
    key: str        # path under the shared data folder, e.g. "video/pose2sim/cam01.mp4"
    kind: str       # "video" | "photo"
    group: str      # the unit of the split: a scene (one file, or a multi-view folder)
    path: Path


def _group(key: str) -> str:
    folder = key.rsplit("/", 1)[0]
    return folder if folder in MULTIVIEW_FOLDERS else key


def split_of(source: BackgroundSource) -> str:
    """"train" or "test": fixed by the source's file (its scene for videos)."""
    if source.kind == "video":
        return "test" if source.group in TEST_GROUPS else "train"
    digest = int(hashlib.sha1(source.key.encode()).hexdigest(), 16)
    return "test" if digest % PHOTO_TEST_MODULUS == 0 else "train"


def discover_sources(data_dir: Path | None = None) -> list[BackgroundSource]:
    """Every usable source file under the shared data folder, sorted by key."""
    root = Path(data_dir) if data_dir is not None else shared_data_dir()
    found = []
    video_dir = root / "video"
    if video_dir.is_dir():
        for p in sorted(video_dir.rglob("*")):
            if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
                key = p.relative_to(root).as_posix()
                found.append(BackgroundSource(key, "video", _group(key), p))
    lsp = root / "images" / "lsp"
    if (lsp / "joints.npz").is_file():
        for p in sorted((lsp / "images").glob("*.jpg")):
            key = p.relative_to(root).as_posix()
            found.append(BackgroundSource(key, "photo", key, p))
    return found


# --------------------------------------------------------------- keep-out boxes (cached)


def _lsp_person_boxes(data_dir: Path) -> dict[str, np.ndarray]:
    """LSP file name -> (4,) x0, y0, x1, y1 of its 14 annotated joints (all of them,
    whatever the visibility flag says: a box too big only costs crops)."""
    d = np.load(data_dir / "images" / "lsp" / "joints.npz")
    joints = d["joints"]                                      # (14, 3, N): x, y, flag
    out = {}
    for i, name in enumerate(d["names"]):
        xy = joints[:, :2, i]                                 # (14, 2)
        out[str(name)] = np.array([*xy.min(axis=0), *xy.max(axis=0)])
    return out


def _grow(box, margin: float, w: int, h: int) -> list[float]:
    x0, y0, x1, y1 = box
    m = margin * max(x1 - x0, y1 - y0)
    return [max(0.0, x0 - m), max(0.0, y0 - m), min(float(w), x1 + m), min(float(h), y1 + m)]


def _video_frames(path: Path, count: int) -> list[tuple[int, np.ndarray]]:
    """``count`` frames spread evenly over the video (decoded in order, no seeking)."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise OSError(f"cannot open video {path}")
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = sorted({int((i + 0.5) * total / count) for i in range(count)}) if total > 0 else []
    out, index = [], 0
    try:
        while wanted and index <= wanted[-1]:
            if not cap.grab():
                break
            if index in wanted:
                ok, frame = cap.retrieve()
                if ok:
                    out.append((index, frame))
            index += 1
    finally:
        cap.release()
    if not out:
        raise OSError(f"no frames decoded from {path}")
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


PeopleFinder = Callable[[np.ndarray], list]   # BGR image -> list of (4,) x0, y0, x1, y1


def blazepose_people_finder() -> PeopleFinder:
    """Everyone our BlazePose person detector finds (whole frame plus tiles, no landmark
    check), as body-circle boxes."""
    from mocap_app.detect import make_detector  # noqa: PLC0415
    det = make_detector("blazepose", static_image_mode=True, keep_heatmaps=False)

    def find(image: np.ndarray) -> list:
        return [c.body_box for c in det.detect_people(image, tiles=True, verify=False)]
    return find


# ------------------------------------------------------------------------- the bank


class BackgroundBank:
    """Backgrounds of one split (see the module docstring).

    split:        "train" or "test"
    size_hint:    (width, height) of the renders: sampled video frames are cached with
                  their long side at most max(1280, 2 x the hint's long side)
    p_real:       share of real crops (the rest are procedural); 0: procedural only
    kind_weights: how often a real crop comes from a video or a photo
    people_finder: keep-out boxes for people (default: our BlazePose detector), and
    finder_name: its name in the cache stamp (another finder's boxes are not reused)
    """

    def __init__(self, split: str, size_hint: tuple[int, int] = (640, 480),
                 p_real: float = 0.7, kind_weights: dict | None = None,
                 data_dir: Path | None = None, cache: Path | None = None,
                 people_finder: PeopleFinder | None = None, finder_name: str = "blazepose",
                 frames_per_video: int = FRAMES_PER_VIDEO):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.split = split
        self.size_hint = (int(size_hint[0]), int(size_hint[1]))
        self.p_real = float(p_real)
        self.kind_weights = dict(kind_weights or {"video": 0.6, "photo": 0.4})
        self.data_dir = Path(data_dir) if data_dir is not None else shared_data_dir()
        self.cache = Path(cache) if cache is not None else cache_dir() / "render_backgrounds"
        self.frames_per_video = frames_per_video
        self.store_max_side = max(1280, 2 * max(self.size_hint))
        self._finder = people_finder
        self.finder_name = finder_name if people_finder is not None else "blazepose"
        self._lsp_boxes: dict[str, np.ndarray] | None = None
        self._analysis: dict[str, list[dict]] = {}
        self._images: OrderedDict[str, np.ndarray] = OrderedDict()
        self.sources = [s for s in discover_sources(self.data_dir) if split_of(s) == split]
        self.by_kind = {k: [s for s in self.sources if s.kind == k] for k in ("video", "photo")}
        if self.p_real > 0 and not self.sources:
            raise FileNotFoundError(
                f"no background sources for split {split!r} under {self.data_dir} "
                "(the shared videos and LSP photos); use p_real=0 for procedural only")

    # -- keep-out analysis --------------------------------------------------------------
    def _finder_fn(self) -> PeopleFinder:
        if self._finder is None:
            self._finder = blazepose_people_finder()
        return self._finder

    def _index_path(self, source: BackgroundSource) -> Path:
        safe = source.key.replace("/", "__")
        return self.cache / f"v{ANALYSIS_VERSION}" / "index" / f"{safe}.json"

    def analysis(self, source: BackgroundSource) -> list[dict]:
        """The source's sampled frames with their keep-out boxes (computed once, cached).
        Each: frame (index or None), size [w, h], keep_out [[x0, y0, x1, y1], ...] in the
        source's pixels, annotated / detected boxes, stored (cached image) and scale."""
        if source.key in self._analysis:
            return self._analysis[source.key]
        path = self._index_path(source)
        stamp = {"version": ANALYSIS_VERSION, "key": source.key, "finder": self.finder_name,
                 "bytes": source.path.stat().st_size, "frames_per_video": self.frames_per_video,
                 "store_max_side": self.store_max_side}
        if path.is_file():
            try:
                saved = json.loads(path.read_text())
                if saved.get("stamp") == stamp:
                    self._analysis[source.key] = saved["frames"]
                    return saved["frames"]
            except (OSError, ValueError, KeyError):
                pass
        frames = self._analyse(source)
        _atomic_write(path, json.dumps({"stamp": stamp, "frames": frames}).encode())
        self._analysis[source.key] = frames
        return frames

    def _analyse(self, source: BackgroundSource) -> list[dict]:
        find = self._finder_fn()
        out = []
        if source.kind == "photo":
            if self._lsp_boxes is None:
                self._lsp_boxes = _lsp_person_boxes(self.data_dir)
            img = cv2.imread(str(source.path))
            if img is None:
                raise OSError(f"cannot read {source.path}")
            h, w = img.shape[:2]
            annotated = self._lsp_boxes[source.path.name]
            detected = [list(map(float, b)) for b in find(img)]
            keep = [_grow(annotated, LSP_MARGIN, w, h)]
            keep += [_grow(b, DETECTOR_MARGIN / 2, w, h) for b in detected]  # radius = side/2
            out.append({"frame": None, "size": [w, h], "keep_out": keep,
                        "annotated": [float(v) for v in annotated], "detected": detected,
                        "stored": None, "scale": 1.0})
            return out
        safe = source.key.replace("/", "__")
        for index, img in _video_frames(source.path, self.frames_per_video):
            h, w = img.shape[:2]
            detected = [list(map(float, b)) for b in find(img)]
            keep = [_grow(b, DETECTOR_MARGIN / 2, w, h) for b in detected]
            scale = min(1.0, self.store_max_side / max(w, h))
            small = img if scale == 1.0 else cv2.resize(
                img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            name = f"{safe}__{index:06d}.jpg"
            ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 95])
            if not ok:
                raise OSError(f"cannot encode a frame of {source.path}")
            _atomic_write(self.cache / f"v{ANALYSIS_VERSION}" / "frames" / name, buf.tobytes())
            out.append({"frame": index, "size": [w, h], "keep_out": keep, "annotated": [],
                        "detected": detected, "stored": name, "scale": scale})
        return out

    def _image(self, source: BackgroundSource, entry: dict) -> np.ndarray:
        key = entry["stored"] or source.key
        if key in self._images:
            self._images.move_to_end(key)
            return self._images[key]
        path = (self.cache / f"v{ANALYSIS_VERSION}" / "frames" / entry["stored"]
                if entry["stored"] else source.path)
        img = cv2.imread(str(path))
        if img is None:
            raise OSError(f"cannot read {path}")
        self._images[key] = img
        while len(self._images) > 24:
            self._images.popitem(last=False)
        return img

    # -- drawing ------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, width: int, height: int
               ) -> tuple[np.ndarray, dict]:
        """A (height, width, 3) uint8 BGR background and what it is (JSON-ready): a real
        crop (source, frame, crop box in the source's pixels, flip) or a procedural one
        (recipe, seed)."""
        if self.sources and rng.random() < self.p_real:
            for _ in range(12):
                got = self._sample_real(rng, width, height)
                if got is not None:
                    return got
            reason = "no crop away from people found in 12 draws"
        else:
            reason = None
        seed = 2 * int(rng.integers(2**30)) + (1 if self.split == "test" else 0)
        recipe = PROCEDURAL_RECIPES[int(rng.integers(len(PROCEDURAL_RECIPES)))]
        info = {"kind": "procedural", "split": self.split, "recipe": recipe, "seed": seed}
        if reason:
            info["fallback"] = reason
        return procedural_background(recipe, seed, width, height), info

    def _sample_real(self, rng, width: int, height: int):
        kinds = [k for k in ("video", "photo") if self.by_kind[k] and self.kind_weights.get(k)]
        if not kinds:
            return None
        p = np.array([self.kind_weights[k] for k in kinds], dtype=np.float64)
        kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
        source = self.by_kind[kind][int(rng.integers(len(self.by_kind[kind])))]
        frames = self.analysis(source)
        entry = frames[int(rng.integers(len(frames)))]
        fw, fh = entry["size"]
        aspect = width / height
        min_h = max(MIN_CROP_PX, height / MAX_UPSCALE)
        # no memo of frames without a crop: skipping the search would skip its draws from
        # rng, and the same seed must give the same scene whatever ran before
        crop = sample_crop(rng, fw, fh, entry["keep_out"], aspect, min_h)
        if crop is None:
            return None
        x0, y0, x1, y1 = crop
        img = self._image(source, entry)
        s = entry["scale"]
        sx0, sy0 = int(round(x0 * s)), int(round(y0 * s))
        sx1 = min(img.shape[1], max(sx0 + 1, int(round(x1 * s))))
        sy1 = min(img.shape[0], max(sy0 + 1, int(round(y1 * s))))
        patch = img[sy0:sy1, sx0:sx1]
        shrink = patch.shape[0] > height
        out = cv2.resize(patch, (width, height),
                         interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        flip = bool(rng.random() < 0.5)
        if flip:
            out = out[:, ::-1]
        info = {"kind": "crop", "split": self.split, "source": source.key,
                "source_kind": source.kind, "frame": entry["frame"],
                "crop_box": [int(v) for v in crop], "flip": flip,
                "keep_out": [[round(v, 1) for v in b] for b in entry["keep_out"]]}
        return np.ascontiguousarray(out), info


def _free(x0: float, y0: float, x1: float, y1: float, boxes) -> bool:
    return all(not (x0 < b[2] and x1 > b[0] and y0 < b[3] and y1 > b[1]) for b in boxes)


def sample_crop(rng: np.random.Generator, fw: int, fh: int, keep_out, aspect: float,
                min_h: float) -> tuple[int, int, int, int] | None:
    """An integer crop (x0, y0, x1, y1) of a fw x fh frame with width/height ~ ``aspect``,
    at least ``min_h`` high, overlapping no keep-out box; None when there is none.

    Size log-uniform, place uniform; when random places all fail, the candidates are the
    corners where some free place must sit if any does (slide a free crop left and up
    until it meets the frame or a box: x in {0} + box right edges, y in {0} + bottoms)."""
    boxes = [tuple(b) for b in keep_out]
    max_h = min(float(fh), fw / aspect)
    if max_h < min_h:
        return None
    lo, hi = np.log(min_h), np.log(max_h)
    for attempt in range(4):
        ch = int(np.floor(np.exp(rng.uniform(lo, hi)))) if attempt < 3 else int(np.ceil(min_h))
        cw = int(round(ch * aspect))
        if ch > fh or cw > fw or ch < 1 or cw < 1:
            continue
        for _ in range(16):
            x0 = int(rng.integers(0, fw - cw + 1))
            y0 = int(rng.integers(0, fh - ch + 1))
            if _free(x0, y0, x0 + cw, y0 + ch, boxes):
                return x0, y0, x0 + cw, y0 + ch
        xs = sorted({0, *(int(np.ceil(b[2])) for b in boxes)})
        ys = sorted({0, *(int(np.ceil(b[3])) for b in boxes)})
        corners = [(x, y) for x in xs for y in ys
                   if x + cw <= fw and y + ch <= fh and _free(x, y, x + cw, y + ch, boxes)]
        if corners:
            x0, y0 = corners[int(rng.integers(len(corners)))]
            return x0, y0, x0 + cw, y0 + ch
        hi = np.log(max(min_h, ch))                   # try smaller
    return None


# ------------------------------------------------------------------ procedural images


def random_color(rng, lo: float = 0.05, hi: float = 0.95) -> np.ndarray:
    """A random BGR colour 0..255 (HSV drawn so greys and muted tones are common)."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(0, 1) ** 1.5 * 255,
                      rng.uniform(lo, hi) * 255]]], dtype=np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def smooth_noise(rng, h: int, w: int, octaves: int = 4, base: int = 4) -> np.ndarray:
    """(h, w) float32 noise in 0..1: random grids upsampled and summed (value noise)."""
    acc = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2 ** o
        grid = rng.random((max(2, cells * h // max(h, w)) + 1, cells + 1)).astype(np.float32)
        acc += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= 0.5
    acc /= total
    return np.clip((acc - acc.min()) / max(1e-6, float(np.ptp(acc))), 0, 1)


def tile_pattern(rng, h: int, w: int) -> np.ndarray:
    """(h, w, 3) float32 BGR tiles, bricks, planks or a checkerboard."""
    style = ("checker", "tiles", "bricks", "planks")[int(rng.integers(4))]
    a, b = random_color(rng), random_color(rng)
    grout = random_color(rng, 0.2, 0.9)
    cell = int(rng.integers(16, 96))
    ys, xs = np.mgrid[:h, :w]
    img = np.empty((h, w, 3), np.float32)
    if style == "checker":
        m = ((xs // cell + ys // cell) % 2).astype(bool)
        img[:] = a
        img[m] = b
    elif style in ("tiles", "bricks"):
        ch = cell if style == "tiles" else cell // 2 + 4
        shift = (ys // ch % 2) * (cell // 2) if style == "bricks" else 0
        u, v = (xs + shift) % cell, ys % ch
        img[:] = a
        jitter = rng.normal(0, 10, (h // ch + 2, w // cell + 3, 1)).astype(np.float32)
        img += jitter[ys // ch, (xs + shift) // cell]
        line = max(1, cell // 14)
        img[(u < line) | (v < line)] = grout
    else:
        board = cell // 2 + 6
        img[:] = a
        tone = rng.normal(0, 14, (h // board + 2, 1)).astype(np.float32)
        img += tone[ys // board]                                     # (h, w, 1)
        grain = smooth_noise(rng, h, w, 3, 16)[..., None]
        img *= 0.85 + 0.3 * grain
        img[ys % board < 2] = grout * 0.6
    img += rng.normal(0, 4, (h, w, 1)).astype(np.float32)
    return img


def _warp(rng, img: np.ndarray, w: int, h: int, strength: float = 0.25) -> np.ndarray:
    """The pattern seen at an angle (a random homography)."""
    ph, pw = img.shape[:2]
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    d = strength * np.array([w, h], np.float32)
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]]) + rng.uniform(-1, 1, (4, 2)) * d
    H = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    return cv2.warpPerspective(img, H, (w, h), borderMode=cv2.BORDER_REFLECT)


def procedural_background(recipe: str, seed: int, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8 BGR, a pure function of (recipe, seed, size)."""
    rng = np.random.default_rng(seed)
    w, h = width, height
    if recipe == "gradient":
        c0, c1 = random_color(rng), random_color(rng)
        ang = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[:h, :w].astype(np.float32)
        t = (xs * np.cos(ang) + ys * np.sin(ang))
        t = (t - t.min()) / max(1e-6, float(np.ptp(t)))
        img = c0 * (1 - t[..., None]) + c1 * t[..., None]
        img *= (0.9 + 0.2 * smooth_noise(rng, h, w, 2, 2))[..., None]
    elif recipe == "noise":
        n = smooth_noise(rng, h, w, int(rng.integers(3, 7)), int(rng.integers(2, 8)))
        cols = np.stack([random_color(rng) for _ in range(3)])
        img = np.stack([np.interp(n, [0, 0.5, 1], cols[:, c]) for c in range(3)], axis=-1)
    elif recipe == "tiles":
        img = _warp(rng, tile_pattern(rng, h, w), w, h)
        img *= (0.75 + 0.5 * smooth_noise(rng, h, w, 2, 2))[..., None]
    elif recipe == "room":
        img = _room(rng, w, h)
    elif recipe == "shapes":
        img = _shapes(rng, w, h)
    else:
        raise ValueError(f"unknown background recipe {recipe!r}; use {PROCEDURAL_RECIPES}")
    img = img + rng.normal(0, 2.0, img.shape[:2] + (1,)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _room(rng, w: int, h: int) -> np.ndarray:
    """A wall (plain, noisy or tiled, with a door or window or two) meeting a floor in
    perspective at a random horizon, a skirting board along the join."""
    horizon = int(h * rng.uniform(0.35, 0.8))
    wall = np.empty((h, w, 3), np.float32)
    wall[:] = random_color(rng, 0.35, 0.95)
    if rng.random() < 0.3:
        wall = tile_pattern(rng, h, w)
    wall *= (0.8 + 0.35 * smooth_noise(rng, h, w, 3, 3))[..., None]
    if rng.random() < 0.5:                       # a second wall from a corner
        cx = int(rng.uniform(0.1, 0.9) * w)
        side = slice(0, cx) if rng.random() < 0.5 else slice(cx, w)
        wall[:, side] *= rng.uniform(0.6, 0.9)
    for _ in range(int(rng.integers(0, 3))):     # doors, windows, pictures
        x0, x1 = sorted(rng.integers(0, w, 2))
        y0 = int(rng.uniform(0.05, 0.6) * horizon)
        y1 = horizon if rng.random() < 0.4 else int(rng.uniform(y0 + 5, horizon))
        cv2.rectangle(wall, (int(x0), y0), (int(x1), y1), random_color(rng).tolist(), -1)
    floor_tex = tile_pattern(rng, h, w) if rng.random() < 0.7 else (
        random_color(rng, 0.2, 0.8) * (0.8 + 0.4 * smooth_noise(rng, h, w, 4, 6))[..., None])
    fh = h - horizon
    img = wall
    if fh > 2:
        spread = rng.uniform(0.2, 1.5) * w
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = np.float32([[0, 0], [w, 0], [w + spread, fh * 3], [-spread, fh * 3]])
        H = cv2.getPerspectiveTransform(src, dst)
        floor = cv2.warpPerspective(floor_tex, H, (w, fh), borderMode=cv2.BORDER_REFLECT)
        floor *= np.linspace(0.75, 1.05, fh, dtype=np.float32)[:, None, None]
        img[horizon:] = floor
        board = max(2, int(h * rng.uniform(0.005, 0.02)))
        img[max(0, horizon - board):horizon] = random_color(rng, 0.1, 0.9)
    return img


def _shapes(rng, w: int, h: int) -> np.ndarray:
    img = np.empty((h, w, 3), np.float32)
    img[:] = random_color(rng)
    for _ in range(int(rng.integers(8, 40))):
        c = random_color(rng).tolist()
        kind = int(rng.integers(4))
        p = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        size = int(rng.uniform(0.02, 0.3) * max(w, h))
        if kind == 0:
            cv2.rectangle(img, p, (p[0] + size, p[1] + int(size * rng.uniform(0.3, 2))), c, -1)
        elif kind == 1:
            cv2.circle(img, p, size // 2, c, -1, lineType=cv2.LINE_AA)
        elif kind == 2:
            cv2.line(img, p, (int(rng.integers(0, w)), int(rng.integers(0, h))), c,
                     int(rng.integers(1, 12)), lineType=cv2.LINE_AA)
        else:
            poly = (np.array(p) + rng.normal(0, size / 2, (int(rng.integers(3, 7)), 2)))
            cv2.fillPoly(img, [poly.astype(np.int32)], c, lineType=cv2.LINE_AA)
    return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 2.0))
