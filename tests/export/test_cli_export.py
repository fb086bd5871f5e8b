"""``mocap export TAKE ...`` and the export options shared with ``mocap process``."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from mocap_app.cli import main
from mocap_app.core.bvh import read_bvh
from mocap_app.export import ExportOptions, blender
from mocap_app.cli.export import add_export_arguments, options_from_args
from mocap_app.export.retarget import B, retarget
from mocap_app.takes import save_sequences

from .puppet import puppet_sequence


@pytest.fixture
def take_npz(tmp_path):
    path = tmp_path / "take.npz"
    save_sequences(path, puppet_sequence(30))
    return path


def test_export_command_writes_the_requested_bvh(take_npz, tmp_path, capsys):
    out = tmp_path / "out.bvh"
    code = main(["export", str(take_npz), "--format", "bvh", "--preset", "rigify",
                 "--root", "inplace", "--fps", "60", "--unit", "m", "--tpose", "-o", str(out)])
    assert code == 0 and str(out) in capsys.readouterr().out
    m = read_bvh(out)
    assert m.names[B["LeftArm"]] == "upper_arm.L"
    assert m.num_frames == 1 + 59 and abs(m.frame_time - 1 / 60) < 1e-8
    assert np.all(m.motion[0, 3:] == 0)                        # the T-pose frame
    assert np.all(m.motion[:, [0, 2]] == 0)                    # in place
    want = retarget(puppet_sequence(30), ExportOptions(preset="rigify", root_motion="inplace",
                                                       fps=60, unit="m", tpose_frame=True))
    np.testing.assert_allclose(m.world_positions(), want.positions, atol=1e-3)


def test_export_command_accepts_a_plain_pose_sequence_npz(tmp_path):
    seq = puppet_sequence(20)
    path = tmp_path / "seq.npz"
    np.savez(path, timestamps=seq.timestamps, joints_3d=seq.joints_3d, valid=seq.valid,
             fps=seq.fps, root_positions=seq.root_positions)
    assert main(["export", str(path), "-q"]) == 0
    assert read_bvh(tmp_path / "seq.bvh").num_frames == 20


def test_export_command_errors_are_one_line(tmp_path, take_npz, capsys, monkeypatch):
    assert main(["export", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "x.bvh")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "take not found" in err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["export", str(bad), "-o", str(tmp_path / "x.bvh")]) == 3
    assert "cannot read take" in capsys.readouterr().err
    assert main(["export", str(take_npz), "-o", str(tmp_path / "no" / "x.bvh")]) == 4
    assert "output folder does not exist" in capsys.readouterr().err
    monkeypatch.setattr(blender.importlib.util, "find_spec", lambda name: None)
    assert main(["export", str(take_npz), "-o", str(tmp_path / "x.fbx")]) == 4
    err = capsys.readouterr().err
    assert "pip install bpy==4.5.15" in err and err.count("\n") == 1


def test_options_from_args_shared_with_process():
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output")
    add_export_arguments(parser)
    assert options_from_args(parser.parse_args(["-o", "a.bvh"])) == ExportOptions()
    assert options_from_args(parser.parse_args(["-o", "a.GLB"])).format == "glb"
    opts = options_from_args(parser.parse_args(
        ["-o", "a.bvh", "--format", "fbx", "--preset", "unreal", "--root", "ground",
         "--fps", "24", "--unit", "m", "--tpose"]))
    assert opts == ExportOptions("fbx", "unreal", "m", 24.0, "ground", True)
