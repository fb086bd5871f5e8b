"""Streaming: each live pose sent the moment the pipeline has it, or a recorded take
replayed at its own timing. The glue between ``pipeline.live`` and the senders."""
from __future__ import annotations

import threading
import time

from .frames import LinkFrame, LiveRetargeter
from .sender import LinkSender
from .settings import StreamSettings


def make_sender(settings: StreamSettings):
    """The sender for ``settings.target``: the add-on's format or VMC."""
    if settings.target == "vmc":
        from .vmc import VmcSender
        return VmcSender(settings)
    return LinkSender(settings)


class LiveStreamer:
    """Fed every ``pipeline.live.LiveResult`` on the live loop's thread (``send_result``
    only hands the pose over: a few microseconds); a ``link-send`` thread retargets the
    refined pose (the per-frame one without a refiner) onto the rig and sends it at once.
    The hand-over is a one-slot box, newest wins: a pose replaced before the sender took
    it is counted in ``stats.superseded``, so neither a slow sender nor the network ever
    holds up the capture. Retargeting and sending one pose take ~0.4 ms (bench/bench_link.py)."""

    def __init__(self, settings: StreamSettings, sender=None):
        self.settings = settings
        self.sender = sender if sender is not None else make_sender(settings)
        self.retargeter = LiveRetargeter()
        self.no_person = 0
        self.send_seconds: list[float] = []     # pose handed over -> datagram sent
        self._cond = threading.Condition()
        self._item = None
        self._busy = False           # the link thread is retargeting or sending a pose
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="link-send", daemon=True)
        self._thread.start()

    @property
    def stats(self):
        return self.sender.stats

    def send_result(self, result) -> None:
        """Hand one live result over (never blocks on the network)."""
        pose = result.pose
        joints = result.refined_joints if result.refined_joints is not None else pose.joints_3d
        self.submit(joints, pose.timestamp, pose.root_position)

    def submit(self, joints, timestamp: float, root=None) -> None:
        """Hand one pose over: joints (J, 3) metres, its capture time, the pelvis's world
        position or None."""
        item = (joints, float(timestamp), root, time.monotonic())
        with self._cond:
            if self._item is not None:
                self.sender.stats.superseded += 1
            self._item = item
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._item is None and not self._closed:
                    self._cond.wait()
                if self._item is None:      # closed and nothing left
                    return
                item, self._item = self._item, None
                self._busy = True
            try:
                self._send(*item)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _send(self, joints, timestamp, root, handed) -> None:
        try:
            frame = self.retargeter.frame(joints, timestamp, root)
        except Exception as exc:        # noqa: BLE001 - a bad pose must not stop the link
            self.sender.stats.last_error = f"{type(exc).__name__}: {exc}"
            frame = None
        if frame is None:
            self.no_person += 1
            return
        self.sender.send(frame, age=time.monotonic() - handed)
        self.send_seconds.append(time.monotonic() - handed)
        del self.send_seconds[:-1000]

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every pose handed over has been dealt with (sent, dropped or found
        empty): tests and the CLI's end. False if that took longer than ``timeout``."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._item is not None or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=2.0)
        self.sender.close()


def stream_frames(frames: list[LinkFrame], sender, realtime: bool = True,
                  stop: threading.Event | None = None) -> int:
    """Send frames at their timestamps (``realtime``) or as fast as they go; the number
    sent."""
    t0 = time.monotonic()
    first = frames[0].timestamp if frames else 0.0
    sent = 0
    for f in frames:
        if stop is not None and stop.is_set():
            break
        if realtime:
            delay = t0 + (f.timestamp - first) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        sent += bool(sender.send(f))
    return sent
