"""Virtual cameras for the rendered set: where a webcam or a phone stands around a person.

Ranges (issue 17): distances 1.5-10 m from the person, every yaw around them, heights from
knee level up to steep elevated views (pitch down to 60 degrees) and a few low cameras
looking up, horizontal fields of view 45-95 degrees (webcams and phones), landscape and
portrait frames, the person anywhere in the frame and sometimes partly out of it, a few
degrees of roll. The camera is static over a sequence (a tripod or a laptop); the person
moves through the frame.

World axes are the app's (metres, Y up); cameras follow ``renderer.Camera`` (OpenCV axes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .renderer import Camera

#: frame sizes (width, height) rendered; portrait ones are drawn with ``PORTRAIT_P``
LANDSCAPE_SIZES = ((640, 480), (640, 360), (960, 540))
PORTRAIT_P = 0.25
DISTANCE_M = (1.5, 10.0)
HFOV_DEG = (45.0, 95.0)
MAX_PITCH_DOWN_DEG = 60.0
LOOK_UP_P = 0.05            # low cameras looking up at the person
STEEP_P = 0.15              # elevated cameras (pitch 25-60 degrees down)
PARTLY_OUT_P = 0.1          # aim so that part of the body leaves the frame
MAX_ROLL_DEG = 5.0


@dataclass(frozen=True)
class CameraDraw:
    """What was drawn, for the record (the camera itself is stored as K, R, t)."""
    distance_m: float
    elevation_deg: float      # angle of the line of sight below the horizon (+ = looking down)
    yaw_deg: float            # where the camera stands around the person (0 = in front)
    hfov_deg: float
    portrait: bool
    partly_out: bool

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in self.__dict__.items()}


def _frame_size(rng: np.random.Generator) -> tuple[int, int, bool]:
    w, h = LANDSCAPE_SIZES[rng.integers(len(LANDSCAPE_SIZES))]
    portrait = bool(rng.random() < PORTRAIT_P)
    return (h, w, True) if portrait else (w, h, False)


def _hfov(rng: np.random.Generator, width: int, height: int, portrait: bool) -> float:
    """Horizontal field of view of the frame as held: a portrait phone's HFOV is the
    narrow side of a landscape lens of 45-95 degrees."""
    lens = rng.uniform(*HFOV_DEG)             # over the sensor's long side
    if not portrait:
        return lens
    long_side, short_side = max(width, height), min(width, height)
    half = np.arctan(np.tan(np.radians(lens) / 2) * short_side / long_side)
    return float(np.degrees(2 * half))


def sample_camera(rng: np.random.Generator, path: np.ndarray, stature_m: float
                  ) -> tuple[Camera, CameraDraw]:
    """A static camera seeing ``path`` (T, 3): the subject's pelvis over the sequence in
    world metres. Aimed at the body's centre over the sequence, with the framing offset
    that puts the person anywhere in the frame."""
    width, height, portrait = _frame_size(rng)
    hfov = _hfov(rng, width, height, portrait)
    centre = path.mean(axis=0)
    centre = np.array([centre[0], max(centre[1], 0.45 * stature_m), centre[2]])
    # distance: uniform in log distance, so near and far are both common
    distance = float(np.exp(rng.uniform(*np.log(DISTANCE_M))))
    r = rng.random()
    if r < LOOK_UP_P:
        elevation = -rng.uniform(5.0, 20.0)
    elif r < LOOK_UP_P + STEEP_P:
        elevation = rng.uniform(25.0, MAX_PITCH_DOWN_DEG)
    else:
        elevation = rng.uniform(-5.0, 25.0)
    # the camera must stay above the floor: lower the elevation of near, low views
    height_above = distance * np.sin(np.radians(elevation))
    if centre[1] + height_above < 0.15:
        elevation = float(np.degrees(np.arcsin((0.15 - centre[1]) / distance)))
    yaw = rng.uniform(-180.0, 180.0)
    e, y = np.radians(elevation), np.radians(yaw)
    offset = distance * np.array([np.cos(e) * np.sin(y), np.sin(e), np.cos(e) * np.cos(y)])
    eye = centre + offset
    # framing: aim off the body's centre by up to a third of the frame's half-width (the
    # person anywhere), or by more than half (partly out of the frame)
    partly_out = bool(rng.random() < PARTLY_OUT_P)
    half_w = distance * np.tan(np.radians(hfov) / 2)
    half_h = half_w * height / width
    reach = 0.55 if partly_out else 0.3
    dx = rng.uniform(-reach, reach) * half_w
    dy = rng.uniform(-reach, reach) * half_h
    forward = (centre - eye) / np.linalg.norm(centre - eye)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= max(np.linalg.norm(right), 1e-9)
    up = np.cross(right, forward)
    target = centre + dx * right + dy * up
    roll = rng.uniform(-MAX_ROLL_DEG, MAX_ROLL_DEG)
    cam = Camera.look_at(eye, target, hfov, width, height, roll_deg=roll)
    return cam, CameraDraw(distance, float(elevation), float(yaw), float(hfov), portrait,
                           partly_out)
