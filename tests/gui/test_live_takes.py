"""Live capture from the fake camera (the sample clip played at its real rate through the
webcam protocol): record with Space, find the take, rename/delete it, export it to BVH
through the export dialog; a camera that fails mid-take keeps what was recorded."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.core.bvh import read_bvh
from mocap_app.core.paths import sample_clip
from mocap_app.takes import load_take


def test_record_take_from_fake_camera_and_export_bvh(qtbot, window, takes_root, tmp_path,
                                                      screenshot):
    assert window.start_live(lambda: PacedVideoSource(sample_clip(), loop=True),
                             "fake camera")
    qtbot.waitUntil(lambda: window.last_live_result is not None, timeout=30_000)
    assert window.source_panel.record_button.isEnabled()
    qtbot.keyClick(window, Qt.Key_Space)            # Space starts recording
    qtbot.waitUntil(lambda: window.recording_folder is not None, timeout=5000)
    folder = window.recording_folder
    qtbot.waitUntil(lambda: window.live_runner.job.status.recording_frames >= 30,
                    timeout=60_000)
    assert window.source_panel.record_label.text().startswith("REC 00:0")
    assert "dropped" in window.source_panel.record_label.text()
    assert window.processing_label.text() != "processing – fps"
    # the live views show the newest result: frame, box, 2D skeleton, 3D skeleton
    r = window.last_live_result
    assert window.frame_view.frame_index == r.frame.index
    if r.pose.has_person:
        np.testing.assert_allclose(window.frame_view.keypoints, r.pose.keypoints_2d)
    screenshot(window, "main_window_live_recording")
    qtbot.keyClick(window, Qt.Key_Space)            # Space again stops it
    qtbot.waitUntil(lambda: window.recording_folder is None, timeout=5000)
    qtbot.waitUntil(lambda: folder in window.take_list.folders(), timeout=5000)
    window.stop_live()
    qtbot.waitUntil(lambda: window.mode == "idle", timeout=10_000)
    assert window.errors == []
    assert window.last_live_end.error is None

    seq, meta = load_take(folder)
    assert meta["status"] == "complete"
    assert len(seq) >= 30 and seq.valid.sum() >= len(seq) // 2
    assert (folder / "video.avi").stat().st_size > 0

    # rename (folder and display name follow), then export through the dialog
    window.take_list.select(folder)
    renamed = window.take_list.rename_selected("walk A")
    assert renamed is not None and renamed.name == "walk_A" and renamed.is_dir()
    assert window.take_list.folders() == [renamed]
    assert load_take(renamed)[1]["name"] == "walk A"

    dialog = window.export_take(renamed)
    qtbot.waitExposed(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("bvh"))
    dialog.unit.setCurrentText("cm")
    out = tmp_path / "walk_A.bvh"
    dialog.path.setText(str(out))
    screenshot(dialog, "export_dialog")
    # the preview as Blender imports the export (when bpy is installed)
    from mocap_app.gui.export_dialog import blender_available
    assert dialog.blender_button.isEnabled() == blender_available()
    if blender_available():
        dialog.blender_button.click()
        qtbot.waitUntil(lambda: dialog.preview_source == "blender"
                        or dialog.last_error is not None, timeout=120_000)
        assert dialog.last_error is None, dialog.last_error
        assert not dialog.preview_image.isNull()
        screenshot(dialog, "export_dialog_blender_preview")
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.exported is not None or dialog.last_error is not None,
                    timeout=60_000)
    assert dialog.last_error is None, dialog.last_error
    motion = read_bvh(out)
    assert motion.num_frames == len(seq)
    assert motion.frame_time > 0
    assert np.isfinite(motion.motion).all()
    # the dialog's choices are remembered
    assert window.settings.get("export/format") == "bvh"
    dialog.reject()

    # delete asks first; "No" keeps the take, "Yes" removes it
    window.take_list.select(renamed)
    answers = iter([QMessageBox.No, QMessageBox.Yes])
    import mocap_app.gui.take_list as tl
    orig = tl.QMessageBox.question
    tl.QMessageBox.question = staticmethod(lambda *a, **k: next(answers))
    try:
        assert window.take_list.delete_selected() is False and renamed.is_dir()
        assert window.take_list.delete_selected() is True
    finally:
        tl.QMessageBox.question = orig
    assert not renamed.exists() and window.take_list.folders() == []


def test_camera_failing_mid_take_keeps_the_take(qtbot, window, screenshot):
    source = lambda: PacedVideoSource(sample_clip(), fail_after=60)  # noqa: E731
    assert window.start_live(source, "fake camera that gets unplugged")
    window.toggle_recording(True)      # recording from the first frame
    qtbot.waitUntil(lambda: window.last_live_end is not None, timeout=30_000)
    ended = window.last_live_end
    assert ended.error and "camera" in ended.error
    folder = ended.take_folder
    assert folder is not None
    # the user is told, and told the take was kept
    assert window.errors and window.errors[-1][0] == "Camera lost"
    assert str(folder) in window.errors[-1][1]
    qtbot.wait(200)
    screenshot(window, "main_window_camera_lost", whole_screen=True)
    seq, meta = load_take(folder)
    assert meta["status"] == "stopped"
    assert 0 < len(seq) <= 60
    assert folder in window.take_list.folders()
    # the app carries on: idle, camera can be started again
    assert window.mode == "idle" and window.live_runner is None
    assert window.source_panel.live_button.isEnabled()


def test_click_on_the_picture_picks_the_subject_to_track(qtbot, screenshot):
    """A click on the frame view reaches the BlazePose detector as the image pixel under
    the cursor (the detector then follows the person nearest to it)."""
    from PySide6.QtCore import QPoint

    from mocap_app.gui.main_window import MainWindow
    w = MainWindow(detector="blazepose", probe_cameras=False)
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.show()
    qtbot.waitExposed(w)
    try:
        assert w.start_live(lambda: PacedVideoSource(sample_clip(), loop=True), "fake camera")
        qtbot.waitUntil(lambda: w.last_live_result is not None, timeout=60_000)
        view = w.frame_view
        # everyone in the picture is outlined, so the user sees whom a click can pick
        # (the sample clip has two people: a man on the shed and a woman walking)
        qtbot.waitUntil(lambda: len(view.others) >= 1, timeout=20_000)
        for x0, y0, x1, y1 in view.others:
            assert 0 <= (x0 + x1) / 2 <= 1768 and 0 <= (y0 + y1) / 2 <= 994 and x1 > x0
        screenshot(w, "main_window_live_people")
        r = view._image_rect()
        s = r.width() / view._image_size[0]
        target = (1200.0, 700.0)                         # image pixels
        pos = QPoint(round(r.left() + target[0] * s), round(r.top() + target[1] * s))
        clicked = []
        view.subject_clicked.connect(lambda x, y: clicked.append((x, y)))
        qtbot.mouseClick(view, Qt.LeftButton, pos=pos)
        assert len(clicked) == 1
        np.testing.assert_allclose(clicked[0], target, atol=1.0 / s)
        detector = w.live_runner.job.session.estimator.detector
        qtbot.waitUntil(lambda: isinstance(detector.subject_choice, tuple), timeout=10_000)
        np.testing.assert_allclose(detector.subject_choice, target, atol=1.0 / s)
        assert "tracking the person" in w.statusBar().currentMessage()
        assert w.errors == []
    finally:
        w.stop_live()
        qtbot.waitUntil(lambda: w.mode == "idle", timeout=20_000)
        w.close()


def test_closing_the_window_while_recording_keeps_the_take(qtbot, takes_root):
    from mocap_app.gui.main_window import MainWindow
    w = MainWindow(probe_cameras=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.start_live(lambda: PacedVideoSource(sample_clip(), loop=True), "fake camera")
    w.toggle_recording(True)
    qtbot.waitUntil(lambda: w.recording_folder is not None
                    and w.live_runner.job.status.recording_frames >= 5, timeout=60_000)
    folder = w.recording_folder
    w.close()                       # stop requested, thread quit and waited for
    assert w.live_runner is None
    seq, meta = load_take(folder)
    assert meta["status"] == "complete" and len(seq) >= 5


def test_find_the_camera_tilt_from_the_running_camera(qtbot, window):
    """View > Find the camera tilt now: refused without a camera; with one, the tilt found
    from its newest frames (the sample's camera stands level: within a few degrees) becomes
    the remembered Camera tilt and the running session's lifter uses it at once."""
    from mocap_app.lift.tilt import AUTO_MIN_FRAMES
    window.find_tilt_action.trigger()
    assert window.errors[-1][0] == "No camera running" and window.tilt_found is None
    assert window.start_live(lambda: PacedVideoSource(sample_clip(), loop=True),
                             "fake camera")
    def seen() -> int:
        session = getattr(window.live_runner.job, "session", None)
        poses = session.recent_poses() if session is not None else None
        return 0 if poses is None else len(poses[0])
    qtbot.waitUntil(lambda: seen() >= 3 * AUTO_MIN_FRAMES, timeout=60_000)
    session = window.live_runner.job.session
    window.find_tilt_action.trigger()
    qtbot.waitUntil(lambda: window.tilt_found is not None, timeout=60_000)
    found = window.tilt_found
    assert found.frames >= 3 * AUTO_MIN_FRAMES and abs(found.tilt_deg) <= 7.5
    assert window.config.tilt_deg == found.tilt_deg
    assert window.settings.get("capture/tilt_deg", 0.0, float) == found.tilt_deg
    assert session.estimator.lifter.tilt_deg == found.tilt_deg
    window.stop_live()
    qtbot.waitUntil(lambda: window.mode == "idle", timeout=10_000)
    assert [e for e in window.errors if e[0] != "No camera running"] == []
