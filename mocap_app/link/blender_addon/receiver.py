"""The add-on's receiving end: a non-blocking UDP socket drained by a timer, never a
thread that blocks. Standard library only (tested outside Blender too).

``poll`` reads what has arrived (at most ``max_per_poll`` datagrams, so one call never
runs long), drops and counts what is not a newer version-1 pose of the current stream,
and returns the good ones in order. Nothing a sender can put in a datagram raises out of
``poll``.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from collections import deque
from dataclasses import dataclass, field

from .wire import MAX_DATAGRAM, PosePacket, WireError, decode_pose, seq_newer

LOOPBACK = "127.0.0.1"


def check_port(port) -> int:
    """A UDP port 1..65535, or ValueError naming the range."""
    try:
        value = int(str(port).strip())
    except ValueError:
        raise ValueError(f"the port must be a whole number 1..65535, got {port!r}") from None
    if not 1 <= value <= 65535:
        raise ValueError(f"the port must be 1..65535, got {value}")
    return value


def check_address(host: str, allow_remote: bool) -> str:
    """An IP address to bind or send to. Anything but loopback (127.0.0.0/8, ::1) needs
    ``allow_remote``: the stream is unauthenticated."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"not an IP address: {host!r} (use 127.0.0.1 for this computer)"
                         ) from None
    if not ip.is_loopback and not allow_remote:
        raise ValueError(f"{host} is not loopback (127.0.0.1): streaming to or from "
                         f"another interface must be opted into, and the stream is "
                         f"unauthenticated (anyone on that network can send poses)")
    return str(ip)


@dataclass
class ReceiverStats:
    """Datagrams by fate. ``late``: an older sequence number than one already taken
    (out of order or duplicated); ``superseded``: a good pose that a newer one in the same
    poll replaced on the live armature (still recorded)."""
    received: int = 0
    accepted: int = 0
    malformed: int = 0
    truncated: int = 0
    oversized: int = 0
    version: int = 0
    late: int = 0
    superseded: int = 0
    streams: int = 0
    arrivals: deque = field(default_factory=lambda: deque(maxlen=240))

    @property
    def dropped(self) -> int:
        return self.malformed + self.truncated + self.oversized + self.version + self.late

    def rate(self, now: float | None = None, window: float = 1.0) -> float:
        """Good poses per second over the last ``window`` seconds."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self.arrivals if now - t <= window]
        return len(recent) / window

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("received", "accepted", "malformed",
                                              "truncated", "oversized", "version", "late",
                                              "superseded", "streams", "dropped")}


class LinkReceiver:
    """Binds ``host:port`` (UDP, non-blocking). Call ``poll`` from a timer."""

    def __init__(self, port: int, host: str = LOOPBACK, allow_remote: bool = False,
                 max_per_poll: int = 256):
        self.port = check_port(port)
        self.host = check_address(host, allow_remote)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setblocking(False)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            self.sock.bind((self.host, self.port))
        except OSError:
            self.sock.close()
            raise
        self.max_per_poll = max_per_poll
        self.stats = ReceiverStats()
        self.stream_id: int | None = None
        self.last_seq: int | None = None
        self.last_packet: PosePacket | None = None
        self.last_error: str = ""

    def poll(self) -> list[PosePacket]:
        """The new good poses since the last call, oldest first."""
        good: list[PosePacket] = []
        st = self.stats
        for _ in range(self.max_per_poll):
            try:
                data = self.sock.recv(MAX_DATAGRAM + 1)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:      # e.g. ICMP errors surfacing on the socket
                self.last_error = str(exc)
                break
            st.received += 1
            if len(data) > MAX_DATAGRAM:
                st.oversized += 1
                continue
            try:
                packet = decode_pose(data)
            except WireError as exc:
                setattr(st, exc.reason, getattr(st, exc.reason) + 1)
                self.last_error = str(exc)
                continue
            except Exception as exc:   # noqa: BLE001 - a datagram must never crash Blender
                st.malformed += 1
                self.last_error = f"malformed: {type(exc).__name__}"
                continue
            if packet.stream_id != self.stream_id:
                self.stream_id, self.last_seq = packet.stream_id, None
                st.streams += 1
            if self.last_seq is not None and not seq_newer(packet.seq, self.last_seq):
                st.late += 1
                continue
            self.last_seq = packet.seq
            st.accepted += 1
            st.arrivals.append(time.monotonic())
            good.append(packet)
        if len(good) > 1:
            st.superseded += len(good) - 1
        if good:
            self.last_packet = good[-1]
        return good

    def close(self) -> None:
        self.sock.close()
