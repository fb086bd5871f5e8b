"""Training pairs: real mocap poses seen by random virtual cameras, with detector-like 2D
errors measured on MediaPipe (``detector_noise.json``, written by
``bench/measure_detector_noise.py``).

Cameras: pinhole, square pixels, webcam/phone fields of view (55-80 degrees over the long
side of 640x480 .. 1920x1080 frames, landscape or portrait), 1.8-6 m from the person,
0.4-2.0 m high, every yaw around the person, aimed at the body (pitch follows from height
and aim, +-6 degrees of jitter), up to 4 degrees of roll, the person anywhere in the
frame. Half the poses are mirrored left/right first.

2D errors, in units of the keypoint box (as measured): Gaussian jitter with MediaPipe's
per-joint inlier sigma, gross outliers at its outlier rate, whole-body left/right swaps
at its swap rate, joints outside the frame dropped (NaN). Joints hidden behind the body
get more of the error than visible ones, the average over the random cameras staying the
measured one (``HIDDEN_FRACTION``; before 2026-11-24 hidden joints got extra error on top
of the measured average: 0.219 outliers per joint against the 0.162 measured). A person
the detector swapped left/right is counted as a swap only, not also as outliers
(``bench/_noise.py``). ``noise_scale`` multiplies all of it (0 = perfect 2D).

Visibility per joint is drawn as our detector reports it on real video, separately for
visible and hidden joints (``detector_visibility.json``, ``bench/measure_visibility_video.py``:
the torso and face ~1.0 either way, visible limbs 0.94-0.99, hidden ones 0.74-0.92 with
a wide spread), outliers lower by what MediaPipe's outliers on LSP lost. Until 2026-11-24
it was LSP's mean visibility (0.78-0.86 for limbs) minus an assumed 0.25 for every hidden
joint, torso and face included: a depth cue real video does not give, which the lifter
had learned to rely on.

Two measured noise models (``noise_model``): "lsp" (the default, used for training:
MediaPipe on LSP's sports photos, ``bench/measure_detector_noise.py``) and "video" (our
BlazePose on the four calibrated Pose2Sim views against leave-one-view-out triangulation,
``bench/measure_detector_noise_video.py``; an upper bound: part of it is calibration
error). Video has 0.92x the inlier sigma, 0.09x the outlier rate, 1.3x the swap rate
and 0.76x the median error of LSP.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from mocap_app.core.skeleton import (J, JOINT_NAMES, MIRROR_PERMUTATION, NUM_JOINTS, PARENTS,
                                     mirror)

from mocap_app.lift.normalize import body_scale, camera_to_cube, normalize_keypoints

IMAGE_SIZES = ((640, 480), (1280, 720), (1920, 1080), (1080, 1920), (720, 1280))


NOISE_MODELS = {"lsp": "detector_noise.json", "video": "detector_noise_video.json"}


@lru_cache(maxsize=4)
def detector_noise(model: str = "lsp") -> dict:
    """A measured detector noise model (see module docstring)."""
    if model not in NOISE_MODELS:
        raise ValueError(f"unknown noise model {model!r}; known: {', '.join(NOISE_MODELS)}")
    text = resources.files("mocap_train").joinpath(NOISE_MODELS[model]).read_text()
    return json.loads(text)


VISIBILITY_MODEL = "detector_visibility.json"


@lru_cache(maxsize=1)
def per_joint_visibility() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, sd when visible, mean, sd when hidden), each (J,): the detector's visibility
    measured on real video (``bench/measure_visibility_video.py``)."""
    text = resources.files("mocap_train").joinpath(VISIBILITY_MODEL).read_text()
    pj = json.loads(text)["per_joint"]
    out = np.array([[pj[n]["visible"][0], pj[n]["visible"][1], pj[n]["hidden"][0],
                     pj[n]["hidden"][1]] for n in JOINT_NAMES], dtype=np.float64)
    return out[:, 0], out[:, 1], out[:, 2], out[:, 3]


