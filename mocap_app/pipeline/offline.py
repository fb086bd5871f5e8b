"""Offline mode: every frame of a file, in order, with progress and cancel.

Frames are decoded and processed one at a time; only the small per-frame pose arrays are
kept, so memory stays flat however long the file is.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..capture.base import CaptureError
from ..capture.video import VideoFileSource
from ..core.pose import FramePose, PoseSequence
from .estimator import EstimatorConfig, PoseEstimator


class Cancelled(Exception):
    """Processing was cancelled by the user; nothing partial is kept."""


class NoPersonError(RuntimeError):
    """The video was read, but no person was found in any frame."""


@dataclass(frozen=True)
class Progress:
    done: int                 # frames processed
    total: int | None         # frames in the file, when the container says
    elapsed: float            # seconds
    with_person: int

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)

    @property
    def remaining(self) -> float | None:
        """Estimated seconds left."""
        if not self.total or self.done == 0:
            return None
        return self.elapsed / self.done * max(0, self.total - self.done)


@dataclass
class OfflineResult:
    raw: PoseSequence                 # per-frame poses, as estimated
    refined: PoseSequence             # after the refinement stages (== raw when off)
    source: str
    frames: int
    frames_with_person: int
    seconds: float
    info: dict = field(default_factory=dict)

    @property
    def fps_processed(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def iter_video_poses(source: VideoFileSource, estimator: PoseEstimator,
                     cancel: threading.Event | None = None) -> Iterator[FramePose]:
    """Per-frame poses of every frame of ``source``, in order."""
    for frame in source:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        yield estimator.estimate(frame.image, frame.index, frame.timestamp)


def process_video(path: str | os.PathLike, config: EstimatorConfig = EstimatorConfig(), *,
                  refine=None, cancel: threading.Event | None = None,
                  progress: Callable[[Progress], None] | None = None,
                  estimator: PoseEstimator | None = None) -> OfflineResult:
    """Process a whole video file. ``refine`` is an optional callable
    PoseSequence -> PoseSequence (the refinement stages). Raises CaptureError for an
    unreadable file, NoPersonError when nobody is found, Cancelled when cancelled."""
    source = VideoFileSource(path)
    own = estimator is None
    estimator = estimator or PoseEstimator(config)
    t0 = time.perf_counter()
    frames: list[FramePose] = []
    with_person = 0
    try:
        for pose in iter_video_poses(source, estimator, cancel):
            frames.append(_slim(pose))
            with_person += pose.has_person
            if progress is not None:
                progress(Progress(len(frames), source.info.frame_count,
                                  time.perf_counter() - t0, with_person))
    finally:
        source.close()
        if own:
            estimator.close()
    if not frames:
        raise CaptureError(f"no frames could be decoded from {path}")
    if with_person == 0:
        raise NoPersonError(f"no person found in {len(frames)} frames of {path}")
    raw = PoseSequence.from_frames(frames, source.info.fps)
    refined = refine(raw) if refine is not None else raw
    return OfflineResult(raw, refined, str(path), len(frames), with_person,
                         time.perf_counter() - t0,
                         {"width": source.info.width, "height": source.info.height,
                          "fps": source.info.fps, "lifter": estimator.uses_lifter,
                          "detector": config.detector})


def _slim(pose: FramePose) -> FramePose:
    """Drop per-frame heatmaps from what is kept for the whole file (memory stays flat)."""
    if pose.heatmaps is None:
        return pose
    return FramePose(pose.index, pose.timestamp, pose.image_size, pose.box, pose.keypoints_2d,
                     pose.visibility, pose.joints_3d, pose.root_position)
