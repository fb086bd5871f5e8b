"""Frame -> pose: the detector, then the 3D lifter (or the detector's own 3D when no
lifter is loaded). Shared by the live and offline pipelines."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from ..core.pose import FramePose, camera_to_app
from ..core.skeleton import NUM_JOINTS
from ..detect.base import PersonDetector
from ..lift.tilt import AUTO, check_tilt


@dataclass(frozen=True)
class EstimatorConfig:
    detector: str = "blazepose"     # which person detector (see detect.make_detector)
    lifter: str = "auto"            # "auto": the shipped lifter if present; "none": the
                                    # detector's own 3D (MediaPipe world landmarks)
    keep_heatmaps: bool = False     # keep the lifter's marginal heatmaps (GUI)
    flip_average: bool | None = None  # lift the mirror image too and average (None: the
                                      # lifter's default, ``lift.inference.FLIP_AVERAGE``)
    hands: bool = False             # track both hands (detect/hands.py) for the fingers
    hand_rate: str = "every"        # "every": both hands every frame; "alternate": one
                                    # hand a frame, the other held; "auto": alternate
                                    # while both would not fit the live frame budget
    side_check: bool = True         # put right the frames where the detector exchanged
                                    # left and right (offline: pipeline/side_check.py over
                                    # the whole file; live: side_track.SideTracker, causal)
    side_track: bool = False        # the causal side track frame by frame (live_config
                                    # turns it on with side_check)
    hand_thread: bool | None = None  # hands on their own thread (pipeline/hand_worker.py:
                                     # the second core, hands one frame old); None: live
                                     # where there are two cores, offline never
    tilt_deg: float = 0.0           # how far the world's vertical leans in the picture
                                    # (a rolled camera), degrees clockwise: the lifter
                                    # lifts the picture levelled (lift.inference.Lifter)
    auto_tilt: bool = True          # offline (process_video): the take's tilt found from
                                    # the take (lift.tilt.estimate_tilt) replaces tilt_deg;
                                    # live capture cannot look ahead and uses tilt_deg
    detector_threads: int | None = None  # LiteRT threads of the body detector's models
                                    # ("blazepose"): the same poses, faster on more cores.
                                    # None: 1 (live and batch share the cores with other
                                    # work); offline_config gives a whole file the cores

    def __post_init__(self):
        if self.hand_rate not in HAND_RATES:
            raise ValueError(f"unknown hand_rate {self.hand_rate!r}; choose one of "
                             f"{', '.join(HAND_RATES)}")
        check_tilt(self.tilt_deg)
        check_detector_threads(self.detector_threads)


def tilt_config(tilt: float | str) -> dict:
    """The ``EstimatorConfig`` fields for a checked tilt setting (``lift.tilt.tilt_setting``:
    "auto" or degrees)."""
    return ({"auto_tilt": True, "tilt_deg": 0.0} if tilt == AUTO
            else {"auto_tilt": False, "tilt_deg": check_tilt(tilt)})


HAND_RATES = ("every", "alternate", "auto")

#: The most LiteRT threads the body detector is given: its two models are small (a
#: 224x224 detector, a 256x256 landmark network), so more threads than this only wait.
MAX_DETECTOR_THREADS = 8


def check_detector_threads(threads: int | None) -> int | None:
    """``threads`` (None or 1..MAX_DETECTOR_THREADS) checked; ValueError naming the range."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) \
            or not 1 <= threads <= MAX_DETECTOR_THREADS:
        raise ValueError(f"detector threads must be a whole number 1..{MAX_DETECTOR_THREADS},"
                         f" got {threads!r}")
    return threads


def offline_detector_threads(hand_thread: bool = False) -> int:
    """Threads for the body detector when one file has the machine to itself: every core
    (up to ``MAX_DETECTOR_THREADS``), less the one the hands' own thread keeps busy. On
    this project's 2-core machine: 2 without the hand thread (docs/BENCHMARKS.md)."""
    cores = os.cpu_count() or 1
    return max(1, min(MAX_DETECTOR_THREADS, cores - (1 if hand_thread else 0)))


