"""Per-frame poses of a video for the motion-quality report, cached on disk.

Until ``pipeline/offline.py`` exists, the report reads videos through the MediaPipe
adapter directly: 2D keypoints, visibility and BlazePose's own world joints (the per-frame
3D). The lifter, when its checkpoint is present, re-lifts the cached 2D keypoints.
Results are cached in ``cache_dir()/report`` keyed by the file name, size and mtime, so a
report can be re-run without re-detecting.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .core.paths import cache_dir
from .core.pose import FramePose, PoseSequence


def _cache_file(path: Path) -> Path:
    st = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
    folder = cache_dir() / "report"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{path.stem}_{key[:12]}.npz"


def detect_video(path: str | os.PathLike, use_cache: bool = True) -> PoseSequence:
    """Run the MediaPipe adapter over every frame of a video: a PoseSequence with
    BlazePose's world joints (app axes, pelvis-relative) as the per-frame 3D."""
    path = Path(path)
    cached = _cache_file(path)
    if use_cache and cached.exists():
        d = np.load(cached)
        return PoseSequence(d["timestamps"], d["joints_3d"], d["keypoints_2d"], d["visibility"],
                            d["valid"].astype(bool), float(d["fps"]),
                            (int(d["image_size"][0]), int(d["image_size"][1])))
    from .capture.video import VideoFileSource  # noqa: PLC0415  (OpenCV only when needed)
    from .detect.mediapipe_pose import MediaPipePoseDetector  # noqa: PLC0415

    frames: list[FramePose] = []
    detector = MediaPipePoseDetector()
    with VideoFileSource(path) as source:
        size = (source.info.width, source.info.height)
        for frame in source:
            det = detector.detect(frame.image, frame.timestamp)
            if det is None:
                frames.append(FramePose(frame.index, frame.timestamp, size))
                continue
            kp, vis = det.app_keypoints()
            frames.append(FramePose(frame.index, frame.timestamp, size, box=det.box,
                                    keypoints_2d=kp, visibility=vis,
                                    joints_3d=det.app_world_joints()))
        fps = source.info.fps
    detector.close()
    seq = PoseSequence.from_frames(frames, fps)
    np.savez_compressed(cached, timestamps=seq.timestamps, joints_3d=seq.joints_3d,
                        keypoints_2d=seq.keypoints_2d, visibility=seq.visibility,
                        valid=seq.valid, fps=seq.fps, image_size=np.array(seq.image_size))
    return seq


if __name__ == "__main__":  # pre-fill the cache: python -m mocap_app.report_detect FILES...
    import sys
    for arg in sys.argv[1:]:
        s = detect_video(arg)
        print(f"{arg}: {len(s)} frames, {int(s.valid.sum())} with a person")
