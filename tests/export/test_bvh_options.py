"""Presets, root modes, units, resampling, the T-pose frame, rotation continuity and the
golden Mixamo header."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mocap_app.core.bvh import read_bvh
from mocap_app.core.skeleton import J
from mocap_app.export import ExportOptions, rig_joint_positions, write_bvh
from mocap_app.export.retarget import B, BONES, retarget

from .helpers import fk_with_bvh_package
from .puppet import puppet_sequence

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "export" / "mixamo_header.bvh"
FEET = [B[n] for n in ("LeftFoot", "LeftToeBase", "RightFoot", "RightToeBase")]


@pytest.mark.parametrize("preset, names", [
    ("mixamo", ("Hips", "LeftArm", "LeftUpLeg", "RightToeBase", "HeadTop_End")),
    ("unreal", ("pelvis", "upperarm_l", "thigh_l", "ball_r", "head_end")),
    ("rigify", ("spine", "upper_arm.L", "thigh.L", "toe.R", "spine.007")),
])
def test_round_trip_of_writer_and_reader_for_every_preset(tmp_path, preset, names):
    seq = puppet_sequence(45)
    options = ExportOptions(preset=preset)
    r = retarget(seq, options)
    path = write_bvh(seq, tmp_path / f"{preset}.bvh", options)
    m = read_bvh(path)
    assert tuple(m.names) == r.names and len(set(m.names)) == len(BONES)
    for k, canonical in enumerate(("Hips", "LeftArm", "LeftUpLeg", "RightToeBase",
                                   "HeadTop_End")):
        assert m.names[B[canonical]] == names[k]
    assert [j.parent for j in m.joints] == list(r.parents)
    np.testing.assert_allclose([j.offset for j in m.joints], r.offsets, atol=1e-6)
    np.testing.assert_allclose(m.motion[:, :3], r.root_positions, atol=1e-6)
    np.testing.assert_allclose(m.motion[:, 3:].reshape(45, -1, 3), r.local_euler, atol=1e-6)
    np.testing.assert_allclose(m.world_positions(), r.positions, atol=0.1)
    pkg_names, pkg = fk_with_bvh_package(path, [0, 44])
    assert tuple(pkg_names) == r.names
    np.testing.assert_allclose(pkg, r.positions[[0, 44]], atol=0.1)
    # the leaves carry an End Site for the bone's tail, nothing else does
    leaves = {m.names[B[n]] for n in ("HeadTop_End", "LeftHandMiddle1", "RightHandMiddle1",
                                      "LeftToeBase", "RightToeBase")}
    assert {j.name for j in m.joints if j.end_site is not None} == leaves


def test_root_modes():
    seq = puppet_sequence(60)
    world = retarget(seq, ExportOptions(root_motion="world"))
    np.testing.assert_allclose(world.root_positions, seq.root_positions * 100, atol=1e-9)
    inplace = retarget(seq, ExportOptions(root_motion="inplace"))
    assert np.all(inplace.root_positions[:, [0, 2]] == 0)
    np.testing.assert_allclose(inplace.root_positions[:, 1], world.root_positions[:, 1])
    ground = retarget(seq, ExportOptions(root_motion="ground"))
    lowest = np.minimum(ground.positions[:, FEET, 1].min(1),
                        (seq.joints_3d[:, [J["left_heel"], J["right_heel"]], 1].min(1)
                         * 100 + ground.root_positions[:, 1]))
    np.testing.assert_allclose(lowest, 0.0, atol=1e-6)
    np.testing.assert_allclose(ground.root_positions[:, [0, 2]],
                               world.root_positions[:, [0, 2]])
    # a take with no tracked root stands its pelvis at a constant standing height
    no_root = type(seq)(**{**seq.__dict__, "root_positions": None})
    standing = retarget(no_root)
    assert np.all(standing.root_positions[:, [0, 2]] == 0)
    assert np.ptp(standing.root_positions[:, 1]) == 0
    feet_y = standing.positions[:, FEET, 1].min(1)
    assert abs(np.median(feet_y)) < 3.0 and 75 < standing.root_positions[0, 1] < 100


def test_unit_option_scales_everything_but_angles():
    seq = puppet_sequence(30)
    cm = retarget(seq, ExportOptions(unit="cm"))
    m = retarget(seq, ExportOptions(unit="m"))
    np.testing.assert_allclose(m.positions * 100, cm.positions, atol=1e-9)
    np.testing.assert_allclose(m.offsets * 100, cm.offsets, atol=1e-9)
    np.testing.assert_allclose(m.local_euler, cm.local_euler)


def test_requested_fps_resamples_the_take(tmp_path):
    seq = puppet_sequence(31, fps=30.0)          # exactly one second
    path = write_bvh(seq, tmp_path / "60.bvh", ExportOptions(fps=60))
    m = read_bvh(path)
    assert m.num_frames == 61 and "Frame Time: 0.01666667" in path.read_text()
    r30 = retarget(seq)
    # even output frames sit on the input frames
    np.testing.assert_allclose(m.world_positions()[::2], r30.positions, atol=0.1)


def test_tpose_first_frame(tmp_path):
    seq = puppet_sequence(30)
    plain = retarget(seq)
    r = retarget(seq, ExportOptions(tpose_frame=True))
    assert len(r.positions) == 31
    assert np.all(r.local_euler[0] == 0)
    np.testing.assert_allclose(r.positions[1:], plain.positions, atol=1e-9)
    p = r.positions[0]
    # a T-pose: arms horizontal and straight out along +-X, legs straight down, on the floor
    for side, sign in (("Left", 1), ("Right", -1)):
        arm = p[B[side + "HandMiddle1"]] - p[B[side + "Arm"]]
        assert sign * arm[0] > 50 and abs(arm[1]) < 1e-6 and abs(arm[2]) < 1e-6
        leg = p[B[side + "Foot"]] - p[B[side + "UpLeg"]]
        assert leg[1] < -70 and abs(leg[0]) < 1e-6 and abs(leg[2]) < 1e-6
    assert abs(min(p[FEET, 1].min(), 0.0)) < 3.0 and p[B["Head"], 1] > 140
    path = write_bvh(seq, tmp_path / "t.bvh", ExportOptions(tpose_frame=True))
    np.testing.assert_allclose(read_bvh(path).world_positions()[0], p, atol=0.1)


def test_rotations_stay_continuous_over_a_full_turn_of_the_body():
    seq = puppet_sequence(240, turns=2.0)    # two full turns in 8 s
    r = retarget(seq)
    steps = np.abs(np.diff(r.local_euler, axis=0))
    assert steps.max() < 12.0, f"jump of {steps.max():.1f} deg at bone " \
        f"{BONES[np.unravel_index(steps.argmax(), steps.shape)[1]]}"
    yaw = r.local_euler[:, B["Hips"], 2]      # Yrotation of the root: the heading
    assert yaw[-1] - yaw[0] == pytest.approx(720.0, abs=35.0)
    # and the written channels reproduce the motion: FK still equals the rig
    pos, _ = rig_joint_positions(seq)
    np.testing.assert_allclose(pos, r.positions)


def test_golden_mixamo_header(tmp_path):
    seq = puppet_sequence(30)
    text = write_bvh(seq, tmp_path / "g.bvh").read_text()
    header = text[: text.index("MOTION\n")]
    assert header == GOLDEN.read_text(), (
        "the Mixamo BVH hierarchy changed; if on purpose, regenerate "
        "tests/data/export/mixamo_header.bvh")
