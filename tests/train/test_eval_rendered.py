"""bench/eval_rendered.py: the rendered benchmark's scoring, with known answers, and one
run over a tiny generated test shard."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from mocap_app.core.skeleton import J, mirror

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import eval_rendered as ev  # noqa: E402


def _pose(rng):
    return rng.normal(size=(25, 3)) * 0.3 + np.array([0.0, 0.0, 3.0])


def test_a_roll_turns_pictures_3d_and_cameras_alike():
    """``--roll``: the truth's 3D turned about the optical axis still projects onto its
    turned pixels (the principal point is the picture's centre), the detector's output
    turns the same way, and the camera's tilt grows by the roll."""
    rng = np.random.default_rng(3)
    n, f, size = 4, 500.0, np.array([640, 480])
    joints = rng.normal(size=(n, 25, 3)) * 0.4 + np.array([0.0, 0.0, 4.0])
    px = f * joints[..., :2] / joints[..., 2:] + size / 2
    R = np.stack([np.diag([1.0, -1.0, -1.0])] * n)          # world Y up -> camera y down
    data = {"image_size": np.tile(size, (n, 1)), "joints_cam": joints, "joints_px": px,
            "world_landmarks": joints[:, :3] - joints[:, :1], "landmarks_2d": px[:, :3],
            "R": R}
    out = ev.rolled(data, 20.0)
    np.testing.assert_allclose(f * out["joints_cam"][..., :2] / out["joints_cam"][..., 2:]
                               + size / 2, out["joints_px"], atol=1e-6)
    np.testing.assert_allclose(out["landmarks_2d"], out["joints_px"][:, :3], atol=1e-6)
    np.testing.assert_allclose(out["world_landmarks"],
                               out["joints_cam"][:, :3] - out["joints_cam"][:, :1], atol=1e-9)
    assert ev.render_tilt(R[0]) == 0.0
    assert ev.render_tilt(out["R"][0]) == pytest.approx(20.0)
    assert np.linalg.norm(out["joints_px"] - px, axis=-1).max() > 10   # really turned


def test_a_perfect_source_scores_zero_and_a_shift_scores_its_length():
    rng = np.random.default_rng(0)
    gt = np.stack([_pose(rng) for _ in range(6)])
    gt = gt - gt[:, :1]
    bins = {k: np.full(6, 1.7) for k in ev.BINS}
    r = ev.score(gt.copy(), gt, bins)
    assert r["frames"] == 6 and r["pa_mpjpe"] < 1e-6 and r["mpjpe"] < 1e-6
    assert r["orientation_deg"] < 1e-4 and r["forearm_shin_deg"] < 1e-4
    c, s = np.cos(np.radians(20.0)), np.sin(np.radians(20.0))
    turned = gt @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])   # the body turned 20 deg
    r = ev.score(turned, gt, bins)
    assert abs(r["orientation_deg"] - 20.0) < 1e-6 and r["forearm_shin_deg"] < 1e-4
    assert r["pa_mpjpe"] < 1e-6 and r["mpjpe"] > 1.0
    moved = gt.copy()
    moved[:, J["left_wrist"]] += [0.0, 0.1, 0.0]        # one joint 100 mm off
    r = ev.score(moved, gt, bins)
    assert abs(r["per_joint_mpjpe"]["left_wrist"] - 100.0) < 1e-6
    assert abs(r["mpjpe"] - 100.0 / 25) < 1e-6
    nan = moved.copy()
    nan[2] = np.nan                                      # a frame a source could not lift
    assert ev.score(nan, gt, bins)["frames"] == 5


def test_swaps_are_found_in_2d():
    rng = np.random.default_rng(1)
    truth = rng.uniform(100, 500, size=(4, 25, 2))
    det = truth + rng.normal(scale=2.0, size=truth.shape)
    det[1] = truth[1][list(range(25))]
    det[2] = mirror(np.concatenate([truth[2], np.zeros((25, 1))], axis=1))[:, :2] * [-1, 1]
    assert ev.swapped(det, truth).tolist() == [False, False, True, False]


def test_the_benchmark_runs_on_a_tiny_test_shard(tmp_path, shared_data, capsys):
    from mocap_train.render.generate import ShardSpec, World, generate_shard
    world = World()
    try:
        entry = generate_shard(world, ShardSpec(9, "test", 77, 3, 12, "sample"), tmp_path)
    finally:
        world.close()
    out = tmp_path / "scores.json"
    assert ev.main(["--data", str(tmp_path), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["frames"] == entry["frames"]
    rows = report["rows"]
    assert set(rows) == {"BlazePose world landmarks", "lifter, one pass (live)",
                         "lifter, flip-averaged", "lifter, flip-averaged, no limb fusion",
                         "lifter, flip-averaged + bidirectional refiner",
                         "side check, lifter, flip-averaged + bidirectional refiner, "
                         "no image fit",
                         "side check, lifter, flip-averaged + bidirectional refiner"}
    for r in rows.values():
        assert 0 < r["frames"] <= entry["on_subject"]
        assert 10 < r["pa_mpjpe"] < 400 and r["pa_mpjpe"] <= r["mpjpe"] + 1e-6
    assert "| BlazePose world landmarks |" in capsys.readouterr().out
    # --tilt render: the lifters get each sequence's camera tilt, --tilt level none (the
    # default found each sequence's own); the detector's rows stay, the live row (level
    # unless told) stays under auto
    runs = {}
    for how in ("render", "level"):
        path = tmp_path / f"{how}.json"
        assert ev.main(["--data", str(tmp_path), "--json", str(path), "--tilt", how]) == 0
        runs[how] = json.loads(path.read_text())["rows"]
    assert runs["render"]["BlazePose world landmarks"] == rows["BlazePose world landmarks"]
    assert (runs["render"]["lifter, flip-averaged"]["pa_mpjpe"]
            != runs["level"]["lifter, flip-averaged"]["pa_mpjpe"])
    assert runs["level"]["lifter, one pass (live)"] == rows["lifter, one pass (live)"]
