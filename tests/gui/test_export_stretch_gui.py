"""The export dialog's stretch: the whole take unless narrowed; the preview frame sets
either end; the file holds that stretch's frames as the whole take's export has them."""
from __future__ import annotations

import numpy as np


def _take(folder, seq):
    from mocap_app.core.pose import FramePose
    from mocap_app.takes import TakeWriter
    w = TakeWriter(folder, fps=30, image_size=(640, 480))
    for i in range(len(seq)):
        w.append(FramePose(i, float(seq.timestamps[i]), (640, 480), None,
                           seq.keypoints_2d[i], seq.visibility[i], seq.joints_3d[i],
                           seq.root_positions[i]))
    w.close()


def _export(qtbot, dialog, path):
    dialog.path.setText(str(path))
    dialog.exported = dialog.last_error = None
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.exported is not None or dialog.last_error is not None,
                    timeout=60_000)


def test_export_dialog_writes_the_stretch_picked_with_the_preview_frame(qtbot, window,
                                                                         tmp_path, screenshot):
    from mocap_app.core.bvh import read_bvh
    from mocap_app.export import ExportOptions
    from mocap_app.export.retarget import retarget
    from mocap_app.takes import load_take
    from tests.export.puppet import puppet_sequence
    folder = tmp_path / "walk"
    _take(folder, puppet_sequence(60))                 # 30 fps, 0 .. 1.9667 s: the end box
                                                       # shows 1.97 s, past the last frame
    dialog = window.export_take(folder)
    qtbot.waitExposed(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("bvh"))
    dialog.unit.setCurrentText("cm")
    # the whole take unless narrowed
    assert dialog.stretch() == (None, None)
    assert dialog.options().start is None and dialog.options().end is None
    assert dialog.stretch_label.text() == "60 of 60 frames"
    # a span the boxes round down (1.4333 s shows as 1.43 s) still counts its last frame
    short = tmp_path / "short"
    _take(short, puppet_sequence(44))
    other = window.export_take(short)
    assert other.end.value() == 1.43 and other.stretch() == (None, None)
    assert other.stretch_label.text() == "44 of 44 frames"
    other.reject()
    dialog.preview_frame.setValue(15)
    dialog.start_here.click()
    dialog.preview_frame.setValue(30)
    dialog.end_here.click()
    assert dialog.stretch() == (0.5, 1.0)
    assert dialog.stretch_label.text() == "16 of 60 frames"
    screenshot(dialog, "export_dialog_stretch")
    _export(qtbot, dialog, tmp_path / "part.bvh")
    assert dialog.last_error is None, dialog.last_error
    seq, _ = load_take(folder)
    whole = retarget(seq, ExportOptions())
    m = read_bvh(tmp_path / "part.bvh")
    assert m.num_frames == 16
    np.testing.assert_allclose(m.world_positions(), whole.positions[15:31], atol=1e-3)
    # an end before the start: said beside the boxes, and the export refused
    dialog.start.setValue(1.5)
    dialog.end.setValue(1.0)
    assert "must come after" in dialog.stretch_label.text()
    _export(qtbot, dialog, tmp_path / "bad.bvh")
    assert "must come after" in dialog.last_error
    assert not (tmp_path / "bad.bvh").exists()
    # a Blender preview of a frame outside the stretch is refused before any work
    dialog.start.setValue(0.5)
    dialog.preview_frame.setValue(5)
    dialog.last_error = None
    dialog.render_in_blender()
    assert "outside the stretch" in (dialog.last_error or "")
    dialog.reject()
