"""The live stream as VMC protocol messages (OSC over UDP; protocol.vmc.info), built with
python-osc. One OSC bundle per pose holds:

- ``/VMC/Ext/OK`` (int) 1 loaded, (int) 3 calibrated, (int) 0 normal calibration mode;
- ``/VMC/Ext/T`` (float) the pose's time in seconds from the stream start;
- ``/VMC/Ext/Root/Pos`` (string) "root", position (3 floats), rotation quaternion
  (x, y, z, w): the avatar's origin, left at the origin unrotated;
- ``/VMC/Ext/Bone/Pos`` (string) Unity ``HumanBodyBones`` name, local position (3 floats)
  and local rotation (x, y, z, w) relative to the parent bone, for every humanoid bone of
  the rig. Rest local rotations are the identity (a T-pose, as a normalized VRM avatar's),
  so a receiver applies them to its avatar as they come. The Hips' position is the
  performer's place in the room (metres, relative to Root).

Unity's axes are left-handed (Y up, Z forward, X to the avatar's right): our +X (the
performer's left) becomes -X, so positions are (-x, y, z) and quaternions (x, -y, -z, w).
"""
from __future__ import annotations

import numpy as np
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import UDPClient

from .blender_addon.wire import BONES, PARENTS
from .frames import LinkFrame
from .sender import LATE_AFTER_S, SenderStats, quaternions
from .settings import StreamSettings

#: stream bone (Mixamo name) -> Unity HumanBodyBones name; HeadTop_End has none
UNITY_BONES: dict[str, str] = {"Hips": "Hips", "Spine": "Spine", "Spine1": "Chest",
                               "Spine2": "UpperChest", "Neck": "Neck", "Head": "Head"}
for _s in ("Left", "Right"):
    UNITY_BONES.update({_s + "Shoulder": _s + "Shoulder", _s + "Arm": _s + "UpperArm",
                        _s + "ForeArm": _s + "LowerArm", _s + "Hand": _s + "Hand",
                        _s + "HandMiddle1": _s + "MiddleProximal",
                        _s + "UpLeg": _s + "UpperLeg", _s + "Leg": _s + "LowerLeg",
                        _s + "Foot": _s + "Foot", _s + "ToeBase": _s + "Toes"})
#: Unity bone -> its parent among the bones sent (what a receiver's FK uses)
UNITY_PARENT: dict[str, str | None] = {
    UNITY_BONES[b]: (UNITY_BONES[BONES[p]] if p >= 0 else None)
    for b, p in zip(BONES, PARENTS) if b in UNITY_BONES}


def to_unity_position(p) -> np.ndarray:
    p = np.asarray(p, float)
    return p * np.array([-1.0, 1.0, 1.0])


def to_unity_quaternion(q) -> np.ndarray:
    """(x, y, z, w) in the app's right-handed axes -> Unity's left-handed ones."""
    q = np.asarray(q, float)
    return q * np.array([1.0, -1.0, -1.0, 1.0])


def _message(address: str, *args) -> OscMessageBuilder:
    msg = OscMessageBuilder(address=address)
    for a in args:
        msg.add_arg(a)
    return msg.build()


def vmc_bundle(frame: LinkFrame):
    """The OSC bundle of one pose."""
    bundle = OscBundleBuilder(IMMEDIATELY)
    bundle.add_content(_message("/VMC/Ext/OK", 1, 3, 0))
    bundle.add_content(_message("/VMC/Ext/T", float(frame.timestamp)))
    bundle.add_content(_message("/VMC/Ext/Root/Pos", "root", 0.0, 0.0, 0.0,
                                0.0, 0.0, 0.0, 1.0))
    local = quaternions(frame.local_rotations())
    for b, name in enumerate(BONES):
        unity = UNITY_BONES.get(name)
        if unity is None:
            continue
        pos = frame.root if PARENTS[b] < 0 else frame.offsets[b]
        p = to_unity_position(pos)
        q = to_unity_quaternion(local[b])
        bundle.add_content(_message("/VMC/Ext/Bone/Pos", unity,
                                    *(float(v) for v in p), *(float(v) for v in q)))
    return bundle.build()


class VmcSender:
    """Sends ``LinkFrame``s as VMC bundles (non-blocking; drops counted)."""

    def __init__(self, settings: StreamSettings = StreamSettings(target="vmc")):
        if settings.target != "vmc":
            raise ValueError("VmcSender sends VMC; use sender.LinkSender for Blender")
        self.settings = settings
        self.address = settings.address
        self.client = UDPClient(*self.address)     # python-osc: a non-blocking socket
        self.stats = SenderStats()
        self._last_timestamp: float | None = None

    def send(self, frame: LinkFrame, age: float = 0.0) -> bool:
        if self._last_timestamp is not None and frame.timestamp <= self._last_timestamp:
            self.stats.stale += 1
            return False
        try:
            self.client.send(vmc_bundle(frame))
        except OSError as exc:
            self.stats.dropped += 1
            self.stats.last_error = str(exc)
            return False
        self._last_timestamp = frame.timestamp
        self.stats.sent += 1
        if age > LATE_AFTER_S:
            self.stats.late += 1
        return True

    def close(self) -> None:
        self.client._sock.close()
