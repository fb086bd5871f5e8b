"""Known-answer tests of the BVH export: forward kinematics of the written file (read by
our parser and by the third-party ``bvh`` package) gives back the rig joints, and the rig
joints are the input joints."""
from __future__ import annotations

import numpy as np
import pytest

from mocap_app.core.bvh import read_bvh
from mocap_app.core.rotations import normalize
from mocap_app.core.skeleton import J
from mocap_app.export import ExportOptions, export_sequence, rig_joint_positions, write_bvh
from mocap_app.export.retarget import (B, BONE_APP_JOINT, BONES, PARENTS, retarget,
                                       take_frame_rate)

from .helpers import cmu_sample_sequence, fk_with_bvh_package
from .puppet import puppet_sequence

FRAMES = [0, 17, 44, 89]


def _input_world_cm(seq) -> np.ndarray:
    return (seq.joints_3d + seq.root_positions[:, None]) * 100.0


def test_fk_of_written_file_equals_rig_and_input_joints(tmp_path):
    seq = puppet_sequence(90)
    path = write_bvh(seq, tmp_path / "walk.bvh")
    rig, names = rig_joint_positions(seq)
    assert names == BONES and rig.shape == (90, len(BONES), 3)

    ours = read_bvh(path)
    assert ours.names == list(names) and ours.num_frames == 90
    np.testing.assert_allclose(ours.world_positions(), rig, atol=0.1)   # 1 mm, in cm
    pkg_names, pkg = fk_with_bvh_package(path, FRAMES)
    assert pkg_names == list(names)
    np.testing.assert_allclose(pkg, rig[FRAMES], atol=0.1)

    # constant bone lengths: every bone that sits on an app joint is that joint, exactly
    world = _input_world_cm(seq)
    for name, j in BONE_APP_JOINT.items():
        np.testing.assert_allclose(rig[:, B[name]], world[:, j], atol=1e-3, err_msg=name)
    np.testing.assert_allclose(rig[:, B["Spine2"]],
                               0.5 * (world[:, J["spine"]] + world[:, J["neck"]]), atol=1e-3)


def test_face_and_feet_give_full_head_and_foot_rotations():
    seq = puppet_sequence(90)
    r = retarget(seq)
    x = seq.joints_3d
    g_head = r.world_rotations[:, B["Head"]]
    ears = normalize(x[:, J["left_ear"]] - x[:, J["right_ear"]])
    np.testing.assert_allclose(g_head @ np.array([1.0, 0, 0]), ears, atol=1e-9)
    for side in ("left", "right"):
        g_foot = r.world_rotations[:, B[side.capitalize() + "Foot"]]
        # the puppet's foot is rigid: ankle->heel turns with the foot rotation exactly
        rest_heel = seq.joints_3d[0, J[f"{side}_heel"]] - seq.joints_3d[0, J[f"{side}_ankle"]]
        heel0 = np.linalg.solve(g_foot[0], rest_heel)
        heel = np.einsum("tij,j->ti", g_foot, heel0)
        np.testing.assert_allclose(heel, x[:, J[f"{side}_heel"]] - x[:, J[f"{side}_ankle"]],
                                   atol=1e-9)


def test_real_mocap_with_varying_lengths_keeps_every_bone_direction(shared_data, tmp_path):
    seq = cmu_sample_sequence(shared_data)
    path = write_bvh(seq, tmp_path / "cmu.bvh")
    rig, _ = rig_joint_positions(seq)
    np.testing.assert_allclose(read_bvh(path).world_positions(), rig, atol=0.1)
    world = _input_world_cm(seq)
    np.testing.assert_allclose(rig[:, 0], world[:, J["pelvis"]], atol=1e-6)
    checked = 0
    for b, name in enumerate(BONES):
        parent = BONES[PARENTS[b]] if PARENTS[b] >= 0 else None
        if name not in BONE_APP_JOINT or parent not in BONE_APP_JOINT:
            continue
        jb, jp = BONE_APP_JOINT[name], BONE_APP_JOINT[parent]
        if jb == jp:
            continue
        got = normalize(rig[:, b] - rig[:, PARENTS[b]])
        want = normalize(world[:, jb] - world[:, jp])
        angle = np.degrees(np.arccos(np.clip(np.sum(got * want, -1), -1, 1)))
        assert angle.max() < 0.01, name
        checked += 1
    assert checked == 18


