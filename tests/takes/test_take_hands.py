"""Hands in takes: kept through the stream (frames.jsonl) and poses.npz; takes made
before hands load with None."""
import dataclasses

import numpy as np

from mocap_app.core.pose import FramePose, PoseSequence
from mocap_app.core.skeleton import NUM_JOINTS
from mocap_app.pipeline.fingers import add_finger_angles
from mocap_app.takes import TakeWriter, load_take


def _pose(i, hands=True):
    j = np.full((NUM_JOINTS, 3), 0.01 * i)
    j[0] = 0
    p = FramePose(i, i / 30, (640, 480), np.array([1.0, 2, 300, 400]),
                  np.full((NUM_JOINTS, 2), 100.0 + i), np.full(NUM_JOINTS, 0.9), j)
    if not hands:
        return p
    h3 = np.arange(2 * 21 * 3, dtype=float).reshape(2, 21, 3) * 1e-3 + 0.01 * i
    h2 = np.arange(2 * 21 * 2, dtype=float).reshape(2, 21, 2) + i
    if i == 2:
        h3[1] = np.nan            # the right hand not seen
        h2[1] = np.nan
    return dataclasses.replace(p, hands_2d=h2, hands_3d=h3)


def test_hands_round_trip_through_the_stream_and_poses_npz(tmp_path):
    w = TakeWriter(tmp_path / "t", fps=30, image_size=(640, 480))
    for i in range(4):
        w.append(_pose(i))
    seq, meta = load_take(tmp_path / "t")          # the stream alone (before close)
    assert meta["status"] == "recovered"
    np.testing.assert_allclose(seq.hands_3d[3], _pose(3).hands_3d, atol=1e-4)
    np.testing.assert_allclose(seq.hands_2d[1], _pose(1).hands_2d, atol=1e-2)
    assert np.isnan(seq.hands_3d[2, 1]).all() and np.isfinite(seq.hands_3d[2, 0]).all()
    raw = PoseSequence.from_frames([_pose(i) for i in range(4)], 30)
    refined = add_finger_angles(raw)
    assert refined.finger_angles.shape == (4, 2, 5, 4)
    w.close(refined=refined)
    got, _ = load_take(tmp_path / "t", which="refined")
    np.testing.assert_allclose(got.finger_angles, refined.finger_angles)
    np.testing.assert_allclose(got.hands_3d[3], _pose(3).hands_3d, atol=1e-4)
    assert load_take(tmp_path / "t", which="raw")[0].finger_angles is None


def test_takes_without_hands_load_as_before(tmp_path):
    w = TakeWriter(tmp_path / "old", fps=30, image_size=(640, 480))
    for i in range(3):
        w.append(_pose(i, hands=False))
    w.close()
    seq, _ = load_take(tmp_path / "old")
    assert seq.hands_3d is None and seq.hands_2d is None and seq.finger_angles is None
    assert not seq.has_hands
    assert add_finger_angles(seq) is seq


def test_held_hands_are_marked_in_the_stream_and_poses_npz(tmp_path):
    w = TakeWriter(tmp_path / "h", fps=30, image_size=(640, 480))
    frames = [dataclasses.replace(_pose(i), hands_held=np.array([i % 2 == 1, i % 2 == 0]))
              for i in range(5)]
    frames[2] = dataclasses.replace(frames[2], hands_held=np.zeros(2, bool))
    for f in frames:
        w.append(f)
    seq, _ = load_take(tmp_path / "h")
    expect = np.array([[0, 1], [1, 0], [0, 0], [1, 0], [0, 1]], bool)
    np.testing.assert_array_equal(seq.hands_held, expect)
    w.close(refined=seq)
    got, _ = load_take(tmp_path / "h", which="refined")
    np.testing.assert_array_equal(got.hands_held, expect)
    assert got.hands_held.dtype == bool
    # a take without held hands has no marks at all
    assert PoseSequence.from_frames([_pose(i) for i in range(3)], 30).hands_held is None


def test_the_hands_view_of_the_sides_is_kept_in_the_take(tmp_path):
    w = TakeWriter(tmp_path / "s", fps=30, image_size=(640, 480))
    sides = [np.array([[0.9, 0.1], [0.8, 0.95]]), np.array([[0.9, np.nan], [0.2, 0.5]])]
    for i, s in enumerate(sides):
        w.append(dataclasses.replace(_pose(i), hand_sides=s))
    seq, _ = load_take(tmp_path / "s")
    np.testing.assert_allclose(seq.hand_sides, np.stack(sides), atol=1e-3)
    w.close(refined=seq)
    got, _ = load_take(tmp_path / "s", which="refined")
    np.testing.assert_allclose(got.hand_sides, np.stack(sides), atol=1e-3)
