"""Make the hand detector's reference outputs ONCE with MediaPipe's legacy solutions.

    .venv/bin/python tests/data/hands/make_references.py

``hands_static.npz``: ``solutions.hands`` in static mode (palm detector every image) on
a few LSP images with a visible hand. ``holistic_tracking.npz``: ``solutions.holistic`` in
video mode, smoothing off, on the first frames of the tai chi clip: each side's 21 hand
landmarks (NaN where Holistic sees no hand), named by Holistic as the performer's own.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

from mocap_app.core.paths import shared_data_dir

HERE = Path(__file__).resolve().parent
STATIC = ("im00004.jpg", "im00011.jpg", "im00029.jpg", "im00046.jpg", "im00057.jpg",
          "im00079.jpg", "im00102.jpg")
TRACKING = ("hybrik_taiji.mp4", 60)     # clip, frames from the first


def _points(lms, w, h) -> np.ndarray:
    return np.array([[p.x * w, p.y * h] for p in lms.landmark])


def main() -> None:
    rows = []
    with mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2,
                                  model_complexity=1) as hands:
        for name in STATIC:
            img = cv2.imread(str(shared_data_dir() / "images" / "lsp" / "images" / name))
            h, w = img.shape[:2]
            r = hands.process(np.ascontiguousarray(img[:, :, ::-1]))
            for lm, world, cls in zip(r.multi_hand_landmarks, r.multi_hand_world_landmarks,
                                      r.multi_handedness):
                c = cls.classification[0]
                rows.append((name, _points(lm, w, h),
                             np.array([[p.x, p.y, p.z] for p in world.landmark]),
                             c.label, c.score))
    names, lm, world, label, score = zip(*rows)
    np.savez_compressed(HERE / "hands_static.npz", image=np.array(names),
                        landmarks_2d=np.stack(lm), world_landmarks=np.stack(world),
                        label=np.array(label), score=np.array(score))

    clip, n = TRACKING
    cap = cv2.VideoCapture(str(shared_data_dir() / "video" / clip))
    left = np.full((n, 21, 2), np.nan)
    right = np.full((n, 21, 2), np.nan)
    with mp.solutions.holistic.Holistic(static_image_mode=False, model_complexity=1,
                                        smooth_landmarks=False) as hol:
        for i in range(n):
            ok, frame = cap.read()
            assert ok, f"{clip} ends before frame {n}"
            h, w = frame.shape[:2]
            r = hol.process(np.ascontiguousarray(frame[:, :, ::-1]))
            if r.left_hand_landmarks is not None:
                left[i] = _points(r.left_hand_landmarks, w, h)
            if r.right_hand_landmarks is not None:
                right[i] = _points(r.right_hand_landmarks, w, h)
    np.savez_compressed(HERE / "holistic_tracking.npz", clip=np.array([clip]), left=left,
                        right=right)


if __name__ == "__main__":
    main()
