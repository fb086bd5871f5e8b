"""One-Euro filter (Casiez, Roussel and Vogel, CHI 2012): the standard adaptive low-pass
filter for interactive tracking, here the baseline the temporal refiner must beat.

Cut-off frequency rises with speed: ``fc = min_cutoff + beta * |dx/dt|`` (Hz, with x in
metres and dx/dt in m/s), so slow motion is smoothed hard and fast motion lags little.
"""
from __future__ import annotations

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * np.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Causal, one sample at a time, over arrays of any shape (e.g. a (25, 3) pose)."""

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x = None
        self._dx = None
        self._t = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = max(t - self._t, 1e-6)
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(self.d_cutoff, dt) * (dx - self._dx)
        # one speed per point (the norm over its last axis), as for a 3D joint
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True)
        a = _alpha(self.min_cutoff + self.beta * speed, dt)
        self._x = self._x + a * (x - self._x)
        self._t = t
        return self._x.copy()


def one_euro_sequence(poses: np.ndarray, fps: float, min_cutoff: float, beta: float,
                      d_cutoff: float = 1.0) -> np.ndarray:
    """Filter a whole (T, J, 3) sequence causally, frame by frame."""
    f = OneEuroFilter(min_cutoff, beta, d_cutoff)
    out = np.empty_like(np.asarray(poses, dtype=np.float64))
    for i, p in enumerate(poses):
        out[i] = f(p, i / fps)
    return out
