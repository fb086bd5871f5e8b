"""The main window: panels in docks around the frame view, the worker jobs, the redraw
timer and the status bar.

Modes: idle, importing a video (offline, every frame), live (a camera, newest frame
wins) and playback of a take. Heavy work is always on a job's thread (``worker.py``);
this class only starts and stops jobs and, on its redraw timer, shows the newest result.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton)

from ..pipeline.estimator import EstimatorConfig
from .heatmap_panel import HeatmapPanel
from .live_view import FrameView
from .settings import Settings
from .source_panel import CameraListJob, SourcePanel
from .take_list import TakeList
from .timeline import Timeline, VideoFrameReader
from .view3d import SkeletonView3D
from .worker import (HeatmapJob, ImportResult, JobRunner, LatestBox, LiveEnded, LiveJob,
                     OfflineImportJob, ReprocessJob)

VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.mpg *.mpeg *.wmv);;All files (*)"
REDRAW_MS = 33
REDRAW_3D_MS = 50     # software GL: the 3D view redraws at most 20 times a second


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d} left"


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, detector: str | None = None,
                 lifter: str = "auto", probe_cameras: bool = True):
        super().__init__()
        self.setWindowTitle("mocap_app")
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        env_root = os.environ.get("MOCAP_APP_TAKES")
        self.takes_root = Path(env_root) if env_root else self.settings.takes_root()
        self.config = EstimatorConfig(
            detector=detector or os.environ.get("MOCAP_DETECTOR") or EstimatorConfig().detector,
            lifter=lifter, keep_heatmaps=True)
        self.mode = "idle"
        self.errors: list[tuple[str, str]] = []      # every message shown, for the log/tests
        self._boxes: list[QMessageBox] = []
        self.import_runner: JobRunner | None = None
        self.live_runner: JobRunner | None = None
        self.other_runners: list[JobRunner] = []
        self.heatmap_runner: JobRunner | None = None
        self.live_results = LatestBox()
        self.import_preview = LatestBox()
        self.heatmap_requests = LatestBox()
        self.heatmap_answers = LatestBox()
        self.last_import: ImportResult | None = None
        self.last_live_end: LiveEnded | None = None
        self.last_live_result = None
        self.recording_folder: Path | None = None
        self._recording_started = 0.0
        self.playback = None              # (folder, seq, raw, meta, reader)
        self.frames_drawn = 0

        # -- panels --
        self.frame_view = FrameView()
        self.setCentralWidget(self.frame_view)
        self.source_panel = SourcePanel()
        self.take_list = TakeList(self.takes_root)
        self.heatmap_panel = HeatmapPanel()
        self.view3d = SkeletonView3D()
        self.timeline = Timeline()
        self.docks = {}
        for name, title, widget, area in (
                ("source", "Source", self.source_panel, Qt.LeftDockWidgetArea),
                ("takes", "Takes", self.take_list, Qt.LeftDockWidgetArea),
                ("view3d", "3D view", self.view3d.widget, Qt.RightDockWidgetArea),
                ("heatmaps", "Heatmaps (lifter)", self.heatmap_panel, Qt.RightDockWidgetArea),
                ("timeline", "Timeline", self.timeline, Qt.BottomDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                             | QDockWidget.DockWidgetClosable)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self._build_menus()
        self._build_status_bar()
        self._connect()

        self.redraw_timer = QTimer(self)
        self.redraw_timer.timeout.connect(self._redraw)
        self.redraw_timer.start(REDRAW_MS)
        for key, slot in ((Qt.Key_Space, self._space), (Qt.Key_Comma,
                          lambda: self.timeline.step(-1)), (Qt.Key_Period,
                          lambda: self.timeline.step(1))):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)
        self._restore_layout()
        if probe_cameras:
            self.refresh_cameras()
        else:
            self.source_panel.set_cameras([])

    # ------------------------------------------------------------------ building
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        act = QAction("&Open video…", self, shortcut=QKeySequence.Open)
        act.triggered.connect(self.choose_video)
        file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open &recent")
        act = QAction("Takes &folder…", self)
        act.triggered.connect(self.choose_takes_root)
        file_menu.addAction(act)
        file_menu.addSeparator()
        act = QAction("&Quit", self, shortcut=QKeySequence.Quit)
        act.triggered.connect(self.close)
        file_menu.addAction(act)
        take_menu = self.menuBar().addMenu("&Take")
        for text, slot in (("&Export…", lambda: self._with_selected(self.export_take)),
                           ("&Re-process with the bidirectional refiner",
                            lambda: self._with_selected(self.reprocess_take)),
                           ("&Play", lambda: self._with_selected(self.open_take))):
            act = QAction(text, self)
            act.triggered.connect(slot)
            take_menu.addAction(act)
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        self._rebuild_recent()

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.mode_label = QLabel("idle")
        self.capture_label = QLabel("capture – fps")
        self.processing_label = QLabel("processing – fps")
        self.latency_label = QLabel("latency – ms")
        self.dropped_label = QLabel("dropped 0")
        self.device_label = QLabel("device CPU")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.eta_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_import)
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(False)
            sb.addPermanentWidget(w)
        fm = self.fontMetrics()
        for w, widest in ((self.mode_label, None), (self.capture_label, "capture 000.0 fps"),
                          (self.processing_label, "processing 000.0 fps"),
                          (self.latency_label, "latency 0000 ms"),
                          (self.dropped_label, "dropped 000000"),
                          (self.device_label, "device CUDA")):
            if widest:   # fixed widths: numbers changing 30 times a second do not jiggle
                w.setMinimumWidth(fm.horizontalAdvance(widest) + 8)
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        sp = self.source_panel
        sp.open_video_requested.connect(self.choose_video)
        sp.refresh_requested.connect(self.refresh_cameras)
        sp.live_toggled.connect(lambda on: self.start_live() if on else self.stop_live())
        sp.record_toggled.connect(lambda on: self.toggle_recording(on))
        tl = self.take_list
        tl.take_opened.connect(self.open_take)
        tl.export_requested.connect(self.export_take)
        tl.reprocess_requested.connect(self.reprocess_take)
        tl.error.connect(self.show_error)
        self.timeline.frame_changed.connect(self._show_playback_frame)
        self.frame_view.subject_clicked.connect(self._subject_clicked)

    def _restore_layout(self) -> None:
        geo = self.settings.get("window/geometry")
        state = self.settings.get("window/state")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        else:
            self.resize(1400, 860)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:   # first run: the picture gets the room, the side panels a column each
            d = self.docks
            self.resizeDocks([d["source"], d["view3d"]], [270, 470], Qt.Horizontal)
            self.resizeDocks([d["source"], d["takes"]], [260, 400], Qt.Vertical)
            self.resizeDocks([d["view3d"], d["heatmaps"]], [440, 260], Qt.Vertical)

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for path in files:
            act = QAction(path, self)
            act.triggered.connect(lambda _=False, p=path: self.open_video(p))
            self.recent_menu.addAction(act)
        self.recent_menu.setEnabled(bool(files))

    # ------------------------------------------------------------------ messages
    def show_error(self, title: str, text: str) -> QMessageBox:
        """A clear message that never blocks the window (window-modal, not exec())."""
        self.errors.append((title, text))
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose, True)
        box.finished.connect(lambda _r, b=box: self._boxes.remove(b) if b in self._boxes
                             else None)
        self._boxes.append(box)
        box.open()
        return box

    def _busy(self, what: str) -> bool:
        if self.mode == "import":
            self.show_error(f"Cannot {what}", "A video is being processed. Cancel it first.")
            return True
        if self.mode == "live":
            self.show_error(f"Cannot {what}", "The camera is running. Stop it first.")
            return True
        return False

    # ------------------------------------------------------------------ video import
    def choose_video(self) -> None:
        folder = self.settings.get("folders/videos", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", folder, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def choose_takes_root(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Takes folder", str(self.takes_root))
        if folder:
            self.takes_root = Path(folder)
            self.settings.set("folders/takes", folder)
            self.take_list.set_root(self.takes_root)

    def open_video(self, path, refine: bool = True) -> bool:
        """Process a video file offline (every frame) into a new take."""
        from ..capture.base import CaptureError
        from ..capture.video import VideoFileSource
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
        self.settings.set("folders/videos", str(path.resolve().parent))
        self.settings.add_recent(path)
        self._rebuild_recent()
        self._stop_playback()
        self.frame_view.show_frame(first, 0)
        self.view3d.clear()
        self.mode = "import"
        self.mode_label.setText(f"importing {path.name}")
        self.progress.setRange(0, info.frame_count or 0)
        self.progress.setValue(0)
        self.eta_label.setText("starting…")
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(True)
        self.cancel_button.setEnabled(True)
        job = OfflineImportJob(path, self.takes_root, self.config, refine=refine,
                               preview=self.import_preview)
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

    def _import_failed(self, message: str) -> None:
        self._import_ended()
        self.show_error("The video could not be processed", message)

    def _import_cancelled(self) -> None:
        self._import_ended()
        self.statusBar().showMessage("Import cancelled; nothing was saved.", 10000)

    # ------------------------------------------------------------------ cameras
    def refresh_cameras(self) -> None:
        job = CameraListJob()
        job.done.connect(lambda cams: self.source_panel.set_cameras(
            cams, self.settings.get("camera/last", None, int)))
        job.failed.connect(lambda msg: self.source_panel.set_cameras([]))
        runner = JobRunner(job, "cameras")
        self.other_runners.append(runner)
        runner.start()

    def start_live(self, source_factory=None, description: str | None = None,
                   estimator=None) -> bool:
        """Start live capture from the chosen camera, or from ``source_factory`` (a
        callable returning a frame source; the fake camera in tests)."""
        if self._busy("start the camera") or self.live_runner is not None:
            self.source_panel.set_live(self.mode == "live")
            return False
        if source_factory is None:
            dev = self.source_panel.device()
            if dev is None:
                self.source_panel.set_live(False)
                self.show_error("No camera", "No camera was found. Plug one in and press ↻, "
                                "or open a video file instead.")
                return False
            self.settings.set("camera/last", int(dev))
            from ..capture.webcam import WebcamSource

            def source_factory(dev=dev):
                return WebcamSource(dev)
            description = description or f"camera {dev}"
        self._stop_playback()
        self.view3d.clear()
        self.live_results.take()
        job = LiveJob(source_factory, self.config, self.live_results, estimator=estimator)
        job.recording_changed.connect(self._recording_changed)
        job.ready.connect(lambda d: self.mode_label.setText(f"live: {d}"))
        job.progress.connect(self._live_message)
        job.done.connect(self._live_ended)
        job.failed.connect(self._live_failed)
        self.live_runner = JobRunner(job, "live")
        self.mode = "live"
        self.mode_label.setText(f"live: opening {description or 'camera'}…")
        self.source_panel.set_live(True)
        self.live_runner.start()
        return True

    def stop_live(self) -> None:
        if self.live_runner is not None:
            self.live_runner.stop()     # the job ends and reports through _live_ended

    def toggle_recording(self, on: bool | None = None) -> None:
        if self.live_runner is None:
            self.source_panel.set_recording(False)
            return
        on = (self.recording_folder is None) if on is None else on
        job = self.live_runner.job
        if on and self.recording_folder is None:
            from ..takes.manage import unique_take_folder
            folder = unique_take_folder(self.takes_root, "take")
            self.takes_root.mkdir(parents=True, exist_ok=True)
            job.request_recording(folder, {"detector": self.config.detector,
                                           "lifter": self.config.lifter})
        elif not on and self.recording_folder is not None:
            job.request_recording(None)
        self.source_panel.set_recording(on)

    def _space(self) -> None:
        if self.mode == "live":
            self.toggle_recording()
        elif self.playback is not None:
            self.timeline.toggle()

    def _subject_clicked(self, x: float, y: float) -> None:
        if self.live_runner is None:
            return
        detector = getattr(getattr(self.live_runner.job.session, "estimator", None),
                           "detector", None)
        if not hasattr(detector, "select_subject"):
            self.statusBar().showMessage("This detector tracks one person; click-to-track "
                                         "needs the multi-person detector.", 5000)
            return
        self.live_runner.job.select_subject((x, y))
        self.statusBar().showMessage(f"tracking the person at ({x:.0f}, {y:.0f})", 3000)

    def _recording_changed(self, folder) -> None:
        if folder is not None:
            self.recording_folder = Path(folder)
            self._recording_started = time.monotonic()
            self.source_panel.set_recording(True)
        else:
            done = self.recording_folder
            self.recording_folder = None
            self.source_panel.set_recording(False)
            self.take_list.refresh(select=done)
            if done is not None:
                self.statusBar().showMessage(f"Take saved: {done}", 8000)

    def _live_message(self, msg) -> None:
        if isinstance(msg, tuple) and msg and msg[0] == "recording_error":
            self.show_error("Recording stopped", msg[1])

    def _live_finish(self) -> None:
        if self.live_runner is not None:
            self.live_runner.shutdown()
            self.live_runner = None
        self.mode = "idle"
        self.mode_label.setText("idle")
        self.source_panel.set_live(False)
        self.recording_folder = None
        self.take_list.refresh()

    def _live_ended(self, ended: LiveEnded) -> None:
        self.last_live_end = ended
        self._live_finish()
        if ended.error:
            text = f"The camera stopped: {ended.error}."
            if ended.take_folder is not None:
                text += (f"\n\nThe take being recorded was kept with everything recorded "
                         f"up to then:\n{ended.take_folder}")
                self.take_list.refresh(select=ended.take_folder)
            self.show_error("Camera lost", text)

    def _live_failed(self, message: str) -> None:
        self._live_finish()
        self.show_error("The camera could not be started", message)

    # ------------------------------------------------------------------ takes
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
                reader = VideoFrameReader(video)
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
        self.frame_view.show_frame(image, i, kp, raw.visibility[i], box)
        root = seq.root_positions[i] if seq.root_positions is not None else None
        self.view3d.show_pose(seq.joints_3d[i] if seq.valid[i] else None, root)
        self.shown_frame = i
        if self.heatmap_runner is not None and self.heatmap_panel.available:
            self.heatmap_runner.job.request(i, kp, raw.visibility[i], tuple(raw.image_size))

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

    # ------------------------------------------------------------------ redraw
    def _redraw(self) -> None:
        if self.mode == "live":
            r = self.live_results.take()
            if r is not None:
                self.last_live_result = r
                pose = r.pose
                st = self.live_runner.job.status if self.live_runner is not None else None
                # boxes found up to a second ago still mark the people (they move little)
                others = st.people if st is not None and \
                    r.frame.index - st.people_frame <= 30 else ()
                self.frame_view.show_frame(r.frame.image, r.frame.index, pose.keypoints_2d,
                                           pose.visibility, pose.box, others)
                joints = r.refined_joints if r.refined_joints is not None else pose.joints_3d
                self._show_3d_throttled(joints, pose.root_position)
                if pose.heatmaps is not None:
                    self.heatmap_panel.show_heatmaps(pose.heatmaps, r.frame.index)
                elif pose.has_person and self.live_runner is not None:
                    est = getattr(self.live_runner.job.session, "estimator", None)
                    if est is not None and not est.uses_lifter and self.heatmap_panel.available:
                        self.heatmap_panel.set_unavailable(
                            "no lifter loaded (lift/inference.py or models/lifter.pt "
                            "missing): 3D comes from the detector, no heatmaps")
                self.frames_drawn += 1
            if self.live_runner is not None:
                st = self.live_runner.job.status
                self.capture_label.setText(f"capture {st.capture_fps:.1f} fps")
                self.processing_label.setText(f"processing {st.processing_fps:.1f} fps")
                self.latency_label.setText(f"latency {st.latency_ms:.0f} ms")
                self.dropped_label.setText(f"dropped {st.dropped}")
                self.device_label.setText(f"device {st.device}")
                if self.recording_folder is not None:
                    self.source_panel.show_recording(
                        time.monotonic() - self._recording_started, st.recording_frames,
                        st.dropped)
        elif self.mode == "import":
            item = self.import_preview.take()
            if item is not None:
                image, pose = item
                self.frame_view.show_frame(image, pose.index, pose.keypoints_2d,
                                           pose.visibility, pose.box)
                self._show_3d_throttled(pose.joints_3d, pose.root_position)
                if pose.heatmaps is not None:
                    self.heatmap_panel.show_heatmaps(pose.heatmaps, pose.index)
                self.frames_drawn += 1
        answer = self.heatmap_answers.take()
        if answer is not None and self.playback is not None:
            index, maps, _joints = answer
            if index == getattr(self, "shown_frame", None):
                self.heatmap_panel.show_heatmaps(maps, index)

    def _show_3d_throttled(self, joints, root) -> None:
        now = time.monotonic()
        if now - getattr(self, "_last_3d", 0.0) >= REDRAW_3D_MS / 1000.0:
            self._last_3d = now
            self.view3d.show_pose(joints, root, append_trail=True)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.open_video(urls[0])

    # ------------------------------------------------------------------ closing
    def shutdown_workers(self) -> None:
        """Stop every job (set its event), then quit and wait for its thread."""
        runners = [r for r in (self.import_runner, self.live_runner, self.heatmap_runner)
                   if r is not None] + self.other_runners
        for r in runners:
            r.stop()
        for r in runners:
            r.shutdown()
        self.import_runner = self.live_runner = self.heatmap_runner = None
        self.other_runners = []

    def closeEvent(self, event) -> None:
        self.redraw_timer.stop()
        self.timeline.set_playing(False)
        self.shutdown_workers()
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        self.view3d.close()
        super().closeEvent(event)

