"""The live link's message format, version 1: one UDP datagram per pose. Standard library
only, because the same file runs in the app (``mocap_app.link.sender`` encodes) and inside
Blender (the add-on decodes). docs/LINK.md documents it for other receivers.

All numbers little-endian. A datagram is exactly ``PACKET_SIZE`` (748) bytes:

    offset size  field
    0      4     magic b"MCLK"
    4      1     version (1)
    5      1     kind (1 = pose)
    6      2     flags (bit 0: the root position is tracked; 0 = standing in place)
    8      4     stream id: random per sender session (a new id resets the order check)
    12     4     sequence number: 0, 1, 2 ... per stream, wraps at 2**32
    16     8     timestamp (float64): the pose's capture time, seconds from the stream start
    24     8     sent (float64): the sender's wall clock (Unix seconds) at sending, for latency
    32     12    root position (3 x float32): metres, app axes (Y up, the performer faces +Z)
    44     25x28 per bone, in ``BONES`` order: world rotation from the rest pose as a unit
                 quaternion (x, y, z, w, float32), then the bone's rest offset from its
                 ``PARENTS`` bone (x, y, z, float32, metres)
    744    4     CRC-32 (zlib) of bytes 0..743

The rotations are those of the BVH export (``export/retarget.py``): the rest pose is a
T-pose with every bone's world rotation the identity, so a bone's world rotation maps its
rest offsets onto the pose. Axes are the app's: right-handed, Y up, facing +Z, left hand
towards +X.
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

MAGIC = b"MCLK"
VERSION = 1
KIND_POSE = 1
FLAG_ROOT_TRACKED = 1

#: The bones of format version 1 (the rig's Mixamo names) and their parents.
BONES: tuple[str, ...] = (
    "Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "HeadTop_End",
    "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "LeftHandMiddle1",
    "RightShoulder", "RightArm", "RightForeArm", "RightHand", "RightHandMiddle1",
    "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase",
    "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase",
)
_PARENT = {"Spine": "Hips", "Spine1": "Spine", "Spine2": "Spine1", "Neck": "Spine2",
           "Head": "Neck", "HeadTop_End": "Head"}
for _s in ("Left", "Right"):
    _PARENT.update({_s + "Shoulder": "Spine2", _s + "Arm": _s + "Shoulder",
                    _s + "ForeArm": _s + "Arm", _s + "Hand": _s + "ForeArm",
                    _s + "HandMiddle1": _s + "Hand", _s + "UpLeg": "Hips",
                    _s + "Leg": _s + "UpLeg", _s + "Foot": _s + "Leg",
                    _s + "ToeBase": _s + "Foot"})
PARENTS: tuple[int, ...] = tuple(BONES.index(_PARENT[b]) if b in _PARENT else -1
                                 for b in BONES)
NUM_BONES = len(BONES)

_HEADER = struct.Struct("<4sBBHIIdd3f")         # 44 bytes
_BONE = struct.Struct("<4f3f")                  # 28 bytes
_BODY = struct.Struct("<" + "4f3f" * NUM_BONES)
_CRC = struct.Struct("<I")
PACKET_SIZE = _HEADER.size + _BODY.size + _CRC.size   # 748
#: a receiver reads datagrams up to this size; a larger one is counted as oversized
MAX_DATAGRAM = 2048
#: a decoded rotation whose quaternion norm is further than this from 1 is malformed
_NORM_TOLERANCE = 1e-3


class WireError(ValueError):
    """A datagram that is not a version-1 pose: ``reason`` is one of ``truncated``,
    ``oversized``, ``malformed`` (wrong magic, kind, CRC or values) or ``version``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class PosePacket:
    """One decoded pose. ``rotations`` are (x, y, z, w) per bone, ``offsets`` (x, y, z)
    metres per bone, both in ``BONES`` order; ``root`` metres, app axes."""
    stream_id: int
    seq: int
    timestamp: float
    sent: float
    root: tuple[float, float, float]
    root_tracked: bool
    rotations: tuple[tuple[float, float, float, float], ...]
    offsets: tuple[tuple[float, float, float], ...]


def encode_pose(stream_id: int, seq: int, timestamp: float, sent: float,
                root, rotations, offsets, root_tracked: bool = True) -> bytes:
    """The datagram of one pose: ``rotations`` NUM_BONES quaternions (x, y, z, w),
    ``offsets`` NUM_BONES rest offsets (metres), ``root`` (3,) metres. Any sequence of
    numbers works (numpy arrays too)."""
    values = []
    for q, o in zip(rotations, offsets):
        values.extend((float(q[0]), float(q[1]), float(q[2]), float(q[3]),
                       float(o[0]), float(o[1]), float(o[2])))
    if len(values) != 7 * NUM_BONES:
        raise ValueError(f"a version-{VERSION} pose has {NUM_BONES} bones")
    head = _HEADER.pack(MAGIC, VERSION, KIND_POSE, FLAG_ROOT_TRACKED if root_tracked else 0,
                        stream_id & 0xFFFFFFFF, seq & 0xFFFFFFFF, float(timestamp),
                        float(sent), float(root[0]), float(root[1]), float(root[2]))
    payload = head + _BODY.pack(*values)
    return payload + _CRC.pack(zlib.crc32(payload) & 0xFFFFFFFF)


def decode_pose(data: bytes) -> PosePacket:
    """The pose in a datagram, or ``WireError`` saying why it is not one."""
    n = len(data)
    if n > PACKET_SIZE:
        raise WireError("oversized", f"{n} bytes, a pose has {PACKET_SIZE}")
    if n < _HEADER.size:
        raise WireError("truncated", f"{n} bytes, a pose has {PACKET_SIZE}")
    magic, version, kind, flags, stream_id, seq, ts, sent, rx, ry, rz = \
        _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise WireError("malformed", "not a mocap link packet (magic)")
    if version != VERSION:
        raise WireError("version", f"format version {version}, this receiver reads {VERSION}")
    if n < PACKET_SIZE:
        raise WireError("truncated", f"{n} bytes, a pose has {PACKET_SIZE}")
    if kind != KIND_POSE:
        raise WireError("malformed", f"unknown kind {kind}")
    body_end = PACKET_SIZE - _CRC.size
    (crc,) = _CRC.unpack_from(data, body_end)
    if zlib.crc32(data[:body_end]) & 0xFFFFFFFF != crc:
        raise WireError("malformed", "checksum mismatch")
    values = _BODY.unpack_from(data, _HEADER.size)
    if not all(math.isfinite(v) for v in values + (ts, sent, rx, ry, rz)):
        raise WireError("malformed", "a value is not finite")
    rotations, offsets = [], []
    for b in range(NUM_BONES):
        x, y, z, w, ox, oy, oz = values[7 * b: 7 * b + 7]
        norm = math.sqrt(x * x + y * y + z * z + w * w)
        if abs(norm - 1.0) > _NORM_TOLERANCE:
            raise WireError("malformed", f"{BONES[b]}: quaternion of norm {norm:.4f}")
        rotations.append((x / norm, y / norm, z / norm, w / norm))
        offsets.append((ox, oy, oz))
    return PosePacket(stream_id, seq, ts, sent, (rx, ry, rz), bool(flags & FLAG_ROOT_TRACKED),
                      tuple(rotations), tuple(offsets))


def seq_newer(seq: int, last: int) -> bool:
    """Whether ``seq`` comes after ``last`` (serial-number arithmetic, RFC 1982: the
    wrap at 2**32 is not mistaken for an old packet)."""
    d = (seq - last) & 0xFFFFFFFF
    return 0 < d < 0x80000000
