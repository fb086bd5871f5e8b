"""Live mode: the newest frame wins.

A capture thread reads the source into a one-slot buffer (a frame not yet taken is
replaced and counted as dropped); the processing loop, run on the caller's worker thread,
always takes the newest frame, so latency never grows. Recording streams each processed
frame's pose (and the camera image) to a take folder as it happens.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..capture.base import CaptureError, Frame, FrameSource
from ..core.pose import FramePose
from ..takes import TakeError, TakeWriter
from .estimator import PoseEstimator
from .fingers import LiveFingerFilter


class LatestFrameSlot:
    """One-slot buffer: ``put`` replaces an untaken frame (counted as dropped)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._frame: tuple[Frame, float] | None = None
        self.dropped = 0
        self.closed = False
        self.error: BaseException | None = None

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = (frame, time.monotonic())
            self._cond.notify()

    def get(self, timeout: float) -> tuple[Frame, float] | None:
        with self._cond:
            if self._frame is None and not self.closed:
                self._cond.wait(timeout)
            item, self._frame = self._frame, None
            return item

    def close(self, error: BaseException | None = None) -> None:
        with self._cond:
            self.closed = True
            if self.error is None:       # the first reason is the one the user is told
                self.error = error
            self._cond.notify_all()


@dataclass(frozen=True)
class LiveResult:
    frame: Frame                    # the processed camera frame (not modified afterwards)
    pose: FramePose                 # per-frame estimate
    refined_joints: np.ndarray | None  # (J, 3) after the causal refiner, when present
    latency: float                  # seconds from capture to result
    dropped: int                    # frames dropped so far
    recording: bool
    finger_angles: np.ndarray | None = None  # (2, 5, 4) radians, causal (pipeline/fingers),
                                             # when the estimator tracks hands


@dataclass
class LiveStats:
    captured: int = 0
    processed: int = 0
    dropped: int = 0
    latencies: list | None = None

    def __post_init__(self):
        self.latencies = [] if self.latencies is None else self.latencies


#: Codecs tried in order for a take's video.avi. MPEG-4 part 2 ("XVID", OpenCV's bundled
#: FFmpeg) measured here at 720p30: 3.2 ms/frame and ~48 MB/min at 36 dB PSNR, against
#: MJPG's 7.5 ms/frame and ~310 MB/min; both in AVI stay readable up to the last whole
#: frame when a crash cuts the file. MJPG (OpenCV's own AVI writer) is the fallback.
TAKE_VIDEO_CODECS = ("XVID", "MJPG")
#: how many of the newest frames with a person a live session keeps for finding the
#: camera's tilt (``LiveSession.recent_poses``): about 5 s at 30 fps
RECENT_POSES = 150


#: At most this much of the take's video waits in memory for the encoder (frames' worth at
#: the take's rate): on a CPU too busy for the encoder the live loop waits for it instead,
#: so a crash loses at most this much video behind the poses already on disk
#: (tests/reliability/test_faults.py kills a recording under load).
VIDEO_QUEUE_SECONDS = 0.5


