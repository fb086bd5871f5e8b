"""Speed and memory of the pipeline, the way a user feels them. Prints markdown tables.

    .venv/bin/python bench/bench_pipeline.py                 # about 5 minutes
    .venv/bin/python bench/bench_pipeline.py --minutes 30    # the full memory soak

1. detector floor: MediaPipe alone on the bundled sample clip, per frame (decoded first);
2. live path: the clip played at its real rate through the fake camera (the webcam
   protocol) into LiveSession: estimator (+ lifter when shipped) + causal refiner (when
   shipped) + recording; sustained fps, dropped frames, capture-to-result latency, and the
   per-frame pipeline time as a ratio to the detector alone on the same live capture
   (interleaved runs) and to the idle floor of section 1;
3. offline path: process_video on 720p30 (the clip resized to 1280x720) with the
   bidirectional refiner when shipped; fps and the ratio to real time; and the cost of
   finding the camera's tilt from the take (the default) against ``--tilt 0``; and the
   body detector on every core (the offline default) against one thread;
4. model costs: lifter and refiner per frame on the CPU (untrained weights of the same
   architecture when no checkpoint ships: the cost is the same);
5. memory: RSS over a simulated take looping the 720p clip at its real rate through
   LiveSession with recording; growth after the first minute.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import rss_mb  # noqa: E402
from mocap_app.capture.fake_camera import PacedVideoSource  # noqa: E402
from mocap_app.capture.video import VideoFileSource  # noqa: E402
from mocap_app.core.paths import sample_clip  # noqa: E402
from mocap_app.pipeline.estimator import (EstimatorConfig, PoseEstimator, live_config,  # noqa: E402
                                          offline_config)
from mocap_app.pipeline.live import LiveSession  # noqa: E402
from mocap_app.pipeline.offline import process_video  # noqa: E402


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else float("nan")


def table(title: str, header: list[str], rows: list[list]) -> str:
    out = [f"\n### {title}\n", "| " + " | ".join(header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v)
                                     for v in r) + " |")
    text = "\n".join(out)
    print(text, flush=True)
    return text


def load_live_refiner():
    try:
        from mocap_app.pipeline.refine import LiveRefiner
        return LiveRefiner(), "shipped causal refiner"
    except Exception as exc:  # no checkpoint shipped yet
        return None, f"none ({type(exc).__name__})"


def load_offline_refine():
    try:
        from mocap_app.lift.refiner import TemporalRefiner
        from mocap_app.pipeline.refine import make_offline_refine
        return make_offline_refine(refiner=TemporalRefiner.load(causal=False)), \
            "shipped bidirectional refiner + stages"
    except Exception as exc:
        return None, f"none ({type(exc).__name__})"


# -- 1. detector floor -----------------------------------------------------------------
def detector_floor(frames: list[np.ndarray]) -> dict:
    est = PoseEstimator(EstimatorConfig(lifter="none"))
    times = []
    for i, img in enumerate(frames):
        t = time.perf_counter()
        est.detector.detect(img, i / 30)
        times.append(time.perf_counter() - t)
    est.close()
    times = times[5:]          # graph warm-up
    return {"median_ms": 1000 * statistics.median(times), "p95_ms": 1000 * pct(times, 95),
            "mean_ms": 1000 * statistics.fmean(times), "frames": len(times)}


# -- 2. live path ----------------------------------------------------------------------
class TimedSession(LiveSession):
    """LiveSession that also records the time spent on each frame (estimate, refine,
    record)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.work: list[float] = []

    def _process(self, frame, arrived):
        t = time.perf_counter()
        super()._process(frame, arrived)
        self.work.append(time.perf_counter() - t)


