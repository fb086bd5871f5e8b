"""The lifter as the pipeline, GUI and refiner use it.

    lifter = Lifter.load()                       # models/lifter.pt, CUDA if present
    res = lifter.lift(keypoints_2d, visibility, (w, h))
    res.joints_3d   # (T, 25, 3) metres, app axes, pelvis at the origin
    res.heatmaps    # {"xy", "zy", "xz"}: (T, 25, H, W) probability maps

Axes: the network predicts in the camera's view turned into app axes
(``core.pose.camera_to_app``: image x right stays +X, image y down becomes +Y up, depth
away from the camera becomes -Z), so a person facing the camera faces +Z with the left
hand towards +X. Metric scale: the output cube is in units of the body scale
S = |neck - pelvis| + thigh + shin, and S = person_height x ``scale_per_height`` (measured
on the training mocap, stored in the checkpoint); default height 1.75 m.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mocap_app.core.paths import models_dir
from mocap_app.core.skeleton import MIRROR_PERMUTATION, NUM_JOINTS

from .checkpoint import load_checkpoint
from .fusion import FusionTable, fuse_limbs, fusion_path, limb_doubt
from .normalize import (DETECTOR_FEATURES, IMAGE_FEATURES, cube_to_metres,
                        normalize_keypoints)
from .tilt import check_tilt, levelled

DEFAULT_HEIGHT = 1.75
#: Frames with fewer usable keypoints than this give NaN joints (``valid`` False).
MIN_KEYPOINTS = 4
#: Frames ``Lifter.lift_joints`` lifts at once (a batch of twice that with flip averaging).
LIFT_CHUNK = 256
#: Default of ``Lifter.flip_average`` (see the model card for what it is worth).
FLIP_AVERAGE = True
_PERM = list(MIRROR_PERMUTATION)


def liftable(keypoints_2d: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """(...,) bool: the frames ``Lifter.lift`` gives joints for (``valid``): at least
    ``MIN_KEYPOINTS`` keypoints finite and with some visibility. The same at any tilt."""
    kp = np.asarray(keypoints_2d, dtype=np.float64)
    vis = np.asarray(visibility, dtype=np.float64)
    return (np.isfinite(kp).all(-1) & (np.nan_to_num(vis) > 0)).sum(-1) >= MIN_KEYPOINTS


def mirror_x(t):
    """Network inputs (B, J, 3, 5 or 9: x, y, visibility[, image x, image y[, detector
    x, y, z, given]]) or cube coordinates (B, J, 3) of the mirror image: every x -> -x,
    left and right joints swap names (torch or numpy)."""
    out = t[:, _PERM].clone() if isinstance(t, torch.Tensor) else t[:, _PERM].copy()
    out[..., 0] *= -1
    if out.shape[-1] >= IMAGE_FEATURES:
        out[..., 3] *= -1
    if out.shape[-1] >= DETECTOR_FEATURES:
        out[..., 5] *= -1
    return out


class FlipAveraged(torch.nn.Module):
    """A lifter or baseline whose coordinates are averaged with those of the mirror image
    mirrored back (what ``Lifter(flip_average=True)`` does), for evaluation."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def coords(inp):
            y = self.model(inp)
            return y.coords if hasattr(y, "coords") else y
        return 0.5 * (coords(x) + mirror_x(coords(mirror_x(x))))


def lifted_pose_stamp(path: str | Path) -> str:
    """What lifted poses made with the checkpoint at ``path`` depend on: the file (path and
    mtime), the input encoding (``normalize.INPUT_VERSION``), flip averaging and the limb
    fusion table beside it (its mtime). Caches of lifted poses key on it."""
    from .normalize import INPUT_VERSION  # noqa: PLC0415
    path = Path(path)
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    fusion = fusion_path(path)
    fused = fusion.stat().st_mtime_ns if fusion.exists() else 0
    return f"{path.resolve()}|{mtime}|in{INPUT_VERSION}|flip{FLIP_AVERAGE}|fusion{fused}"


@dataclass(frozen=True)
class LiftResult:
    joints_3d: np.ndarray      # (T, 25, 3) float64 metres, app axes, pelvis at the origin
    heatmaps: dict             # {"xy","zy","xz"}: (T, 25, H, W) float32 probability maps
    coords: np.ndarray         # (T, 25, 3) float32 decoded cube coordinates in [-1, 1]
                               # (the network's answer: joints_3d may also carry the
                               # limb fusion, ``fusion.py``)
    valid: np.ndarray          # (T,) bool: enough keypoints to lift


