"""Drag and drop a video, a clear message when nobody is in it, and settings (recent
files, window geometry and dock layout, export choices) remembered between runs."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def _drop(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(200, 200), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)


def test_dropped_video_without_a_person_is_a_message_and_settings_persist(
        qtbot, empty_scene_video, takes_root):
    from mocap_app.gui.main_window import MainWindow
    w = MainWindow(probe_cameras=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    _drop(w, empty_scene_video)
    assert w.mode == "import"
    qtbot.waitUntil(lambda: w.mode == "idle", timeout=60_000)
    assert w.errors and w.errors[-1][0] == "The video could not be processed"
    assert "no person" in w.errors[-1][1]
    assert not takes_root.exists() or list(takes_root.iterdir()) == []
    w.docks["heatmaps"].hide()
    w.resize(1234, 777)
    w.settings.set("export/preset", "unreal")
    w.close()

    w2 = MainWindow(probe_cameras=False)
    qtbot.addWidget(w2)
    w2.show()
    qtbot.waitExposed(w2)
    recent = [a.text() for a in w2.recent_menu.actions()]
    assert recent == [str(empty_scene_video.resolve())]
    assert (w2.width(), w2.height()) == (1234, 777)
    assert not w2.docks["heatmaps"].isVisible() and w2.docks["view3d"].isVisible()
    assert w2.settings.get("folders/videos") == str(empty_scene_video.parent.resolve())
    assert w2.settings.get("export/preset") == "unreal"
    w2.close()


def test_camera_tilt_is_asked_checked_remembered_and_given_to_the_estimator(qtbot, window,
                                                                            monkeypatch):
    """View > Camera tilt: the dialog's value goes into the estimator's config (the lifter
    levels the picture by it from the next import or camera start), a wrong one is refused
    naming the range, a cancelled dialog changes nothing, and a new window remembers it."""
    import pytest
    from PySide6.QtWidgets import QInputDialog
    from mocap_app.gui.main_window import MainWindow
    assert window.config.tilt_deg == 0.0 and window.tilt_action.text() == "Camera &tilt: 0°…"
    assert window.tilt_label.text() == ""
    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(lambda *a, **k: (-14.5, True)))
    window.tilt_action.trigger()
    assert window.config.tilt_deg == -14.5
    assert window.settings.get("capture/tilt_deg", 0.0, float) == -14.5
    assert window.tilt_action.text() == "Camera &tilt: -14.5°…"
    assert window.tilt_label.text() == "tilt -14.5°"        # shown while a tilt is set
    with pytest.raises(ValueError, match="between -90 and 90"):
        window.set_camera_tilt(120.0)
    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(lambda *a, **k: (30.0, False)))
    window.tilt_action.trigger()
    assert window.config.tilt_deg == -14.5
    again = MainWindow(settings=window.settings, probe_cameras=False)
    qtbot.addWidget(again)
    assert again.config.tilt_deg == -14.5
    assert again.tilt_label.text() == "tilt -14.5°"
    again.set_camera_tilt(0.0)
    assert again.tilt_label.text() == "" and again.config.tilt_deg == 0.0


def test_finding_the_tilt_on_import_is_on_by_default_and_remembered(qtbot, window):
    """View > Find the camera tilt on import: on by default (imports level the picture by
    the tilt found from the take, ``offline.level_take``); switched off, the estimator's
    config says so and a new window remembers it."""
    from mocap_app.gui.main_window import MainWindow
    act = window.auto_tilt_action
    assert act.isCheckable() and act.isChecked() and window.config.auto_tilt
    act.trigger()                                   # off
    assert not act.isChecked() and not window.config.auto_tilt
    assert window.settings.get("capture/auto_tilt", True, bool) is False
    again = MainWindow(settings=window.settings, probe_cameras=False)
    qtbot.addWidget(again)
    assert not again.auto_tilt_action.isChecked() and not again.config.auto_tilt
    again.set_auto_tilt(True)
    assert again.auto_tilt_action.isChecked() and again.config.auto_tilt
