"""The rig's world rotations for ONE live pose, in plain Python floats.

``export.retarget.world_rotations`` is written for whole takes: numpy over (T, ...)
arrays. For a single pose its hundreds of tiny numpy calls cost ~3-4 ms and hold the GIL
that the live pipeline's thread needs (bench/bench_link.py measured the pipeline 16 %
slower per frame with streaming on). This is the same construction, bone by bone and
in the same order, on 3-vectors of floats: the same rotations (to ~1e-15; a test compares
them with ``world_rotations`` on many poses) in a fraction of the time.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.skeleton import J
from ..export.retarget import _LIMB_REST, _STRAIGHT_LIMB_WEIGHT, B, BONES, PARENTS, Rig

_EYE = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
_LEAVES = ("HeadTop_End", "LeftHandMiddle1", "RightHandMiddle1", "LeftToeBase",
           "RightToeBase")


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _mul(a, k):
    return (a[0] * k, a[1] * k, a[2] * k)


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _normalize(v, eps: float = 1e-12):
    n = math.sqrt(_dot(v, v))
    return _mul(v, 1.0 / max(n, eps))


def _mat_vec(m, v):
    return (_dot(m[0], v), _dot(m[1], v), _dot(m[2], v))


def _mat_mul_t(a, b):
    """a @ b.T (rows of tuples)."""
    return tuple(tuple(_dot(a[i], b[j]) for j in range(3)) for i in range(3))


def _det(m) -> float:
    return _dot(m[0], _cross(m[1], m[2]))


def _frame(primary, secondary, pa: int, sa: int):
    """``core.rotations.frame_from_axes`` for one pair of vectors (rows of the matrix)."""
    p = _normalize(primary)
    s = _normalize(_sub(secondary, _mul(p, _dot(secondary, p))))
    third = _cross(p, s) if (sa - pa) % 3 == 1 else _cross(s, p)
    cols = [None, None, None]
    cols[pa], cols[sa], cols[3 - pa - sa] = p, s, third
    return tuple(tuple(cols[j][i] for j in range(3)) for i in range(3))


def _rotation_between(a, b):
    """``core.rotations.rotation_between`` for one pair."""
    a, b = _normalize(a), _normalize(b)
    v = _cross(a, b)
    c = _dot(a, b)
    s = math.sqrt(_dot(v, v))
    if c < -1 + 1e-9:
        ax = _cross(a, (1.0, 0.0, 0.0))
        if math.sqrt(_dot(ax, ax)) < 1e-6:
            ax = _cross(a, (0.0, 1.0, 0.0))
        ax = _normalize(ax)
        return tuple(tuple(2 * ax[i] * ax[j] - (1.0 if i == j else 0.0) for j in range(3))
                     for i in range(3))
    k = ((0.0, -v[2], v[1]), (v[2], 0.0, -v[0]), (-v[1], v[0], 0.0))
    kk = tuple(tuple(_dot(k[i], (k[0][j], k[1][j], k[2][j])) for j in range(3))
               for i in range(3))
    factor = (1 - c) / max(s * s, 1e-18) if s > 1e-9 else 0.5
    return tuple(tuple((1.0 if i == j else 0.0) + k[i][j] + kk[i][j] * factor
                       for j in range(3)) for i in range(3))


def _finite(m) -> bool:
    return all(math.isfinite(v) for row in m for v in row)


class OnePoseRig:
    """``world_rotations(rig, joints[None])[0]`` for one pose at a time."""

    def __init__(self, rig: Rig):
        self.rest_frames = [tuple(tuple(float(v) for v in row) for row in f)
                            for f in rig.rest_frames]

    def world_rotations(self, joints: np.ndarray) -> np.ndarray:
        """(len(BONES), 3, 3) world rotations of one pose (NUM_JOINTS, 3), metres."""
        x = [tuple(float(v) for v in row) for row in np.asarray(joints, float)]
        g: list = [None] * len(BONES)
        for b, parent in enumerate(PARENTS):
            g_parent = g[parent] if parent >= 0 else _EYE
            f = self._bone_frame(b, x, g)
            if f is None:
                g[b] = g_parent
                continue
            rot = _mat_mul_t(f, self.rest_frames[b])
            g[b] = rot if (_det(f) > 0.5 and _finite(rot)) else g_parent
        return np.array(g, float)

    def _bone_frame(self, b: int, x, g):
        name = BONES[b]

        def p(n):
            return x[J[n]]
        hip_line = _sub(p("left_hip"), p("right_hip"))
        shoulder_line = _sub(p("left_shoulder"), p("right_shoulder"))
        ear_line = _sub(p("left_ear"), p("right_ear"))
        if name == "Hips":
            return _frame(hip_line, _sub(p("spine"), p("pelvis")), 0, 1)
        if name == "Spine":
            return _frame(_sub(p("spine"), p("pelvis")), hip_line, 1, 0)
        if name == "Spine1":
            return _frame(_sub(p("neck"), p("spine")),
                          _add(_normalize(hip_line), _normalize(shoulder_line)), 1, 0)
        if name == "Spine2":
            return _frame(_sub(p("neck"), p("spine")), shoulder_line, 1, 0)
        if name == "Neck":
            return _frame(_sub(p("head"), p("neck")),
                          _add(_normalize(shoulder_line), _normalize(ear_line)), 1, 0)
        if name == "Head":
            return _frame(ear_line, _sub(p("nose"), p("head")), 0, 2)
        if name in _LEAVES:
            return None
        side = "Left" if name.startswith("Left") else "Right"
        s = side.lower() + "_"
        part = name[len(side):]
        if part == "Shoulder":
            chest_up = _mat_vec(g[B["Spine2"]], (0.0, 1.0, 0.0))
            return _frame(_sub(p(s + "shoulder"), p("neck")), chest_up, 0, 1)
        if part in ("Arm", "UpLeg"):
            a, m, e = ("shoulder", "elbow", "wrist") if part == "Arm" else \
                ("hip", "knee", "ankle")
            aim = _normalize(_sub(p(s + m), p(s + a)))
            lower = _normalize(_sub(p(s + e), p(s + m)))
            rest_aim, rest_bend = (tuple(float(c) for c in v) for v in _LIMB_REST[name])
            g_parent = g[PARENTS[b]]
            swing = _rotation_between(_mat_vec(g_parent, rest_aim), aim)
            fallback = _mat_vec(swing, _mat_vec(g_parent, rest_bend))
            bend = _sub(lower, _mul(aim, _dot(lower, aim)))
            return _frame(aim, _add(bend, _mul(fallback, _STRAIGHT_LIMB_WEIGHT)), 0, 2)
        if part in ("ForeArm", "Hand", "Leg"):
            a, c, upper_bone = {"ForeArm": ("elbow", "wrist", "Arm"),
                                "Hand": ("wrist", "hand", "Arm"),
                                "Leg": ("knee", "ankle", "UpLeg")}[part]
            rest_aim, rest_bend = (tuple(float(c) for c in v)
                                   for v in _LIMB_REST[side + upper_bone])
            hinge = _mat_vec(g[PARENTS[b]], _cross(rest_bend, rest_aim))
            return _frame(_sub(p(s + c), p(s + a)), hinge, 0, 1)
        if part == "Foot":
            return _frame(_sub(p(s + "toe"), p(s + "ankle")),
                          _sub(p(s + "ankle"), p(s + "heel")), 2, 1)
        raise AssertionError(name)
