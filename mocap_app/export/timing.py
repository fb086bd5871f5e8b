"""When the exported frames are: the take's real frame rate, the constant-rate grid an
animation file needs, and the joints resampled onto it (numpy only; ``retarget`` uses it
and re-exports these names)."""
from __future__ import annotations

import numpy as np

from ..core.pose import PoseSequence

_COMMON_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001,
                 60.0, 90.0, 100.0, 120000 / 1001, 120.0)


def take_frame_rate(seq: PoseSequence) -> float:
    """The take's real frame rate from its timestamps (frames / duration), snapped to the
    nominal rate or a standard video rate (29.97 = 30000/1001 ...) when within 0.5 %."""
    ts = np.asarray(seq.timestamps, float)
    if len(ts) < 2 or not ts[-1] > ts[0]:
        return float(seq.fps)
    measured = (len(ts) - 1) / (ts[-1] - ts[0])
    for candidate in (float(seq.fps), *_COMMON_RATES):
        if candidate > 0 and abs(measured - candidate) / candidate < 0.005:
            return candidate
    return float(measured)


def output_times(seq: PoseSequence, fps: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """The times the exported frames sample the take at: (query, grid, fps, on_grid).
    See ``resample_joints``."""
    ts = np.asarray(seq.timestamps, float)
    out_fps = float(fps) if fps else take_frame_rate(seq)
    # the grid spans the take to the nearest frame: a live take whose capture clock ran a
    # hair fast (31 frames in 0.997 s at 30 fps) keeps its last frame (floor dropped it)
    n_out = max(1, int(np.rint((ts[-1] - ts[0]) * out_fps)) + 1) if len(ts) > 1 else 1
    grid = ts[0] + np.arange(n_out) / out_fps
    on_grid = bool(n_out == len(ts) and len(ts) > 0
                   and np.all(np.abs(ts - grid) < 0.25 / out_fps))
    return (ts if on_grid else grid), grid, out_fps, on_grid


def kept_frames(seq: PoseSequence, query: np.ndarray, start: float | None,
                end: float | None) -> np.ndarray:
    """(T_out,) bool: the output frames at ``query`` (``output_times``) within ``start``
    ..``end`` seconds of the take's first frame (either None: open). A stretch that misses
    the take, or holds no frame, is refused naming the take's span."""
    ts = np.asarray(seq.timestamps, float)
    t = np.asarray(query, float) - ts[0]
    span = float(ts[-1] - ts[0]) if len(ts) else 0.0
    eps = 1e-6
    keep = np.ones(len(t), bool)
    if start is not None:
        keep &= t >= start - eps
    if end is not None:
        keep &= t <= end + eps
    if not keep.any():
        asked = f"{0.0 if start is None else start:g}-{span if end is None else end:g} s"
        raise ValueError(f"the stretch to export ({asked}) holds no frame of the take: "
                         f"choose times within 0-{span:.2f} s")
    return keep


def resample_joints(seq: PoseSequence, fps: float | None = None
                    ) -> tuple[np.ndarray, np.ndarray | None, float, np.ndarray]:
    """Joints (T_out, NUM_JOINTS, 3) and roots (T_out, 3) or None on a constant-rate grid.

    Frames with no person are filled by linear interpolation between the nearest frames
    with a person and held (copied) before the first and after the last one. A take whose
    timestamps already sit on the grid (within a quarter frame) keeps its frames as they
    are; otherwise (variable-rate webcam takes, or a requested ``fps``) every joint is
    linearly interpolated at the grid times. Returns (joints, roots, fps, (T_out,) bool:
    the frames filled).
    """
    valid = np.asarray(seq.valid, bool) & np.all(np.isfinite(seq.joints_3d), axis=(1, 2))
    if not valid.any():
        raise ValueError("the take has no frame with a person: nothing to export")
    ts = np.asarray(seq.timestamps, float)
    query, grid, out_fps, on_grid = output_times(seq, fps)

    def interp(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
        flat = values.reshape(len(values), -1)
        out = np.empty((len(query), flat.shape[1]))
        for k in range(flat.shape[1]):
            out[:, k] = np.interp(query, ts[ok], flat[ok, k])
        return out.reshape((len(query),) + values.shape[1:])

    joints = interp(np.asarray(seq.joints_3d, float), valid)
    roots = None
    if seq.root_positions is not None:
        rok = valid & np.all(np.isfinite(seq.root_positions), axis=1)
        if rok.any():
            roots = interp(np.asarray(seq.root_positions, float), rok)
    if on_grid:
        filled = ~valid
    else:
        # a grid time counts as filled when its nearest source frame had no person
        nearest = np.clip(np.searchsorted(ts, grid), 0, len(ts) - 1)
        prev = np.clip(nearest - 1, 0, len(ts) - 1)
        pick = np.where(np.abs(ts[prev] - grid) <= np.abs(ts[nearest] - grid), prev, nearest)
        filled = ~valid[pick]
    return joints, roots, out_fps, filled
