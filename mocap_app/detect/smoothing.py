"""The One-Euro filter the legacy solution applies to the auxiliary (ROI) landmarks.

MediaPipe's pose graph smooths landmarks 33/34 before it turns them into the next frame's
crop, even with ``smooth_landmarks=False`` (that flag only switches the filter on the
body landmarks). The crop then holds still while the subject does, which steadies the
landmarks themselves; ``docs/DETECTOR.md`` records what it changes. Pure numpy.
"""
from __future__ import annotations

import math

import numpy as np

# LandmarksSmoothingCalculator options of the auxiliary landmarks in pose_landmark_filtering
AUX_MIN_CUTOFF = 0.01
AUX_BETA = 10.0
AUX_DERIVATE_CUTOFF = 1.0


class OneEuroFilter:
    """Casiez et al.'s One-Euro filter on an array of values, as MediaPipe implements it:
    the speed is measured in object scales per second (``value_scale`` = 1 / scale)."""

    def __init__(self, min_cutoff: float = AUX_MIN_CUTOFF, beta: float = AUX_BETA,
                 derivate_cutoff: float = AUX_DERIVATE_CUTOFF, frequency: float = 30.0):
        self.min_cutoff, self.beta, self.derivate_cutoff = min_cutoff, beta, derivate_cutoff
        self.default_frequency = frequency
        self.reset()

    def reset(self) -> None:
        self._frequency = self.default_frequency
        self._last_time: float | None = None
        self._x_raw = self._x = self._dx = None

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        te = 1.0 / self._frequency
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    def apply(self, timestamp: float, value: np.ndarray, object_scale: float) -> np.ndarray:
        """Filter ``value`` seen at ``timestamp`` (seconds); the object's size in the units
        of ``value`` makes the speed threshold independent of distance to the camera."""
        value = np.asarray(value, dtype=np.float64)
        if object_scale < 1e-6:
            return value
        if self._last_time is not None and timestamp <= self._last_time:
            return value        # MediaPipe: a repeated timestamp passes the value through
        if self._last_time is not None:
            self._frequency = 1.0 / (timestamp - self._last_time)
        self._last_time = timestamp
        if self._x_raw is None:
            dvalue = np.zeros_like(value)
        else:
            dvalue = (value - self._x_raw) / object_scale * self._frequency
        a_d = self._alpha(self.derivate_cutoff)
        self._dx = dvalue if self._dx is None else a_d * dvalue + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        a = self._alpha(cutoff)
        self._x = value if self._x is None else a * value + (1 - a) * self._x
        self._x_raw = value
        return self._x.copy()