class _VideoWriterThread:
    """Encodes the take's frames (MPEG-4, or MJPG as a fallback) on its own thread, so the
    processing loop does not wait for the encoder. The queue holds at most
    ``VIDEO_QUEUE_SECONDS`` of frames (back-pressure, never silent drops): if the disk or
    the encoder cannot keep up, ``put`` waits, so a crash never loses more than that much
    of the video behind the poses already written."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int],
                 queue_frames: int | None = None,
                 codecs: tuple[str, ...] = TAKE_VIDEO_CODECS):
        if queue_frames is None:
            queue_frames = max(1, round(VIDEO_QUEUE_SECONDS * fps)) if fps > 0 else 15
        self.codec = None
        for codec in codecs:
            self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
            if self._writer.isOpened():
                self.codec = codec
                break
            self._writer.release()
        self.ok = self.codec is not None
        self.error: str | None = None
        self._queue: "queue.Queue[np.ndarray | None]" = queue.Queue(maxsize=queue_frames)
        self._thread = threading.Thread(target=self._run, name="take-video", daemon=True)
        if self.ok:
            self._thread.start()

    def _run(self) -> None:
        while True:
            img = self._queue.get()
            if img is None:
                break
            try:
                self._writer.write(img)
            except cv2.error as exc:   # OpenCV reports write failures this way
                self.error = f"video recording failed: {exc}"
        self._writer.release()

    def put(self, image: np.ndarray) -> None:
        self._queue.put(image)   # frames are never modified after capture: no copy needed

    def close(self) -> None:
        if self.ok:
            self._queue.put(None)
            self._thread.join()


class Recorder:
    """Streams a live take to disk: poses to frames.jsonl (written at once), images to
    video.avi (MPEG-4 or MJPG in AVI, which still plays up to the last whole frame when a
    crash cuts it off; encoded on a writer thread)."""

    def __init__(self, folder: Path, fps: float, image_size: tuple[int, int], source: str,
                 parameters: dict | None = None, record_video: bool = True):
        self.take = TakeWriter(folder, fps=fps, image_size=image_size, source=source,
                               parameters=parameters)
        self.folder = Path(folder)
        self._video = None
        if record_video:
            self._video = _VideoWriterThread(self.folder / "video.avi", fps, image_size)
            if not self._video.ok:
                self._video = None
        self.frames = 0
        self.started = time.monotonic()

    def write(self, frame: Frame, pose: FramePose) -> None:
        self.take.append(pose)   # raises TakeError on a full disk: the caller stops
        if self._video is not None:
            if self._video.error:   # the encoder thread failed: stop like a full disk
                raise TakeError(self._video.error)
            self._video.put(frame.image)
        self.frames += 1

    def close(self, status: str = "complete") -> Path:
        if self._video is not None:
            self._video.close()
            self._video = None
        return self.take.close(status=status)


class LiveSession:
    """Runs a live source through the estimator. ``run`` blocks until ``stop`` is set or
    the source ends or fails; call it on a worker thread."""

    def __init__(self, source: FrameSource, estimator: PoseEstimator,
                 on_result: Callable[[LiveResult], None] | None = None, refiner=None,
                 frame_timeout: float = 5.0):
        self.source = source
        self.estimator = estimator
        self.refiner = refiner          # object with push(joints | None, timestamp) -> joints
        self.on_result = on_result
        self.stats = LiveStats()
        self.fingers = LiveFingerFilter() if getattr(estimator, "hands", None) else None
        self.slot = LatestFrameSlot()
        self.recorder: Recorder | None = None
        self.error: str | None = None
        self.frame_timeout = frame_timeout   # seconds without a frame: the camera is gone
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        #: (keypoints, visibility, detector 3D or None, image size) of the newest frames
        #: with a person, for ``recent_poses``
        self._recent: deque = deque(maxlen=RECENT_POSES)

    # -- recording (may be called from another thread) --
    def start_recording(self, folder: Path, parameters: dict | None = None,
                        record_video: bool = True) -> Path:
        info = self.source.info
        with self._lock:
            if self.recorder is not None:
                raise TakeError("already recording")
            self.recorder = Recorder(Path(folder), info.fps, (info.width, info.height),
                                     info.description, parameters, record_video)
        return Path(folder)

    def stop_recording(self, status: str = "complete") -> Path | None:
        with self._lock:
            rec, self.recorder = self.recorder, None
        return rec.close(status) if rec is not None else None

    def _stop_recording_after_failure(self) -> None:
        """Close the take after a camera or disk failure. If even that fails (a full
        disk), frames.jsonl stays and ``load_take`` recovers it; the live view goes on."""
        try:
            self.stop_recording("stopped")
        except (TakeError, OSError) as exc:
            self.error = f"{self.error}; {exc}" if self.error else str(exc)

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    # -- the loops --
    def _read(self) -> None:
        try:
            for frame in self.source:
                if frame is None or frame.image is None or frame.image.size == 0:
                    raise CaptureError("camera delivered an empty frame (unplugged?)")
                self.stats.captured += 1
                self.slot.put(frame)
                if self.slot.closed:
                    break
            if not self.slot.closed and self.source.info.frame_count is None:
                # a live source has no end: when it stops, the camera is gone
                self.slot.close(CaptureError("camera stopped delivering frames (unplugged?)"))
            else:
                self.slot.close()
        except CaptureError as exc:
            self.slot.close(exc)
        except Exception as exc:  # a driver error is still a camera failure for the user
            self.slot.close(CaptureError(f"camera failed: {exc}"))

    def run(self, stop: threading.Event) -> None:
        self._reader = threading.Thread(target=self._read, name="capture", daemon=True)
        self._reader.start()
        last_frame = time.monotonic()
        try:
            while not stop.is_set():
                item = self.slot.get(timeout=0.1)
                if item is None:
                    if self.slot.closed:
                        break
                    if time.monotonic() - last_frame > self.frame_timeout:
                        self.slot.close(CaptureError(
                            f"camera stopped delivering frames (nothing for "
                            f"{self.frame_timeout:g} s; unplugged?)"))
                        break
                    continue
                last_frame = time.monotonic()
                frame, arrived = item
                self._process(frame, arrived)
        finally:
            self.slot.closed = True
            # let the reader see `closed` and leave the source before it is closed
            # (closing a decoder another thread is reading aborts FFmpeg)
            self._reader.join(timeout=2.0)
            try:
                self.source.close()
            except Exception:
                pass
            if self.slot.error is not None:
                self.error = str(self.slot.error) if self.error is None else \
                    f"{self.error}; {self.slot.error}"
            if self.recorder is not None:
                if self.error:
                    self._stop_recording_after_failure()
                else:
                    self.stop_recording("complete")

    def recent_poses(self):
        """The newest frames with a person (at most ``RECENT_POSES``): (keypoints (T, J, 2)
        pixels, visibility (T, J), the detector's 3D (T, J, 3), NaN where not given, the
        image size of the newest), all of one image size; None when there are none. What
        ``lift.tilt.estimate_tilt`` needs to find the camera's tilt while it runs; safe to
        call from another thread."""
        with self._lock:
            recent = list(self._recent)
        if not recent:
            return None
        size = recent[-1][3]
        recent = [r for r in recent if r[3] == size]
        kp = np.stack([r[0] for r in recent])
        vis = np.stack([r[1] for r in recent])
        world = np.stack([r[2] if r[2] is not None else np.full(kp.shape[1:2] + (3,), np.nan)
                          for r in recent])
        return kp, vis, world, size

    def _process(self, frame: Frame, arrived: float) -> None:
        pose = self.estimator.estimate(frame.image, frame.index, frame.timestamp)
        if pose.has_person and pose.keypoints_2d is not None:
            with self._lock:
                self._recent.append((pose.keypoints_2d, pose.visibility, pose.detector_3d,
                                     tuple(int(v) for v in pose.image_size)))
        refined = None
        if self.refiner is not None:
            refined = self.refiner.push(pose.joints_3d, frame.timestamp)
        fingers = None
        if self.fingers is not None:
            fingers = self.fingers.update(pose.hands_3d, frame.timestamp)
        latency = time.monotonic() - arrived
        self.stats.processed += 1
        self.stats.dropped = self.slot.dropped
        self.stats.latencies.append(latency)
        if len(self.stats.latencies) > 10000:
            del self.stats.latencies[:5000]
        with self._lock:
            rec = self.recorder
        if rec is not None:
            try:
                rec.write(frame, pose)
            except TakeError as exc:
                self.error = str(exc)
                self._stop_recording_after_failure()
        if self.on_result is not None:
            self.on_result(LiveResult(frame, pose, refined, latency, self.slot.dropped,
                                      rec is not None, fingers))

