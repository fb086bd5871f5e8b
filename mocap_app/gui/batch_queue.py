"""The batch queue: several video files imported at once, processed by the same code as
``mocap batch`` (``batch.run_batch``: worker processes, manifest, resume), with the whole
batch's progress.

``BatchJob`` runs ``run_batch`` on a worker thread; its progress goes into a one-slot
``LatestBox`` that the dialog reads on a timer (never one signal per update). Cancel sets
the job's stop event, which ``run_batch`` passes to its workers: files in flight stop
within a frame and leave no output; finished ones stay recorded in ``batch.json``.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QSpinBox,
                               QVBoxLayout)

from ..batch import BatchSettings, max_workers, run_batch
from ..batch.manifest import MANIFEST_NAME
from .import_flow import VIDEO_FILTER
from .worker import Job, JobRunner, LatestBox


_STATUS_TEXT = {"done": "done", "short": "ended early (what decoded was written)",
                "failed": "failed"}


class BatchJob(Job):
    """``run_batch`` off the GUI thread; ``done`` carries its ``BatchSummary``."""

    def __init__(self, files: list[Path], out_dir: Path, settings: BatchSettings,
                 workers: int, progress_box: LatestBox):
        super().__init__()
        self.files, self.out_dir = list(files), Path(out_dir)
        self.settings, self.workers = settings, workers
        self.progress_box = progress_box

    def work(self):
        return run_batch(self.files, self.out_dir, self.settings, workers=self.workers,
                         progress=self.progress_box.put, cancel=self.stop_event)


class BatchQueueDialog(QDialog):
    """Queue files, choose the output folder and the workers, start, watch, cancel."""

    def __init__(self, parent=None, out_dir: Path | None = None,
                 settings: BatchSettings = BatchSettings()):
        super().__init__(parent)
        self.setWindowTitle("Batch process videos")
        self.settings = settings
        self.out_dir = Path(out_dir) if out_dir else None
        self.runner: JobRunner | None = None
        self.summary = None                  # the last run's BatchSummary
        self.message = ""                    # the last run's failure message, if any
        self._box = LatestBox()

        self.queue = QListWidget()
        self.add_button = QPushButton("Add videos…")
        self.add_button.clicked.connect(self.choose_files)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.queue.clear)
        self.out_button = QPushButton("Output folder…")
        self.out_button.clicked.connect(self.choose_out_dir)
        self.out_label = QLabel()
        self.workers = QSpinBox()
        self.workers.setRange(1, max_workers())
        self.workers.setValue(os.cpu_count() or 1)
        self.workers.setPrefix("workers ")
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.bar = QProgressBar()
        self.status = QLabel("add videos to the queue")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for w in (self.add_button, self.clear_button, self.out_button, self.workers):
            buttons.addWidget(w)
        run_row = QHBoxLayout()
        for w in (self.start_button, self.cancel_button):
            run_row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.queue)
        layout.addWidget(self.out_label)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(run_row)
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._show_progress)
        self._update_out_label()

    # -- the queue -------------------------------------------------------------------
    def add_files(self, paths) -> None:
        have = set(self.queued_files())
        for p in paths:
            p = Path(p)
            if p not in have:
                item = QListWidgetItem(f"{p.name}  —  queued")
                item.setData(Qt.UserRole, str(p))
                item.setToolTip(str(p))
                self.queue.addItem(item)
                have.add(p)
        self.status.setText(f"{self.queue.count()} videos queued")

    def queued_files(self) -> list[Path]:
        return [Path(self.queue.item(i).data(Qt.UserRole)) for i in range(self.queue.count())]

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Videos to process", "", VIDEO_FILTER)
        self.add_files(files)

    def choose_out_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder",
                                                  str(self.out_dir or Path.home()))
        if folder:
            self.set_out_dir(Path(folder))

    def set_out_dir(self, folder: Path) -> None:
        self.out_dir = Path(folder)
        self._update_out_label()

    def _update_out_label(self) -> None:
        self.out_label.setText(f"output: {self.out_dir}" if self.out_dir
                               else "output: choose a folder")

    # -- running ---------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.runner is not None and self.runner.is_running()

    def start(self) -> None:
        files = self.queued_files()
        if self.is_running() or not files:
            return
        if self.out_dir is None:
            self.status.setText("choose an output folder first")
            return
        self.summary, self.message = None, ""
        self._box = LatestBox()
        job = BatchJob(files, self.out_dir, self.settings, self.workers.value(), self._box)
        job.done.connect(self._finished)
        job.failed.connect(self._failed)
        job.cancelled.connect(lambda: self._failed("cancelled"))
        self.runner = JobRunner(job, "batch")
        self._set_running(True)
        self.status.setText(f"starting {self.workers.value()} workers…")
        self.runner.start()
        self._timer.start()

    def cancel(self) -> None:
        if self.is_running():
            self.runner.stop()
            self.status.setText("cancelling: files in flight stop, finished ones are kept")

    def _set_running(self, running: bool) -> None:
        for w in (self.add_button, self.clear_button, self.out_button, self.workers,
                  self.start_button):
            w.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _show_progress(self) -> None:
        p = self._box.take()
        if p is None:
            return
        self.bar.setRange(0, max(1, p.frames_total))
        self.bar.setValue(min(p.frames_done, max(1, p.frames_total)))
        eta = p.remaining
        eta_s = f", {time.strftime('%H:%M:%S', time.gmtime(eta))} left" if eta else ""
        failed = f", {p.files_failed} failed" if p.files_failed else ""
        self.status.setText(f"files {p.files_finished}/{p.files_total}{failed}; frames "
                            f"{p.frames_done}/{p.frames_total}{eta_s}")

    def _finished(self, summary) -> None:
        self._timer.stop()
        self._show_progress()
        self.summary = summary
        self._set_running(False)
        self.status.setText(summary.line())
        self._show_file_statuses()

    def _failed(self, message: str) -> None:
        self._timer.stop()
        self.message = message
        self._set_running(False)
        self.status.setText(f"batch stopped: {message}")
        self._show_file_statuses()

    def _show_file_statuses(self) -> None:
        """Each queued file's line shows what the manifest says about it."""
        try:
            doc = json.loads((self.out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        by_input = {e["input"]: e for e in doc.get("files", {}).values()}
        for i in range(self.queue.count()):
            item = self.queue.item(i)
            path = Path(item.data(Qt.UserRole))
            entry = by_input.get(str(path.resolve()))
            what = "not processed" if entry is None else _STATUS_TEXT[entry["status"]]
            if entry is not None and entry["status"] == "failed":
                what += f": {entry.get('error')}"
            item.setText(f"{path.name}  —  {what}")

    def shutdown(self) -> None:
        """Cancel a running batch and wait for its thread (the window is closing)."""
        if self.runner is not None:
            self._timer.stop()
            self.runner.shutdown(timeout_ms=60000)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
