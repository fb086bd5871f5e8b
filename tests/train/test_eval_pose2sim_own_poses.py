"""bench/eval_pose2sim_own_poses.py: the Pose2Sim world turned into the training's Y-up
frame by a rotation (not a mirror), and batch norm left alone by the fine-tuning."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import eval_pose2sim_own_poses as own  # noqa: E402


def test_z_up_becomes_y_up_by_a_rotation():
    axes = own.z_up_to_app(np.eye(3))            # rows: where x, y, z go
    np.testing.assert_array_equal(axes, [[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    assert np.isclose(np.linalg.det(axes), 1.0)  # handedness kept: left stays left
    pose = np.random.default_rng(0).normal(size=(4, 25, 3))
    turned = own.z_up_to_app(pose)
    np.testing.assert_allclose(np.linalg.norm(turned[:, 3] - turned[:, 7], axis=-1),
                               np.linalg.norm(pose[:, 3] - pose[:, 7], axis=-1))


def test_fine_tuning_keeps_batch_norm_statistics_and_moves_the_weights():
    from mocap_app.core.paths import models_dir
    from mocap_app.lift.checkpoint import load_checkpoint
    shipped, _ = load_checkpoint(models_dir() / "lifter.pt", kind="margipose")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 25, shipped.config.in_features)).astype(np.float32)
    y = rng.uniform(-0.5, 0.5, size=(16, 25, 3)).astype(np.float32)
    tuned, _ = own.fine_tuned(x, y, steps=2, lr=1e-3, seed=0)
    norms = [(a, b) for a, b in zip(shipped.modules(), tuned.modules())
             if isinstance(a, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms
    for a, b in norms:
        assert torch.equal(a.running_mean, b.running_mean)
        assert torch.equal(a.running_var, b.running_var)
    moved = [not torch.equal(p, q) for p, q in zip(shipped.parameters(), tuned.parameters())]
    assert any(moved) and not tuned.training


def test_canonical_poses_ignore_turn_place_and_size_and_neighbours_are_found():
    import eval_pose2sim_take_adaptation as adapt
    from mocap_app.core.rotations import axis_matrix
    from tests.export.puppet import puppet_joints
    poses = puppet_joints(30)
    moved = 1.7 * np.einsum("ij,nkj->nki", axis_matrix("Y", 70.0), poses) + [0.3, 1.0, -2.0]
    np.testing.assert_allclose(adapt.canonical(moved), adapt.canonical(poses), atol=1e-9)
    bank = adapt.canonical(poses)
    # each of frames 3 and 17, turned and scaled, finds itself first
    picked = adapt.nearest(adapt.canonical(moved[[3, 17]]), bank, 1)
    assert picked.tolist() == [3, 17]