#: The live frame budget "auto" keeps: 30 fps, with a tenth spare for the GUI and capture.
LIVE_BUDGET_S = 0.9 / 30.0


#: Live capture lifts in one pass: flip averaging doubles the lifter's cost (~0.7 ms a
#: frame here) for ~0.6 mm, and the live path's budget is tight (docs/BENCHMARKS.md).
#: Imported videos and re-processed takes use the lifter's default (flip-averaged).
LIVE_FLIP_AVERAGE = False


def offline_config(config: "EstimatorConfig") -> "EstimatorConfig":
    """``config`` for processing a whole file: with hands and two cores, the hands on
    their own thread unless chosen otherwise (``estimate_deferred``: the same poses, one
    frame deferred, the second core busy); the body detector on the cores left
    (``offline_detector_threads``) unless a number was chosen."""
    if config.hands and config.hand_thread is None:
        config = replace(config, hand_thread=(os.cpu_count() or 1) >= 2)
    if config.detector_threads is None:
        config = replace(config, detector_threads=offline_detector_threads(
            bool(config.hands and config.hand_thread)))
    return config


def live_config(config: "EstimatorConfig") -> "EstimatorConfig":
    """``config`` for a live session: one lifter pass unless it says otherwise, hands at
    the rate the frame budget allows ("auto") unless a rate was chosen, and the causal
    side track with the side check."""
    if config.hands and config.hand_rate == "every":
        config = replace(config, hand_rate="auto")
    if config.hands and config.hand_thread is None:
        config = replace(config, hand_thread=(os.cpu_count() or 1) >= 2)
    config = replace(config, side_track=config.side_check)
    if config.flip_average is not None:
        return config
    return replace(config, flip_average=LIVE_FLIP_AVERAGE)


def make_detector(kind: str, threads: int | None = None) -> PersonDetector:
    """The body detector ``kind``; ``threads``: its LiteRT threads ("blazepose" only: the
    legacy MediaPipe solution runs its own graph), None for 1."""
    try:
        from ..detect import make_detector as factory  # the detector package's factory
    except ImportError:
        factory = None
    if factory is not None:
        if kind == "blazepose" and threads is not None:
            return factory(kind, num_threads=threads)
        return factory(kind)
    if kind != "mediapipe":
        raise ValueError(f"unknown detector {kind!r}")
    from ..detect.mediapipe_pose import MediaPipePoseDetector
    return MediaPipePoseDetector()


def load_lifter(kind: str, flip_average: bool | None = None):
    """The shipped lifter, or None when ``kind`` is "none" (or "auto" and none ships)."""
    if kind == "none":
        return None
    try:
        from ..lift.inference import Lifter
    except ImportError:
        if kind == "auto":
            return None
        raise
    from ..core.paths import models_dir
    path = models_dir() / "lifter.pt" if kind == "auto" else kind
    try:
        if flip_average is None:
            return Lifter.load(path)
        return Lifter.load(path, flip_average=flip_average)
    except FileNotFoundError:
        if kind == "auto":
            return None
        raise


