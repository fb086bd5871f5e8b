"""The motion-over-time stages, in order, each switchable:

0. side check (the detector's left/right swaps, found by the continuity of its labels
   and, where the take has hands, the hands' votes, put right; pipeline/side_check.py),
1. temporal refiner (TP-Net; bidirectional offline, causal live),
1b. image fit (offline only: each limb bone turned about the viewing axis towards the
   2D keypoints' direction; pipeline/image_fit.py),
2. skeleton fitting (constant bone lengths, directions kept),
3. root trajectory (metric pelvis track, ground levelled at Y = 0),
4. foot contact (detect spans, pin feet with a two-bone leg IK),
5. fingers (angles from the hands, limits, smoothing, relaxed hold; pipeline/fingers.py).

``refine_sequence`` runs them over a whole take and keeps every stage's output, the raw
per-frame poses first. ``LiveRefiner`` is the causal, frame-at-a-time twin for live
capture. This module imports no torch: the refiner arrives as an object with
``refine(poses, valid)`` (see ``lift/refiner.py``), loaded through ``load_refiner``.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.pose import PoseSequence
from ..core.skeleton import NUM_JOINTS
from ..lift.tilt import check_tilt
from .fingers import FingerOptions, add_finger_angles
from .fitting import FittingOptions, apply_bone_lengths, estimate_bone_lengths, fit_skeleton
from .foot_contact import ContactOptions, detect_contacts, pin_feet
from .image_fit import ImageFitOptions, fit_to_image
from .root_trajectory import WEBCAM_HFOV_DEG, RootOptions, root_trajectory


@dataclass(frozen=True)
class RefineOptions:
    temporal: bool = True                 # stage 1: TP-Net
    bidirectional: bool = True            # offline: past and future frames (else causal)
    image_fit: bool = True                # stage 1b, offline (bidirectional) takes only
    skeleton_fitting: bool = True         # stage 2
    root_trajectory: bool = True          # stage 3 (needs 2D keypoints)
    hfov_deg: float = WEBCAM_HFOV_DEG     # camera field of view for the root trajectory
    foot_contact: str = "auto"            # stage 4: "auto", "always" or "never"
    fitting: FittingOptions = field(default_factory=FittingOptions)
    root: RootOptions | None = None       # None: defaults with ``hfov_deg``
    contact: ContactOptions | None = None  # None: defaults with mode ``foot_contact``
    fingers: bool = True                  # stage 5: finger angles, when the take has hands
    side_check: bool = True               # stage 0: the detector's left/right swaps put
                                          # right (side_check.py, side_track.py)
    tilt_deg: float = 0.0                 # the picture's tilt the take was lifted with
                                          # (lift/tilt.py): stage 0 lifts again with it
    finger: FingerOptions = field(default_factory=FingerOptions)
    image: ImageFitOptions = field(default_factory=ImageFitOptions)

    def __post_init__(self):
        check_tilt(self.tilt_deg)


@dataclass(frozen=True)
class RefinedResult:
    raw: PoseSequence                     # the per-frame poses, untouched
    refined: PoseSequence                 # after every enabled stage
    stages: dict                          # stage name -> PoseSequence, in order, "raw" first
    contacts: np.ndarray                  # (T, 2) bool (left, right); all False if off
    bone_lengths: np.ndarray | None       # (len(BONES),) metres when fitting ran
    options: RefineOptions
    world_rotation: np.ndarray | None = None  # (3, 3) camera-aligned -> levelled world,
                                              # when the root trajectory ran


def load_refiner(causal: bool):
    """The shipped TemporalRefiner (imports torch, through the lift package)."""
    from ..lift.refiner import TemporalRefiner  # noqa: PLC0415  (torch only when used)
    return TemporalRefiner.load(causal=causal)


def refine_sequence(seq: PoseSequence, options: RefineOptions = RefineOptions(),
                    refiner=None) -> RefinedResult:
    """Apply the enabled stages to a take. ``refiner``: a TemporalRefiner (or anything with
    ``refine(poses, valid)``); None loads the shipped one matching ``bidirectional``."""
    stages = {"raw": seq}
    raw = seq
    if options.side_check and seq.keypoints_2d is not None:
        seq = _side_check(seq, options.tilt_deg)
        if seq is not raw:
            stages["side_check"] = seq
    valid = np.asarray(seq.valid, bool) & np.isfinite(seq.joints_3d).all(axis=(1, 2))
    joints = np.array(seq.joints_3d, dtype=np.float64, copy=True)
    current = seq
    lengths = None
    rotation = None
    contacts = np.zeros((len(seq), 2), bool)
    if not valid.any():
        return RefinedResult(raw, seq, stages, contacts, None, options)

    if options.temporal:
        model = refiner if refiner is not None else load_refiner(not options.bidirectional)
        if getattr(model, "rate_aware", False):   # windows spaced as in training
            joints = model.refine(joints, valid, fps=seq.fps)
        else:
            joints = model.refine(joints, valid)
        current = replace(current, joints_3d=joints)
        stages["temporal"] = current

    some_2d = np.isfinite(seq.keypoints_2d[valid]).any() and seq.image_size[0] > 0
    if options.image_fit and options.bidirectional and some_2d:
        joints = fit_to_image(joints, seq.keypoints_2d, seq.visibility, valid,
                              seq.image_size, seq.fps, options.hfov_deg, options.image)
        current = replace(current, joints_3d=joints)
        stages["image_fit"] = current

    if options.skeleton_fitting:
        joints, lengths = fit_skeleton(joints, seq.visibility, valid, options.fitting)
        joints[~valid] = np.nan
        current = replace(current, joints_3d=joints)
        stages["fitted"] = current

    roots = seq.root_positions
    have_2d = np.isfinite(seq.keypoints_2d[valid]).all() and seq.image_size[0] > 0
    if options.root_trajectory and have_2d:
        root_opts = options.root or RootOptions(hfov_deg=options.hfov_deg)
        track = root_trajectory(joints, seq.keypoints_2d, seq.visibility, valid,
                                seq.image_size, seq.fps, root_opts)
        joints, roots, rotation = track.joints, track.root_positions, track.rotation
        current = replace(current, joints_3d=joints, root_positions=roots)
        if current.hands_3d is not None:     # the hands turn with the body's world
            current = replace(current, hands_3d=np.einsum("ij,...j->...i", rotation,
                                                          current.hands_3d))
        stages["root"] = current

    contact_opts = options.contact or ContactOptions(mode=options.foot_contact)
    if contact_opts.mode != "never":
        world = joints + (roots[:, None, :] if roots is not None else 0.0)
        contacts = detect_contacts(world, seq.fps, valid, contact_opts)
        pinned = pin_feet(world, contacts, contact_opts)
        joints = pinned - (roots[:, None, :] if roots is not None else 0.0)
        current = replace(current, joints_3d=joints)
        stages["contact"] = current

    if options.fingers and current.hands_3d is not None:
        current = add_finger_angles(current, options.finger)
        stages["fingers"] = current

    return RefinedResult(raw, current, stages, contacts, lengths, options, rotation)


def _side_check(seq: PoseSequence, tilt_deg: float = 0.0) -> PoseSequence:
    """Stage 0: where the detector exchanged the body's sides (``side_check.find_swaps``),
    put them right and lift those frames again with the shipped lifter (loaded only
    then). A take whose 3D is the
    detector's own (made without a lifter: its joints are its detector 3D) stays that way:
    the detector's body is relabelled and reflected (``side_check.fix_swaps``). A take
    whose raw poses were already put right (``process_video``) has nothing left to find."""
    from .side_check import find_swaps, fix_swaps  # noqa: PLC0415
    frames = find_swaps(seq)
    if not frames.any():
        return seq
    v = np.asarray(seq.valid, bool)
    own_3d = (seq.detector_3d is not None and v.any()
              and np.allclose(seq.joints_3d[v], seq.detector_3d[v], equal_nan=True))
    lifter = None
    if not own_3d:
        from .estimator import load_lifter  # noqa: PLC0415  (torch only when needed)
        lifter = load_lifter("auto")
        if lifter is not None:
            lifter.tilt_deg = tilt_deg
    fixed, _ = fix_swaps(seq, lifter, frames=frames)
    return fixed


def make_offline_refine(options: RefineOptions = RefineOptions(), refiner=None):
    """A ``PoseSequence -> PoseSequence`` callable for ``pipeline.offline.process_video``."""
    def run(seq: PoseSequence) -> PoseSequence:
        return refine_sequence(seq, options, refiner).refined
    return run


class LiveRefiner:
    """Causal refinement for live capture, one frame at a time (zero frames of latency).

    Keeps the last ``window`` poses for the causal TP-Net and, when ``fit_skeleton`` is on,
    a running estimate of the performer's bone lengths from the frames seen so far
    (re-estimated every ``refit_every`` frames over the last ``history`` frames)."""

    def __init__(self, refiner=None, fit_skeleton: bool = True, history: int = 300,
                 refit_every: int = 30, max_gap: int = 15):
        self.refiner = refiner if refiner is not None else load_refiner(causal=True)
        if getattr(self.refiner, "latency", 0) != 0:
            raise ValueError("live capture needs a causal refiner (latency 0)")
        self.window = int(getattr(self.refiner, "window", 1))
        self.fit_skeleton = fit_skeleton
        self.refit_every = refit_every
        self.max_gap = max_gap
        self._recent: deque = deque(maxlen=self.window)
        self._history: deque = deque(maxlen=history)
        self._lengths: np.ndarray | None = None
        self._since_fit = 0
        self._missed = 0
        self._last: np.ndarray | None = None
        self.last_timestamp: float | None = None

    def reset(self) -> None:
        self._recent.clear()
        self._history.clear()
        self._lengths, self._last, self._since_fit, self._missed = None, None, 0, 0

    def push(self, joints_3d: np.ndarray | None, timestamp: float) -> np.ndarray | None:
        """Add this frame's per-frame pose (None: nobody seen); return its refined pose, or
        None when there is nobody to show (no pose yet, or a gap longer than ``max_gap``)."""
        self.last_timestamp = timestamp
        if joints_3d is None or not np.isfinite(joints_3d).all():
            self._missed += 1
            if self._missed > self.max_gap:
                self._recent.clear()
                self._last = None
            return None if self._last is None else self._last.copy()
        joints_3d = np.asarray(joints_3d, dtype=np.float64)
        assert joints_3d.shape == (NUM_JOINTS, 3), joints_3d.shape
        self._missed = 0
        if not self._recent:   # (re)start: the window is the first pose repeated
            self._recent.extend([joints_3d] * self.window)
        else:
            self._recent.append(joints_3d)
        window = np.stack(self._recent)                                     # (W, J, 3)
        if hasattr(self.refiner, "refine_window"):
            refined = self.refiner.refine_window(window)
        else:
            refined = self.refiner.refine(window)[-1]
        if self.fit_skeleton:
            self._history.append(refined)
            self._since_fit += 1
            if self._lengths is None or self._since_fit >= self.refit_every:
                self._lengths = estimate_bone_lengths(np.stack(self._history))
                self._since_fit = 0
            refined = apply_bone_lengths(refined, self._lengths)
        self._last = refined
        return refined.copy()