@lru_cache(maxsize=4)
def per_joint_noise(model: str = "lsp") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sigma, outlier rate, visibility of inliers, of outliers), each (J,), for every app
    joint: LSP joints as measured; others copied from the nearest measured joint (hands
    and toes/heels from wrists and ankles, the face from the shoulders, pelvis/spine/neck
    from the hips/shoulders divided by sqrt 2 since they average two landmarks)."""
    pj = detector_noise(model)["per_joint"]
    near = {"pelvis": "hip", "spine": "hip", "neck": "shoulder", "head": "shoulder",
            "nose": "shoulder", "ear": "shoulder", "hand": "wrist", "heel": "ankle",
            "toe": "ankle"}
    out = np.zeros((4, NUM_JOINTS))
    for j, name in enumerate(JOINT_NAMES):
        if name in pj:
            keys = [name]
        else:
            base = near.get(name.split("_")[-1], name.split("_")[-1])
            keys = [f"left_{base}", f"right_{base}"]
        vals = np.array([[pj[k]["sigma"], pj[k]["outlier_rate"], pj[k]["vis_inlier"],
                          pj[k]["vis_outlier"]] for k in keys]).mean(0)
        if name in ("pelvis", "spine", "neck"):
            vals[0] /= np.sqrt(2)
        out[:, j] = vals
    return out[0], out[1], out[2], out[3]


@dataclass
class Pairs:
    """A batch of training pairs."""
    inputs: np.ndarray      # (B, J, 5) float32 normalised x, y, visibility, image x, y
    target: np.ndarray      # (B, J, 3) float32 cube units, root-relative camera-app axes
    scale: np.ndarray       # (B,) body scale S in metres (to get mm back)
    keypoints: np.ndarray   # (B, J, 2) pixels (NaN where dropped)
    visibility: np.ndarray  # (B, J)
    image_size: np.ndarray  # (B, 2) w, h


def _rot_y(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    r = np.zeros((len(a), 3, 3))
    r[:, 0, 0], r[:, 0, 2], r[:, 1, 1], r[:, 2, 0], r[:, 2, 2] = c, s, 1, -s, c
    return r


def random_cameras(rng: np.random.Generator, n: int, pelvis_height: np.ndarray):
    """Rotation world->camera (n, 3, 3) (OpenCV axes: x right, y down, z forward), centre
    (n, 3), focal (n,) px, image size (n, 2). The person's pelvis is at (0, h, 0)."""
    sizes = np.array(IMAGE_SIZES)[rng.integers(0, len(IMAGE_SIZES), n)]
    fov = np.radians(rng.uniform(55, 80, n))
    focal = 0.5 * sizes.max(1) / np.tan(0.5 * fov)
    dist = rng.uniform(1.8, 6.0, n)
    height = rng.uniform(0.4, 2.0, n)
    centre = np.stack([np.zeros(n), height, dist], 1)
    aim = np.stack([np.zeros(n), pelvis_height * rng.uniform(0.7, 1.3, n), np.zeros(n)], 1)
    fwd = aim - centre
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    fwd[:, 1] += np.tan(np.radians(rng.uniform(-6, 6, n)))        # pitch jitter
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    down = np.cross(fwd, right)
    roll = np.radians(rng.uniform(-4, 4, n))[:, None]
    right, down = (np.cos(roll) * right + np.sin(roll) * down,
                   -np.sin(roll) * right + np.cos(roll) * down)
    rot = np.stack([right, down, fwd], axis=1)          # rows: camera axes in world
    return rot, centre, focal, sizes


