import numpy as np
import pytest

from mocap_app.core.bvh import BVHError, format_bvh, parse_bvh, read_bvh, write_bvh_file


def test_parses_real_mocap_and_fk_matches_the_bvh_package(shared_data):
    import bvh as bvh_pkg
    path = shared_data / "mocap" / "sample" / "dataset-1_walk_normal_001.bvh"
    m = read_bvh(path)
    assert m.num_frames == 195 and abs(m.frame_time - 1 / 30) < 1e-4
    pos = m.world_positions()
    # independent check of one channel value through the third-party reader
    with open(path) as fh:
        ref = bvh_pkg.Bvh(fh.read())
    assert ref.nframes == m.num_frames
    assert float(ref.frame_joint_channel(10, "Hips", "Yposition")) == pytest.approx(
        m.motion[10, m.channel_slices()[m.index("Hips")]][1])
    # the head is above the feet in a Y-up walk, by roughly a body height (cm)
    head, foot = pos[:, m.index("Head")], pos[:, m.index("Foot_L")]
    assert np.all(head[:, 1] - foot[:, 1] > 100)


def test_format_then_parse_is_identity(shared_data):
    m = read_bvh(shared_data / "mocap" / "sample" / "cmu_131_01_cgspeed_max.bvh")
    again = parse_bvh(format_bvh(m))
    assert again.names == m.names
    np.testing.assert_allclose(again.motion, m.motion, atol=1e-6)
    np.testing.assert_allclose(again.world_positions(), m.world_positions(), atol=1e-4)


def test_atomic_write_leaves_no_partial_file(tmp_path, shared_data):
    m = read_bvh(shared_data / "mocap" / "sample" / "dataset-1_walk_normal_001.bvh")
    target = tmp_path / "missing_folder" / "out.bvh"
    with pytest.raises(OSError):
        write_bvh_file(m, target)
    assert not target.exists()
    ok = tmp_path / "out.bvh"
    write_bvh_file(m, ok)
    assert read_bvh(ok).num_frames == m.num_frames
    assert [p.name for p in tmp_path.iterdir()] == ["out.bvh"]


@pytest.mark.parametrize("text", ["", "HELLO", "HIERARCHY\nROOT a\n{\nOFFSET 0 0\n",
                                  "HIERARCHY\nROOT a\n{\nOFFSET 0 0 0\nCHANNELS 1 Xposition\n}\n"
                                  "MOTION\nFrames: 3\nFrame Time: 0.1\n1\n2\n"])
def test_malformed_bvh_gives_bvh_error(text):
    with pytest.raises(BVHError):
        parse_bvh(text)
