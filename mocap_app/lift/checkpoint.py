"""Lifter checkpoints: ``{"format", "version", "kind", "config", "meta", "state_dict"}``.

Weights are stored as float16 (half the size; the error this adds is far below a
millimetre) and loaded with ``torch.load(..., weights_only=True)``: nothing is ever
unpickled. A file of another format, version or kind is refused with ``CheckpointError``.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from .margipose import BaselineConfig, MargiPose, MargiPoseConfig, MartinezBaseline

FORMAT = "mocap_app.lifter"
VERSION = 1
KINDS = {"margipose": (MargiPose, MargiPoseConfig), "baseline": (MartinezBaseline, BaselineConfig)}


class CheckpointError(ValueError):
    """A file that is not a lifter checkpoint this version can load."""


def save_checkpoint(path: str | os.PathLike, model: nn.Module, kind: str, meta: dict) -> None:
    from dataclasses import asdict
    state = {k: (v.half() if v.is_floating_point() else v).clone()
             for k, v in model.state_dict().items()}
    blob = {"format": FORMAT, "version": VERSION, "kind": kind,
            "config": asdict(model.config), "meta": meta, "state_dict": state}
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    torch.save(blob, tmp)
    os.replace(tmp, path)


def load_weights_only(path: Path, map_location: str | torch.device = "cpu"):
    """``torch.load(weights_only=True)``: plain tensors and containers only. A damaged
    file, or a pickle that would run code, raises CheckpointError in plain words (torch's
    own text advises loading unsafely, which is no advice for a user)."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:   # damaged zip, pickle that is not plain data, ...
        why = "it holds code or objects, not plain weights" if "Unpickler" in str(exc) \
            else "damaged or not a model file"
        raise CheckpointError(f"{Path(path).name} is not a valid model file ({why}); "
                              "it was refused without running anything") from None


def load_checkpoint(path: str | os.PathLike, kind: str | None = None,
                    device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild a model from its file alone; returns (model in eval mode, meta)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no lifter checkpoint at {path}")
    blob = load_weights_only(path)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a mocap_app lifter checkpoint")
    if blob.get("version") != VERSION:
        raise CheckpointError(f"{path.name} has checkpoint version {blob.get('version')}, "
                              f"this app reads version {VERSION}")
    k = blob.get("kind")
    if k not in KINDS or (kind is not None and k != kind):
        raise CheckpointError(f"{path.name} holds a {k!r} model, expected {kind or list(KINDS)}")
    cls, cfg_cls = KINDS[k]
    try:
        model = cls(cfg_cls.from_dict(blob["config"]))
        state = {n: v.float() if v.is_floating_point() else v for n, v in blob["state_dict"].items()}
        model.load_state_dict(state)
    except (KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path.name}: weights do not match its config: {exc}") from None
    return model.to(device).eval(), dict(blob.get("meta", {}))