def test_header_conventions_and_frame_time_from_timestamps(tmp_path):
    seq = puppet_sequence(60, fps=30000 / 1001)
    # timestamps rounded to the millisecond, as containers store them
    seq = type(seq)(**{**seq.__dict__, "timestamps": np.round(seq.timestamps, 3)})
    path = export_sequence(seq, tmp_path / "take.bvh")
    text = path.read_text()
    assert "Frame Time: 0.03336667\n" in text
    m = read_bvh(path)
    root = m.joints[0]
    assert root.name == "Hips" and np.all(root.offset == 0)
    assert root.channels == ["Xposition", "Yposition", "Zposition",
                             "Zrotation", "Xrotation", "Yrotation"]
    assert all(j.channels == ["Zrotation", "Xrotation", "Yrotation"] for j in m.joints[1:])
    # Y up, facing +Z, left hand towards +X, centimetres (the puppet is ~1.7 m)
    rest = read_bvh(path)
    rest.motion[:] = 0.0
    p = rest.world_positions()[0]
    assert p[B["HeadTop_End"], 1] - min(p[B["LeftToeBase"], 1], p[B["LeftFoot"], 1]) > 140
    assert p[B["LeftHand"], 0] > 50 and p[B["RightHand"], 0] < -50
    assert p[B["LeftToeBase"], 2] > p[B["LeftFoot"], 2] + 5


def test_variable_rate_take_is_resampled_to_a_constant_rate(tmp_path):
    rng = np.random.default_rng(3)
    dt = rng.uniform(0.045, 0.09, size=59)          # a webcam delivering ~15 fps unevenly
    ts = np.concatenate([[0.0], np.cumsum(dt)])
    seq = puppet_sequence(60, fps=30.0, timestamps=ts)
    fps = take_frame_rate(seq)
    assert fps == pytest.approx(59 / ts[-1])
    r = retarget(seq)
    assert r.fps == fps and len(r.positions) == int(np.floor(ts[-1] * fps + 1e-6)) + 1
    # each output frame is the input interpolated at its grid time
    grid = np.arange(len(r.positions)) / fps
    pelvis_z = np.interp(grid, ts, seq.root_positions[:, 2]) * 100
    np.testing.assert_allclose(r.root_positions[:, 2], pelvis_z, atol=1e-6)
    path = write_bvh(seq, tmp_path / "webcam.bvh")
    assert read_bvh(path).frame_time == pytest.approx(1 / fps, abs=1e-8)


def test_live_take_with_a_slightly_fast_clock_keeps_every_frame(tmp_path):
    """31 frames captured at 30 fps whose clock jitter makes them span 0.997 s: the rate
    snaps to 30 and the BVH has all 31 frames (the grid spans the take to the nearest
    frame; it used to drop the last one)."""
    rng = np.random.default_rng(5)
    ts = np.arange(31) / 30.0 + rng.uniform(-0.004, 0.004, 31)
    ts[0], ts[-1] = 0.0, 0.997
    seq = puppet_sequence(31, fps=30.0, timestamps=ts)
    assert take_frame_rate(seq) == 30.0
    r = retarget(seq)
    assert len(r.positions) == 31
    assert read_bvh(write_bvh(seq, tmp_path / "live.bvh")).num_frames == 31


def test_frames_with_no_person_are_interpolated_inside_and_held_at_the_ends():
    seq = puppet_sequence(40)
    valid = np.ones(40, bool)
    valid[:3] = valid[20:25] = valid[-2:] = False
    joints = seq.joints_3d.copy()
    joints[~valid] = np.nan
    roots = seq.root_positions.copy()
    roots[~valid] = np.nan
    gappy = type(seq)(**{**seq.__dict__, "joints_3d": joints, "valid": valid,
                         "root_positions": roots})
    r = retarget(gappy)
    assert r.filled_frames == 10 and np.all(np.isfinite(r.local_euler))
    np.testing.assert_allclose(r.positions[0], r.positions[3], atol=1e-9)     # held
    np.testing.assert_allclose(r.positions[-1], r.positions[-3], atol=1e-9)
    mid = 0.5 * (roots[19] + roots[25]) * 100
    np.testing.assert_allclose(r.root_positions[22], mid, atol=1e-6)          # interpolated
    empty = type(seq)(**{**seq.__dict__, "joints_3d": joints * np.nan,
                         "valid": np.zeros(40, bool)})
    with pytest.raises(ValueError, match="no frame with a person"):
        retarget(empty)


def test_export_options_are_validated():
    with pytest.raises(ValueError, match="preset"):
        ExportOptions(preset="maya")
    with pytest.raises(ValueError, match="fps"):
        ExportOptions(fps=0)
