"""Our BlazePose detector against the legacy MediaPipe solution, measured in the same run.

    .venv/bin/python bench/bench_detector.py            # all three tables (~3 min)
    .venv/bin/python bench/bench_detector.py lsp latency jitter

lsp:     LSP (``images/lsp``, 200 images, static mode): PCK@0.2 on the 12 limb joints
         (torso = left shoulder to right hip; an image with no detection counts all its
         joints as misses) and the detection rate.
latency: tracking (video) mode on ``hybrik_taiji.mp4``: milliseconds per frame of
         ``detect()`` alone (decoding the video not counted), the two detectors
         interleaved frame by frame so that both see the same load on the machine.
jitter:  ``sports2d_walk.mp4``, video mode: the BASELINE definition (12 limb joints,
         world landmarks centred on the hip midpoint, mean |x[t+1] - 2x[t] + x[t-1]| in
         mm/frame^2 over triplets detected in all three frames), plus the same in pixels
         for the 2D landmarks; with and without each smoothing.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.core.skeleton import BLAZEPOSE_NAMES  # noqa: E402
from mocap_app.detect import make_detector  # noqa: E402

LSP_NAMES = ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
             "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
             "left_wrist")
LIMBS = [BLAZEPOSE_NAMES.index(n) for n in LSP_NAMES]      # the 12 limb joints, LSP order
HIPS = [BLAZEPOSE_NAMES.index("left_hip"), BLAZEPOSE_NAMES.index("right_hip")]
SAME_MAN = (10, 160)      # sports2d_walk frames where all systems follow the man


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in r) + " |")


def bench_lsp() -> None:
    lsp = shared_data_dir() / "images" / "lsp"
    data = np.load(lsp / "joints.npz")
    names, joints = list(data["names"]), data["joints"]          # (14, 3, N)
    systems = {
        "legacy (static mode)": dict(kind="mediapipe", static_image_mode=True),
        "ours, best score (legacy rule)": dict(kind="blazepose", static_image_mode=True,
                                               subject="best", search_tiles=False),
        "ours, largest + tiles": dict(kind="blazepose", static_image_mode=True,
                                      subject="largest", search_tiles=True),
    }
    rows = []
    for label, opts in systems.items():
        det = make_detector(**opts)
        hits, total, found = 0, 0, 0
        hits_ann, total_ann = 0, 0
        for k, name in enumerate(names):
            img = cv2.imread(str(lsp / "images" / name))
            assert img is not None, name
            gt = joints[:12, :2, k]                                  # (12, xy)
            torso = np.linalg.norm(joints[9, :2, k] - joints[2, :2, k])
            annotated = joints[:12, 2, k] > 0.5                      # flag 1: annotated
            d = det.detect(img)
            total += 12
            total_ann += int(annotated.sum())
            if d is None:
                continue
            found += 1
            ok = np.linalg.norm(d.landmarks_2d[LIMBS] - gt, axis=1) < 0.2 * torso
            hits += int(np.sum(ok))
            hits_ann += int(np.sum(ok & annotated))
        det.close()
        rows.append([label, 100.0 * hits / total, 100.0 * hits_ann / total_ann,
                     100.0 * found / len(names)])
    table("LSP, 200 images (BASELINE legacy: 61.9 / 91.5 %; its exact joint set is not "
          "written down, so both readings are given)",
          ["system", "PCK@0.2 % all 12 joints", "PCK@0.2 % annotated joints",
           "detected %"], rows)


def bench_latency(frames: int = 150) -> None:
    video = shared_data_dir() / "video" / "hybrik_taiji.mp4"
    cap = cv2.VideoCapture(str(video))
    legacy = make_detector("mediapipe")                 # video mode, its smoothing on
    ours = make_detector("blazepose")
    ours_light = make_detector("blazepose", keep_heatmaps=False)
    dets = {"legacy (video mode)": legacy, "ours (tracking mode)": ours,
            "ours, no heatmaps kept": ours_light}
    times: dict[str, list[float]] = {k: [] for k in dets}
    for i in range(frames):
        ok, frame = cap.read()
        assert ok, f"{video} ends at frame {i}"
        for label, det in dets.items():
            t0 = time.perf_counter()
            det.detect(frame, i / 24.0)
            times[label].append(1000.0 * (time.perf_counter() - t0))
    ref = np.median(times["legacy (video mode)"][10:])
    rows = []
    for label, t in times.items():
        t = np.array(t[10:])        # the first frames include the detector and warm-up
        rows.append([label, float(np.median(t)), float(np.mean(t)),
                     f"{np.median(t) / ref:.2f}"])
    table(f"Latency per frame, hybrik_taiji 1280x720, frames 10-{frames} (target: ours "
          "within 1.10 x legacy)", ["detector", "median ms", "mean ms", "ratio to legacy"],
          rows)


def jitter(frames: list) -> tuple[float, float, int]:
    """(3D jitter mm/frame^2, 2D jitter px/frame^2, frames detected)."""
    w3, p2 = [], []
    for t in range(1, len(frames) - 1):
        a, b, c = frames[t - 1], frames[t], frames[t + 1]
        if a is None or b is None or c is None:
            continue
        w = [f[1][LIMBS] - f[1][HIPS].mean(axis=0) for f in (a, b, c)]
        w3.append(np.linalg.norm(w[2] - 2 * w[1] + w[0], axis=1).mean() * 1000.0)
        p = [f[0][LIMBS] for f in (a, b, c)]
        p2.append(np.linalg.norm(p[2] - 2 * p[1] + p[0], axis=1).mean())
    return float(np.mean(w3)), float(np.mean(p2)), sum(f is not None for f in frames)


def bench_jitter() -> None:
    video = shared_data_dir() / "video" / "sports2d_walk.mp4"
    systems = {
        "legacy, smoothing on (BASELINE)": dict(kind="mediapipe"),
        "legacy, smooth_landmarks=False": dict(kind="mediapipe", smooth_landmarks=False),
        "ours, ROI One-Euro on (default)": dict(kind="blazepose", subject="best"),
        "ours, ROI One-Euro off": dict(kind="blazepose", subject="best", roi_smoothing=False),
    }
    rows = []
    for label, opts in systems.items():
        det = make_detector(**opts)
        cap = cv2.VideoCapture(str(video))
        out, i = [], 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            d = det.detect(frame, i / 30.0)
            out.append(None if d is None else (d.landmarks_2d, d.world_landmarks))
            i += 1
        det.close()
        j3, j2, n = jitter(out)
        s3, s2, _ = jitter(out[SAME_MAN[0]:SAME_MAN[1] + 1])
        rows.append([label, j3, j2, f"{n}/{len(out)}", s3, s2])
    table("Jitter, sports2d_walk (230 frames; BASELINE legacy 3D: 62.0). Whole clip, and "
          f"frames {SAME_MAN[0]}-{SAME_MAN[1]} where every system follows the man (the "
          "legacy solution jumps to the woman at frame 170 and follows her out of the "
          "frame; ours keeps the man as he jumps down)",
          ["system", "3D mm/f^2", "2D px/f^2", "frames with a pose",
           f"3D {SAME_MAN[0]}-{SAME_MAN[1]}", f"2D {SAME_MAN[0]}-{SAME_MAN[1]}"], rows)


def main(argv: list[str]) -> None:
    which = argv or ["lsp", "latency", "jitter"]
    for name in which:
        {"lsp": bench_lsp, "latency": bench_latency, "jitter": bench_jitter}[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
