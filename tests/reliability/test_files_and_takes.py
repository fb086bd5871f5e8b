"""Writing where it cannot be written, non-finite poses, damaged take folders: a clear
error, and nothing already recorded lost."""
import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mocap_app.core.bvh import read_bvh
from mocap_app.core.pose import FramePose, PoseSequence
from mocap_app.core.skeleton import NUM_JOINTS
from mocap_app.export import ExportOptions, export_sequence
from mocap_app.takes import TakeError, TakeWriter, find_takes, load_take


def _pose(i, joints=None):
    j = np.full((NUM_JOINTS, 3), 0.01 * i) if joints is None else joints
    j[0] = 0
    return FramePose(i, i / 30, (640, 480), np.array([1.0, 2, 300, 400]),
                     np.full((NUM_JOINTS, 2), 100.0 + i), np.full(NUM_JOINTS, 0.9), j)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "mocap_app.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def _one_line_error(proc, *words):
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("mocap: error:")]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


# -- exporting -------------------------------------------------------------------------

def test_bvh_export_to_read_only_folder(readonly_dir, walk_take):
    with pytest.raises(OSError) as info:
        export_sequence(walk_take, readonly_dir / "walk.bvh", ExportOptions())
    assert info.value.errno in (errno.EROFS, errno.EACCES)
    assert list(readonly_dir.iterdir()) == []


def test_cli_to_read_only_folder_fails_before_processing(readonly_dir, short_walk_clip):
    proc = _cli("process", short_walk_clip, "-o", readonly_dir / "walk.bvh")
    _one_line_error(proc, "not writable")
    assert proc.returncode == 4


def test_bvh_export_full_disk_keeps_the_previous_file(full_disk, walk_take):
    """A real ENOSPC: the export fails, no half file, and the older export is intact."""
    out = full_disk / "walk.bvh"
    out.write_text("previous export\n")
    long = PoseSequence(*(np.concatenate([a] * 40) for a in (
        walk_take.timestamps, walk_take.joints_3d, walk_take.keypoints_2d,
        walk_take.visibility, walk_take.valid)), walk_take.fps, walk_take.image_size)
    with pytest.raises(OSError) as info:
        export_sequence(long, out, ExportOptions())
    assert info.value.errno == errno.ENOSPC
    assert out.read_text() == "previous export\n"
    assert sorted(p.name for p in full_disk.iterdir()) == ["walk.bvh"]


def test_bvh_export_injected_enospc(tmp_path, walk_take, monkeypatch):
    """The same with the failure injected at fsync (works without root)."""
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        export_sequence(walk_take, tmp_path / "walk.bvh", ExportOptions())
    assert list(tmp_path.iterdir()) == []


def test_cli_full_disk_is_one_line(full_disk, short_walk_clip):
    big = full_disk / "filler"
    with open(big, "wb") as fh:          # leave a few KB: less than the BVH needs
        fh.write(b"\0" * (56 * 1024))
    proc = _cli("process", short_walk_clip, "-o", full_disk / "walk.bvh", "--no-refine")
    _one_line_error(proc, "could not write")
    assert proc.returncode == 4
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]


def test_cli_path_with_spaces_and_non_ascii(tmp_path, short_walk_clip):
    folder = tmp_path / "Mes prises — Zoë 動き"
    folder.mkdir()
    video = folder / "marche été.mp4"
    video.write_bytes(short_walk_clip.read_bytes())
    out = folder / "résultat final.bvh"
    proc = _cli("process", video, "-o", out, "--no-refine")
    assert proc.returncode == 0, proc.stderr
    assert read_bvh(out).num_frames == 15


def test_export_of_a_pose_with_nan_and_inf(tmp_path, walk_take):
    """A frame marked valid whose joints hold NaN/inf is filled (not written as 'nan')."""
    j = walk_take.joints_3d.copy()
    good = np.flatnonzero(walk_take.valid)
    j[good[3], 4] = np.nan
    j[good[5], 7] = np.inf
    bad = PoseSequence(walk_take.timestamps, j, walk_take.keypoints_2d, walk_take.visibility,
                       walk_take.valid, walk_take.fps, walk_take.image_size)
    out = export_sequence(bad, tmp_path / "nan.bvh", ExportOptions())
    text = out.read_text()
    assert "nan" not in text.lower() and "inf" not in text.lower()
    m = read_bvh(out)
    assert m.num_frames == len(walk_take) and np.isfinite(m.motion).all()


# -- takes -----------------------------------------------------------------------------