class PoseEstimator:
    """Turns a BGR frame into a FramePose. Not thread-safe: one per worker."""

    def __init__(self, config: EstimatorConfig = EstimatorConfig(), detector=None, lifter=None):
        self.config = config
        self.detector = (detector if detector is not None
                         else make_detector(config.detector, config.detector_threads))
        self.lifter = (lifter if lifter is not None
                       else load_lifter(config.lifter, config.flip_average))
        if self.lifter is not None and config.tilt_deg:
            self.lifter.tilt_deg = config.tilt_deg
        self.hands = make_hand_tracker() if config.hands else None
        self.worker = None          # the hands' own thread (config.hand_thread)
        if self.hands is not None and config.hand_thread:
            from .hand_worker import HandWorker  # noqa: PLC0415
            self.worker = HandWorker(self.hands)
        self._submitted: tuple[np.ndarray, tuple[str, ...]] | None = None  # body, sides
        self._deferred = None       # offline: (pose, detection, sides) awaiting its hands
        self.last_hands = None      # the hand tracker's last HandsResult (GUI drawing)
        self.cost = FrameCost()
        self._held: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._frames = 0
        self.side_tracker = None    # live: the causal side track (config.side_track)
        if config.side_track and config.side_check:
            from .side_track import SideTracker  # noqa: PLC0415
            self.side_tracker = SideTracker()
        self._exchanged = False     # this frame's left and right were put right
        self.side_fixed = 0         # frames put right so far (the live status bar)
        #: offline, while the take's camera tilt is still to be found (``lifting_later``):
        #: frames are not lifted, their 3D is the detector's own until the whole take is
        #: lifted once at the tilt found (``offline.level_take``)
        self.lift_later = False

    @contextmanager
    def lifting_later(self):
        """Within: frames with enough keypoints to lift (``lift.inference.liftable``) get
        the detector's own 3D as a stand-in (0 where it has none) instead of a lift, so
        ``process_video`` lifts the take once, after finding its tilt, and not twice."""
        before, self.lift_later = self.lift_later, self.lifter is not None
        try:
            yield self.lift_later
        finally:
            self.lift_later = before

    @property
    def uses_lifter(self) -> bool:
        return self.lifter is not None

    def estimate(self, image: np.ndarray, index: int, timestamp: float) -> FramePose:
        # which hands to look for this frame (before _body counts it; the worker path
        # decides after, for the frame it submits)
        sides = self._hand_sides() if self.hands is not None and self.worker is None else ()
        det, pose = self._body(image, index, timestamp)
        if self.hands is None:
            return pose
        if self.worker is not None:
            hands_2d, hands_3d, held, sides_seen = self._worker_hands(image, det)
        else:
            t1 = time.perf_counter()
            self.last_hands = self.hands.track(image, det, sides)
            hands_2d, hands_3d, held, sides_seen = self._hands_of(self.last_hands, det, sides)
            self.cost.add_hands(time.perf_counter() - t1, len(sides))
        if not pose.has_person:
            return pose
        return _with_hands(pose, (hands_2d, hands_3d, held, sides_seen), self._exchanged)

    # -- offline with the hands on their own thread: exact, one frame deferred ----------
    def estimate_deferred(self, image: np.ndarray, index: int,
                          timestamp: float) -> FramePose | None:
        """Offline with a hand worker: detect and lift this frame while the worker runs
        the previous frame's hands, then return the previous frame's pose with its own
        hands (None on the first call; ``flush_deferred`` gives the last). The same
        poses as ``estimate`` on the same thread, the two cores busy at once."""
        sides = self._hand_sides()
        det, pose = self._body(image, index, timestamp)
        done = self.flush_deferred()
        self.worker.submit(image, det, sides)      # every frame: None resets the tracker
        self._deferred = (pose, det, sides, self._exchanged)
        return done

    def flush_deferred(self) -> FramePose | None:
        """The deferred frame's pose, completed with its hands (None if there is none)."""
        if self._deferred is None:
            return None
        pose, det, sides, exchanged = self._deferred
        self._deferred = None
        got, seconds = self.worker.collect()
        self.last_hands = got
        self.cost.add_hands(seconds, len(sides))
        hands = self._hands_of(got, det, sides)
        if not pose.has_person:
            return pose
        return _with_hands(pose, hands, exchanged)

    def _hands_of(self, got, det, sides: tuple[str, ...], body: np.ndarray | None = None):
        """(2D, 3D, held, the hand model's view of the sides) of a HandsResult found on
        ``det`` for ``sides`` (all None without a body or a result); at half rate the hand
        not looked for is held from the last frame. ``body``: the body landmarks the hands
        were found on when not ``det``'s (live on the worker: last frame's), their 2D then
        moved with the wrists. Keeps them for the next frame's hold."""
        if det is None or got is None:
            self._held = None
            return None, None, None, None
        hands_2d, hands_3d = hand_arrays(got)
        if body is not None:
            hands_2d = hands_2d + (det.landmarks_2d[[15, 16]] - body[[15, 16]])[:, None]
        held = None
        if len(sides) == 1:
            hands_2d, hands_3d, held = self._hold_other(hands_2d, hands_3d, sides[0], det)
        self._held = (hands_2d, hands_3d, det.landmarks_2d)
        return hands_2d, hands_3d, held, got.sides

    def _body(self, image: np.ndarray, index: int, timestamp: float):
        """(detection, FramePose without hands) of one frame: the detector and the lift."""
        h, w = image.shape[:2]
        t0 = time.perf_counter()
        det = self.detector.detect(image, timestamp)
        self.cost.add_detector(time.perf_counter() - t0)
        self._frames += 1
        self._exchanged = False
        if det is None:
            if self.side_tracker is not None:
                self.side_tracker.update(np.full((NUM_JOINTS, 2), np.nan), np.zeros(NUM_JOINTS))
            return None, FramePose(index, timestamp, (w, h))
        kp, vis = det.app_keypoints()
        world = det.app_world_joints()
        own_3d = world
        if self.side_tracker is not None:   # the detector's left/right put back if exchanged
            kp, vis, world, own_3d, self._exchanged = self.side_tracker.put_right(kp, vis,
                                                                                  world)
            self.side_fixed += self._exchanged
        heatmaps = None
        if self.lift_later:
            from ..lift.inference import liftable  # noqa: PLC0415
            if not liftable(kp, vis):
                return det, FramePose(index, timestamp, (w, h))
            joints = np.where(np.isfinite(own_3d), own_3d, 0.0)
        elif self.lifter is not None:
            res = self.lifter.lift(kp[None], vis[None], (w, h), world=world[None])
            joints = np.asarray(res.joints_3d[0], dtype=np.float64)
            if self.config.keep_heatmaps and getattr(res, "heatmaps", None) is not None:
                heatmaps = {k: np.asarray(v[0]) for k, v in res.heatmaps.items()}
        else:
            joints = own_3d
        if not np.isfinite(joints).all():
            return det, FramePose(index, timestamp, (w, h))
        return det, FramePose(index, timestamp, (w, h), box=det.box, keypoints_2d=kp,
                              visibility=vis, joints_3d=joints, heatmaps=heatmaps,
                              detector_3d=world if np.isfinite(world).all() else None)

    def _worker_hands(self, image: np.ndarray, det):
        """Hands on the worker thread: collect last frame's (they ran while this frame's
        body was detected and lifted), move their 2D with the body's wrists to this
        frame, and submit this frame's. (2D, 3D, held, what the hand model said of the
        body's sides): all None on the first frame of a person."""
        got, seconds = self.worker.collect()
        out = (None, None, None, None)
        if got is not None and self._submitted is not None:
            body, sides = self._submitted
            self.last_hands = got
            self.cost.add_hands(seconds, len(sides))
            # last frame's hands (and their view of the sides), moved to this frame
            out = self._hands_of(got, det, sides, body)
        else:
            self._held = None
        self._submitted = None
        if det is None:
            return out
        sides = self._hand_sides()
        self.worker.submit(image, det, sides)
        self._submitted = (det.landmarks_2d.copy(), sides)
        return out

    def reset(self) -> None:
        self.detector.reset()
        if self.side_tracker is not None:
            self.side_tracker.reset()
        self.side_fixed = 0
        self._held = self._submitted = self._deferred = None
        if self.worker is not None:
            self.worker.reset()
        elif self.hands is not None:
            self.hands.reset()

    def close(self) -> None:
        self.detector.close()
        if self.worker is not None:
            self.worker.close()
        elif self.hands is not None:
            self.hands.close()


    # -- hands at a lower rate -------------------------------------------------------
    @property
    def hands_alternating(self) -> bool:
        rate = self.config.hand_rate
        return rate == "alternate" or (
            rate == "auto" and self.cost.over_budget(parallel=self.worker is not None))

    def _hand_sides(self) -> tuple[str, ...]:
        if not self.hands_alternating:
            return ("left", "right")
        return ("left",) if self._frames % 2 == 0 else ("right",)

    def _hold_other(self, pts: np.ndarray, world: np.ndarray, looked: str, det):
        """The hand not looked for this frame: last frame's, its 2D moved with the body's
        wrist (the 3D is wrist-relative already), and which hand that is ((2,) bool)."""
        held = np.zeros(2, bool)
        if self._held is None:
            return pts, world, held
        k = 1 if looked == "left" else 0
        old_pts, old_world, old_body = self._held
        wrist = 15 + k                       # BlazePose's left / right wrist
        pts, world = pts.copy(), world.copy()
        pts[k] = old_pts[k] + (det.landmarks_2d[wrist] - old_body[wrist])
        world[k] = old_world[k]
        held[k] = bool(np.isfinite(old_world[k]).all())
        return pts, world, held


