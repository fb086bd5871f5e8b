"""Per-frame poses of a video for the motion-quality report, cached on disk.

Videos go through the offline pipeline (``pipeline.offline.process_video``: the MediaPipe
detector, then the shipped lifter when ``models/lifter.pt`` exists, else MediaPipe's own
world joints) with refinement off: the report refines them itself, stage by stage.
Results are cached in ``cache_dir()/report``, keyed by the video (path, size, mtime) and
the lifter file (path, mtime), so a report can be re-run without re-detecting.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..core.paths import cache_dir, models_dir
from ..core.pose import PoseSequence
from ..lift.tilt import AUTO, AUTO_SEARCH
from .offline import ShortInput


def _lifter_key(lifter: str) -> str:
    if lifter == "none":
        return "none"
    from ..lift.inference import lifted_pose_stamp  # noqa: PLC0415
    path = models_dir() / "lifter.pt" if lifter == "auto" else Path(lifter)
    if not path.exists():
        return "none" if lifter == "auto" else f"missing:{path}"
    return lifted_pose_stamp(path)


def _cache_file(path: Path, lifter: str, detector: str, hands: bool = False,
                tilt_deg: float | str = 0.0) -> Path:
    st = path.stat()
    key = (f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{_lifter_key(lifter)}|{detector}"
           "|short-input|side-track")   # entries from before the short-input record and
    # the side track (the detector's left/right flips put right, hands or not) are not reused
    if hands:
        key += "|hands-v3"      # v2: hands_3d is the mean of the model's two 3D answers; v3: side check
    if tilt_deg == AUTO:                # the take's own tilt found (lift/tilt.py), by
        key += "|tilt-auto" + AUTO_SEARCH   # this search
    elif tilt_deg:
        key += f"|tilt{tilt_deg:g}"     # lifted from the levelled picture (lift/tilt.py)
    digest = hashlib.sha1(key.encode()).hexdigest()
    folder = cache_dir() / "report"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{path.stem}_{digest[:12]}.npz"


class VideoPoses(NamedTuple):
    seq: PoseSequence                   # per-frame poses, no refinement
    lifted: bool                        # the lifter made the 3D (else the detector's own)
    short_input: ShortInput | None      # the file ended before its declared length
    tilt_deg: float = 0.0               # the picture's tilt the take was lifted with


def per_frame_poses(path: str | os.PathLike, lifter: str = "auto",
                    use_cache: bool = True, detector: str = "blazepose",
                    hands: bool = False, tilt_deg: float | str = 0.0) -> VideoPoses:
    """The video's per-frame poses (see ``VideoPoses``); ``hands``: with the hands;
    ``tilt_deg``: the camera's tilt the lifter levels the picture by, or "auto" for the
    tilt found from the take (``offline.level_take``)."""
    path = Path(path)
    cached = _cache_file(path, lifter, detector, hands, tilt_deg)
    if use_cache and cached.exists():
        d = np.load(cached)
        seq = PoseSequence(d["timestamps"], d["joints_3d"], d["keypoints_2d"],
                           d["visibility"], d["valid"].astype(bool), float(d["fps"]),
                           (int(d["image_size"][0]), int(d["image_size"][1])),
                           hands_2d=d["hands_2d"] if "hands_2d" in d else None,
                           hands_3d=d["hands_3d"] if "hands_3d" in d else None)
        short = None
        if "short_input" in d and d["short_input"].size:
            read, declared, stopped = d["short_input"]
            short = ShortInput(int(read), int(declared), float(stopped))
        return VideoPoses(seq, bool(d["lifted"]), short,
                          float(d["tilt_deg"]) if "tilt_deg" in d else float(tilt_deg))
    from .estimator import EstimatorConfig, tilt_config  # noqa: PLC0415
    from .offline import process_video  # noqa: PLC0415
    result = process_video(path, EstimatorConfig(detector=detector, lifter=lifter,
                                                 hands=hands, **tilt_config(tilt_deg)))
    seq, lifted, short = result.raw, bool(result.info.get("lifter")), result.short_input
    tilt = float(result.info.get("tilt_deg", 0.0 if tilt_deg == AUTO else tilt_deg))
    s = short
    np.savez_compressed(cached, timestamps=seq.timestamps, joints_3d=seq.joints_3d,
                        keypoints_2d=seq.keypoints_2d, visibility=seq.visibility,
                        valid=seq.valid, fps=seq.fps, image_size=np.array(seq.image_size),
                        lifted=lifted, tilt_deg=tilt,
                        short_input=np.array([] if s is None else
                                             [s.frames_read, s.frames_declared, s.stopped_at]),
                        **({} if seq.hands_3d is None else
                           {"hands_2d": seq.hands_2d, "hands_3d": seq.hands_3d}))
    return VideoPoses(seq, lifted, short, tilt)


def detect_video(path: str | os.PathLike, use_cache: bool = True) -> PoseSequence:
    """MediaPipe's own per-frame 3D (no lifter): what BASELINE.md measured."""
    return per_frame_poses(path, lifter="none", use_cache=use_cache, detector="mediapipe").seq
