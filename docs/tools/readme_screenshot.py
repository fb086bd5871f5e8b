"""Makes docs/screenshots/main_window.png: the real app (shipped models) on the bundled
clip, imported with refinement, scrubbed to a frame. Run under Xvfb:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/tools/readme_screenshot.py
"""
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MOCAP_APP_TAKES", tempfile.mkdtemp(prefix="mocap_takes_"))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mocap_app.core.paths import sample_clip  # noqa: E402
from mocap_app.gui.main_window import MainWindow  # noqa: E402


def main(out: str = "docs/screenshots/main_window.png", frame: int = 120) -> int:
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(probe_cameras=False)
    window.resize(1600, 950)
    window.show()
    window.open_video(sample_clip())
    t0 = time.monotonic()
    while window.mode == "import" and time.monotonic() - t0 < 600:
        app.processEvents()
        time.sleep(0.02)
    window.timeline.seek(frame)
    panel = window.heatmap_panel
    t0 = time.monotonic()
    while (panel.frame_index != frame or panel.heatmaps is None) and time.monotonic() - t0 < 60:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(50):
        app.processEvents()
        time.sleep(0.02)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(out)
    print(("saved " if ok else "could not save ") + out, "errors:", window.errors)
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
