"""bench/eval_multiview_rendered.py: its four cameras see the whole body, and the
Pose2Sim-style reference built from their exact projections is the exact body."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mocap_app.core.skeleton import J

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import eval_multiview_rendered as mv  # noqa: E402
import eval_pose2sim as ep  # noqa: E402


def _body(rng, frames=6):
    """A standing body's joints (F, 25, 3), world metres, app axes (Y up), around 1 m high."""
    base = rng.normal(size=(25, 3)) * np.array([0.25, 0.45, 0.15]) + np.array([0.3, 1.0, -0.4])
    base[J["pelvis"]] = [0.3, 1.0, -0.4]
    return base + rng.normal(size=(frames, 25, 3)) * 0.02


def test_the_cameras_see_the_body_and_their_triangulation_is_exact():
    rng = np.random.default_rng(11)
    truth = _body(rng)
    cams = mv.place_cameras(rng, truth[:, J["pelvis"]].mean(axis=0))
    assert len(cams) == mv.VIEWS == 4
    px = np.stack([c.project(truth.reshape(-1, 3)).reshape(truth.shape[0], 25, 2)
                   for c in cams])                                      # (V, F, 25, 2)
    w, h = mv.SIZE
    assert (px[..., 0] > 0).all() and (px[..., 0] < w).all()
    assert (px[..., 1] > 0).all() and (px[..., 1] < h).all()
    # a quarter turn apart (with the scatter), all looking down at the pelvis
    centres = np.array([c.position for c in cams]) - truth[:, J["pelvis"]].mean(axis=0)
    yaws = np.degrees(np.arctan2(centres[:, 0], centres[:, 2]))
    steps = (np.diff(yaws) + 180.0) % 360.0 - 180.0
    assert (np.abs(steps - 90.0) <= 2 * mv.YAW_SCATTER_DEG + 1e-9).all()
    assert (centres[:, 1] > 0).all()
    tri = mv.triangulation_cameras(np.array([c.K for c in cams]),
                                   np.array([c.R for c in cams]),
                                   np.array([c.t for c in cams]))
    loo, allv = ep.references(tri, px)
    for v in range(4):
        np.testing.assert_allclose(loo[v], truth, atol=1e-6)
    np.testing.assert_allclose(allv, truth, atol=1e-6)
