"""The main window's menus, keyboard shortcuts, status bar widgets, recent-files menu,
takes-folder choice and drag and drop: a mixin of ``MainWindow``, which owns the state
these act on."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QProgressBar, QPushButton

from ..lift.tilt import MAX_TILT_DEG, check_tilt


class WindowActions:
    """Builds the menus and the status bar and routes the keys and drops to the flows."""

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        act = QAction("&Open video…", self, shortcut=QKeySequence.Open)
        act.triggered.connect(self.choose_video)
        file_menu.addAction(act)
        act = QAction("Open a &stretch of a video…", self)
        act.triggered.connect(self.choose_video_stretch)
        file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open &recent")
        act = QAction("&Batch process videos…", self)
        act.triggered.connect(lambda: self.open_batch_queue())
        file_menu.addAction(act)
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
        self._build_hands_action(view_menu)
        self._build_tilt_action(view_menu)
        self._rebuild_recent()

    # -- hands --------------------------------------------------------------------------
    def _build_hands_action(self, menu) -> None:
        """View > Track hands: the hand models on imports and live capture from the next
        start (they cost a few ms a hand; the status bar shows how many)."""
        self.hands_action = act = QAction("Track &hands (fingers)", self)
        act.setCheckable(True)
        act.setToolTip("Track both hands for finger motion; applies to the next import "
                       "or camera start")
        act.setChecked(bool(self.settings.get("capture/hands", False, bool)))
        act.toggled.connect(self.set_hands_tracking)
        menu.addSeparator()
        menu.addAction(act)
        self.set_hands_tracking(act.isChecked())

    def set_hands_tracking(self, on: bool) -> None:
        from dataclasses import replace  # noqa: PLC0415
        self.config = replace(self.config, hands=bool(on))
        self.settings.set("capture/hands", bool(on))
        if self.hands_action.isChecked() != bool(on):
            self.hands_action.setChecked(bool(on))
        if not on and hasattr(self, "hands_label"):
            self.hands_label.setText("")

    # -- camera tilt ----------------------------------------------------------------------
    def _build_tilt_action(self, menu) -> None:
        """View > Camera tilt: how far the world's vertical leans in the picture (a camera
        rolled about its axis); the body is lifted from the picture levelled
        (``lift/tilt.py``). Remembered; applies to the next import or camera start."""
        self.tilt_action = act = QAction(self)
        act.setToolTip("How far the vertical leans in the picture (a tilted camera), degrees "
                       "clockwise; applies to the next camera start, and to imports when "
                       "the tilt is not found on import")
        act.triggered.connect(self.ask_camera_tilt)
        menu.addAction(act)
        self.auto_tilt_action = auto = QAction("Find the camera tilt on &import", self)
        auto.setCheckable(True)
        auto.setToolTip("Imports find the camera's tilt from the video itself (the angle "
                        "at which the lifter is surest) and lift the picture levelled by it; "
                        "live capture uses the Camera tilt")
        auto.setChecked(bool(self.settings.get("capture/auto_tilt", True, bool)))
        auto.toggled.connect(self.set_auto_tilt)
        menu.addAction(auto)
        self.tilt_found = None              # the last tilt found from the camera
        self.find_tilt_action = find = QAction("Find the camera tilt &now", self)
        find.setToolTip("While the camera runs: find its tilt from the last few seconds "
                        "(stand in view) and lift with it from now on; remembered")
        find.triggered.connect(self.find_camera_tilt)
        menu.addAction(find)
        stored = self.settings.get("capture/tilt_deg", 0.0, float)
        try:
            stored = check_tilt(stored)
        except (TypeError, ValueError):     # a hand-edited settings file: start level
            stored = 0.0
        self.set_camera_tilt(stored)
        self.set_auto_tilt(auto.isChecked())

    def find_camera_tilt(self) -> None:
        """View > Find the camera tilt now: the tilt found from the live session's newest
        frames (``gui.offline_jobs.FindTiltJob`` on a worker) becomes the Camera tilt
        (remembered) and the running session's lifter uses it at once."""
        from ..lift.tilt import AUTO_MIN_FRAMES  # noqa: PLC0415
        from .offline_jobs import FindTiltJob  # noqa: PLC0415
        from .worker import JobRunner  # noqa: PLC0415
        session = getattr(getattr(self.live_runner, "job", None), "session", None) \
            if self.live_runner is not None else None
        if session is None:
            self.show_error("No camera running", "Start the camera and stand in view for a "
                            "few seconds, then find its tilt.")
            return
        poses = session.recent_poses()
        seen = 0 if poses is None else len(poses[0])
        if seen < AUTO_MIN_FRAMES:
            self.show_error("Not enough frames yet", "Stand in view of the camera for a few "
                            f"seconds: at least {AUTO_MIN_FRAMES} frames with a person are "
                            f"needed, {seen} so far.")
            return
        job = FindTiltJob(poses, self.config.lifter)
        runner = JobRunner(job, "find tilt")
        job.done.connect(lambda found, s=session: self._camera_tilt_found(found, s))
        job.failed.connect(lambda m: self.show_error("Finding the camera tilt failed", m))
        self.other_runners.append(runner)
        self.statusBar().showMessage(f"finding the camera tilt from {seen} frames…")
        runner.start()

    def _camera_tilt_found(self, found, session) -> None:
        self.set_camera_tilt(found.tilt_deg)
        lifter = getattr(getattr(session, "estimator", None), "lifter", None)
        if lifter is not None:          # the running session lifts with it from now on
            lifter.tilt_deg = found.tilt_deg
        self.tilt_found = found
        self.statusBar().showMessage(f"camera tilt {found.tilt_deg:g}° found from "
                                     f"{found.frames} frames; the camera's 3D uses it now",
                                     10000)

    def set_auto_tilt(self, on: bool) -> None:
        """Imports find their own tilt (``EstimatorConfig.auto_tilt``); remembered."""
        from dataclasses import replace  # noqa: PLC0415
        self.config = replace(self.config, auto_tilt=bool(on))
        self.settings.set("capture/auto_tilt", bool(on))
        if self.auto_tilt_action.isChecked() != bool(on):
            self.auto_tilt_action.setChecked(bool(on))

    def ask_camera_tilt(self) -> None:
        value, ok = QInputDialog.getDouble(
            self, "Camera tilt", "How far the vertical leans in the picture\n(degrees, "
            f"clockwise positive, -{MAX_TILT_DEG:g} to {MAX_TILT_DEG:g}):",
            self.config.tilt_deg, -MAX_TILT_DEG, MAX_TILT_DEG, 1)
        if ok:
            self.set_camera_tilt(value)

    def set_camera_tilt(self, degrees: float) -> None:
        from dataclasses import replace  # noqa: PLC0415
        degrees = check_tilt(degrees)
        self.config = replace(self.config, tilt_deg=degrees)
        self.settings.set("capture/tilt_deg", degrees)
        self.tilt_action.setText(f"Camera &tilt: {degrees:g}°…")
        if hasattr(self, "tilt_label"):     # the status bar is built after the menus
            self.tilt_label.setText(f"tilt {degrees:g}°" if degrees else "")

    def _show_hands_cost(self, estimator) -> None:
        """"hands 2 x 6.1 ms" (both every frame) or "hands 1 x 6.1 ms, half rate", with
        ", own thread" when they run beside the body on the second core."""
        cost = getattr(estimator, "cost", None)
        if cost is None or getattr(estimator, "hands", None) is None or not cost.frames:
            return
        half = estimator.hands_alternating
        self.hands_label.setText(f"hands {1 if half else 2} x {cost.per_hand_s * 1000:.1f} ms"
                                 + (", half rate" if half else "")
                                 + (", own thread" if getattr(estimator, "worker", None)
                                    else ""))

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.mode_label = QLabel("idle")
        self.capture_label = QLabel("capture – fps")
        self.processing_label = QLabel("processing – fps")
        self.latency_label = QLabel("latency – ms")
        self.dropped_label = QLabel("dropped 0")
        self.device_label = QLabel("device CPU")
        self.hands_label = QLabel("")       # the hands' cost while they are tracked
        self.tilt_label = QLabel(f"tilt {self.config.tilt_deg:g}°" if self.config.tilt_deg
                                 else "")   # the camera tilt, while one is set
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
                          (self.device_label, "device CUDA"),
                          (self.hands_label, None), (self.tilt_label, None)):
            if widest:   # fixed widths: numbers changing 30 times a second do not jiggle
                w.setMinimumWidth(fm.horizontalAdvance(widest) + 8)
            sb.addPermanentWidget(w)

    def _build_shortcuts(self) -> None:
        for key, slot in ((Qt.Key_Space, self._space), (Qt.Key_Comma,
                          lambda: self.timeline.step(-1)), (Qt.Key_Period,
                          lambda: self.timeline.step(1))):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for path in files:
            act = QAction(path, self)
            act.triggered.connect(lambda _=False, p=path: self.open_video(p))
            self.recent_menu.addAction(act)
        self.recent_menu.setEnabled(bool(files))

    def open_batch_queue(self, files=()):
        """The batch queue dialog (one per window, kept while a batch runs), with
        ``files`` added to its queue."""
        from .batch_queue import BatchQueueDialog
        if self.batch_dialog is None:
            self.batch_dialog = BatchQueueDialog(self, out_dir=self.takes_root / "batch")
        self.batch_dialog.add_files(files)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        return self.batch_dialog

    def choose_takes_root(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Takes folder", str(self.takes_root))
        if folder:
            self.takes_root = Path(folder)
            self.settings.set("folders/takes", folder)
            self.take_list.set_root(self.takes_root)

    def _space(self) -> None:
        if self.mode == "live":
            self.toggle_recording()
        elif self.playback is not None:
            self.timeline.toggle()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if len(urls) > 1:          # several files at once: the batch queue
            event.acceptProposedAction()
            self.open_batch_queue(urls)
        elif urls:
            event.acceptProposedAction()
            self.open_video(urls[0])

