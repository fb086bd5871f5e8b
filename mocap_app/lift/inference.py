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
from mocap_app.core.skeleton import NUM_JOINTS

from .checkpoint import load_checkpoint
from .normalize import cube_to_metres, normalize_keypoints

DEFAULT_HEIGHT = 1.75
#: Frames with fewer usable keypoints than this give NaN joints (``valid`` False).
MIN_KEYPOINTS = 4


@dataclass(frozen=True)
class LiftResult:
    joints_3d: np.ndarray      # (T, 25, 3) float64 metres, app axes, pelvis at the origin
    heatmaps: dict             # {"xy","zy","xz"}: (T, 25, H, W) float32 probability maps
    coords: np.ndarray         # (T, 25, 3) float32 decoded cube coordinates in [-1, 1]
    valid: np.ndarray          # (T,) bool: enough keypoints to lift


class Lifter:
    def __init__(self, model, meta: dict, device: torch.device,
                 person_height: float = DEFAULT_HEIGHT):
        self.model = model.eval()
        self.meta = meta
        self.device = device
        self.person_height = float(person_height)
        self.scale_per_height = float(meta.get("scale_per_height", 0.79))

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | None = None,
             person_height: float = DEFAULT_HEIGHT, cpu_threads: int | None = 1) -> "Lifter":
        """``cpu_threads``: torch's intra-op threads (process-wide). One by default: the
        detector runs beside it on a 2-core machine, and two torch threads there collapse
        under load. None leaves torch's setting alone."""
        dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if cpu_threads is not None and dev.type == "cpu":
            torch.set_num_threads(cpu_threads)
        model, meta = load_checkpoint(path or models_dir() / "lifter.pt", kind="margipose",
                                      device=dev)
        return cls(model, meta, dev, person_height)

    @property
    def body_scale(self) -> float:
        """S in metres for the current person height."""
        return self.person_height * self.scale_per_height

    @torch.no_grad()
    def lift(self, keypoints_2d: np.ndarray, visibility: np.ndarray,
             image_size: tuple[int, int], person_height: float | None = None) -> LiftResult:
        """keypoints_2d (T, 25, 2) pixels, visibility (T, 25) in 0..1 (also (25, 2)/(25,)
        for one frame). The input is framed by the keypoints themselves, so any detector
        box works; ``image_size`` (w, h) is checked but not needed by the network."""
        kp = np.asarray(keypoints_2d, dtype=np.float64)
        vis = np.asarray(visibility, dtype=np.float64)
        if kp.ndim == 2:
            kp, vis = kp[None], vis[None]
        if kp.shape[1:] != (NUM_JOINTS, 2) or vis.shape != kp.shape[:2]:
            raise ValueError(f"expected (T, {NUM_JOINTS}, 2) keypoints and (T, {NUM_JOINTS}) "
                             f"visibility, got {kp.shape} and {vis.shape}")
        w, h = image_size
        if w <= 0 or h <= 0:
            raise ValueError(f"bad image size {image_size}")
        usable = (np.isfinite(kp).all(-1) & (np.nan_to_num(vis) > 0)).sum(-1)
        valid = usable >= MIN_KEYPOINTS
        x = torch.from_numpy(normalize_keypoints(kp, vis)).to(self.device)
        out = self.model(x)
        coords = out.coords.float().cpu().numpy()
        scale = (person_height or self.person_height) * self.scale_per_height
        joints = cube_to_metres(coords, scale)
        joints[~valid] = np.nan
        maps = {p: getattr(out, p).float().cpu().numpy() for p in ("xy", "zy", "xz")}
        return LiftResult(joints, maps, coords, valid)
