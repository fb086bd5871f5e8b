"""Make the detector's reference outputs ONCE with the legacy MediaPipe solution.

    .venv/bin/python tests/data/detect/make_references.py

Static mode (detector on every frame) with smoothing off, on a few frames of the shared
videos; and video (tracking) mode with smoothing off on a run of consecutive frames.
Writes ``legacy_static.npz`` and ``legacy_tracking.npz`` beside this file.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mocap_app.core.paths import shared_data_dir
from mocap_app.detect.mediapipe_pose import MediaPipePoseDetector

HERE = Path(__file__).resolve().parent
STATIC = {  # clip -> frame indices
    "sports2d_walk.mp4": [60, 79, 120],
    "hybrik_taiji.mp4": [0, 150, 300],
    "ntu_drink.avi": [10, 80],
    "stgcn_clean_and_jerk.mp4": [40, 200],
}
TRACKING = ("hybrik_taiji.mp4", 0, 40)   # clip, first frame, number of frames


def read_frames(clip: str, indices) -> dict[int, np.ndarray]:
    cap = cv2.VideoCapture(str(shared_data_dir() / "video" / clip))
    want, out, i = set(indices), {}, 0
    while len(out) < len(want):
        ok, frame = cap.read()
        if not ok:
            raise RuntimeError(f"{clip}: ends before frame {max(want)}")
        if i in want:
            out[i] = frame
        i += 1
    return out


def pack(rows) -> dict[str, np.ndarray]:
    clips, idx, lm, vis, world = zip(*rows)
    return dict(clip=np.array(clips), frame=np.array(idx), landmarks_2d=np.stack(lm),
                visibility=np.stack(vis).astype(np.float32),
                world_landmarks=np.stack(world).astype(np.float32))


def main() -> None:
    rows = []
    mp = MediaPipePoseDetector(static_image_mode=True, smooth_landmarks=False)
    for clip, indices in STATIC.items():
        for i, frame in sorted(read_frames(clip, indices).items()):
            d = mp.detect(frame)
            assert d is not None, f"{clip} frame {i}: the legacy solution found nobody"
            rows.append((clip, i, d.landmarks_2d, d.visibility, d.world_landmarks))
    mp.close()
    np.savez_compressed(HERE / "legacy_static.npz", **pack(rows))

    clip, first, n = TRACKING
    frames = read_frames(clip, range(first + n))
    mp = MediaPipePoseDetector(static_image_mode=False, smooth_landmarks=False)
    rows = []
    for i in range(first, first + n):
        d = mp.detect(frames[i])
        assert d is not None, f"{clip} frame {i}: lost by the legacy solution"
        rows.append((clip, i, d.landmarks_2d, d.visibility, d.world_landmarks))
    mp.close()
    np.savez_compressed(HERE / "legacy_tracking.npz", **pack(rows))


if __name__ == "__main__":
    main()
