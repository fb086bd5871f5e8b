"""Measure MediaPipe BlazePose's 2D error on LSP and write the noise model the lifter's
training pairs use (``mocap_train/detector_noise.json``).

    .venv/bin/python bench/measure_detector_noise.py

Errors are in units of the *keypoint box size* (the longer side of the box around the
annotated joints), the same normalisation the lifter's input uses. Per LSP limb joint:
the robust per-axis standard deviation of the inlier error (1.4826 x MAD), the outlier
rate (error > 0.15 box), and MediaPipe's visibility for inliers and outliers; plus the
left/right swap rate and the detection rate. Images are run one by one in static mode.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.core.skeleton import BLAZEPOSE_NAMES  # noqa: E402

from _noise import LSP_NAMES, is_swapped, noise_model  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "mocap_train" / "detector_noise.json"


def main() -> None:
    import mediapipe as mp
    lsp = shared_data_dir() / "images" / "lsp"
    data = np.load(lsp / "joints.npz")
    names, joints = list(data["names"]), data["joints"]          # (14, 3, N)
    bp = [BLAZEPOSE_NAMES.index(n) for n in LSP_NAMES]
    errs, viss, swaps, detected = [], [], [], 0
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for i, name in enumerate(names):
            img = cv2.imread(str(lsp / "images" / str(name)))
            gt = joints[:12, :2, i]                                 # (12, 2) pixels
            ok = joints[:12, 2, i] > 0.5     # LSP-extended flag: 1 = annotated/visible
            res = pose.process(np.ascontiguousarray(img[:, :, ::-1]))
            if res.pose_landmarks is None:
                continue
            detected += 1
            h, w = img.shape[:2]
            lm = res.pose_landmarks.landmark
            pred = np.array([[lm[k].x * w, lm[k].y * h] for k in bp])
            vis = np.array([lm[k].visibility for k in bp])
            size = float(np.max(gt[ok].max(0) - gt[ok].min(0)))
            e = (pred - gt) / size                                  # (12, 2) box units
            e[~ok] = np.nan
            errs.append(e)
            viss.append(vis)
            sw = is_swapped(pred, gt, ok)
            swaps.append(np.nan if sw is None else float(sw))
    errs, viss = np.array(errs), np.array(viss)                     # (N, 12, 2), (N, 12)
    ann = np.isfinite(errs).all(-1)
    result = noise_model(
        errs, viss, ann, np.array(swaps),
        source="MediaPipe 0.10.21 BlazePose (model_complexity=1, static) on LSP, "
               f"{len(names)} images; errors in units of the annotated keypoint box size",
        images=len(names), detection_rate=detected / len(names),
        vis_unannotated=float(np.mean(viss[~ann])))
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
