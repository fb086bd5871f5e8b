"""Export options shared by the CLI, the GUI export dialog and every writer."""
from __future__ import annotations

import math
from dataclasses import dataclass

FORMATS = ("bvh", "fbx", "glb")
PRESETS = ("mixamo", "unreal", "rigify")
UNITS = {"cm": 100.0, "m": 1.0}
ROOT_MODES = ("world", "inplace", "ground")


@dataclass(frozen=True)
class ExportOptions:
    format: str = "bvh"          # "bvh" | "fbx" | "glb"
    preset: str = "mixamo"       # bone names: "mixamo" | "unreal" | "rigify"
    unit: str = "cm"             # BVH length unit: "cm" | "m" (FBX/GLB are always metres)
    fps: float | None = None     # None: the take's real rate; otherwise resample to this
    root_motion: str = "world"   # "world" | "inplace" (no horizontal travel) | "ground"
    tpose_frame: bool = False    # prepend a T-pose frame (frame 0 = rest pose)
    fingers: bool = True         # finger bones, when the take has hands (False: leave out)
    #: the stretch of the take to write, seconds from its first frame (None: from its
    #: start / to its end); the rig and the root are the whole take's either way
    start: float | None = None
    end: float | None = None

    def __post_init__(self):
        for name, value, allowed in (("format", self.format, FORMATS),
                                     ("preset", self.preset, PRESETS),
                                     ("unit", self.unit, tuple(UNITS)),
                                     ("root_motion", self.root_motion, ROOT_MODES)):
            if value not in allowed:
                raise ValueError(f"unknown export {name} {value!r}; choose one of "
                                 f"{', '.join(allowed)}")
        if not isinstance(self.fingers, bool):
            raise ValueError(f"export fingers must be True or False, got {self.fingers!r}")
        if self.fps is not None and not (self.fps > 0):
            raise ValueError(f"export fps must be positive, got {self.fps}")
        for name, value in (("start", self.start), ("end", self.end)):
            if value is not None and not (isinstance(value, (int, float))
                                          and math.isfinite(value) and value >= 0):
                raise ValueError(f"export {name} must be a time of 0 s or more, got {value!r}")
        if self.start is not None and self.end is not None and not self.end > self.start:
            raise ValueError(f"export end ({self.end:g} s) must come after its start "
                             f"({self.start:g} s)")

    @property
    def scale(self) -> float:
        """Output units per metre."""
        return UNITS[self.unit]
