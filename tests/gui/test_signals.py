"""Regression: PySide6 6.12.0 on Python 3.11 aborts (``Fatal Python error:
bool_dealloc``) after a few thousand cross-thread ``Signal.emit()`` calls. The app's
worker jobs emit from their thread to the GUI thread, so this must hold for many emits,
with bool, int, float and object payloads."""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from mocap_app.gui.worker import Job, JobRunner

EMITS = 25_000


class _Chatty(Job):
    flag = Signal(bool, int, float, object)

    def work(self):
        for i in range(EMITS):
            self.flag.emit(i % 2 == 0, i, i * 0.5, (i, None))
            self.progress.emit(i)
        return EMITS


class _Receiver(QObject):
    def __init__(self):
        super().__init__()
        self.flags = 0
        self.trues = 0
        self.progress = 0
        self.last = None
        self.thread = None

    def on_flag(self, b, i, x, obj):
        self.flags += 1
        self.trues += bool(b)
        self.last = (i, x, obj)
        self.thread = threading.current_thread()

    def on_progress(self, i):
        self.progress += 1


def test_many_signals_across_threads(qtbot):
    job = _Chatty()
    rx = _Receiver()
    job.flag.connect(rx.on_flag)
    job.progress.connect(rx.on_progress)
    done = []
    job.done.connect(done.append)
    runner = JobRunner(job, "chatty")
    runner.start()
    try:
        qtbot.waitUntil(lambda: bool(done) and rx.flags == EMITS and rx.progress == EMITS,
                        timeout=120_000)
    finally:
        assert runner.shutdown()
    assert done == [EMITS]
    assert rx.trues == EMITS // 2 + EMITS % 2
    assert rx.last == (EMITS - 1, (EMITS - 1) * 0.5, (EMITS - 1, None))
    # queued to the GUI thread, never run on the worker's
    assert rx.thread is threading.main_thread()
