"""The batch queue: several files at once through the same code as ``mocap batch``, with
the whole batch's progress; files dropped together land in the queue; cancel."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from mocap_app.batch import BatchSettings
from mocap_app.core.paths import sample_clip


def _short_clips(folder: Path, n: int = 2) -> list[Path]:
    """``n`` files of the first 1,000,000 bytes of the sample clip (60 frames decode)."""
    folder.mkdir(parents=True)
    head = sample_clip().read_bytes()[:1_000_000]
    paths = [folder / f"clip{i}.mp4" for i in range(n)]
    for p in paths:
        p.write_bytes(head)
    return paths


def _bvh_frames(path: Path) -> int:
    return int(next(line for line in path.read_text().splitlines()
                    if line.startswith("Frames:")).split()[1])


def _dialog(window, files, out_dir):
    dialog = window.open_batch_queue(files)
    dialog.set_out_dir(out_dir)
    dialog.settings = BatchSettings(refine=False)
    dialog.workers.setValue(1)
    return dialog


def test_queued_files_are_processed_with_the_batch_s_progress(window, qtbot, tmp_path,
                                                               screenshot):
    files = _short_clips(tmp_path / "clips")
    out = tmp_path / "out"
    dialog = _dialog(window, files, out)
    assert dialog.queued_files() == files
    seen = []
    dialog._timer.timeout.connect(lambda: seen.append(dialog.bar.value()))
    qtbot.mouseClick(dialog.start_button, Qt.LeftButton)
    assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.summary is not None or bool(dialog.message), timeout=180_000)
    screenshot(dialog, "batch_queue_done")
    assert dialog.message == ""
    s = dialog.summary
    assert (s.short, s.failed, s.done, s.cancelled) == (2, 0, 0, False)
    assert (dialog.bar.value(), dialog.bar.maximum()) == (120, 120)
    assert any(0 < v < 120 for v in seen), seen          # progress while it ran
    for p in files:
        assert _bvh_frames(out / f"{p.stem}.bvh") == 60
    texts = [dialog.queue.item(i).text() for i in range(dialog.queue.count())]
    assert texts == [f"clip{i}.mp4  —  ended early (what decoded was written)"
                     for i in range(2)]
    assert dialog.out_label.text() == f"output: {out}"
    doc = json.loads((out / "batch.json").read_text())
    assert sorted(doc["files"]) == ["clip0.mp4", "clip1.mp4"]
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_several_dropped_files_go_to_the_queue(window, qtbot, tmp_path):
    files = _short_clips(tmp_path / "clips", 3)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in files])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    assert window.batch_dialog is not None and window.batch_dialog.isVisible()
    assert window.batch_dialog.queued_files() == files
    assert window.mode == "idle"          # no single-file import started


def test_cancel_stops_the_batch_and_leaves_no_partial_output(window, qtbot, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    files = [folder / "long0.mp4", folder / "long1.mp4"]
    for p in files:
        shutil.copy(sample_clip(), p)
    out = tmp_path / "out"
    dialog = _dialog(window, files, out)
    qtbot.mouseClick(dialog.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.bar.value() > 20, timeout=120_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None or bool(dialog.message), timeout=60_000)
    assert dialog.summary.cancelled and dialog.summary.done == 0
    assert "cancelled" in dialog.status.text()
    assert list(out.rglob("*.bvh")) == [] and not [p for p in out.rglob("*") if ".part-" in p.name]
    assert json.loads((out / "batch.json").read_text())["files"] == {}
    texts = [dialog.queue.item(i).text() for i in range(dialog.queue.count())]
    assert texts == ["long0.mp4  —  not processed", "long1.mp4  —  not processed"]
