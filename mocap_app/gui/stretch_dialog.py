"""Which stretch of a video to import: two times (seconds) within the video's length,
the whole video unless narrowed. Opened with ``open()``; the window keeps running."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QLabel, QVBoxLayout)

from ..pipeline.offline import stretch_frames


class StretchDialog(QDialog):
    """``stretch()`` gives (start, end) seconds for ``process_video``, None where a box is
    at the video's own start or end."""

    def __init__(self, name: str, frame_count: int, fps: float, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Import a stretch of {name}")
        self.frame_count, self.fps = int(frame_count), float(fps)
        self.duration = self.frame_count / self.fps if self.fps > 0 else 0.0
        self.start, self.end = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value in ((self.start, 0.0), (self.end, self.duration)):
            box.setRange(0.0, self.duration)
            box.setDecimals(2)
            box.setSingleStep(0.5)
            box.setSuffix(" s")
            box.setValue(value)
            box.valueChanged.connect(self._changed)
        self.label = QLabel()
        form = QFormLayout()
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{name}: {self.duration:.2f} s at {self.fps:g} fps"))
        layout.addLayout(form)
        layout.addWidget(self.label)
        layout.addWidget(self.buttons)
        self._changed()

    def stretch(self) -> tuple[float | None, float | None]:
        start, end = self.start.value(), self.end.value()
        return (start if start > 0.0 else None,
                end if end < round(self.duration, 2) else None)

    def _changed(self) -> None:
        start, end = self.start.value(), self.end.value()
        ok = end > start
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(ok)
        if not ok:
            self.label.setText("<span style='color:#e05050'>the end must come after the "
                               "start</span>")
            return
        first, last = self.stretch()
        seconds = (self.duration if last is None else last) - (first or 0.0)
        frames = stretch_frames(self.frame_count, self.fps, first, last)
        self.label.setText(f"{frames} frames, {seconds:.2f} s")