def live_path(clip: Path, seconds: float, record: bool, detector_only: bool = False,
              side_track: bool = True) -> dict:
    """The live session on the clip at its real rate. ``detector_only``: the same capture
    with the detector alone (no lifter, refiner or recording) -- the floor measured under
    the same conditions (capture decoding on its own thread, same cores)."""
    if detector_only:
        est = PoseEstimator(EstimatorConfig(lifter="none"))
        refiner, refiner_name, record = None, "-", False
    else:
        est = PoseEstimator(replace(live_config(EstimatorConfig()), side_track=side_track))
        refiner, refiner_name = load_live_refiner()
    source = PacedVideoSource(clip, loop=True)
    session = TimedSession(source, est, refiner=refiner)
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        if record:
            session.start_recording(Path(tmp) / "take")
        timer = threading.Timer(seconds, stop.set)
        timer.start()
        t0 = time.monotonic()
        session.run(stop)
        wall = time.monotonic() - t0
        timer.cancel()
    est.close()
    s = session.stats
    lat = s.latencies[10:]
    return {"fps_in": source.info.fps, "captured": s.captured, "processed": s.processed,
            "dropped": s.dropped, "fps": s.processed / wall,
            "lat_med_ms": 1000 * pct(lat, 50), "lat_p95_ms": 1000 * pct(lat, 95),
            "work_mean_ms": 1000 * statistics.fmean(session.work[10:]),
            "lifter": est.uses_lifter, "refiner": refiner_name, "error": session.error}


# -- 3. offline path -------------------------------------------------------------------
def offline_path(clip: Path) -> dict:
    """process_video as imports run it (the take's tilt found from the take, the
    default) and with the picture lifted as it is (``--tilt 0``), twice each in turn, the
    faster of each; and the tilt stage alone (``offline.level_take``: finding the tilt
    and lifting again)."""
    from mocap_app.pipeline.estimator import PoseEstimator
    from mocap_app.pipeline.offline import level_take
    refine, name = load_offline_refine()
    runs = {True: [], False: [], "one": []}
    for auto in (False, True, "one", False, True, "one"):   # alternating; 1st warms up
        config = (EstimatorConfig(detector_threads=1) if auto == "one"
                  else EstimatorConfig(auto_tilt=auto))
        runs[auto].append(process_video(clip, config, refine=refine))
    res = min(runs[True], key=lambda r: r.seconds)
    level = min(runs[False], key=lambda r: r.seconds)
    one = min(runs["one"], key=lambda r: r.seconds)
    duration = res.frames / res.raw.fps
    est = PoseEstimator(EstimatorConfig())
    try:
        t0 = time.perf_counter()
        level_take(level.raw, est.lifter)
        stage = time.perf_counter() - t0
    finally:
        est.close()
    return {"frames": res.frames, "seconds": res.seconds, "fps": res.fps_processed,
            "realtime": duration / res.seconds, "refiner": name, "lifter": res.info["lifter"],
            "seconds_level": level.seconds, "tilt_stage_s": stage,
            "seconds_one_thread": one.seconds, "threads": offline_config(
                EstimatorConfig()).detector_threads,
            "tilt_found": res.info.get("tilt_deg")}


