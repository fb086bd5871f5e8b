"""What a batch is run with: the processing and export settings, the model files' hashes,
and the number of workers. The fingerprint of settings + models decides whether a file
finished by an earlier run can be kept."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core.errors import EXIT_USAGE, UserError
from ..core.paths import models_dir, resource_path
from ..export.options import ExportOptions
from ..lift.fusion import fusion_path
from ..lift.tilt import AUTO, tilt_setting

#: the detector's networks, shipped inside the package
DETECTOR_MODELS = ("blazepose/pose_detection.tflite", "blazepose/pose_landmark_full.tflite")
#: the hand models (``--hands``)
HAND_MODELS = ("hands/palm_detection_full.tflite", "hands/hand_landmark_full.tflite",
               "hands/hand_recrop.tflite")


@dataclass(frozen=True)
class BatchSettings:
    """Everything that changes an output file (the same options as ``mocap process``)."""
    detector: str = "blazepose"
    lifter: str = "auto"            # "auto" (shipped lifter), "none" or a checkpoint path
    refine: bool = True             # the refinement stages (temporal refiner, fitting, ...)
    foot_lock: str = "auto"         # "auto" | "always" | "never"
    hfov: float = 70.0              # camera horizontal field of view, degrees
    export: ExportOptions = ExportOptions()
    hands: bool = False             # track both hands: finger bones, and the side check
    tilt: float | str = AUTO        # the picture's tilt (a rolled camera), degrees
                                    # clockwise, or "auto": found from each file's take

    def __post_init__(self):
        if self.foot_lock not in ("auto", "always", "never"):
            raise ValueError(f"foot_lock must be auto, always or never, got {self.foot_lock!r}")
        if not 1.0 <= self.hfov <= 179.0:
            raise ValueError(f"hfov must be 1..179 degrees, got {self.hfov}")
        object.__setattr__(self, "tilt", tilt_setting(self.tilt))

    def as_dict(self) -> dict:
        d = asdict(self)
        if not self.hands:      # batches from before hands keep their fingerprint
            d.pop("hands")
        if self.tilt == 0:      # and those lifted level, as before the tilt setting
            d.pop("tilt")
        return d

    def model_files(self) -> dict[str, Path]:
        """The model files this run reads: name -> path."""
        files = {name: resource_path(name) for name in DETECTOR_MODELS}
        if self.hands:
            files.update({name: resource_path(name) for name in HAND_MODELS})
        if self.lifter == "auto":
            lifter = models_dir() / "lifter.pt"
            if lifter.exists():
                files["lifter.pt"] = lifter
        elif self.lifter != "none":
            files["lifter"] = Path(self.lifter).resolve()
        lifter = files.get("lifter.pt", files.get("lifter"))
        if lifter is not None and fusion_path(lifter).exists():    # it changes the output
            files[fusion_path(lifter).name] = fusion_path(lifter)
        if self.refine:
            refiner = models_dir() / "refiner_bidir.pt"
            if refiner.exists():
                files["refiner_bidir.pt"] = refiner
        return files

    def model_versions(self) -> dict[str, str]:
        """name -> "sha256:<hex>" of each model file this run reads."""
        return {name: "sha256:" + file_sha256(path)
                for name, path in sorted(self.model_files().items())}


#: Changes to the processing itself that change the outputs of the same settings and
#: models: part of the fingerprint, so a batch run again redoes files finished before.
#: "side-track" (2026-12-05): the detector's left/right swaps put right without hands.
#: "image-fit" (2026-12-05): the limbs turned towards the 2D's directions after the refiner
#: (pipeline/image_fit.py).
PROCESSING = "image-fit"


def fingerprint(settings: BatchSettings, models: dict[str, str]) -> str:
    """A short hash of settings + model versions + the processing revision: a file
    finished under another one is processed again."""
    doc = json.dumps({"settings": settings.as_dict(), "models": models,
                      "processing": PROCESSING}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


_HASHES: dict[tuple, str] = {}


def file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def max_workers() -> int:
    """The most local workers allowed: four per core (more only thrash)."""
    return (os.cpu_count() or 1) * 4


def check_workers(workers: int | None) -> int:
    """``workers`` checked (None: one per core). Raises ``UserError`` naming the range."""
    if workers is None:
        return os.cpu_count() or 1
    top = max_workers()
    if not isinstance(workers, int) or not 1 <= workers <= top:
        raise UserError(f"--workers must be 1..{top} (4 per core on this machine with "
                        f"{os.cpu_count() or 1} cores), got {workers}", EXIT_USAGE)
    return workers
