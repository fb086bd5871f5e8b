"""The app's sending end: one UDP datagram per pose, sent from the thread that made the
pose, on a non-blocking socket (a full buffer or a missing receiver drops that pose and
counts it; the capture never waits).

``LinkSender`` speaks the add-on's format (``blender_addon/wire.py``); ``vmc.VmcSender``
the VMC protocol. Both take ``LinkFrame``s and keep the same ``SenderStats``.
"""
from __future__ import annotations

import random
import socket
import time
from dataclasses import dataclass

from ..core.rotations import normalize
from .blender_addon.wire import encode_pose
from .frames import LinkFrame
from .settings import StreamSettings

#: a pose sent more than this long after the pipeline made it is counted late (it is
#: still sent: it is the newest there is). The pipeline's own latency (capture -> pose)
#: is not the link's: the GUI's status bar shows it.
LATE_AFTER_S = 0.05


@dataclass
class SenderStats:
    sent: int = 0        # datagrams handed to the network
    dropped: int = 0     # poses not sent: the socket refused them (buffer full, no route)
    late: int = 0        # poses sent more than LATE_AFTER_S after they were made
    stale: int = 0       # poses not sent: older than one already sent (out of order)
    superseded: int = 0  # live poses replaced by a newer one before the sender took them
    last_error: str = ""

    def summary(self) -> str:
        return (f"{self.sent} poses sent, {self.dropped} dropped by the socket, "
                f"{self.superseded} replaced by a newer pose, {self.late} late "
                f"(> {LATE_AFTER_S * 1000:.0f} ms after the pose was made), {self.stale} "
                f"out of order")


def quaternions(rotations) -> "list[tuple[float, float, float, float]]":
    """(N, 3, 3) rotation matrices -> unit quaternions (x, y, z, w), w >= 0."""
    import numpy as np
    r = np.asarray(rotations, float)
    tr = r[..., 0, 0] + r[..., 1, 1] + r[..., 2, 2]
    # one branch per largest diagonal term (Shepperd), chosen per matrix
    cands = np.stack([
        np.stack([r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0],
                  r[..., 1, 0] - r[..., 0, 1], 1 + tr], -1),
        np.stack([1 + r[..., 0, 0] - r[..., 1, 1] - r[..., 2, 2], r[..., 0, 1] + r[..., 1, 0],
                  r[..., 0, 2] + r[..., 2, 0], r[..., 2, 1] - r[..., 1, 2]], -1),
        np.stack([r[..., 0, 1] + r[..., 1, 0], 1 + r[..., 1, 1] - r[..., 0, 0] - r[..., 2, 2],
                  r[..., 1, 2] + r[..., 2, 1], r[..., 0, 2] - r[..., 2, 0]], -1),
        np.stack([r[..., 0, 2] + r[..., 2, 0], r[..., 1, 2] + r[..., 2, 1],
                  1 + r[..., 2, 2] - r[..., 0, 0] - r[..., 1, 1], r[..., 1, 0] - r[..., 0, 1]],
                 -1),
    ], -2)                                                    # (..., 4 candidates, xyzw)
    which = np.argmax(np.stack([tr, r[..., 0, 0], r[..., 1, 1], r[..., 2, 2]], -1), -1)
    q = np.take_along_axis(cands, which[..., None, None], -2)[..., 0, :]
    q = normalize(q)
    return q * np.where(q[..., 3:4] < 0, -1.0, 1.0)


class LinkSender:
    """Sends ``LinkFrame``s to the Blender add-on."""

    def __init__(self, settings: StreamSettings = StreamSettings()):
        if settings.target != "blender":
            raise ValueError("LinkSender speaks the Blender add-on's format; use "
                             "vmc.VmcSender for VMC")
        self.settings = settings
        self.address = settings.address
        family = socket.AF_INET6 if ":" in self.address[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.stream_id = random.getrandbits(32)
        self.seq = 0
        self.stats = SenderStats()
        self._last_timestamp: float | None = None

    def send(self, frame: LinkFrame, age: float = 0.0) -> bool:
        """Send one pose (``age``: seconds since the pipeline made it). False when it
        was not sent (counted)."""
        if self._last_timestamp is not None and frame.timestamp <= self._last_timestamp:
            self.stats.stale += 1
            return False
        data = encode_pose(self.stream_id, self.seq, frame.timestamp, time.time(), frame.root,
                           quaternions(frame.world_rotations), frame.offsets,
                           frame.root_tracked)
        return self._send(data, frame.timestamp, age)

    def _send(self, data: bytes, timestamp: float, age: float) -> bool:
        try:
            self.sock.sendto(data, self.address)
        except OSError as exc:   # BlockingIOError (buffer full), ENOBUFS, unreachable ...
            self.stats.dropped += 1
            self.stats.last_error = str(exc)
            return False
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        self._last_timestamp = timestamp
        self.stats.sent += 1
        if age > LATE_AFTER_S:
            self.stats.late += 1
        return True

    def close(self) -> None:
        self.sock.close()

