"""The video-import flow of the main window: choose a file, process every frame on an
``OfflineImportJob`` with progress, ETA and Cancel in the status bar, show the frame being
processed, and open the new take when it is saved. A mixin of ``MainWindow``."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from .offline_jobs import ImportResult, OfflineImportJob
from .worker import JobRunner

VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.mpg *.mpeg *.wmv);;All files (*)"


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d} left"


class ImportFlow:
    """Drives the window's ``import_runner``, ``import_preview`` and ``last_import`` (all
    made in ``MainWindow.__init__``)."""

    def choose_video(self) -> None:
        folder = self.settings.get("folders/videos", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", folder, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def choose_video_stretch(self) -> None:
        """File > Open a stretch of a video: the file, then the stretch to import."""
        from ..capture.base import CaptureError
        from ..capture.video import VideoFileSource
        from .stretch_dialog import StretchDialog
        folder = self.settings.get("folders/videos", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open a stretch of a video", folder,
                                              VIDEO_FILTER)
        if not path:
            return
        try:
            with VideoFileSource(path) as src:
                info = src.info
        except CaptureError as exc:
            self.show_error("Cannot open the video", str(exc))
            return
        if info.duration is None:
            self.show_error("Cannot import a stretch", f"{Path(path).name} does not say how "
                            "long it is: open the whole video instead")
            return
        dialog = StretchDialog(Path(path).name, info, self)
        dialog.accepted.connect(lambda: self.open_video(path, start=dialog.stretch()[0],
                                                        end=dialog.stretch()[1]))
        self.stretch_dialog = dialog          # kept while open (tests reach it here)
        dialog.open()

    def open_video(self, path, refine: bool = True, start: float | None = None,
                   end: float | None = None) -> bool:
        """Process a video file offline (every frame, or those from ``start`` to ``end``
        seconds) into a new take."""
        from ..capture.base import CaptureError
        from ..capture.video import VideoFileSource
        from ..pipeline.offline import StretchError, check_stretch, stretch_frames
        if self._busy("open a video"):
            return False
        path = Path(path)
        try:
            with VideoFileSource(path) as src:
                info = src.info
                first = next(iter(src)).image
        except (CaptureError, StopIteration) as exc:
            self.show_error("Cannot open the video", str(exc) or f"no frames in {path}")
            return False
        try:
            check_stretch(start, end, info.duration)
        except StretchError as exc:
            self.show_error("Cannot import that stretch", str(exc))
            return False
        total = stretch_frames(info.frame_count, info.fps, start, end) or 0
        self.settings.set("folders/videos", str(path.resolve().parent))
        self.settings.add_recent(path)
        self._rebuild_recent()
        self._stop_playback()
        self.frame_view.show_frame(first, 0)
        self.view3d.clear()
        self.mode = "import"
        stretch = ("" if start is None and end is None else
                   f" ({start or 0:.2f}-{'end' if end is None else f'{end:.2f} s'})")
        self.mode_label.setText(f"importing {path.name}{stretch}")
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.eta_label.setText("starting…")
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(True)
        self.cancel_button.setEnabled(True)
        job = OfflineImportJob(path, self.takes_root, self.config, refine=refine,
                               preview=self.import_preview, start=start, end=end)
        job.progress.connect(self._import_progress)
        job.done.connect(self._import_done)
        job.failed.connect(self._import_failed)
        job.cancelled.connect(self._import_cancelled)
        self.import_runner = JobRunner(job, "import")
        self._import_t0 = time.monotonic()
        self.import_runner.start()
        return True

    def cancel_import(self) -> None:
        if self.import_runner is not None:
            self.import_runner.stop()
            self.cancel_button.setEnabled(False)
            self.eta_label.setText("cancelling…")

    def _import_progress(self, p) -> None:
        if p.total:
            self.progress.setValue(min(p.done, p.total))
        self.eta_label.setText(f"{p.done}/{p.total or '?'} frames, {_fmt_eta(p.remaining)}")
        self.processing_label.setText(f"processing {p.done / max(p.elapsed, 1e-6):.1f} fps")

    def _import_ended(self) -> None:
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(False)
        if self.import_runner is not None:
            self.import_runner.shutdown()
            self.import_runner = None
        self.mode = "idle"
        self.mode_label.setText("idle")

    def _import_done(self, result: ImportResult) -> None:
        self._import_ended()
        self.last_import = result
        self.take_list.refresh(select=result.take_folder)
        self.statusBar().showMessage(
            f"Imported {result.frames} frames ({result.frames_with_person} with a person) in "
            f"{result.seconds:.1f} s; {result.refined_with}", 15000)
        self.open_take(result.take_folder)
        if result.short_input:     # the take is kept; the animator must know it is short
            self.show_error("The video ended early", result.short_input)

    def _import_failed(self, message: str) -> None:
        self._import_ended()
        self.show_error("The video could not be processed", message)

    def _import_cancelled(self) -> None:
        self._import_ended()
        self.statusBar().showMessage("Import cancelled; nothing was saved.", 10000)

    def _redraw_import(self) -> None:
        item = self.import_preview.take()
        if item is not None:
            image, pose = item
            self.frame_view.show_frame(image, pose.index, pose.keypoints_2d,
                                       pose.visibility, pose.box, hands=pose.hands_2d)
            self._show_3d_throttled(pose.joints_3d, pose.root_position, pose.hands_3d)
            if self.import_runner is not None:
                self._show_hands_cost(getattr(self.import_runner.job, "estimator", None))
            if pose.heatmaps is not None:
                self.heatmap_panel.show_heatmaps(pose.heatmaps, pose.index)
            self.frames_drawn += 1
