"""The takes under the takes folder: open (play back), rename, delete with confirmation,
open the folder, re-process, export."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QGridLayout, QInputDialog, QLabel, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout,
                               QWidget)

from ..takes import TakeError, find_takes
from ..takes.manage import delete_take, rename_take

FOLDER_ROLE = Qt.UserRole


def describe(meta: dict) -> str:
    frames = meta.get("frame_count", "?")
    fps = meta.get("fps")
    secs = f", {float(frames) / float(fps):.1f} s" if fps and isinstance(frames, int) else ""
    status = meta.get("status", "")
    flag = "" if status == "complete" else f"  [{status}]"
    return f"{meta.get('name', Path(meta['folder']).name)}  ({frames} frames{secs}){flag}"


class TakeList(QWidget):
    take_opened = Signal(object)        # Path: play it back
    export_requested = Signal(object)   # Path
    reprocess_requested = Signal(object)
    error = Signal(str, str)            # title, message
    changed = Signal()

    def __init__(self, root: Path, parent=None):
        super().__init__(parent)
        self.root = Path(root)
        self.header = QLabel()
        self.list = QListWidget()
        self.list.itemDoubleClicked.connect(lambda it: self.take_opened.emit(self._folder(it)))
        buttons = QGridLayout()
        self.open_button = QPushButton("Play")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.folder_button = QPushButton("Open folder")
        self.reprocess_button = QPushButton("Re-process")
        self.reprocess_button.setToolTip("Refine the take offline with the bidirectional "
                                         "temporal refiner (past and future frames)")
        self.export_button = QPushButton("Export…")
        for i, b in enumerate((self.open_button, self.export_button, self.rename_button,
                               self.delete_button, self.folder_button, self.reprocess_button)):
            buttons.addWidget(b, i // 2, i % 2)
        self.open_button.clicked.connect(lambda: self._emit(self.take_opened))
        self.export_button.clicked.connect(lambda: self._emit(self.export_requested))
        self.reprocess_button.clicked.connect(lambda: self._emit(self.reprocess_requested))
        self.rename_button.clicked.connect(lambda: self.rename_selected())
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.folder_button.clicked.connect(self.open_folder)
        self.list.currentItemChanged.connect(lambda *_: self._enable())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.refresh()

    # -- contents --
    def set_root(self, root: Path) -> None:
        self.root = Path(root)
        self.refresh()

    def refresh(self, select: Path | None = None) -> None:
        keep = select or self.selected()
        self.list.clear()
        self.metas = find_takes(self.root)
        for meta in self.metas:
            item = QListWidgetItem(describe(meta))
            item.setData(FOLDER_ROLE, meta["folder"])
            item.setToolTip(f"{meta['folder']}\nsource: {meta.get('source', '')}\n"
                            f"created: {meta.get('created', '')}")
            self.list.addItem(item)
            if keep is not None and Path(meta["folder"]) == Path(keep):
                self.list.setCurrentItem(item)
        self.header.setText(f"{len(self.metas)} takes in {self.root}")
        self._enable()
        self.changed.emit()

    def folders(self) -> list[Path]:
        return [Path(self.list.item(i).data(FOLDER_ROLE)) for i in range(self.list.count())]

    def select(self, folder: Path) -> None:
        for i in range(self.list.count()):
            if Path(self.list.item(i).data(FOLDER_ROLE)) == Path(folder):
                self.list.setCurrentRow(i)
                return

    def selected(self) -> Path | None:
        item = self.list.currentItem()
        return self._folder(item) if item is not None else None

    def _folder(self, item) -> Path:
        return Path(item.data(FOLDER_ROLE))

    def _emit(self, signal) -> None:
        folder = self.selected()
        if folder is not None:
            signal.emit(folder)

    def _enable(self) -> None:
        on = self.selected() is not None
        for b in (self.open_button, self.rename_button, self.delete_button,
                  self.folder_button, self.reprocess_button, self.export_button):
            b.setEnabled(on)

    # -- actions --
    def rename_selected(self, new_name: str | None = None) -> Path | None:
        folder = self.selected()
        if folder is None:
            return None
        if new_name is None:
            current = next((m.get("name", "") for m in self.metas
                            if Path(m["folder"]) == folder), folder.name)
            new_name, ok = QInputDialog.getText(self, "Rename take", "New name:", text=current)
            if not ok:
                return None
        try:
            target = rename_take(folder, new_name)
        except (TakeError, OSError) as exc:
            self.error.emit("Could not rename the take", str(exc))
            return None
        self.refresh(select=target)
        return target

    def delete_selected(self, confirm: bool = True) -> bool:
        folder = self.selected()
        if folder is None:
            return False
        if confirm:
            answer = QMessageBox.question(
                self, "Delete take",
                f"Delete the take {folder.name!r} and all its files?\n{folder}",
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return False
        try:
            delete_take(folder)
        except (TakeError, OSError) as exc:
            self.error.emit("Could not delete the take", str(exc))
            return False
        self.refresh()
        return True

    def open_folder(self) -> None:
        folder = self.selected()
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