# -- 4. model costs --------------------------------------------------------------------
def model_costs(frames: int = 300) -> list[list]:
    import torch
    rows = []
    from mocap_app.core.skeleton import NUM_JOINTS
    rng = np.random.default_rng(0)
    kp = rng.uniform(200, 600, (NUM_JOINTS, 2))
    vis = np.full(NUM_JOINTS, 0.9)
    try:
        from mocap_app.lift.inference import Lifter
        try:
            lifter, what = Lifter.load(device="cpu"), "shipped lifter.pt"
        except (FileNotFoundError, ValueError):
            from mocap_app.lift.margipose import MargiPose, MargiPoseConfig
            lifter = Lifter(MargiPose(MargiPoseConfig()), {}, torch.device("cpu"))
            what = "untrained MargiPose (default config)"
        from mocap_app.pipeline.estimator import LIVE_FLIP_AVERAGE
        offline_flip = lifter.flip_average
        lifter.flip_average = LIVE_FLIP_AVERAGE          # as a live session runs it
        for _ in range(10):
            lifter.lift(kp[None], vis[None], (1280, 720))
        t = time.perf_counter()
        for _ in range(frames):
            lifter.lift(kp[None], vis[None], (1280, 720))
        rows.append([f"lifter, 1 frame (live, flip {LIVE_FLIP_AVERAGE})", what,
                     1000 * (time.perf_counter() - t) / frames, 3.0])
        lifter.flip_average = offline_flip
        batch = np.repeat(kp[None], 256, 0), np.repeat(vis[None], 256, 0)
        t = time.perf_counter()
        lifter.lift(*batch, (1280, 720))
        rows.append([f"lifter, batch of 256 (offline, flip {offline_flip})", what,
                     1000 * (time.perf_counter() - t) / 256, 3.0])
    except Exception as exc:
        rows.append(["lifter", f"not measured: {type(exc).__name__}: {exc}", "", 3.0])
    try:
        from mocap_app.lift.refiner import RefinerConfig, TemporalRefiner
        for causal in (True, False):
            try:
                ref, what = TemporalRefiner.load(causal=causal), "shipped"
            except Exception:
                ref, what = TemporalRefiner(RefinerConfig(causal=causal)).eval(), \
                    "untrained (default config)"
            poses = rng.normal(0, 0.3, (frames, NUM_JOINTS, 3))
            if causal:
                win = poses[:ref.window]
                for _ in range(10):
                    ref.refine_window(win)
                t = time.perf_counter()
                for i in range(frames):
                    ref.refine_window(win)
                ms = 1000 * (time.perf_counter() - t) / frames
                rows.append(["causal refiner, 1 frame (live)", what, ms, 1.0])
            else:
                ref.refine(poses[:50])
                t = time.perf_counter()
                ref.refine(poses)
                ms = 1000 * (time.perf_counter() - t) / frames
                rows.append([f"bidirectional refiner, {frames} frames (offline)", what, ms, 1.0])
    except Exception as exc:
        rows.append(["refiner", f"not measured: {type(exc).__name__}: {exc}", "", 1.0])
    from mocap_app.core.skeleton import MIRROR_PERMUTATION
    from mocap_app.pipeline.side_track import SideTracker
    # a body drifting 2 px a frame, its labels exchanged over the middle third
    track_kp = kp[None] + np.arange(frames)[:, None, None] * np.array([2.0, 0.0])
    track_kp += rng.normal(0, 1.0, track_kp.shape)
    mid = slice(frames // 3, 2 * frames // 3)
    track_kp[mid] = track_kp[mid][:, list(MIRROR_PERMUTATION)]
    track_vis = np.full((frames, NUM_JOINTS), 0.9)
    tracker = SideTracker()
    t = time.perf_counter()
    for k, v in zip(track_kp, track_vis):
        tracker.update(k, v)
    rows.append(["side tracker, 1 frame (live)", "pipeline/side_track.py",
                 1000 * (time.perf_counter() - t) / frames, ""])
    return rows


# -- 5. memory soak --------------------------------------------------------------------
def memory_soak(clip: Path, minutes: float, record_video: bool) -> dict:
    est = PoseEstimator(live_config(EstimatorConfig()))
    refiner, _ = load_live_refiner()
    session = LiveSession(PacedVideoSource(clip, loop=True), est, refiner=refiner)
    stop = threading.Event()
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        session.start_recording(Path(tmp) / "take", record_video=record_video)
        t0 = time.monotonic()

        def sample():
            while not stop.wait(5.0):
                samples.append((time.monotonic() - t0, rss_mb()))
                if samples[-1][0] >= minutes * 60:
                    stop.set()
        sampler = threading.Thread(target=sample, daemon=True)
        samples.append((0.0, rss_mb()))
        sampler.start()
        session.run(stop)
        take_mb = sum(f.stat().st_size for f in (Path(tmp) / "take").iterdir()) / 2**20
    est.close()
    after_1 = [m for t, m in samples if t >= 60] or [samples[-1][1]]
    return {"minutes": samples[-1][0] / 60, "frames": session.stats.processed,
            "rss_start": samples[0][1], "rss_1min": after_1[0], "rss_end": samples[-1][1],
            "rss_peak": max(m for _, m in samples),
            "growth_after_1min": max(after_1) - after_1[0], "take_mb": take_mb,
            "error": session.error}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=120, help="frames for the detector floor")
    ap.add_argument("--live-seconds", type=float, default=20.0)
    ap.add_argument("--minutes", type=float, default=2.0, help="memory soak length")
    ap.add_argument("--no-video", action="store_true", help="soak: record poses only")
    ap.add_argument("--no-side-track", action="store_true",
                    help="live path without the causal side track (its cost: A/B)")
    ap.add_argument("--skip", default="", help="comma list of: floor,live,offline,models,memory")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    print(f"# bench_pipeline  ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, torch threads: {_torch_threads()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')})")

    with VideoFileSource(sample_clip()) as src:
        frames = [f.image for f in src][: max(args.frames, 10)]
        fps = src.info.fps
    tmp = Path(tempfile.mkdtemp(prefix="bench_"))
    clip720 = tmp / "walk_720p30.avi"
    vw = cv2.VideoWriter(str(clip720), cv2.VideoWriter_fourcc(*"MJPG"), fps, (1280, 720))
    with VideoFileSource(sample_clip()) as src:
        for f in src:
            vw.write(cv2.resize(f.image, (1280, 720), interpolation=cv2.INTER_AREA))
    vw.release()

    floor = None
    if "floor" not in skip:
        floor = detector_floor(frames)
        table("Detector floor: MediaPipe alone, sample clip 1768x994", 
              ["frames", "median ms", "p95 ms", "mean ms", "max fps"],
              [[floor["frames"], floor["median_ms"], floor["p95_ms"], floor["mean_ms"],
                1000 / floor["mean_ms"]]])
    if "live" not in skip:
        # the detector alone and the whole pipeline on the same live capture, twice each,
        # interleaved, so that a slow spell of the machine hits both alike
        runs = {"det": [], "full": []}
        for _ in range(2):
            runs["det"].append(live_path(sample_clip(), args.live_seconds / 2, record=False,
                                         detector_only=True))
            runs["full"].append(live_path(sample_clip(), args.live_seconds / 2, record=True,
                                          side_track=not args.no_side_track))
        det_ms = statistics.fmean(r["work_mean_ms"] for r in runs["det"])
        full = runs["full"]
        live = {k: statistics.fmean(r[k] for r in full)
                for k in ("fps_in", "fps", "lat_med_ms", "lat_p95_ms", "work_mean_ms")}
        live.update(captured=sum(r["captured"] for r in full),
                    dropped=sum(r["dropped"] for r in full),
                    lifter=full[0]["lifter"], refiner=full[0]["refiner"])
        ratio = live["work_mean_ms"] / floor["mean_ms"] if floor else float("nan")
        table("Live path: sample clip at its real rate through the fake camera, recording",
              ["camera fps", "processed fps", "captured", "dropped", "latency median ms",
               "latency p95 ms", "pipeline ms/frame", "detector alone, same capture ms/frame",
               "ratio to it", "ratio to idle floor", "lifter", "refiner"],
              [[live["fps_in"], live["fps"], live["captured"], live["dropped"],
                live["lat_med_ms"], live["lat_p95_ms"], live["work_mean_ms"], det_ms,
                live["work_mean_ms"] / det_ms, ratio, live["lifter"], live["refiner"]]])
    if "offline" not in skip:
        off = offline_path(clip720)
        table("Offline path: process_video on the clip at 1280x720, 30 fps",
              ["frames", "seconds", "fps", "x real time", "detector threads", "lifter",
               "refiner"],
              [[off["frames"], off["seconds"], off["fps"], off["realtime"], off["threads"],
                off["lifter"], off["refiner"]]])
        table("Offline path: the body detector on every core (the default) against one "
              "thread (detector_threads=1, as before), same run",
              ["detector threads", "seconds", "seconds, 1 thread", "ratio",
               "x real time, 1 thread"],
              [[off["threads"], off["seconds"], off["seconds_one_thread"],
                off["seconds"] / off["seconds_one_thread"],
                off["realtime"] * off["seconds"] / off["seconds_one_thread"]]])
        table("Offline path: the camera tilt found from the take (the default) against "
              "--tilt 0, same run",
              ["tilt found", "seconds, found", "seconds, --tilt 0", "ratio",
               "tilt stage alone, s", "share of the run"],
              [[off["tilt_found"], off["seconds"], off["seconds_level"],
                off["seconds"] / off["seconds_level"], off["tilt_stage_s"],
                off["tilt_stage_s"] / off["seconds"]]])
    if "models" not in skip:
        table("Model costs on the CPU", ["model", "weights", "ms per frame", "target ms"],
              model_costs())
    if "memory" not in skip:
        mem = memory_soak(clip720, args.minutes, not args.no_video)
        table(f"Memory: a {mem['minutes']:.1f}-minute live take (720p clip looped at real "
              "rate, recording)",
              ["frames", "RSS start MB", "RSS at 1 min", "RSS end", "RSS peak",
               "growth after 1 min MB", "take on disk MB"],
              [[mem["frames"], mem["rss_start"], mem["rss_1min"], mem["rss_end"],
                mem["rss_peak"], mem["growth_after_1min"], mem["take_mb"]]])
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return 0


def _torch_threads():
    try:
        import torch
        return torch.get_num_threads()
    except ImportError:
        return "-"


if __name__ == "__main__":
    sys.exit(main())