class Lifter:
    def __init__(self, model, meta: dict, device: torch.device,
                 person_height: float = DEFAULT_HEIGHT, flip_average: bool = FLIP_AVERAGE,
                 fusion: FusionTable | None = None, tilt_deg: float = 0.0):
        self.model = model.eval()
        self.meta = meta
        self.device = device
        self.person_height = float(person_height)
        self.scale_per_height = float(meta.get("scale_per_height", 0.79))
        #: Also lift the mirrored keypoints, mirror that answer back and average the two
        #: (heatmaps too): twice the cost, a little more accurate and more symmetric.
        self.flip_average = bool(flip_average)
        #: With flip averaging and the detector's 3D given: each limb turned towards the
        #: detector's bone directions as far as the two passes disagree on it
        #: (``fusion.py``); None: the lifter's pose as it is.
        self.fusion = fusion
        #: How far the world's vertical leans in the picture, degrees, clockwise positive
        #: (a camera rolled about its optical axis; ``check_tilt``): the picture is lifted
        #: levelled and the answer turned back, because the lifter learned from level
        #: cameras (models/LIFTER_CARD.md, "Camera roll").
        self.tilt_deg = tilt_deg

    @property
    def tilt_deg(self) -> float:
        return self._tilt_deg

    @tilt_deg.setter
    def tilt_deg(self, value: float) -> None:
        self._tilt_deg = check_tilt(value)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | None = None,
             person_height: float = DEFAULT_HEIGHT, cpu_threads: int | None = 1,
             flip_average: bool = FLIP_AVERAGE, fusion: bool = True,
             tilt_deg: float = 0.0) -> "Lifter":
        """``cpu_threads``: torch's intra-op threads (process-wide). One by default: the
        detector runs beside it on a 2-core machine, and two torch threads there collapse
        under load. None leaves torch's setting alone. ``fusion``: read the checkpoint's
        limb-fusion table (``fusion_path``) when there is one. ``tilt_deg``: the picture's
        tilt (``Lifter.tilt_deg``)."""
        check_tilt(tilt_deg)
        dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if cpu_threads is not None and dev.type == "cpu":
            torch.set_num_threads(cpu_threads)
        path = Path(path or models_dir() / "lifter.pt")
        model, meta = load_checkpoint(path, kind="margipose", device=dev)
        from .margipose import MargiPose, fused_for_inference  # noqa: PLC0415
        if isinstance(model, MargiPose):
            model = fused_for_inference(model)
        table = None
        if fusion and fusion_path(path).exists():
            table = FusionTable.load(fusion_path(path))
        return cls(model, meta, dev, person_height, flip_average, table, tilt_deg)

    @property
    def in_features(self) -> int:
        """Per-joint input features the network takes (3, 5 or 9: ``normalize``)."""
        return int(self.model.config.in_features)

    @property
    def uses_detector_3d(self) -> bool:
        return self.in_features >= DETECTOR_FEATURES

    @property
    def body_scale(self) -> float:
        """S in metres for the current person height."""
        return self.person_height * self.scale_per_height

    @torch.inference_mode()
    def lift(self, keypoints_2d: np.ndarray, visibility: np.ndarray,
             image_size: tuple[int, int], person_height: float | None = None,
             world: np.ndarray | None = None) -> LiftResult:
        """keypoints_2d (T, 25, 2) pixels, visibility (T, 25) in 0..1 (also (25, 2)/(25,)
        for one frame). The input is framed by the keypoints themselves, so any detector
        box works; ``image_size`` (w, h) places them in the picture (networks with
        ``in_features`` 5 use that, older ones ignore it). ``world``: the detector's own 3D
        (T, 25, 3) metres in app axes (``Detection.app_world_joints``; NaN rows: not
        given), which networks with ``in_features`` 9 take as evidence (older ones ignore
        it; without it they lift from the 2D alone)."""
        x, valid, world, back = self._inputs(keypoints_2d, visibility, image_size, world)
        if self.flip_average:
            # one forward over the frames and their mirror images (B = 2T): half the
            # per-call cost of two passes; batch norm in eval mode is per sample, so the
            # answer is the same
            both_c, both_m = self._run(torch.cat([x, mirror_x(x)]))
            t = x.shape[0]
            coords, cm = both_c[:t], both_c[t:]
            maps = {p: m[:t] for p, m in both_m.items()}
            mm = {p: m[t:] for p, m in both_m.items()}
            passes = (coords, mirror_x(cm))
            coords = 0.5 * (coords + mirror_x(cm))
            # x is the column axis of the xy and xz planes; zy has no x
            maps = {p: 0.5 * (maps[p] + (mm[p][:, _PERM, :, ::-1] if p != "zy"
                                         else mm[p][:, _PERM]))
                    for p in maps}
        else:
            coords, maps = self._run(x)
        scale = (person_height or self.person_height) * self.scale_per_height
        joints = cube_to_metres(coords, scale)
        if self.fusion is not None and self.flip_average and world is not None:
            # the two passes' disagreement per limb, pelvis-relative, in body-scale units
            doubt = limb_doubt(*(cube_to_metres(c, 1.0) for c in passes), 1.0)
            joints = fuse_limbs(joints, world, {k: self.fusion(d) for k, d in doubt.items()})
        if back is not None:    # the answer turned back into the camera's own axes
            joints = joints @ back.T
            coords = (coords @ back.T).astype(coords.dtype)
        joints[~valid] = np.nan
        return LiftResult(joints, maps, coords, valid)

    def lift_joints(self, keypoints_2d: np.ndarray, visibility: np.ndarray,
                    image_size: tuple[int, int], world: np.ndarray | None = None,
                    chunk: int = LIFT_CHUNK) -> tuple[np.ndarray, np.ndarray]:
        """((T, 25, 3) joints, (T,) valid) of ``lift`` for many frames, lifted ``chunk``
        frames at a time and keeping only the joints: a lift returns every frame's
        heatmaps (about 170 KB a frame), so a whole long take at once would take
        gigabytes; this stays within a few hundred MB at any length. The same answers."""
        kp, vis = np.asarray(keypoints_2d), np.asarray(visibility)
        world = None if world is None else np.asarray(world)
        step = max(1, int(chunk))
        joints = np.full((len(kp), NUM_JOINTS, 3), np.nan)
        valid = np.zeros(len(kp), bool)
        for s in range(0, len(kp), step):
            part = slice(s, s + step)
            res = self.lift(kp[part], vis[part], image_size,
                            world=None if world is None else world[part])
            joints[part], valid[part] = res.joints_3d, res.valid
        return joints, valid

    @torch.inference_mode()
    def flip_disagreement(self, keypoints_2d: np.ndarray, visibility: np.ndarray,
                          image_size: tuple[int, int],
                          world: np.ndarray | None = None) -> np.ndarray:
        """(T,) how far apart the two flip passes land, per frame: the picture's answer
        and its mirror image's (mirrored back), pelvis-relative, the mean distance over
        the joints in the normalised cube (body-scale units); NaN where a frame cannot be
        lifted. At the current ``tilt_deg``, whatever ``flip_average`` says. The lifter is
        surest of itself where the two agree: on pictures like those it learned from
        (``tilt.estimate_tilt`` levels a take by it)."""
        x, valid, _, _ = self._inputs(keypoints_2d, visibility, image_size, world)
        both, _ = self._run(torch.cat([x, mirror_x(x)]))
        t = x.shape[0]
        one, other = both[:t], mirror_x(both[t:])
        gap = np.linalg.norm((one - one[:, :1]) - (other - other[:, :1]), axis=-1).mean(-1)
        return np.where(valid, gap.astype(np.float64), np.nan)

    def _inputs(self, keypoints_2d, visibility, image_size, world):
        """(network input, (T,) frames with enough keypoints, the detector's 3D as given to
        it, the (3, 3) turn back from the levelled picture or None) for ``lift``."""
        kp = np.asarray(keypoints_2d, dtype=np.float64)
        vis = np.asarray(visibility, dtype=np.float64)
        if kp.ndim == 2:
            kp, vis = kp[None], vis[None]
        back = None
        if self.tilt_deg:
            kp, world, back = levelled(kp, world, image_size, self.tilt_deg)
        if kp.shape[1:] != (NUM_JOINTS, 2) or vis.shape != kp.shape[:2]:
            raise ValueError(f"expected (T, {NUM_JOINTS}, 2) keypoints and (T, {NUM_JOINTS}) "
                             f"visibility, got {kp.shape} and {vis.shape}")
        w, h = image_size
        if w <= 0 or h <= 0:
            raise ValueError(f"bad image size {image_size}")
        valid = liftable(kp, vis)
        if world is not None:
            world = np.asarray(world, dtype=np.float64).reshape(kp.shape[0], NUM_JOINTS, 3)
        x = torch.from_numpy(normalize_keypoints(
            kp, vis, (w, h), world, detector_3d=self.in_features >= DETECTOR_FEATURES)
        ).to(self.device)
        return x, valid, world, back

    def _run(self, x: torch.Tensor) -> tuple[np.ndarray, dict]:
        out = self.model(x)
        return (out.coords.float().cpu().numpy(),
                {p: getattr(out, p).float().cpu().numpy() for p in ("xy", "zy", "xz")})