#: Bone groups whose lengths ``vary_proportions`` scales together (left and right alike),
#: each as (parent, child) joint names.
PROPORTION_GROUPS = {
    "torso": (("pelvis", "spine"), ("spine", "neck")),
    "shoulder_width": (("neck", "left_shoulder"), ("neck", "right_shoulder")),
    "hip_width": (("pelvis", "left_hip"), ("pelvis", "right_hip")),
    "upper_arm": (("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow")),
    "forearm": (("left_elbow", "left_wrist"), ("right_elbow", "right_wrist")),
    "thigh": (("left_hip", "left_knee"), ("right_hip", "right_knee")),
    "shin": (("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
}
#: Ranges (low, high) of the factors for ``--vary-proportions``: BlazePose's landmarks sit
#: on a wider and longer torso than the motion-capture joint centres (Pose2Sim
#: triangulation: shoulders 0.35 m apart vs Bandai's 0.20, hips 0.20 vs 0.13, neck-pelvis
#: 0.52 vs 0.40 m), and people differ in limb proportions.
PROPORTION_RANGES = {"torso": (0.9, 1.35), "shoulder_width": (0.9, 1.8),
                     "hip_width": (0.9, 1.6), "upper_arm": (0.9, 1.12),
                     "forearm": (0.9, 1.12), "thigh": (0.9, 1.12), "shin": (0.9, 1.12)}


def vary_proportions(x: np.ndarray, factors: dict[str, np.ndarray]) -> np.ndarray:
    """Poses (B, J, 3) with the bones of each group of ``PROPORTION_GROUPS`` scaled by
    ``factors[group]`` (B,): every joint is rebuilt from its parent along the original
    bone direction, so bone directions are kept and the joints below move along. Both
    sides get the same factor, so neck, pelvis and spine stay the midpoints they are."""
    scale = np.ones((x.shape[0], NUM_JOINTS))
    for group, f in factors.items():
        for _, child in PROPORTION_GROUPS[group]:
            scale[:, J[child]] = f
    out = x.copy()
    for j in range(1, NUM_JOINTS):                   # parents come before their children
        p = PARENTS[j]
        out[:, j] = out[:, p] + scale[:, j, None] * (x[:, j] - x[:, p])
    return out


def random_proportions(rng: np.random.Generator, b: int,
                       ranges: dict | None = None) -> dict[str, np.ndarray]:
    """Factors (B,) per group drawn uniformly from ``ranges`` (default PROPORTION_RANGES)."""
    return {g: rng.uniform(lo, hi, b) for g, (lo, hi) in (ranges or PROPORTION_RANGES).items()}


def make_pairs(poses: np.ndarray, rng: np.random.Generator, noise_scale=1.0,
               mirror_prob: float = 0.5, noise_model: str = "lsp",
               proportions: dict | None = None, errors=None) -> Pairs:
    """Training pairs from world poses (B, J, 3) metres, Y up (any placement).
    ``proportions``: ranges per bone group (``PROPORTION_RANGES``) to vary the body's
    proportions by (``vary_proportions``); None keeps the motion capture's. ``errors``
    replaces ``detector_errors`` (same arguments and result), e.g. to inspect the cameras."""
    b = poses.shape[0]
    x = poses.astype(np.float64)
    flip = rng.random(b) < mirror_prob
    x[flip] = mirror(x[flip])
    if proportions:
        x = vary_proportions(x, random_proportions(rng, b, proportions))
    x = x - x[:, J["pelvis"]:J["pelvis"] + 1]
    x = np.einsum("bij,bkj->bki", _rot_y(rng.uniform(0, 2 * np.pi, b)), x)
    feet = x[:, [J["left_heel"], J["right_heel"], J["left_toe"], J["right_toe"]], 1].min(1)
    ph = np.clip(-feet, 0.3, 1.3)                       # pelvis above the floor
    x[:, :, 1] += ph[:, None]
    rot, centre, focal, sizes = random_cameras(rng, b, ph)
    cam = np.einsum("bij,bkj->bki", rot, x - centre[:, None])   # (B, J, 3) OpenCV camera
    # place the person anywhere in the frame: shift in the image plane at their depth
    z0 = cam[:, J["pelvis"], 2]
    extent = 0.35 * sizes / focal[:, None] * z0[:, None]          # (B, 2) metres
    cam[:, :, :2] += (rng.uniform(-1, 1, (b, 2)) * extent)[:, None]
    cam[:, :, 2] = np.maximum(cam[:, :, 2], 0.2)
    kp = focal[:, None, None] * cam[:, :, :2] / cam[:, :, 2:3] + 0.5 * sizes[:, None, :]
    target_app = cam * np.array([1.0, -1.0, -1.0])                # camera -> app axes
    scale = body_scale(x)
    target = camera_to_cube(target_app, scale)
    kp, vis = (errors or detector_errors)(kp, cam, sizes, rng, noise_scale, noise_model)
    inputs = normalize_keypoints(kp, vis, sizes)
    return Pairs(inputs, target.astype(np.float32), scale.astype(np.float32), kp, vis,
                 sizes)


#: Hidden joints (``hidden_joints``) get this many times the inlier sigma and the outlier
#: rate of visible ones (their visibility is measured: ``per_joint_visibility``).
HIDDEN_SIGMA, HIDDEN_OUTLIERS = 1.5, 2.0
#: How often each app joint is hidden under ``make_pairs``' cameras on the training mocap
#: (``hidden_fraction``, 20,000 frames, left and right averaged; 0.30 over all joints).
#: The noise model divides by it so that its average per joint is the one measured.
HIDDEN_FRACTION = np.array([
    0.05, 0.00, 0.00, 0.04, 0.17, 0.10, 0.10,            # pelvis .. ears
    0.14, 0.355, 0.39, 0.405,                            # left arm
    0.14, 0.355, 0.39, 0.405,                            # right arm
    0.17, 0.425, 0.51, 0.52, 0.53,                       # left leg
    0.17, 0.425, 0.51, 0.52, 0.53])                      # right leg


def hidden_joints(cam: np.ndarray) -> np.ndarray:
    """(B, J) bool: joints behind the body, farther from the camera than the torso (the
    mean depth of pelvis and neck) by more than 8 cm. ``cam`` (B, J, 3) camera space."""
    torso_z = cam[:, [J["pelvis"], J["neck"]], 2].mean(1)
    return cam[:, :, 2] > torso_z[:, None] + 0.08


def hidden_fraction(poses: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(J,) how often each joint is hidden when ``make_pairs`` films ``poses`` (B, J, 3):
    what ``HIDDEN_FRACTION`` was measured with, on the training split."""
    seen = []

    def spy(kp, cam, *args, **kwargs):
        seen.append(hidden_joints(cam))
        return kp, np.ones(kp.shape[:2])

    make_pairs(poses, rng, noise_scale=0.0, errors=spy)
    return np.concatenate(seen).mean(0)


def hidden_error_factors(hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (B, J) ``hidden`` joints: the factors on each joint's measured inlier sigma and
    outlier rate. The measured figures are averages over hidden and visible joints alike,
    so hidden joints get ``HIDDEN_SIGMA`` / ``HIDDEN_OUTLIERS`` times what visible ones
    get, scaled so that a joint hidden ``HIDDEN_FRACTION`` of the time averages to
    exactly the measured figure."""
    hf = HIDDEN_FRACTION[None]
    sigma = np.where(hidden, HIDDEN_SIGMA, 1.0) / (1 + (HIDDEN_SIGMA - 1) * hf)
    outliers = np.where(hidden, HIDDEN_OUTLIERS, 1.0) / (1 + (HIDDEN_OUTLIERS - 1) * hf)
    return sigma, outliers


def detector_errors(kp: np.ndarray, cam: np.ndarray, sizes: np.ndarray,
                    rng: np.random.Generator, noise_scale=1.0, noise_model: str = "lsp"):
    """Apply MediaPipe-like errors to exact pixels kp (B, J, 2); returns (kp, vis)."""
    b = kp.shape[0]
    ns = np.broadcast_to(np.asarray(noise_scale, dtype=np.float64), (b,))[:, None]
    sigma, out_rate, vis_in, vis_out = per_joint_noise(noise_model)
    noise = detector_noise(noise_model)
    box = np.max(kp.max(1) - kp.min(1), axis=-1)                  # (B,) px
    hidden = hidden_joints(cam)
    s, p_out = hidden_error_factors(hidden)
    s = sigma[None] * s * ns
    kp = kp + rng.normal(size=kp.shape) * (s * box[:, None])[..., None]
    p_out = out_rate[None] * p_out * np.minimum(ns, 3)
    outl = rng.random(kp.shape[:2]) < p_out
    mag = rng.exponential(noise["outlier_median"] / np.log(2), kp.shape[:2]) * box[:, None]
    ang = rng.uniform(0, 2 * np.pi, kp.shape[:2])
    kp = kp + (outl * mag)[..., None] * np.stack([np.cos(ang), np.sin(ang)], -1)
    swap = rng.random(b) < noise["left_right_swap_rate"] * np.minimum(ns[:, 0], 3)
    kp[swap] = kp[swap][:, list(MIRROR_PERMUTATION)]
    # visibility as the detector reports it on video, lower for hidden joints; outliers
    # lower still, by what MediaPipe's outliers on LSP lost against its inliers
    v_mean, v_sd, h_mean, h_sd = per_joint_visibility()
    vis = np.where(hidden, h_mean[None], v_mean[None])
    vis = vis - outl * np.maximum(vis_in - vis_out, 0.0)[None]
    sd = np.where(hidden, h_sd[None], v_sd[None])
    vis = np.clip(vis + rng.normal(size=vis.shape) * sd * np.minimum(ns, 1.5), 0.01, 1.0)
    outside = ((kp < 0) | (kp > sizes[:, None, :])).any(-1)
    kp[outside] = np.nan
    vis[outside] = 0.0
    return kp, vis
