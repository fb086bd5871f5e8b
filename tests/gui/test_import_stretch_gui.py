"""Importing a stretch of a video in the app (File > Open a stretch of a video): only
those frames go through the pipeline; the take plays the video's own frames."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QDialogButtonBox

from mocap_app.core.paths import sample_clip
from mocap_app.takes import load_take


def test_import_a_stretch_and_play_it(qtbot, window, takes_root, monkeypatch, screenshot):
    import mocap_app.gui.import_flow as flow
    from mocap_app.gui.timeline import VideoFrameReader
    monkeypatch.setattr(flow.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(sample_clip()), "")))
    window.choose_video_stretch()
    dialog = window.stretch_dialog
    qtbot.waitExposed(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    # the whole video unless narrowed; 7.67 s at 30 fps
    assert dialog.stretch() == (None, None) and dialog.end.value() == 7.67
    assert dialog.label.text() == "230 frames, 7.67 s"
    dialog.end.setValue(5.0)
    dialog.start.setValue(6.0)                          # end before start: refused
    assert not ok.isEnabled() and "must come after" in dialog.label.text()
    dialog.start.setValue(4.0)
    assert ok.isEnabled() and dialog.stretch() == (4.0, 5.0)
    assert dialog.label.text() == "31 frames, 1.00 s"
    screenshot(dialog, "import_stretch_dialog")
    ok.click()
    assert window.mode == "import" and "(4.00-5.00 s)" in window.mode_label.text()
    assert window.progress.maximum() == 31
    qtbot.waitUntil(lambda: window.mode != "import", timeout=150_000)
    assert window.errors == []
    folder = window.last_import.take_folder
    assert folder.parent == takes_root
    seq, meta = load_take(folder)
    assert len(seq) == 31 and meta["first_frame"] == 120
    np.testing.assert_allclose(seq.timestamps[[0, -1]], [4.0, 5.0], atol=2e-3)
    assert window.open_take(folder)
    window.timeline.seek(3)
    reader = VideoFrameReader(sample_clip())
    np.testing.assert_array_equal(window.frame_view._buffer, reader.read(123))
    reader.close()


def test_a_stretch_past_the_videos_end_is_refused_before_any_work(qtbot, window):
    assert window.open_video(sample_clip(), start=9.0) is False
    assert window.mode != "import" and window.import_runner is None
    title, text = window.errors[-1]
    assert title == "Cannot import that stretch" and "0-7.67 s" in text
