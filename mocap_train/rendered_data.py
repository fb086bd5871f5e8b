"""Lifter training pairs from the rendered set (``mocap_train.render``): what our real
detector returned on a rendered body, paired with the body's exact joints.

    pairs = load_rendered(".cache/rendered_v2", "train")
    pairs.inputs      # (N, 25, 9) float32: normalize_keypoints(..., detector_3d=True)
    pairs.target      # (N, 25, 3) float32 cube units (root-relative, camera-app axes / S)

Only frames where the detector found the rendered subject (``on_subject``) are pairs: the
others have no input, or the input of another person. The splits are the rendered set's
own (by shard: motions, bodies and backgrounds held out as ``render`` plans them).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mocap_app.core.pose import camera_to_app
from mocap_app.core.skeleton import J, blazepose_to_app
from mocap_app.lift.normalize import body_scale, camera_to_cube, normalize_keypoints


@dataclass
class RenderedPairs:
    inputs: np.ndarray       # (N, J, 9) float32 lifter input with the detector's 3D
    target: np.ndarray       # (N, J, 3) float32 cube units, root-relative camera-app axes
    scale: np.ndarray        # (N,) float32 true body scale S, metres
    keypoints: np.ndarray    # (N, J, 2) float32 detector 2D on the app skeleton, pixels
    visibility: np.ndarray   # (N, J) float32
    world: np.ndarray        # (N, J, 3) float32 detector 3D, app axes, pelvis-relative
    image_size: np.ndarray   # (N, 2) int
    sequence: np.ndarray     # (N,) int: one id per item (tracked sequence or still)
    frame: np.ndarray        # (N,) int frame within its item
    static: np.ndarray       # (N,) bool: a still through the static-image detector
    truth_px: np.ndarray     # (N, J, 2) float32 the exact joints' projection
    source: np.ndarray       # (N,) str motion source (bandai1, cmu_..., deepmimic)

    def __len__(self) -> int:
        return len(self.target)

    def subset(self, idx) -> "RenderedPairs":
        return RenderedPairs(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def shard_paths(folder: str | Path, split: str) -> list[Path]:
    paths = sorted(Path(folder).glob(f"{split}_*.npz"))
    if not paths:
        raise FileNotFoundError(f"no {split} shards in {folder} (python -m mocap_train.render)")
    return paths


def load_rendered(folder: str | Path, split: str, max_shards: int | None = None
                  ) -> RenderedPairs:
    """Every pair of the split's shards in ``folder`` (the first ``max_shards``)."""
    parts = []
    offset = 0
    for path in shard_paths(folder, split)[:max_shards]:
        with np.load(path) as z:
            d = {k: z[k] for k in z.files}
        use = d["on_subject"]
        params = [json.loads(p) for p in d["params"]]
        item = d["item"][use]
        kp = blazepose_to_app(d["landmarks_2d"][use].astype(np.float64))
        vis = blazepose_to_app(d["visibility"][use].astype(np.float64)[..., None])[..., 0]
        world = camera_to_app(blazepose_to_app(d["world_landmarks"][use].astype(np.float64)))
        world = world - world[:, :1]
        truth = camera_to_app(d["joints_cam"][use].astype(np.float64))
        scale = body_scale(truth)
        size = d["image_size"][use].astype(np.int64)
        parts.append({
            "inputs": normalize_keypoints(kp, vis, size, world, detector_3d=True),
            "target": camera_to_cube(truth, scale).astype(np.float32),
            "scale": scale.astype(np.float32), "keypoints": kp.astype(np.float32),
            "visibility": vis.astype(np.float32), "world": world.astype(np.float32),
            "image_size": size, "sequence": item + offset,
            "frame": d["frame"][use].astype(np.int64), "static": d["static"][use],
            "truth_px": d["joints_px"][use],
            "source": np.array([params[i]["motion"]["source"] for i in item]),
        })
        offset += len(params)
    return RenderedPairs(**{k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


@dataclass
class RenderedSequence:
    """One tracked item of the rendered set, every frame (the detector's input missing,
    NaN, where it did not find the subject)."""
    keypoints: np.ndarray    # (T, J, 2) pixels, NaN where the subject was not found
    visibility: np.ndarray   # (T, J)
    world: np.ndarray        # (T, J, 3) detector 3D, app axes, pelvis-relative (NaN: none)
    truth: np.ndarray        # (T, J, 3) exact joints, camera-app axes, pelvis-relative
    image_size: tuple[int, int]
    found: np.ndarray        # (T,) bool: the detector found the subject
    truth_px: np.ndarray     # (T, J, 2) the exact joints' projection
    name: str                # "<shard>/<item>"


def rendered_sequences(folder: str | Path, split: str, min_found: int = 8,
                       max_shards: int | None = None) -> list[RenderedSequence]:
    """The tracked sequences (stills left out) of a split with at least ``min_found``
    frames where the detector found the subject."""
    out = []
    for path in shard_paths(folder, split)[:max_shards]:
        with np.load(path) as z:
            d = {k: z[k] for k in z.files if k != "params"}
        for item in np.unique(d["item"]):
            rows = np.nonzero(d["item"] == item)[0]
            rows = rows[np.argsort(d["frame"][rows])]
            found = d["on_subject"][rows]
            if d["static"][rows[0]] or found.sum() < min_found:
                continue
            kp = blazepose_to_app(d["landmarks_2d"][rows].astype(np.float64))
            vis = blazepose_to_app(d["visibility"][rows].astype(np.float64)[..., None])[..., 0]
            world = camera_to_app(blazepose_to_app(d["world_landmarks"][rows].astype(np.float64)))
            world = world - world[:, :1]
            kp[~found], vis[~found], world[~found] = np.nan, 0.0, np.nan
            truth = camera_to_app(d["joints_cam"][rows].astype(np.float64))
            truth = truth - truth[:, :1]
            size = tuple(int(v) for v in d["image_size"][rows[0]])
            out.append(RenderedSequence(kp, vis, world, truth, size, found,
                                        d["joints_px"][rows], f"{path.stem}/{item}"))
    return out


def body_frame(pose: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rows: the body's own axes from a pose (N, J, 3): x from the right to the
    left hip, y from the pelvis towards the neck (made orthogonal to x), z = x cross y
    (the way the body faces, in app axes)."""
    x = pose[:, J["left_hip"]] - pose[:, J["right_hip"]]
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)
    y = pose[:, J["neck"]] - pose[:, J["pelvis"]]
    y = y - (y * x).sum(-1, keepdims=True) * x
    y = y / np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), 1e-9)
    return np.stack([x, y, np.cross(x, y)], axis=1)


class DetectorResiduals:
    """The detector's real 3D errors, measured on the rendered set and carried onto other
    poses: a bank of whole-pose residuals (detector 3D minus truth, pelvis-relative, in
    body-scale units, in the true body's own axes ``body_frame``), one per rendered pair.
    ``apply`` adds a random one, turned into a new pose's own axes, so projected-mocap
    pairs get a detector 3D with the detector's real error structure (surface hips and
    shoulders, depth errors of whole limbs, swapped sides) on poses the rendered set does
    not hold."""

    def __init__(self, pairs: RenderedPairs):
        det = pairs.inputs[..., 5:8].astype(np.float64)          # over its own body scale
        truth = pairs.target.astype(np.float64)                  # over the true body scale
        truth = truth - truth[:, J["pelvis"]:J["pelvis"] + 1]
        frame = body_frame(truth)
        self.bank = np.einsum("nij,nkj->nki", frame, det - truth).astype(np.float32)

    def apply(self, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(B, J, 3) poses in body-scale units (cube targets) -> the same poses with a
        random measured residual each (to feed ``detector_features``)."""
        t = target.astype(np.float64)
        t = t - t[:, J["pelvis"]:J["pelvis"] + 1]
        res = self.bank[rng.integers(0, len(self.bank), len(t))].astype(np.float64)
        return t + np.einsum("nji,nkj->nki", body_frame(t), res)
