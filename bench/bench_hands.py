"""What the hands cost, against the body detector measured in the same run.

    .venv/bin/python bench/bench_hands.py [FRAMES]        # default 150 frames, ~1 min

``hybrik_taiji.mp4`` (1280x720, both hands in view from frame ~10), video (tracking)
mode, decoding not counted. Per frame, interleaved so that every row sees the same load:

- the body detector alone (``BlazePoseDetector.detect``): the reference (ratio 1.00);
- the hand tracker on that detection, both hands every frame and one hand a frame
  (``HandTracker.track``), and each hand model pass alone (one landmark, re-crop, palm
  pass on a fixed crop);
- the live estimator (``PoseEstimator`` with ``live_config``: detector, one-pass lifter,
  hands every frame), to check that it costs at most 1.15x the detector plus the hands
  and still keeps 30 fps; and the same with the hands alternating.

Then the hands on their own thread (``hand_thread``, the live default on two cores): it
overlaps frame t's hands with frame t+1's body, so it cannot be interleaved with other
rows. The live estimators (body only, hands on the same thread, hands on their thread)
each run the clip through contiguously, twice in turn; the median of the estimator's
time per frame (for the threaded one: detector, lifter and the wait for last frame's
hands) is what a live session can keep up with.

Last, offline: ``process_video`` over the whole clip with hands, on the estimator's
thread and on their own (``estimate_deferred``: each frame's hands beside the next
frame's body; the same poses), and without hands, each once in turn.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.detect.blazepose import BlazePoseDetector  # noqa: E402
from mocap_app.detect.hand_models import (HandLandmarkModel, HandRecropModel,  # noqa: E402
                                          PalmDetectionModel, roi_from_pose_hand)
from mocap_app.detect.hands import HandTracker  # noqa: E402
from mocap_app.pipeline.estimator import (EstimatorConfig, PoseEstimator,  # noqa: E402
                                          live_config)

CLIP = "hybrik_taiji.mp4"


def frames(n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(shared_data_dir() / "video" / CLIP))
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    return out


def main(n: int) -> None:
    imgs = frames(n)
    det = BlazePoseDetector()
    every, alternate = HandTracker(), HandTracker()
    landmark, recrop, palm = HandLandmarkModel(), HandRecropModel(), PalmDetectionModel()
    est_every = PoseEstimator(live_config(EstimatorConfig(hands=True, hand_rate="every",
                                                             hand_thread=False)))
    est_alt = PoseEstimator(live_config(EstimatorConfig(hands=True, hand_rate="alternate",
                                                           hand_thread=False)))
    est_body = PoseEstimator(live_config(EstimatorConfig()))
    times = {k: [] for k in ("detector", "hands every", "hands alternate", "landmark pass",
                             "recrop pass", "palm pass", "live body", "live + hands every",
                             "live + hands alternate")}
    seen = np.zeros(2)
    fixed = None
    for i, img in enumerate(imgs):
        t = i / 30
        t0 = time.perf_counter()
        body = det.detect(img, t)
        times["detector"].append(time.perf_counter() - t0)
        if body is not None and fixed is None:
            fixed = roi_from_pose_hand(*body.landmarks_2d[[15, 19, 17]])
        t0 = time.perf_counter()
        h = every.track(img, body)
        times["hands every"].append(time.perf_counter() - t0)
        seen += [h.left is not None, h.right is not None]
        t0 = time.perf_counter()
        alternate.track(img, body, ("left",) if i % 2 == 0 else ("right",))
        times["hands alternate"].append(time.perf_counter() - t0)
        if fixed is not None:
            for name, fn in (("landmark pass", lambda: landmark.run(img, fixed)),
                             ("recrop pass", lambda: recrop.run(img, fixed)),
                             ("palm pass", lambda: palm.run(img, fixed))):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        for name, est in (("live body", est_body), ("live + hands every", est_every),
                          ("live + hands alternate", est_alt)):
            t0 = time.perf_counter()
            est.estimate(img, i, t)
            times[name].append(time.perf_counter() - t0)
    skip = 5        # the first passes set up XNNPACK: not counted
    ms = {k: 1000 * float(np.median(v[skip:])) for k, v in times.items() if len(v) > skip}
    ref = ms["detector"]
    print(f"\n{CLIP}, {len(imgs)} frames (median ms/frame, first {skip} not counted); "
          f"hands seen: left {seen[0] / len(imgs):.0%}, right {seen[1] / len(imgs):.0%}")
    print("| what | ms/frame | x detector | fps alone |")
    print("|---|---|---|---|")
    for k, v in ms.items():
        print(f"| {k} | {v:.1f} | {v / ref:.2f} | {1000 / v:.0f} |")
    budget = 1.15 * (ms["live body"] + ms["hands every"])
    print(f"\nlive + hands every frame: {ms['live + hands every']:.1f} ms; 1.15 x (live body "
          f"{ms['live body']:.1f} + hands {ms['hands every']:.1f}) = {budget:.1f} ms: "
          f"{'within' if ms['live + hands every'] <= budget else 'OVER'}; 30 fps needs "
          f"<= 33.3 ms: {'yes' if ms['live + hands every'] <= 33.3 else 'no'} "
          f"(alternating: {ms['live + hands alternate']:.1f} ms, "
          f"{'yes' if ms['live + hands alternate'] <= 33.3 else 'no'})")
    threaded(imgs, ms["detector"], ms["hands every"])
    offline()


def offline() -> None:
    from mocap_app.pipeline.offline import process_video
    runs = {"body only": EstimatorConfig(),
            "+ hands, same thread": EstimatorConfig(hands=True, hand_thread=False),
            "+ hands, own thread": EstimatorConfig(hands=True, hand_thread=True)}
    print(f"\noffline, process_video over all of {CLIP} (lifter, refinement not run)")
    print("| offline | frames | seconds | fps | x real time |")
    print("|---|---|---|---|---|")
    for name, config in runs.items():
        res = process_video(shared_data_dir() / "video" / CLIP, config)
        real = res.frames / res.raw.fps
        print(f"| {name} | {res.frames} | {res.seconds:.1f} | {res.fps_processed:.1f} | "
              f"{real / res.seconds:.2f} |", flush=True)


def threaded(imgs: list[np.ndarray], detector_ms: float, hands_ms: float) -> None:
    ests = {"live body": EstimatorConfig(lifter="auto"),
            "live + hands, same thread": EstimatorConfig(hands=True, hand_rate="every",
                                                         hand_thread=False),
            "live + hands, own thread": EstimatorConfig(hands=True, hand_rate="every",
                                                        hand_thread=True)}
    times = {k: [] for k in ests}
    for _ in range(2):
        for name, config in ests.items():
            est = PoseEstimator(live_config(config))
            for i, img in enumerate(imgs):
                t0 = time.perf_counter()
                est.estimate(img, i, i / 30)
                times[name].append(time.perf_counter() - t0) if i >= 5 else None
            est.close()
    ms = {k: 1000 * float(np.median(v)) for k, v in times.items()}
    print(f"\ncontiguous runs, 2 x {len(imgs)} frames each (median ms/frame, first 5 of "
          f"each run not counted); reference: the detector above, {detector_ms:.1f} ms")
    print("| live estimator | ms/frame | x detector | fps |")
    print("|---|---|---|---|")
    for k, v in ms.items():
        print(f"| {k} | {v:.1f} | {v / detector_ms:.2f} | {1000 / v:.0f} |")
    own = ms["live + hands, own thread"]
    budget = 1.15 * (ms["live body"] + hands_ms)
    print(f"\nhands on their own thread: {own:.1f} ms a frame; 1.15 x (live body "
          f"{ms['live body']:.1f} + hands {hands_ms:.1f}) = {budget:.1f} ms: "
          f"{'within' if own <= budget else 'OVER'}; 30 fps (<= 33.3 ms): "
          f"{'yes' if own <= 33.3 else 'no'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
