"""``mocap blender-addon -o mocap_link.zip``: the Blender add-on as one zip that Blender
4.2+ installs both ways: as an extension (Edit > Preferences > Get Extensions > Install
from Disk, which reads ``blender_manifest.toml``) and as a legacy add-on (Add-ons > Install,
which reads ``bl_info``). The sources are the package's own files (importlib.resources),
so a wheel and the installer bundle write the same zip as a checkout."""
from __future__ import annotations

import os
import zipfile
from importlib import resources
from pathlib import Path

from .blender_addon import bl_info

ADDON_ID = "mocap_link"
ADDON_FILES = ("__init__.py", "wire.py", "receiver.py", "rigmap.py", "ui.py")


def manifest() -> str:
    """blender_manifest.toml (extension schema 1.0.0)."""
    version = ".".join(str(v) for v in bl_info["version"])
    minimum = ".".join(str(v) for v in bl_info["blender"])
    return f"""schema_version = "1.0.0"

id = "{ADDON_ID}"
version = "{version}"
name = "{bl_info['name']}"
tagline = "Drive an armature live from the mocap app's stream"
maintainer = "mocap_app"
type = "add-on"
tags = ["Animation"]
blender_version_min = "{minimum}"
license = ["SPDX:Apache-2.0"]

[permissions]
network = "Receives live poses over UDP, on 127.0.0.1 unless allowed otherwise"
files = "Reads a bone mapping file chosen by the user"
"""


def write_addon_zip(path: str | os.PathLike) -> Path:
    """Write the add-on zip (atomically) and return its path. Files sit in a top folder
    ``mocap_link/``, which both of Blender's installers accept."""
    path = Path(path)
    source = resources.files("mocap_app.link.blender_addon")
    part = path.with_name(f".{path.name}.part")
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in ADDON_FILES:
                zf.writestr(f"{ADDON_ID}/{name}", source.joinpath(name).read_bytes())
            zf.writestr(f"{ADDON_ID}/blender_manifest.toml", manifest())
        os.replace(part, path)
    finally:
        if part.exists():
            part.unlink()
    return path
