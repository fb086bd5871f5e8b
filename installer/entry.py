"""Entry point of the installer bundle (PyInstaller runs this file as ``__main__``).

    mocap_app                       the desktop app
    mocap_app VIDEO                 the desktop app, opening VIDEO
    mocap_app process VIDEO -o X    the command line (any ``mocap`` subcommand)
    mocap_app --self-test [DIR]     process the bundled clip headless to a BVH, check it
    mocap_app --screenshot PNG      open the main window, grab it after a second, quit
    mocap_app --version             version, commit and build date of this bundle

Hidden: ``--blender-child REQUEST.json`` (the Blender export child, see
``blender_bridge``). Nothing heavy is imported before the dispatch, so the child and
``--help`` start fast.
"""
from __future__ import annotations

import multiprocessing
import os
import sys

CLI_COMMANDS = {"process", "export", "report", "stream", "blender-addon"}


def _log_path() -> str:
    from mocap_app.core.paths import cache_dir  # noqa: PLC0415
    folder = cache_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "mocap_app-bundle.log")


def _ensure_streams() -> None:
    """A windowed build (Windows ``console=False``, a macOS .app) starts with
    ``sys.stdout``/``sys.stderr`` set to None: any print or warning would raise, so both
    go to a log file in the user's cache instead."""
    if sys.stdout is not None and sys.stderr is not None:
        return
    try:
        log = open(_log_path(), "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    except OSError:
        log = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdout is None:
        sys.stdout = log
    if sys.stderr is None:
        sys.stderr = log


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--blender-child"]:
        from blender_bridge import run_child  # noqa: PLC0415
        return run_child(argv[1:])

    import blender_bridge  # noqa: PLC0415
    blender_bridge.install()

    if argv[:1] == ["--self-test"]:
        from self_test import run_self_test  # noqa: PLC0415
        return run_self_test(argv[1:])
    if argv[:1] == ["--screenshot"]:
        if len(argv) < 2:
            print("usage: mocap_app --screenshot OUT.png [VIDEO]", file=sys.stderr)
            return 2
        return _screenshot(argv[1], argv[2:])
    if argv and (argv[0] in CLI_COMMANDS or argv[0] in ("-h", "--help", "--version")):
        if argv[0] == "--version":
            from self_test import bundle_manifest  # noqa: PLC0415
            m = bundle_manifest()
            print(f"mocap_app {m.get('version', '?')} (commit {m.get('commit', '?')}, "
                  f"built {m.get('built', '?')})")
            return 0
        if argv[0] in ("-h", "--help"):
            print(__doc__.split("\n\n")[1])
            return 0
        from mocap_app.cli import main as cli_main  # noqa: PLC0415
        return cli_main(argv)
    from mocap_app.gui.app import main as gui_main  # noqa: PLC0415
    return gui_main(argv)


def _screenshot(png: str, rest: list[str]) -> int:
    """The real main window (as ``mocap-app`` opens it, without probing cameras), grabbed
    by Qt after a second, then closed through its own closeEvent."""
    from PySide6.QtCore import QTimer  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from mocap_app.gui.main_window import MainWindow  # noqa: PLC0415

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("mocap_app")
    app.setOrganizationName("mocap_app")
    window = MainWindow(probe_cameras=False)
    window.resize(1280, 800)
    window.show()
    if rest:
        QTimer.singleShot(0, lambda: window.open_video(rest[0]))
    state = {"ok": False}

    def grab() -> None:
        state["ok"] = window.grab().save(png)
        window.close()
        app.quit()

    QTimer.singleShot(1000 if not rest else 4000, grab)
    app.exec()
    if not state["ok"]:
        print(f"mocap_app: could not save the screenshot to {png}", file=sys.stderr)
        return 1
    print(f"screenshot: {png}")
    return 0


if __name__ == "__main__":
    # must come first: a frozen multiprocessing child re-runs this executable
    multiprocessing.freeze_support()
    _ensure_streams()
    sys.exit(main())
