"""Helpers shared by the benchmark scripts."""
from __future__ import annotations

import resource


def rss_mb() -> float:
    """Resident memory of this process now, in MB (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def detect_each_view(videos, convert):
    """Run the app's detector (tracking mode, reset per video, no lifter) over every frame
    of each video. ``convert(detection or None)`` turns each frame's result into what the
    caller keeps (so no heatmaps pile up). Returns (per video: list of converted frames
    cut to the shortest video, sizes [(w, h)], fps [float])."""
    from mocap_app.capture.video import VideoFileSource
    from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
    est = PoseEstimator(EstimatorConfig(lifter="none"))
    views, sizes, fps = [], [], []
    try:
        for path in videos:
            est.reset()
            src = VideoFileSource(path)
            sizes.append((src.info.width, src.info.height))
            fps.append(src.info.fps)
            frames, found = [], 0
            for frame in src:
                det = est.detector.detect(frame.image, frame.timestamp)
                found += det is not None
                frames.append(convert(det))
            src.close()
            views.append(frames)
            print(f"{path.name}: {len(frames)} frames, {found} with a person", flush=True)
    finally:
        est.close()
    n = min(len(v) for v in views)
    if len({len(v) for v in views}) > 1:
        print(f"warning: views have {[len(v) for v in views]} frames; using the first {n}")
    return [v[:n] for v in views], sizes, fps
