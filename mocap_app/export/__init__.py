"""Export: retargeting the app's joints onto a rig, BVH, and FBX/glTF through Blender.

``export_sequence`` is the one entry point the CLI and the GUI call.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..core.pose import PoseSequence
from .bvh import write_bvh
from .options import ExportOptions
from .retarget import rig_joint_positions

__all__ = ["ExportOptions", "export_sequence", "write_bvh", "rig_joint_positions"]


def export_sequence(seq: PoseSequence, path: str | os.PathLike,
                    options: ExportOptions = ExportOptions(),
                    progress: Callable[[float], None] | None = None) -> Path:
    """Write a take to ``path`` in ``options.format`` and return the path.

    ``progress`` (optional) is called with a fraction 0..1. FBX and GLB go through
    Blender (``bpy``) in a child process; ``BlenderNotInstalled`` says how to install it.
    """
    if options.format == "bvh":
        return write_bvh(seq, path, options, progress)
    from .blender import export_via_blender
    return export_via_blender(seq, path, options, progress)
