"""The message format and the receiving end without Blender: known poses round-trip,
every kind of bad datagram is refused by kind, the receiver drains a real loopback
socket without blocking and counts, and bad settings are refused naming the range."""
from __future__ import annotations

import socket
import struct
import time
import zlib

import numpy as np
import pytest

from mocap_app.export.presets import bone_name
from mocap_app.link import LinkSender, StreamSettings, take_frames
from mocap_app.link.blender_addon import rigmap, wire
from mocap_app.link.blender_addon.receiver import LinkReceiver, check_port
from mocap_app.link.sender import quaternions

from ..export.puppet import puppet_sequence


@pytest.fixture(scope="module")
def frames():
    return take_frames(puppet_sequence(30, fps=30.0, turns=0.25))


def _encode(frame, seq=7, stream=42):
    return wire.encode_pose(stream, seq, frame.timestamp, 1234.5, frame.root,
                            quaternions(frame.world_rotations), frame.offsets)


def test_a_pose_round_trips(frames):
    f = frames[17]
    data = _encode(f)
    assert len(data) == wire.PACKET_SIZE == 748
    p = wire.decode_pose(data)
    assert (p.stream_id, p.seq, p.sent, p.root_tracked) == (42, 7, 1234.5, True)
    assert p.timestamp == f.timestamp
    np.testing.assert_allclose(p.root, f.root, atol=1e-6)
    np.testing.assert_allclose(p.offsets, f.offsets, atol=1e-7)
    back = np.array([rigmap.quat_to_mat(q) for q in p.rotations])
    np.testing.assert_allclose(back, f.world_rotations, atol=1e-6)


def test_the_header_is_where_the_documentation_says(frames):
    data = _encode(frames[3], seq=0x01020304, stream=0xAABBCCDD)
    assert data[:4] == b"MCLK" and data[4] == 1 and data[5] == 1
    assert struct.unpack_from("<HII", data, 6) == (1, 0xAABBCCDD, 0x01020304)
    assert struct.unpack_from("<d", data, 16)[0] == frames[3].timestamp
    assert struct.unpack_from("<I", data, 744)[0] == zlib.crc32(data[:744])


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d[:100], "truncated"),
    (lambda d: d[:20], "truncated"),
    (lambda d: d + b"\0", "oversized"),
    (lambda d: b"XXXX" + d[4:], "malformed"),
    (lambda d: d[:4] + b"\x02" + d[5:], "version"),
    (lambda d: d[:5] + b"\x09" + d[6:], "malformed"),           # unknown kind
    (lambda d: d[:200] + bytes([d[200] ^ 1]) + d[201:], "malformed"),   # checksum
])
def test_bad_datagrams_are_refused_by_kind(frames, mutate, reason):
    with pytest.raises(wire.WireError) as err:
        wire.decode_pose(mutate(_encode(frames[0])))
    assert err.value.reason == reason


def test_a_rotation_that_is_not_unit_is_malformed(frames):
    f = frames[0]
    q = quaternions(f.world_rotations) * 2.0
    with pytest.raises(wire.WireError, match="norm"):
        wire.decode_pose(wire.encode_pose(1, 1, 0.0, 0.0, f.root, q, f.offsets))


def test_sequence_numbers_wrap():
    assert wire.seq_newer(5, 4) and not wire.seq_newer(4, 5) and not wire.seq_newer(4, 4)
    assert wire.seq_newer(2, 0xFFFFFFFE)          # after the wrap: newer, not late


def test_receiver_drains_loopback_and_counts(frames):
    rx = LinkReceiver(_free_port())
    try:
        tx = LinkSender(StreamSettings(port=rx.port))
        for f in frames[:10]:
            assert tx.send(f)
        tx.sock.sendto(b"\x00" * 10, tx.address)             # truncated
        tx.sock.sendto(b"MCLK" + b"\x00" * 5000, tx.address)  # oversized
        tx.sock.sendto(_encode(frames[0], seq=2, stream=tx.stream_id), tx.address)  # late
        for f in frames[10:12]:
            assert tx.send(f)
        time.sleep(0.05)
        t0 = time.perf_counter()
        got = rx.poll()
        assert time.perf_counter() - t0 < 0.05
        assert [p.seq for p in got] == list(range(12))
        st = rx.stats
        assert (st.received, st.accepted, st.truncated, st.oversized, st.late) == \
            (15, 12, 1, 1, 1)
        assert st.superseded == 11            # only the newest poses the armature
        assert rx.poll() == []                # nothing waiting: returns at once
        # a new sender session (new stream id) starts its own order
        tx2 = LinkSender(StreamSettings(port=rx.port))
        assert tx2.send(frames[0])
        time.sleep(0.02)
        assert [p.seq for p in rx.poll()] == [0] and rx.stats.streams == 2
        tx.close()
        tx2.close()
    finally:
        rx.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("port", [0, -1, 65536, 70000, "http"])
def test_ports_outside_the_range_are_refused(port):
    with pytest.raises(ValueError, match="1..65535"):
        check_port(port)
    with pytest.raises(ValueError, match="1..65535"):
        StreamSettings(port=port)


def test_other_interfaces_need_an_opt_in_and_are_warned_about():
    with pytest.raises(ValueError, match="unauthenticated"):
        StreamSettings(host="192.168.1.20")
    s = StreamSettings(host="192.168.1.20", allow_remote=True)
    assert "unauthenticated" in s.warning
    assert StreamSettings().warning is None and StreamSettings().address == ("127.0.0.1",
                                                                             47120)
    assert StreamSettings(target="vmc").address == ("127.0.0.1", 39539)
    with pytest.raises(ValueError, match="blender, vmc"):
        StreamSettings(target="osc")
    with pytest.raises(ValueError, match="unauthenticated"):
        LinkReceiver(_free_port(), host="0.0.0.0")