class FrameCost:
    """Running per-frame costs (seconds, exponential means) of the detector and of the
    hands, and the hands' cost per hand looked for: what "auto" decides by and the GUI
    shows."""

    RATE = 0.05

    def __init__(self):
        self.detector_s = 0.0
        self.hands_s = 0.0
        self.per_hand_s = 0.0
        self.frames = 0

    def _mean(self, old: float, new: float) -> float:
        return new if self.frames < 2 else old + self.RATE * (new - old)

    def add_detector(self, seconds: float) -> None:
        self.frames += 1
        self.detector_s = self._mean(self.detector_s, seconds)

    def add_hands(self, seconds: float, sides: int) -> None:
        self.hands_s = self._mean(self.hands_s, seconds)
        if sides:
            self.per_hand_s = self._mean(self.per_hand_s, seconds / sides)

    def over_budget(self, budget_s: float = LIVE_BUDGET_S, parallel: bool = False) -> bool:
        """Whether the detector and both hands every frame would not fit ``budget_s``
        (decided after 10 frames; the lifter's ~1 ms is inside the spare tenth). With the
        hands on their own thread (``parallel``) each of the two must fit on its own."""
        if self.frames < 10:
            return False
        hands = 2 * self.per_hand_s
        need = max(self.detector_s, hands) if parallel else self.detector_s + hands
        return need > budget_s


def make_hand_tracker():
    from ..detect.hands import HandTracker  # noqa: PLC0415  (three more models: when asked)
    return HandTracker()


def hand_arrays(result) -> tuple[np.ndarray, np.ndarray]:
    """(2, 21, 2) pixels and (2, 21, 3) metres (app axes, wrist at the origin) of a
    HandsResult, left then right; NaN for a hand not seen."""
    pts = np.full((2, 21, 2), np.nan)
    world = np.full((2, 21, 3), np.nan)
    for k, hand in enumerate((result.left, result.right)):
        if hand is not None:
            pts[k] = hand.landmarks_2d
            world[k] = camera_to_app(hand.hand_3d())
    return pts, world


def _with_hands(pose: FramePose, hands: tuple, exchanged: bool) -> FramePose:
    """``pose`` with its hands (2D, 3D, held, the hand model's view of the sides), given
    on the detector's labels: exchanged too where the side track put the body's right."""
    if exchanged:
        hands = tuple(None if a is None else np.asarray(a)[::-1].copy() for a in hands)
    hands_2d, hands_3d, held, sides_seen = hands
    return replace(pose, hands_2d=hands_2d, hands_3d=hands_3d, hands_held=held,
                   hand_sides=sides_seen)
