import errno
import json

import numpy as np
import pytest

from mocap_app.core.pose import FramePose
from mocap_app.core.skeleton import NUM_JOINTS
from mocap_app.takes import TakeError, TakeWriter, find_takes, load_take, recover_take


def _pose(i, person=True):
    if not person:
        return FramePose(i, i / 30, (640, 480))
    j = np.full((NUM_JOINTS, 3), 0.01 * i)
    j[0] = 0
    return FramePose(i, i / 30, (640, 480), np.array([1.0, 2, 300, 400]),
                     np.full((NUM_JOINTS, 2), 100.0 + i), np.full(NUM_JOINTS, 0.9), j)


def test_write_close_load_round_trip(tmp_path):
    w = TakeWriter(tmp_path / "take1", source="camera 0", fps=30, image_size=(640, 480))
    for i in range(10):
        w.append(_pose(i, person=(i != 3)))
    w.close()
    seq, meta = load_take(tmp_path / "take1")
    assert meta["status"] == "complete" and meta["frame_count"] == 10
    assert len(seq) == 10 and not seq.valid[3] and seq.valid.sum() == 9
    np.testing.assert_allclose(seq.joints_3d[7, 5], [0.07] * 3, atol=1e-5)
    np.testing.assert_allclose(seq.timestamps[9], 0.3)
    assert [t["name"] for t in find_takes(tmp_path)] == ["take1"]


def test_crash_mid_take_is_recovered_from_the_stream(tmp_path):
    folder = tmp_path / "crashed"
    w = TakeWriter(folder, fps=30, image_size=(640, 480))
    for i in range(20):
        w.append(_pose(i))
    # simulate SIGKILL: the writer never closes, and the last line is cut in half
    w._fh.flush()
    with open(folder / "frames.jsonl", "a") as fh:
        fh.write('{"i":20,"t":0.66,"valid":tr')
    seq, meta = load_take(folder)
    assert meta["status"] == "recovered" and len(seq) == 20
    recover_take(folder)
    assert json.loads((folder / "take.json").read_text())["status"] == "recovered"
    assert len(load_take(folder)[0]) == 20


def test_full_disk_stops_cleanly_and_keeps_what_was_written(tmp_path):
    w = TakeWriter(tmp_path / "full", fps=30, image_size=(640, 480))
    for i in range(5):
        w.append(_pose(i))

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def write(self, _):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

    w._fh = FullDisk(w._fh)
    with pytest.raises(TakeError, match="disk is full"):
        w.append(_pose(5))
    with pytest.raises(TakeError):
        w.append(_pose(6))
    w.close()
    seq, meta = load_take(tmp_path / "full")
    assert len(seq) == 5 and meta["status"] == "stopped" and "disk is full" in meta["error"]


def test_existing_or_unwritable_folder(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(TakeError, match="already exists"):
        TakeWriter(tmp_path / "taken")
    with pytest.raises(TakeError):
        TakeWriter(tmp_path / "a_file.txt" / "take")  if (tmp_path / "a_file.txt").write_text("x") else None


def test_damaged_take_folder(tmp_path):
    folder = tmp_path / "damaged"
    w = TakeWriter(folder, fps=30)
    for i in range(4):
        w.append(_pose(i))
    w.close()
    (folder / "poses.npz").write_bytes(b"garbage")
    (folder / "take.json").write_text("{not json")
    seq, meta = load_take(folder)  # falls back to the frame stream
    assert len(seq) == 4 and meta["status"] == "damaged metadata"
    (folder / "frames.jsonl").unlink()
    with pytest.raises(TakeError, match="damaged"):
        load_take(folder)


def test_the_detectors_own_3d_is_kept_in_the_take(tmp_path):
    """Frames that carry the detector's 3D keep it through the stream and poses.npz (the
    lifter's heatmaps of a played-back frame need it); frames and takes without it load
    with None / NaN as before."""
    import dataclasses
    w = TakeWriter(tmp_path / "t", fps=30, image_size=(640, 480))
    for i in range(6):
        p = _pose(i, person=(i != 2))
        if i in (1, 4):
            det = np.arange(NUM_JOINTS * 3, dtype=float).reshape(NUM_JOINTS, 3) * 0.001 * i
            p = dataclasses.replace(p, detector_3d=det)
        w.append(p)
    # the stream alone (a crash before close) already holds it
    seq, meta = load_take(tmp_path / "t")
    assert meta["status"] == "recovered"
    np.testing.assert_allclose(seq.detector_3d[4, 10], [0.120, 0.124, 0.128], atol=1e-6)
    w.close()
    seq, _ = load_take(tmp_path / "t")
    np.testing.assert_allclose(seq.detector_3d[1, 24], [0.072, 0.073, 0.074], atol=1e-6)
    assert np.isnan(seq.detector_3d[[0, 2, 3, 5]]).all()
    w2 = TakeWriter(tmp_path / "old", fps=30, image_size=(640, 480))
    for i in range(3):
        w2.append(_pose(i))
    w2.close()
    assert load_take(tmp_path / "old")[0].detector_3d is None
