"""``mocap-app [VIDEO]``: the desktop app; with a video path it opens and processes it."""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mocap-app", description=__doc__.split("\n")[0])
    parser.add_argument("video", nargs="?", help="a video file to open and process")
    parser.add_argument("--takes", help="folder for takes (default: remembered, or "
                        "~/mocap_takes)")
    parser.add_argument("--no-camera-probe", action="store_true",
                        help="do not look for webcams at start")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.takes:
        os.environ["MOCAP_APP_TAKES"] = args.takes

    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("mocap_app")
    app.setOrganizationName("mocap_app")
    window = MainWindow(probe_cameras=not args.no_camera_probe)
    window.show()
    if args.video:
        from PySide6.QtCore import QTimer
        QTimer.singleShot(0, lambda: window.open_video(args.video))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
