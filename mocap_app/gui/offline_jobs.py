"""The offline jobs: importing a video file (every frame) into a take, and re-running
the bidirectional refiner over a saved take."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..pipeline.offline import take_tilt
from .worker import Job, JobCancelled, LatestBox


@dataclass(frozen=True)
class ImportResult:
    take_folder: Path
    frames: int
    frames_with_person: int
    seconds: float
    refined_with: str              # which refinement stages ran, for the status bar
    short_input: str | None = None  # the video ended before its declared length: why


class _PreviewEstimator:
    """Wraps a PoseEstimator so the import shows the frame being processed: each
    (image, pose) goes to a LatestBox the GUI polls."""

    def __init__(self, estimator, box: LatestBox):
        self._estimator = estimator
        self._box = box
        self._last_image = None

    def estimate(self, image, index, timestamp):
        pose = self._estimator.estimate(image, index, timestamp)
        self._box.put((image, pose))   # ``image`` is a fresh decode, never reused
        return pose

    def estimate_deferred(self, image, index, timestamp):
        """The wrapped estimator's deferred pose, shown with its own frame."""
        pose = self._estimator.estimate_deferred(image, index, timestamp)
        previous, self._last_image = self._last_image, image
        if pose is not None:
            self._box.put((previous, pose))
        return pose

    def flush_deferred(self):
        pose = self._estimator.flush_deferred()
        if pose is not None:
            self._box.put((self._last_image, pose))
        return pose

    def __getattr__(self, name):
        return getattr(self._estimator, name)


def make_refine(bidirectional: bool = True,
                tilt_deg: float = 0.0) -> tuple[Callable | None, str]:
    """The refinement stages as a PoseSequence -> PoseSequence callable, and a note of
    what runs. Falls back to the stages without the temporal network when its weights
    are not shipped yet; None when pipeline.refine does not exist."""
    try:
        from ..pipeline.refine import RefineOptions, refine_sequence
    except ImportError:
        return None, "no refinement (pipeline.refine not available)"
    options = RefineOptions(bidirectional=bidirectional, tilt_deg=tilt_deg)
    try:
        from ..pipeline.refine import load_refiner
        refiner = load_refiner(causal=not bidirectional)
        note = "temporal refiner (bidirectional)" if bidirectional else "temporal refiner"
    except Exception as exc:  # missing weights or torch: keep the other stages
        refiner = None
        options = RefineOptions(temporal=False, bidirectional=bidirectional, tilt_deg=tilt_deg)
        note = f"refinement without temporal network ({type(exc).__name__})"

    def run(seq):
        return refine_sequence(seq, options, refiner).refined
    return run, note


class OfflineImportJob(Job):
    """Processes every frame of a video file, then saves the result as a take. A
    cancelled or failed import leaves nothing on disk."""

    def __init__(self, video: Path, takes_root: Path, config, refine: bool = True,
                 preview: LatestBox | None = None, take_name: str | None = None,
                 start: float | None = None, end: float | None = None):
        super().__init__()
        self.start, self.end = start, end        # the stretch of the video (None: open)
        self.video = Path(video)
        self.takes_root = Path(takes_root)
        self.config = config
        self.refine = refine
        self.preview = preview
        self.take_name = take_name

    def work(self) -> ImportResult:
        from ..pipeline.estimator import PoseEstimator, offline_config
        from ..pipeline.offline import Cancelled, process_video
        from ..takes.manage import save_offline_take, unique_take_folder

        self.estimator = estimator = PoseEstimator(offline_config(self.config))  # its cost:
        # the status bar
        est = _PreviewEstimator(estimator, self.preview) if self.preview else estimator
        refine, note = make_refine(True) if self.refine else (None, "refinement off")
        last = [0.0]

        def progress(p):
            now = time.monotonic()
            # throttled: the bar needs ~10 updates a second, not one per frame
            if now - last[0] >= 0.1 or (p.total and p.done >= p.total):
                last[0] = now
                self.progress.emit(p)
        try:
            result = process_video(self.video, self.config, refine=refine,
                                   cancel=self.stop_event, progress=progress, estimator=est,
                                   start=self.start, end=self.end)
        except Cancelled:
            raise JobCancelled() from None
        finally:
            estimator.close()
        if self.stop_event.is_set():
            raise JobCancelled()
        folder = unique_take_folder(self.takes_root, self.take_name or self.video.stem)
        info = dict(result.info)
        lifter_loaded = bool(info.pop("lifter", False))
        shown = note
        if info.get("side_swaps_fixed"):      # the side check caught a left/right swap
            shown = (f"{note}; left/right put right on {info['side_swaps_fixed']} frames "
                     f"(the detector had exchanged them)")
        if info.get("tilt_found") and info.get("tilt_deg"):   # a rolled camera levelled
            shown = f"{shown}; camera tilt {info['tilt_deg']:g}° found and levelled"
        save_offline_take(folder, result, parameters={
            **info, "detector": self.config.detector, "lifter": self.config.lifter,
            "tilt_deg": info.get("tilt_deg", self.config.tilt_deg),
            "lifter_loaded": lifter_loaded, "refinement": note})
        return ImportResult(folder, result.frames, result.frames_with_person,
                            result.seconds, shown,
                            short_input=(result.short_input.message(self.video.name)
                                         if result.short_input is not None else None))


class ReprocessJob(Job):
    """Runs the bidirectional refiner over a take's raw poses and stores the result in the
    take (raw kept)."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)

    def work(self) -> str:
        from ..takes import load_take
        from ..takes.manage import store_refined
        raw, meta = load_take(self.folder, which="raw")
        refine, note = make_refine(True, take_tilt(meta))
        if refine is None:
            raise RuntimeError("re-processing needs pipeline.refine, which is not installed "
                               "in this build")
        if self.stop_event.is_set():
            raise JobCancelled()
        refined = refine(raw)
        store_refined(self.folder, raw, refined, note)
        return note


class FindTiltJob(Job):
    """Finds the camera's tilt from a live session's newest frames
    (``LiveSession.recent_poses``, ``lift.tilt.estimate_tilt``) with a lifter of its own,
    so the live one goes on lifting meanwhile. Its result: the ``TiltEstimate``."""

    def __init__(self, poses, lifter_kind: str = "auto"):
        super().__init__()
        self.poses = poses
        self.lifter_kind = lifter_kind

    def work(self):
        from ..lift.tilt import estimate_tilt
        from ..pipeline.estimator import load_lifter
        lifter = load_lifter(self.lifter_kind)
        if lifter is None:
            raise RuntimeError("finding the camera tilt needs the lifter (models/lifter.pt), "
                               "and none is loaded")
        kp, vis, world, size = self.poses
        return estimate_tilt(lifter, kp, vis, size, world)


__all__ = ["FindTiltJob", "ImportResult", "OfflineImportJob", "ReprocessJob", "make_refine",
           "take_tilt"]
