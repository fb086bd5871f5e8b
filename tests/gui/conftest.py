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


@pytest.fixture
def lifter_models(tmp_path, monkeypatch) -> Path:
    """A models folder whose lifter.pt is the real MargiPose network with untrained
    (seeded) weights, saved and loaded through the real checkpoint code, so the heatmap
    path runs end to end before trained weights ship. The shipped refiners are copied
    beside it."""
    import shutil

    import torch

    from mocap_app.core.paths import models_dir
    from mocap_app.lift.checkpoint import save_checkpoint
    from mocap_app.lift.margipose import MargiPose, MargiPoseConfig
    shipped = models_dir()
    folder = tmp_path / "models"
    folder.mkdir()
    torch.manual_seed(0)
    model = MargiPose(MargiPoseConfig()).eval()
    save_checkpoint(folder / "lifter.pt", model, "margipose", {"scale_per_height": 0.79})
    for name in ("refiner_bidir.pt", "refiner_causal.pt"):
        if (shipped / name).is_file():
            shutil.copy(shipped / name, folder / name)
    monkeypatch.setenv("MOCAP_APP_MODELS", str(folder))
    return folder


@pytest.fixture
def no_lifter_models(tmp_path, monkeypatch) -> Path:
    """A models folder with no lifter.pt (the app must say there are no heatmaps)."""
    folder = tmp_path / "models_without_lifter"
    folder.mkdir()
    monkeypatch.setenv("MOCAP_APP_MODELS", str(folder))
    return folder