def test_the_add_on_presets_name_bones_as_the_bvh_export_does():
    for preset in ("mixamo", "rigify", "unreal"):
        names = rigmap.preset_names(preset.upper())
        assert names == {b: bone_name(b, preset) for b in wire.BONES}
    with pytest.raises(ValueError, match="MIXAMO, RIGIFY, UNREAL"):
        rigmap.preset_names("maya")
    # a namespace prefix still matches
    assert rigmap.resolve({"Hips": "Hips"}, ["mixamorig:Hips", "x"]) == {"Hips": "mixamorig:Hips"}


def test_matrix_quaternion_helpers_agree(frames):
    for r in frames[5].world_rotations:
        w, x, y, z = rigmap.mat_to_quat_wxyz(tuple(map(tuple, r)))
        np.testing.assert_allclose(rigmap.quat_to_mat((x, y, z, w)), r, atol=1e-12)
    a, b = (0.3, -0.2, 0.9), (-0.5, 0.1, 0.2)
    m = np.array(rigmap.rotation_between(a, b))
    np.testing.assert_allclose(m @ np.array(a) / np.linalg.norm(a), np.array(b) / np.linalg.norm(b),
                               atol=1e-12)
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)


def test_thousands_of_damaged_datagrams_never_raise_and_all_are_counted(frames):
    """Every datagram is either a pose or counted under one reason; poll never raises."""
    rng = np.random.default_rng(20)
    good = _encode(frames[4], seq=1000)
    rx = LinkReceiver(_free_port())
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    try:
        for k in range(1500):
            d = bytearray(good)
            kind = k % 5
            if kind == 0:                                    # flipped bytes anywhere
                for i in rng.integers(0, len(d), rng.integers(1, 8)):
                    d[i] ^= int(rng.integers(1, 256))
            elif kind == 1:                                  # cut anywhere
                d = d[: rng.integers(0, len(d))]
            elif kind == 2:                                  # random bytes, random length
                d = bytearray(rng.integers(0, 256, rng.integers(0, 3000), dtype=np.uint8))
            elif kind == 3:                                  # header fields scrambled
                d[4:16] = rng.integers(0, 256, 12, dtype=np.uint8).tobytes()
            else:                                            # body scrambled, CRC redone
                d[44:744] = rng.integers(0, 256, 700, dtype=np.uint8).tobytes()
                d[744:] = struct.pack("<I", zlib.crc32(bytes(d[:744])))
            tx.sendto(bytes(d), ("127.0.0.1", rx.port))
            sent += 1
            if k % 50 == 49:
                time.sleep(0.01)
                rx.poll()
        time.sleep(0.05)
        rx.poll()
        st = rx.stats
        assert st.received == sent
        assert st.accepted + st.dropped == sent
        assert st.accepted <= 2              # a scrambled header can still be a pose
    finally:
        tx.close()
        rx.close()


def test_a_pose_the_socket_refuses_is_dropped_and_counted(frames):
    tx = LinkSender(StreamSettings(port=_free_port()))

    class FullBuffer:
        def sendto(self, data, address):
            raise BlockingIOError(11, "Resource temporarily unavailable")

        def close(self):
            pass
    real, tx.sock = tx.sock, FullBuffer()
    try:
        assert not tx.send(frames[0])
        assert (tx.stats.sent, tx.stats.dropped, tx.seq) == (0, 1, 0)
        tx.sock = real
        assert tx.send(frames[0]) and tx.seq == 1    # the next pose goes out as seq 0
    finally:
        real.close()


def test_a_mapping_file_maps_stream_bones_to_the_users(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{"Hips": "pelvis_jnt", "LeftArm": "arm_L"}')
    assert rigmap.read_mapping_file(str(path)) == {"Hips": "pelvis_jnt", "LeftArm": "arm_L"}
    path.write_text('{"Pelvis": "x"}')
    with pytest.raises(ValueError, match="unknown stream bones Pelvis"):
        rigmap.read_mapping_file(str(path))
    path.write_text('["Hips"]')
    with pytest.raises(ValueError, match="JSON object"):
        rigmap.read_mapping_file(str(path))


def test_recorded_poses_are_keyed_at_their_own_time():
    # a 30 fps stream in a 24 fps scene, recording from frame 10
    assert rigmap.key_frame(5.0, 5.0, 10.0, 24.0) == 10.0
    assert rigmap.key_frame(5.0 + 1 / 30, 5.0, 10.0, 24.0) == pytest.approx(10.8)
    assert rigmap.key_frame(6.0, 5.0, 10.0, 24.0) == 34.0
    # NTSC capture times into a 29.97 scene land on whole frames
    fps = 30000 / 1001
    assert rigmap.key_frame(100 / fps, 0.0, 1.0, fps) == 101.0


def test_a_take_with_finger_bones_streams_its_body_as_the_export_poses_it():
    """Version 1 carries the body's 25 bones; a take with hands (whose export rig gains
    finger bones after them) streams the same body, every head where the export has it."""
    from mocap_app.export import ExportOptions, rig_joint_positions
    from ..export.hands import puppet_with_hands
    seq, _angles = puppet_with_hands(20)
    assert seq.has_hands
    frames = take_frames(seq)
    pos, names = rig_joint_positions(seq, ExportOptions(unit="m"))
    assert len(names) > wire.NUM_BONES                 # the export has finger bones
    idx = [names.index(b) for b in wire.BONES]
    for k, f in enumerate(frames):
        np.testing.assert_allclose(f.positions(), pos[k][idx], atol=1e-9)
