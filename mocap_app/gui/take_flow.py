"""The take flow of the main window: playback of a take (video, 2D, 3D and the lifter's
heatmaps on the timeline), re-processing with the bidirectional refiner, and the export
dialog. A mixin of ``MainWindow``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from .heatmap_job import HeatmapJob
from .offline_jobs import ReprocessJob, take_tilt
from .timeline import VideoFrameReader
from .worker import JobRunner


class TakeFlow:
    """Drives the window's ``playback``, ``heatmap_runner`` and heatmap boxes (all made in
    ``MainWindow.__init__``)."""

    def _with_selected(self, fn) -> None:
        folder = self.take_list.selected()
        if folder is None:
            self.show_error("No take selected", "Select a take in the take list first.")
        else:
            fn(folder)

    def _ensure_heatmap_job(self) -> None:
        if self.heatmap_runner is not None:
            return
        job = HeatmapJob(self.heatmap_requests, self.heatmap_answers)
        job.unavailable.connect(self.heatmap_panel.set_unavailable)
        job.failed.connect(lambda m: self.heatmap_panel.set_unavailable(
            f"heatmaps failed: {m}"))
        self.heatmap_runner = JobRunner(job, "heatmaps")
        self.heatmap_runner.start()

    def _stop_playback(self) -> None:
        self.timeline.set_length(0, 30.0)
        if self.playback is not None and self.playback[4] is not None:
            self.playback[4].close()
        self.playback = None

    def open_take(self, folder) -> bool:
        """Play a take back: its video, skeleton and heatmaps in sync on the timeline."""
        from ..takes import TakeError, load_take
        from ..takes.manage import take_video
        if self._busy("play a take"):
            return False
        folder = Path(folder)
        try:
            seq, meta = load_take(folder)
            raw, _ = load_take(folder, which="raw")
        except (TakeError, OSError, ValueError) as exc:
            self.show_error("Cannot open the take", str(exc))
            return False
        self._stop_playback()
        reader = None
        video = take_video(folder, meta)
        if video is not None:
            try:
                reader = VideoFrameReader(*video)
            except OSError as exc:
                self.statusBar().showMessage(str(exc), 8000)
        self.playback = (folder, seq, raw, meta, reader)
        self.view3d.clear()
        self.view3d.set_trail(seq.root_positions)
        self.take_list.select(folder)
        self.mode_label.setText(f"take: {meta.get('name', folder.name)}")
        self._ensure_heatmap_job()
        self.timeline.set_length(len(seq), seq.fps)
        self._show_playback_frame(0)
        return True

    def _show_playback_frame(self, i: int) -> None:
        if self.playback is None:
            return
        folder, seq, raw, meta, reader = self.playback
        if not 0 <= i < len(seq):
            return
        image = reader.read(i) if reader is not None else None
        if image is None:
            w, h = seq.image_size
            image = np.zeros((max(h, 2), max(w, 2), 3), np.uint8)
        box = None
        kp = raw.keypoints_2d[i] if raw.valid[i] else None
        if kp is not None:
            lo, hi = np.nanmin(kp, axis=0), np.nanmax(kp, axis=0)
            box = np.array([lo[0], lo[1], hi[0], hi[1]])
        hands_2d = raw.hands_2d[i] if raw.hands_2d is not None else None
        self.frame_view.show_frame(image, i, kp, raw.visibility[i], box, hands=hands_2d)
        root = seq.root_positions[i] if seq.root_positions is not None else None
        hands_3d = seq.hands_3d[i] if seq.hands_3d is not None else None
        self.view3d.show_pose(seq.joints_3d[i] if seq.valid[i] else None, root,
                              hands=hands_3d)
        self.shown_frame = i
        if self.heatmap_runner is not None and self.heatmap_panel.available:
            world = raw.detector_3d[i] if raw.detector_3d is not None else None
            if world is not None and not np.isfinite(world).all():
                world = None
            self.heatmap_runner.job.request(i, kp, raw.visibility[i], tuple(raw.image_size),
                                            world, take_tilt(meta))

    def reprocess_take(self, folder) -> None:
        if self._busy("re-process a take"):
            return
        folder = Path(folder)
        job = ReprocessJob(folder)
        runner = JobRunner(job, "reprocess")
        self.mode_label.setText(f"re-processing {folder.name}…")
        job.done.connect(lambda note, f=folder: self._reprocessed(f, note))
        job.failed.connect(lambda m: (self.mode_label.setText("idle"),
                                      self.show_error("Re-processing failed", m)))
        self.other_runners.append(runner)
        runner.start()

    def _reprocessed(self, folder: Path, note: str) -> None:
        self.mode_label.setText("idle")
        self.statusBar().showMessage(f"{folder.name} re-processed: {note}", 10000)
        self.take_list.refresh(select=folder)
        self.open_take(folder)
        self.reprocessed = folder

    def export_take(self, folder):
        from .export_dialog import ExportDialog
        try:
            dialog = ExportDialog(Path(folder), self.settings, parent=self)
        except Exception as exc:
            self.show_error("Cannot export the take", str(exc))
            return None
        dialog.setAttribute(Qt.WA_DeleteOnClose, True)
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _redraw_playback_heatmaps(self) -> None:
        answer = self.heatmap_answers.take()
        if answer is not None and self.playback is not None:
            index, maps, _joints = answer
            if index == getattr(self, "shown_frame", None):
                self.heatmap_panel.show_heatmaps(maps, index)