def test_take_refuses_nan_and_inf_poses_clearly(tmp_path):
    w = TakeWriter(tmp_path / "t", fps=30, image_size=(640, 480))
    for i in range(6):
        j = np.full((NUM_JOINTS, 3), 0.01 * i)
        if i == 2:
            j[5] = np.nan
        if i == 4:
            j[9, 1] = -np.inf
        w.append(_pose(i, j))
    w.close()
    seq, meta = load_take(tmp_path / "t")
    assert len(seq) == 6
    assert list(seq.valid) == [True, True, False, True, False, True]
    assert np.isfinite(seq.joints_3d[seq.valid]).all()
    lines = (tmp_path / "t" / "frames.jsonl").read_text().splitlines()
    assert "non-finite" in json.loads(lines[2]).get("dropped", "")


def test_take_into_read_only_folder(readonly_dir):
    with pytest.raises(TakeError, match="cannot create take folder"):
        TakeWriter(readonly_dir / "take1")


def test_take_in_a_path_with_spaces_and_non_ascii(tmp_path):
    root = tmp_path / "Aufnahmen für Jürgen — テイク"
    w = TakeWriter(root / "prise n°2", fps=30, image_size=(640, 480))
    for i in range(5):
        w.append(_pose(i))
    w.close()
    assert [t["name"] for t in find_takes(root)] == ["prise n°2"]
    assert load_take(root / "prise n°2")[0].valid.all()


def test_take_full_disk_real_filesystem(full_disk):
    """Recording onto a real filesystem that fills: a clear stop, the frames before it
    load back."""
    w = TakeWriter(full_disk / "take", fps=30, image_size=(640, 480), sync_interval=0.0)
    written = 0
    with pytest.raises(TakeError, match="disk is full"):
        for i in range(10_000):
            w.append(_pose(i))
            written += 1
    assert 20 < written < 10_000
    try:
        w.close()
    except TakeError as exc:            # not even room to finish: frames.jsonl remains
        assert "frames only" in str(exc)
    seq, meta = load_take(full_disk / "take")
    assert written - 2 <= len(seq) <= written
    np.testing.assert_allclose(seq.joints_3d[len(seq) - 1, 3], [0.01 * (len(seq) - 1)] * 3,
                               atol=1e-5)


def _recorded(folder, n=8):
    w = TakeWriter(folder, fps=30, image_size=(640, 480))
    for i in range(n):
        w.append(_pose(i))
    w._fh.flush()
    return w


def test_take_without_take_json_is_found_and_loaded(tmp_path):
    _recorded(tmp_path / "lost_meta")
    (tmp_path / "lost_meta" / "take.json").unlink()
    seq, meta = load_take(tmp_path / "lost_meta")
    assert len(seq) == 8 and meta["status"] == "damaged metadata"
    listed = find_takes(tmp_path)
    assert [(t["name"], t["status"]) for t in listed] == [("lost_meta", "damaged metadata")]


@pytest.mark.parametrize("junk", [
    b"\x00" * 300,                                   # zero-filled tail after a power cut
    b'{"i": 3}\n',                                   # a record missing its fields
    b'{"i":9,"t":0.3,"valid":true,"j3":[1,2],"kp":[],"vis":[]}\n',   # wrong sizes
    b"[1, 2, 3]\n",                                  # JSON, but not a record
    b"\xff\xfe\x81garbage\n",                        # not text
], ids=["nul_tail", "missing_fields", "wrong_sizes", "not_a_record", "binary"])
def test_damaged_frame_stream_keeps_the_good_frames(tmp_path, junk):
    _recorded(tmp_path / "t", 8)
    with open(tmp_path / "t" / "frames.jsonl", "ab") as fh:
        fh.write(junk)
        fh.write(b'\n{"i":8,"t":0.266667,"size":[640,480],"valid":false}\n')
    seq, meta = load_take(tmp_path / "t")
    assert len(seq) == 9 and seq.valid[:8].all() and not seq.valid[8]
    assert meta["status"] == "recovered"


@pytest.mark.parametrize("meta_text", ["[1, 2, 3]", '"a string"', "", "{\"fps\": \"x\"}"],
                         ids=["list", "string", "empty", "bad_fps"])
def test_foreign_take_json(tmp_path, meta_text):
    w = _recorded(tmp_path / "t", 5)
    w.close()
    (tmp_path / "t" / "poses.npz").unlink()
    (tmp_path / "t" / "take.json").write_text(meta_text)
    seq, meta = load_take(tmp_path / "t")
    assert len(seq) == 5
    assert [t["name"] for t in find_takes(tmp_path)] == ["t"]


def test_npz_with_a_pickled_object_is_not_unpickled(tmp_path):
    """A poses.npz holding an object array (which would run code when unpickled) is
    refused; the take falls back to its frame stream."""
    w = _recorded(tmp_path / "t", 6)
    w.close()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (marker.touch, ())
    np.savez(tmp_path / "t" / "poses.npz", raw_timestamps=np.array([Evil()], dtype=object))
    seq, _ = load_take(tmp_path / "t")
    assert len(seq) == 6 and not marker.exists()
