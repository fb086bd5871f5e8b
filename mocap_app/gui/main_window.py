"""The main window: panels in docks around the frame view, the window's shared state,
the redraw timer and closing.

Modes: idle, importing a video (offline, every frame), live (a camera, newest frame
wins) and playback of a take. Heavy work is always on a job's thread (``worker.py`` and
the jobs beside it); the window only starts and stops jobs and, on its redraw timer,
shows the newest result. Each flow is a mixin in its own module: ``window_actions``
(menus, shortcuts, status bar, drag and drop), ``import_flow``, ``live_flow`` and
``take_flow`` (playback, re-process, export).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox

from ..pipeline.estimator import EstimatorConfig
from .heatmap_panel import HeatmapPanel
from .import_flow import ImportFlow
from .live_flow import LiveFlow
from .live_job import LiveEnded
from .live_view import FrameView
from .offline_jobs import ImportResult
from .settings import Settings
from .source_panel import SourcePanel
from .take_flow import TakeFlow
from .take_list import TakeList
from .timeline import Timeline
from .view3d import SkeletonView3D
from .window_actions import WindowActions
from .worker import JobRunner, LatestBox

REDRAW_MS = 33
REDRAW_3D_MS = 50     # software GL: the 3D view redraws at most 20 times a second


class MainWindow(WindowActions, ImportFlow, LiveFlow, TakeFlow, QMainWindow):
    """The window and the state its flows share; the flows are plain mixins (no
    ``__init__`` of their own), so every attribute stays on the window where the tests and
    benchmarks read it."""

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
        self.batch_dialog = None          # batch_queue.BatchQueueDialog, made on first use
        self.live_runner: JobRunner | None = None
        self.other_runners: list[JobRunner] = []
        self.heatmap_runner: JobRunner | None = None
        self.live_results = LatestBox()
        self.import_preview = LatestBox()
        self.stretch_dialog = None        # File > Open a stretch of a video, while open
        self.heatmap_requests = LatestBox()
        self.heatmap_answers = LatestBox()
        self.last_import: ImportResult | None = None
        self.last_live_end: LiveEnded | None = None
        self.last_live_result = None
        self.recording_folder: Path | None = None
        self._recording_started = 0.0
        self.streamer = None              # link.LiveStreamer while streaming live poses
        self.last_stream_stats = None     # its SenderStats once stopped
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
        self._build_shortcuts()
        self._restore_layout()
        if probe_cameras:
            self.refresh_cameras()
        else:
            self.source_panel.set_cameras([])

    # ------------------------------------------------------------------ building
    def _connect(self) -> None:
        sp = self.source_panel
        sp.open_video_requested.connect(self.choose_video)
        sp.refresh_requested.connect(self.refresh_cameras)
        sp.live_toggled.connect(lambda on: self.start_live() if on else self.stop_live())
        sp.record_toggled.connect(lambda on: self.toggle_recording(on))
        sp.stream_toggled.connect(lambda on: self.toggle_streaming(on))
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

    # ------------------------------------------------------------------ redraw
    def _redraw(self) -> None:
        if self.mode == "live":
            self._redraw_live()
        elif self.mode == "import":
            self._redraw_import()
        self._redraw_playback_heatmaps()

    def _show_3d_throttled(self, joints, root, hands=None) -> None:
        now = time.monotonic()
        if now - getattr(self, "_last_3d", 0.0) >= REDRAW_3D_MS / 1000.0:
            self._last_3d = now
            self.view3d.show_pose(joints, root, append_trail=True, hands=hands)

    # ------------------------------------------------------------------ closing
    def shutdown_workers(self) -> None:
        """Stop every job (set its event), then quit and wait for its thread."""
        self._stop_streaming()
        runners = [r for r in (self.import_runner, self.live_runner, self.heatmap_runner)
                   if r is not None] + self.other_runners
        for r in runners:
            r.stop()
        for r in runners:
            r.shutdown()
        self.import_runner = self.live_runner = self.heatmap_runner = None
        self.other_runners = []
        if self.batch_dialog is not None:
            self.batch_dialog.shutdown()

    def closeEvent(self, event) -> None:
        self.redraw_timer.stop()
        self.timeline.set_playing(False)
        self.shutdown_workers()
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        self.view3d.close()
        super().closeEvent(event)

