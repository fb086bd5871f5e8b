"""Exporting a stretch of a take (``ExportOptions.start`` / ``end``, ``mocap export
--start --end``): the frames of that stretch as the whole take's export has them."""
from __future__ import annotations

import numpy as np
import pytest

from mocap_app.cli import main
from mocap_app.core.bvh import read_bvh
from mocap_app.export import ExportOptions, export_sequence
from mocap_app.export.retarget import retarget
from mocap_app.takes import save_sequences

from .hands import puppet_with_hands
from .puppet import puppet_sequence


def _same_frames(part, whole, frames):
    np.testing.assert_allclose(part.positions, whole.positions[frames], atol=1e-9)
    np.testing.assert_allclose(part.root_positions, whole.root_positions[frames], atol=1e-9)
    np.testing.assert_allclose(part.world_rotations, whole.world_rotations[frames], atol=1e-9)
    np.testing.assert_allclose(part.offsets, whole.offsets, atol=1e-12)   # the same rig


@pytest.mark.parametrize("root", ["world", "inplace", "ground"])
def test_a_stretch_is_the_whole_takes_frames_in_it(root):
    seq = puppet_sequence(60)                          # 30 fps: 0 .. 1.967 s
    whole = retarget(seq, ExportOptions(root_motion=root))
    part = retarget(seq, ExportOptions(root_motion=root, start=0.5, end=1.0))
    _same_frames(part, whole, slice(15, 31))           # frames 15 .. 30, both ends in
    assert part.fps == whole.fps
    # open ends: from 1.5 s to the end, and from the start to 0.2 s
    _same_frames(retarget(seq, ExportOptions(root_motion=root, start=1.5)), whole,
                 slice(45, 60))
    _same_frames(retarget(seq, ExportOptions(root_motion=root, end=0.2)), whole, slice(0, 7))


def test_a_stretch_with_fingers_a_tpose_frame_and_another_rate():
    seq, _ = puppet_with_hands(60)
    whole = retarget(seq, ExportOptions(fps=60))       # 60 fps grid: frame k at k / 60 s
    part = retarget(seq, ExportOptions(fps=60, start=0.25, end=0.75, tpose_frame=True))
    assert len(part.names) == len(whole.names) > 30    # finger bones kept
    np.testing.assert_allclose(part.positions[1:], whole.positions[15:46], atol=1e-9)
    np.testing.assert_allclose(part.local_euler[0], 0.0, atol=1e-9)   # the T-pose frame first


def test_filled_frames_are_counted_in_the_stretch_only():
    seq = puppet_sequence(40)
    valid = np.ones(40, bool)
    valid[20:25] = False
    joints = np.where(valid[:, None, None], seq.joints_3d, np.nan)
    gappy = type(seq)(**{**seq.__dict__, "joints_3d": joints, "valid": valid})
    assert retarget(gappy).filled_frames == 5
    assert retarget(gappy, ExportOptions(end=0.5)).filled_frames == 0
    assert retarget(gappy, ExportOptions(start=0.6, end=0.9)).filled_frames == 5


@pytest.mark.parametrize("values, words", [
    (dict(start=-1.0), "0 s or more"), (dict(end=float("nan")), "0 s or more"),
    (dict(start="1"), "0 s or more"), (dict(start=2.0, end=1.0), "must come after"),
    (dict(start=1.0, end=1.0), "must come after")])
def test_wrong_times_are_refused_at_once(values, words):
    with pytest.raises(ValueError, match=words):
        ExportOptions(**values)


def test_a_stretch_outside_the_take_is_refused_naming_its_span(tmp_path):
    seq = puppet_sequence(60)
    out = tmp_path / "x.bvh"
    with pytest.raises(ValueError, match=r"within 0-1\.97 s"):
        export_sequence(seq, out, ExportOptions(start=5.0))
    with pytest.raises(ValueError, match="holds no frame"):
        export_sequence(seq, out, ExportOptions(start=0.51, end=0.52))   # between frames
    assert not out.exists()


def test_export_command_writes_the_stretch_and_refuses_one_outside(tmp_path, capsys):
    take = tmp_path / "take.npz"
    save_sequences(take, puppet_sequence(60))
    out = tmp_path / "part.bvh"
    assert main(["export", str(take), "--start", "0.5", "--end", "1", "-o", str(out)]) == 0
    m = read_bvh(out)
    whole = retarget(puppet_sequence(60))
    assert m.num_frames == 16
    np.testing.assert_allclose(m.world_positions(), whole.positions[15:31], atol=1e-3)
    capsys.readouterr()
    late = tmp_path / "late.bvh"
    assert main(["export", str(take), "--start", "9", "-o", str(late)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0-1.97 s" in err and not late.exists()
    assert main(["export", str(take), "--start", "1", "--end", "0.5", "-o", str(late)]) == 2
    assert "must come after" in capsys.readouterr().err and not late.exists()
