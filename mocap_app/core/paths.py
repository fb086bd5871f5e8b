"""Where things live: shipped models, package resources, the user's cache and settings."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """A file shipped inside ``mocap_app/resources`` (works from a checkout, a wheel and an
    installer bundle)."""
    ref = resources.files("mocap_app.resources").joinpath(name)
    path = Path(str(ref))
    if not path.exists():
        raise FileNotFoundError(f"missing bundled resource: {name}")
    return path


def sample_clip() -> Path:
    """The bundled sample clip (Sports2D demo walk, BSD-3, licence beside it)."""
    return resource_path("sample_walk.mp4")


#: The networks the app runs (models/ also holds evaluation-only files such as the
#: Martinez baseline, which the installer does not ship).
APP_MODELS: tuple[str, ...] = ("lifter.pt", "refiner_causal.pt", "refiner_bidir.pt")


def models_dir() -> Path:
    """Folder with the shipped network weights: ``$MOCAP_APP_MODELS``, else ``models/``
    next to the package (a checkout or an installer bundle)."""
    env = os.environ.get("MOCAP_APP_MODELS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "models"
    if here.is_dir():
        return here
    bundled = Path(str(resources.files("mocap_app"))) / "models"
    return bundled


def cache_dir() -> Path:
    """Per-user cache (unpacked training data, temporary files): ``$MOCAP_APP_CACHE`` or
    ``~/.cache/mocap_app``."""
    env = os.environ.get("MOCAP_APP_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "mocap_app"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path:
    """The project's shared data (``../shared/data`` beside the checkout), or
    ``$MOCAP_APP_SHARED_DATA``."""
    env = os.environ.get("MOCAP_APP_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"
