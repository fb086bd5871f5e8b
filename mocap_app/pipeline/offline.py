"""Offline mode: every frame of a file, in order, with progress and cancel.

Frames are decoded and processed one at a time; only the small per-frame pose arrays are
kept, so memory stays flat however long the file is.
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

import numpy as np

from ..capture.base import CaptureError
from ..capture.video import VideoFileSource
from ..core.pose import FramePose, PoseSequence
from .estimator import EstimatorConfig, PoseEstimator, offline_config


class Cancelled(Exception):
    """Processing was cancelled by the user; nothing partial is kept."""


class NoPersonError(RuntimeError):
    """The video was read, but no person was found in any frame."""


#: Containers' frame counts are estimates for some files (variable frame rate, edit
#: lists), so a file is called short only when more than this fraction of its declared
#: frames, and more than ``SHORT_INPUT_MIN_FRAMES``, did not decode.
SHORT_INPUT_FRACTION = 0.03
SHORT_INPUT_MIN_FRAMES = 2


@dataclass(frozen=True)
class ShortInput:
    """A file that declares more frames than decode (truncated download, copy cut off,
    damaged end): what decoded is kept and processed; the user must be told."""
    frames_read: int
    frames_declared: int
    stopped_at: float         # seconds into the video where decoding stopped

    def message(self, name: str) -> str:
        return (f"{name} ended early: {self.frames_read} of {self.frames_declared} frames "
                f"decoded, decoding stopped at {_clock(self.stopped_at)}; the frames that "
                "decoded were kept")

    def as_dict(self) -> dict:
        return {"frames_read": self.frames_read, "frames_declared": self.frames_declared,
                "stopped_at_s": round(self.stopped_at, 3)}


def short_input(frames_read: int, frames_declared: int | None,
                stopped_at: float) -> ShortInput | None:
    """A ``ShortInput`` when clearly fewer frames decoded than the container declares."""
    if not frames_declared:
        return None
    missing = frames_declared - frames_read
    if missing <= max(SHORT_INPUT_MIN_FRAMES, SHORT_INPUT_FRACTION * frames_declared):
        return None
    return ShortInput(frames_read, frames_declared, stopped_at)


def _clock(seconds: float) -> str:
    """1.5 -> '1.50 s'; 83.25 -> '1:23.25 (83.25 s)'."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:05.2f} ({seconds:.2f} s)"


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
    short_input: ShortInput | None = None     # the file ended before its declared length

    @property
    def fps_processed(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class StretchError(ValueError):
    """A stretch of a video to process that is not one (``check_stretch``)."""


def check_stretch(start: float | None, end: float | None,
                  duration: float | None = None) -> None:
    """Refuse a stretch of a video to process (seconds from its start; None: open) that
    is not one: a negative or non-finite time, an end not after the start, or, with the
    file's ``duration`` known, a start at or past its end. The message names the range."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and not (isinstance(value, (int, float))
                                      and np.isfinite(value) and value >= 0):
            raise StretchError(f"the {name} of the stretch to process must be a time of 0 s "
                             f"or more, got {value!r}")
    if start is not None and end is not None and not end > start:
        raise StretchError(f"the end of the stretch to process ({end:g} s) must come after "
                         f"its start ({start:g} s)")
    if duration and start is not None and start >= duration:
        raise StretchError(f"the stretch to process starts at {start:g} s, past the video's "
                         f"end: choose a start within 0-{duration:.2f} s")


def stretch_frames(frame_count: int | None, fps: float, start: float | None,
                   end: float | None) -> int | None:
    """How many of a video's ``frame_count`` frames (at ``fps``) lie from ``start`` to
    ``end`` seconds (None: open); None where the container does not say its length."""
    if not frame_count or not fps > 0:
        return frame_count or None
    first = 0 if start is None else int(np.ceil(start * fps - 1e-6))
    last = frame_count - 1 if end is None else min(frame_count - 1,
                                                   int(np.floor(end * fps + 1e-6)))
    return max(1, last - first + 1)


class _Stretch:
    """The frames of ``source`` within ``start``..``end`` seconds (None: open), in
    order; the frames before are decoded and dropped, reading stops after the end.
    ``read``: frames decoded; ``ended``: reading stopped at the stretch's end."""

    def __init__(self, source, start: float | None, end: float | None):
        self.source, self.start, self.end = source, start, end
        self.read, self.ended = 0, False

    def __iter__(self):
        for frame in self.source:
            self.read += 1
            if self.start is not None and frame.timestamp < self.start - 1e-6:
                continue
            if self.end is not None and frame.timestamp > self.end + 1e-6:
                self.ended = True
                return
            yield frame


def iter_video_poses(source, estimator: PoseEstimator,
                     cancel: threading.Event | None = None) -> Iterator[FramePose]:
    """Per-frame poses of every frame of ``source`` (a ``VideoFileSource`` or any
    iterable of its frames), in order. An estimator with a hand
    worker runs the hands of each frame beside the next frame's body
    (``PoseEstimator.estimate_deferred``): the same poses, one frame later."""
    deferred = (getattr(estimator, "worker", None) is not None
                and hasattr(estimator, "estimate_deferred"))
    for frame in source:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if not deferred:
            yield estimator.estimate(frame.image, frame.index, frame.timestamp)
            continue
        pose = estimator.estimate_deferred(frame.image, frame.index, frame.timestamp)
        if pose is not None:
            yield pose
    if deferred:
        last = estimator.flush_deferred()
        if last is not None:
            yield last


def process_video(path: str | os.PathLike, config: EstimatorConfig = EstimatorConfig(), *,
                  refine=None, cancel: threading.Event | None = None,
                  progress: Callable[[Progress], None] | None = None,
                  estimator: PoseEstimator | None = None, start: float | None = None,
                  end: float | None = None) -> OfflineResult:
    """Process a video file, whole or the stretch from ``start`` to ``end`` seconds of it
    (either None: open; checked by ``check_stretch`` before any work, StretchError; the
    poses keep the file's own times, ``info["first_frame"]`` is the file's frame the take
    starts at). ``refine`` is an optional callable
    PoseSequence -> PoseSequence (the refinement stages). Raises CaptureError for an
    unreadable file, NoPersonError when nobody is found, Cancelled when cancelled. A file
    that decodes clearly fewer frames than it declares is processed as far as it goes;
    ``result.short_input`` then says so."""
    source = VideoFileSource(path)
    try:
        check_stretch(start, end, source.info.duration)
    except StretchError:
        source.close()
        raise
    stretch = _Stretch(source, start, end)
    total = stretch_frames(source.info.frame_count, source.info.fps, start, end)
    own = estimator is None
    estimator = estimator or PoseEstimator(offline_config(config))
    t0 = time.perf_counter()
    frames: list[FramePose] = []
    with_person = 0
    # the take's tilt to be found: lift it once, at that tilt, after reading it (an
    # estimator that cannot wait lifts every frame level and the take is lifted again)
    later = (estimator.lifting_later() if config.auto_tilt and estimator.lifter is not None
             and hasattr(estimator, "lifting_later") else nullcontext(False))
    try:
        with later as unlifted:
            for pose in iter_video_poses(stretch, estimator, cancel):
                frames.append(_slim(pose))
                with_person += pose.has_person
                if progress is not None:
                    progress(Progress(len(frames), total,
                                      time.perf_counter() - t0, with_person))
    finally:
        source.close()
        if own:
            estimator.close()
    if not frames:
        if stretch.read and (start is not None or end is not None):
            raise CaptureError(f"no frame of {path} lies in the stretch "
                               f"{start or 0:g}-{'' if end is None else f'{end:g}'} s")
        raise CaptureError(f"no frames could be decoded from {path}")
    short = None if stretch.ended else short_input(
        stretch.read, source.info.frame_count, frames[-1].timestamp + 1.0 / source.info.fps)
    if with_person == 0:
        why = f" ({short.message('it')})" if short is not None else ""
        raise NoPersonError(f"no person found in {len(frames)} frames of {path}{why}")
    raw = PoseSequence.from_frames(frames, source.info.fps)
    swapped = 0
    if config.side_check:
        from .side_check import fix_swaps  # noqa: PLC0415
        # unlifted: the swapped frames are lifted with all the others below
        raw, fixed = fix_swaps(raw, None if unlifted else estimator.lifter)
        swapped = int(fixed.sum())
    info = {"width": source.info.width, "height": source.info.height,
            "fps": source.info.fps, "lifter": estimator.uses_lifter,
            "detector": config.detector}
    if start is not None or end is not None:
        info["stretch"] = [start, end]
        info["first_frame"] = int(frames[0].index)
    if config.auto_tilt and estimator.lifter is not None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        raw, found = level_take(raw, estimator.lifter, lifted=not unlifted)
        info["tilt_deg"] = found.tilt_deg
        info["tilt_found"] = found.as_dict()
    refined = refine(raw) if refine is not None else raw
    if config.side_check:
        info["side_swaps_fixed"] = swapped
    if short is not None:
        info["short_input"] = short.as_dict()
    return OfflineResult(raw, refined, str(path), len(frames), with_person,
                         time.perf_counter() - t0, info, short)


def take_tilt(meta: dict) -> float:
    """The camera tilt a take was lifted with (its take.json parameters; 0 for takes from
    before the setting)."""
    from ..lift.tilt import check_tilt  # noqa: PLC0415
    try:
        return check_tilt((meta.get("parameters") or {}).get("tilt_deg", 0.0) or 0.0)
    except (TypeError, ValueError):     # a hand-edited take.json: lift it level
        return 0.0


def level_take(seq: PoseSequence, lifter, lifted: bool = True):
    """(``seq`` lifted levelled by its own tilt, what ``lift.tilt.estimate_tilt`` found):
    the take's tilt found from its 2D keypoints and the detector's 3D, then every frame
    with a person lifted with it (as the estimator lifts a frame: its keypoints,
    visibility and the detector's 3D, which the side check has dropped where it exchanged
    the sides; a batch gives the same answer). ``lifted``: the take's 3D is already
    ``lifter``'s at its own tilt, so the take is only lifted again where the tilt found
    differs; False: the 3D is a stand-in (``PoseEstimator.lifting_later``) and every frame
    is lifted (in pieces, ``Lifter.lift_joints``: memory stays flat with the take's
    length). The lifter's own tilt is left as it was. Costs about 0.7 s of judging and
    0.8 ms a frame here (docs/BENCHMARKS.md)."""
    from ..lift.tilt import estimate_tilt  # noqa: PLC0415
    valid = np.asarray(seq.valid, bool)
    found = estimate_tilt(lifter, seq.keypoints_2d, seq.visibility, seq.image_size,
                          seq.detector_3d, valid)
    if (lifted and found.tilt_deg == lifter.tilt_deg) or not valid.any():
        return seq, found
    idx = np.flatnonzero(valid)
    kp = seq.keypoints_2d[idx]
    vis = np.where(np.isfinite(kp).all(-1), np.nan_to_num(seq.visibility[idx]), 0.0)
    world = None if seq.detector_3d is None else seq.detector_3d[idx]
    before = lifter.tilt_deg
    try:
        lifter.tilt_deg = found.tilt_deg
        lifted_3d, ok = lifter.lift_joints(np.nan_to_num(kp), vis,
                                           tuple(int(v) for v in seq.image_size), world=world)
    finally:
        lifter.tilt_deg = before
    joints = np.array(seq.joints_3d, copy=True)
    joints[idx] = np.where(ok[:, None, None], lifted_3d, joints[idx])
    if lifted or ok.all():
        return replace(seq, joints_3d=joints), found
    lost = idx[~ok]                 # a stand-in the lifter cannot replace is no pose
    joints[lost] = np.nan
    valid = valid.copy()
    valid[lost] = False
    return replace(seq, joints_3d=joints, valid=valid), found


def _slim(pose: FramePose) -> FramePose:
    """Drop per-frame heatmaps from what is kept for the whole file (memory stays flat)."""
    if pose.heatmaps is None:
        return pose
    return replace(pose, heatmaps=None)     # every other field kept (hands too)
