"""Settings remembered between runs (QSettings): last camera, folders, recent files,
export options, window geometry and dock layout.

``MOCAP_APP_SETTINGS=/path/file.ini`` puts them in an ini file (tests use a temporary
one so they never touch the user's settings)."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8


class Settings:
    def __init__(self, path: str | os.PathLike | None = None):
        path = path or os.environ.get("MOCAP_APP_SETTINGS")
        if path:
            self.q = QSettings(str(path), QSettings.IniFormat)
        else:
            self.q = QSettings("mocap_app", "mocap_app")

    def get(self, key: str, default=None, type_=None):
        if type_ is None:
            return self.q.value(key, default)
        value = self.q.value(key, default)
        try:
            if type_ is bool and isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return type_(value) if value is not None else default
        except (TypeError, ValueError):
            return default

    def set(self, key: str, value) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()

    # -- recent files --
    def recent_files(self) -> list[str]:
        value = self.q.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if v]

    def add_recent(self, path: str | os.PathLike) -> list[str]:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        files.insert(0, p)
        files = files[:MAX_RECENT]
        self.q.setValue("files/recent", files)
        return files

    # -- folders --
    def takes_root(self) -> Path:
        from .worker import default_takes_root
        value = self.q.value("folders/takes")
        return Path(value) if value else default_takes_root()
