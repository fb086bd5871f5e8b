"""FBX and glTF (GLB) export, and preview renders, through Blender's own importers and
exporters, run in a child process (``blender_child.py``): Blender is large, slow to start
and keeps global state, so the app never imports ``bpy`` itself.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from ..core.pose import PoseSequence
from .bvh import write_bvh
from .options import ExportOptions
from .retarget import take_frame_rate

BPY_VERSION = "4.5.15"
INSTALL_HINT = (f"FBX and GLB export and previews need Blender as a Python module: "
                f"install it with `pip install bpy=={BPY_VERSION}` (Python 3.11, about "
                f"800 MB), or export BVH instead")


class BlenderError(RuntimeError):
    """Blender could not do the job; the message is Blender's own."""


class BlenderNotInstalled(BlenderError):
    """``bpy`` is not importable: the message says how to install it."""


def _child_command() -> list[str] | None:
    """What starts ``blender_child`` (the request path is appended): this Python when it
    has bpy. The installer bundle has no bpy inside; its entry point sets
    ``$MOCAP_BLENDER_CHILD`` (a JSON list) to its own launcher for a Python with bpy
    beside the bundle (see ``installer/blender_bridge.py``)."""
    bridge = os.environ.get("MOCAP_BLENDER_CHILD")
    if bridge:
        return list(json.loads(bridge))
    if importlib.util.find_spec("bpy") is None:
        return None
    return [sys.executable, "-m", "mocap_app.export.blender_child"]


def blender_available() -> bool:
    return _child_command() is not None


def run_blender_tasks(tasks: list[dict], timeout: float = 600.0) -> list[dict]:
    """Run tasks (see ``blender_child``) in one Blender child process; their results."""
    command = _child_command()
    if command is None:
        raise BlenderNotInstalled(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="mocap_blender_") as tmp:
        request = Path(tmp) / "request.json"
        result = Path(tmp) / "result.json"
        request.write_text(json.dumps({"tasks": tasks, "result": str(result)}))
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
        try:
            proc = subprocess.run(
                [*command, str(request)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                timeout=timeout, env=env, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise BlenderError(f"Blender did not finish within {timeout:.0f} s") from None
        if not result.is_file():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
            raise BlenderError(f"Blender stopped (exit code {proc.returncode})"
                               + (": " + " ".join(tail) if tail else ""))
        out = json.loads(result.read_text())
    if not out["ok"]:
        if out.get("missing_bpy"):
            raise BlenderNotInstalled(f"{INSTALL_HINT} ({out['error']})")
        raise BlenderError(f"Blender: {out['error']}")
    return out["results"]


def export_via_blender(seq: PoseSequence, path: str | os.PathLike,
                       options: ExportOptions = ExportOptions(),
                       progress: Callable[[float], None] | None = None) -> Path:
    """Write the take as FBX or GLB: our BVH (centimetres), imported by Blender with
    default axes and scale 0.01 (metres), exported with baked, unsimplified animation
    at the take's frame rate, armature only, no leaf bones."""
    if options.format not in ("fbx", "glb"):
        raise ValueError(f"Blender exports fbx or glb, not {options.format!r}")
    if not blender_available():
        raise BlenderNotInstalled(INSTALL_HINT)
    path = Path(path).resolve()
    fps = options.fps or take_frame_rate(seq)
    with tempfile.TemporaryDirectory(prefix="mocap_export_") as tmp:
        bvh = Path(tmp) / (path.stem + ".bvh")
        write_bvh(seq, bvh, ExportOptions(**{**options.__dict__, "format": "bvh", "unit": "cm"}))
        if progress:
            progress(0.2)
        part = path.with_name(f".{path.stem}.part{path.suffix}")
        try:
            run_blender_tasks([{"op": "convert", "bvh": str(bvh), "out": str(part),
                                "format": options.format, "fps": fps}])
            os.replace(part, path)
        finally:
            if part.exists():
                part.unlink()
    if progress:
        progress(1.0)
    return path


def render_preview(bvh_path: str | os.PathLike, png_path: str | os.PathLike,
                   frame: int | None = None, size: tuple[int, int] = (480, 640),
                   fps: float | None = None) -> Path:
    """Render one frame (Blender frame numbers start at 1) of a BVH to a PNG with the
    workbench engine, seen from the front (the way the character faces)."""
    png_path = Path(png_path).resolve()
    task = {"op": "render", "bvh": str(Path(bvh_path).resolve()), "png": str(png_path),
            "size": list(size), "fps": fps}
    if frame is not None:
        task["frame"] = int(frame)
    run_blender_tasks([task])
    return png_path


def inspect_file(path: str | os.PathLike, frames: list[int] | None = None,
                 fps: float | None = None, update_scene_fps: bool = False) -> dict:
    """Bone world heads (metres, Blender axes) on ``frames``, frame range and scene fps
    of a BVH/FBX/GLB as Blender imports it. See ``blender_child.task_inspect``."""
    return run_blender_tasks([inspect_task(path, frames, fps, update_scene_fps)])[0]


def inspect_task(path, frames=None, fps=None, update_scene_fps=False) -> dict:
    return {"op": "inspect", "path": str(Path(path).resolve()), "frames": frames,
            "fps": fps, "update_scene_fps": update_scene_fps}
