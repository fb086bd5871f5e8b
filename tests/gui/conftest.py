"""GUI tests: a real window (pytest-qt) under Xvfb with Mesa's software OpenGL.

Every test gets its own settings file and takes folder, so nothing touches the user's.
Screenshots of each state go to ``test-artifacts/``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def gui_env(request, tmp_path, monkeypatch):
    needs_display = "qtbot" in request.fixturenames
    assert not needs_display or os.environ.get("DISPLAY"), (
        "GUI tests need an X display: run them under xvfb-run (scripts/test.sh does)")
    monkeypatch.setenv("MOCAP_APP_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("MOCAP_APP_TAKES", str(tmp_path / "takes"))
    return tmp_path


@pytest.fixture
def takes_root(tmp_path) -> Path:
    return tmp_path / "takes"


@pytest.fixture
def window(qtbot):
    from mocap_app.gui.main_window import MainWindow
    w = MainWindow(probe_cameras=False)
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    yield w
    w.close()


@pytest.fixture
def screenshot(artifacts_dir):
    def save(widget, name: str, whole_screen: bool = False) -> Path:
        """``whole_screen``: the X screen, so message boxes over the window show too."""
        path = artifacts_dir / f"{name}.png"
        if whole_screen:
            from PySide6.QtGui import QGuiApplication
            screen = QGuiApplication.primaryScreen()
            g = widget.frameGeometry()
            image = screen.grabWindow(0, g.x(), g.y(), g.width(), g.height())
        else:
            image = widget.grab()
        assert image.save(str(path)), f"could not save {path}"
        return path
    return save
