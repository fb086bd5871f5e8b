"""The heatmap job: the lifter's marginal heatmaps for the frame shown in playback,
computed on demand off the GUI thread."""
from __future__ import annotations

import threading

from PySide6.QtCore import Signal

from .worker import Job, LatestBox


class HeatmapJob(Job):
    """Computes the lifter's marginal heatmaps for the frame shown in playback: requests
    go to a one-slot box (the newest frame wins), answers to another."""

    unavailable = Signal(str)

    def __init__(self, requests: LatestBox, answers: LatestBox):
        super().__init__()
        self.requests = requests
        self.answers = answers
        self.wakeup = threading.Event()

    def request(self, index: int, keypoints, visibility, image_size, world=None,
                tilt_deg: float = 0.0) -> None:
        """``world``: the detector's own 3D of that frame (``FramePose.detector_3d``), which
        lifters that take it use; None lifts from the 2D alone. ``tilt_deg``: the camera
        tilt the take was lifted with (its heatmaps are those of the levelled picture)."""
        self.requests.put((index, keypoints, visibility, image_size, world, tilt_deg))
        self.wakeup.set()

    def work(self):
        from ..pipeline.estimator import load_lifter
        try:
            lifter = load_lifter("auto")
        except Exception as exc:
            lifter, why = None, f"the lifter could not be loaded: {exc}"
        else:
            why = ("no lifter in this build yet (lift/inference.py or models/lifter.pt "
                   "missing): showing no heatmaps")
        if lifter is None:
            self.unavailable.emit(why)
            return "unavailable"
        import numpy as np
        while not self.stop_event.is_set():
            self.wakeup.wait(0.1)
            self.wakeup.clear()
            req = self.requests.take()
            if req is None:
                continue
            index, kp, vis, size, world, tilt = req
            lifter.tilt_deg = tilt
            if kp is None or not np.isfinite(kp).all():
                self.answers.put((index, None, None))
                continue
            res = lifter.lift(kp[None], vis[None], size,
                              world=None if world is None else np.asarray(world)[None])
            maps = getattr(res, "heatmaps", None)
            if maps is None:
                self.unavailable.emit("this lifter returns no heatmaps")
                return "unavailable"
            maps = {k: np.array(v[0]) for k, v in maps.items()}
            self.answers.put((index, maps, np.array(res.joints_3d[0])))
        return "stopped"


__all__ = ["HeatmapJob"]
