"""Where the hands' side check (pipeline/side_check.py) exchanges left and right, on every
real clip we have: the false-alarm check beside eval_pose2sim's known swap.

    .venv/bin/python bench/eval_side_check.py [--switch-cost 20] [--frame-cost 1]   # ~3 min

Each clip runs through the app's detector and hand tracker (offline, every frame), and
the side check's Viterbi marks the frames where both hands say the body's sides are
swapped. Known answer: the Pose2Sim take's cam02 is swapped by the body detector over
frames 41-74 (eval_pose2sim, against the other views' triangulation); its other views
have no swap. The motion-table clips have no known swap (a frame marked there is most
likely a false alarm, unless the video shows the detector's skeleton turned round).
Also printed: the share of frames where both hands were present (the check's evidence).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.pipeline.estimator import EstimatorConfig  # noqa: E402
from mocap_app.pipeline.offline import process_video  # noqa: E402
from mocap_app.pipeline.side_check import (MIN_PRESENCE, SideCheckOptions,  # noqa: E402
                                           swapped_frames)

CLIPS = ["pose2sim/cam01.mp4", "pose2sim/cam02.mp4", "pose2sim/cam03.mp4",
         "pose2sim/cam04.mp4", "hybrik_taiji.mp4", "ntu_drink.avi", "stgcn_taichi.mp4",
         "sports2d_walk.mp4", "stgcn_clean_and_jerk.mp4", "multi/mmaction2_basketball.mp4",
         "multi/mmhuman3d_multi.mp4"]
KNOWN = {"pose2sim/cam02.mp4": "41-74"}


def runs(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    if not len(idx):
        return "none"
    cuts = np.flatnonzero(np.diff(idx) > 1)
    starts, ends = np.r_[idx[0], idx[cuts + 1]], np.r_[idx[cuts], idx[-1]]
    return ", ".join(f"{a}-{b}" for a, b in zip(starts, ends))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switch-cost", type=float, default=SideCheckOptions().switch_cost)
    ap.add_argument("--frame-cost", type=float, default=SideCheckOptions().frame_cost)
    args = ap.parse_args(argv)
    options = SideCheckOptions(args.switch_cost, args.frame_cost)
    video = shared_data_dir() / "video"
    print(f"side check, switch cost {options.switch_cost:g}, frame cost {options.frame_cost:g}\n")
    print("| clip | frames | both hands present | marked swapped | known swap |")
    print("|---|---|---|---|---|")
    for clip in CLIPS:
        res = process_video(video / clip, EstimatorConfig(lifter="none", hands=True,
                                                          side_check=False))
        sides = res.raw.hand_sides
        both = (np.nan_to_num(sides[..., 0]) >= MIN_PRESENCE).all(-1)
        marked = swapped_frames(sides, options)
        print(f"| {clip} | {len(sides)} | {both.mean():.0%} | {runs(marked)} "
              f"({int(marked.sum())}) | {KNOWN.get(clip, 'none')} |", flush=True)


if __name__ == "__main__":
    main()
