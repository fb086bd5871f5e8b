"""Hands at half rate: hold the hand not looked for, or extrapolate it? Measured.

    .venv/bin/python bench/eval_hand_hold.py          # ~1 min

When the hands run one a frame ("alternate"), each hand is seen every other frame and the
other frame needs a guess. Live is causal, so "interpolating" means predicting from the
hand's past: holding its last finger angles, or extrapolating them at constant speed from
its last two looks (t-1 and t-3). Both guesses are compared with what the hand model gives
when it does look at that frame (both hands every frame, on real clips): against the raw
angles of frame t and against the smoothed offline track (``finger_track``). Mean
absolute angle error over the 20 finger angles, degrees; frames where the hand was seen
at t-3, t-1 and t.
"""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.core.pose import PoseSequence  # noqa: E402
from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator  # noqa: E402
from mocap_app.pipeline.fingers import finger_track, raw_finger_angles  # noqa: E402

CLIPS = (("hybrik_taiji.mp4", 200), ("ntu_drink.avi", 103))


def angles_every_frame(clip: str, n: int):
    cap = cv2.VideoCapture(str(shared_data_dir() / "video" / clip))
    est = PoseEstimator(EstimatorConfig(lifter="none", hands=True))
    poses = []
    for i in range(n):
        ok, frame = cap.read()
        if not ok:
            break
        poses.append(est.estimate(frame, i, i / 30))
    est.close()
    seq = PoseSequence.from_frames(poses, 30)
    return raw_finger_angles(seq.hands_3d), finger_track(seq.hands_3d, seq.timestamps)[0]


def main() -> None:
    print("| clip | against | frames x hands | hold (deg) | extrapolate (deg) |")
    print("|---|---|---|---|---|")
    for clip, n in CLIPS:
        raw, smooth = angles_every_frame(clip, n)
        for name, ref in (("raw angles at t", raw), ("smoothed track", smooth)):
            hold, extra = [], []
            for t in range(3, len(raw)):
                for k in range(2):
                    a1, a3 = raw[t - 1, k], raw[t - 3, k]
                    if not all(np.isfinite(a).all() for a in (a1, a3, raw[t, k])):
                        continue
                    hold.append(np.abs(a1 - ref[t, k]).mean())
                    extra.append(np.abs(a1 + 0.5 * (a1 - a3) - ref[t, k]).mean())
            print(f"| {clip} | {name} | {len(hold)} | {np.degrees(np.mean(hold)):.2f} | "
                  f"{np.degrees(np.mean(extra)):.2f} |")


if __name__ == "__main__":
    main()
