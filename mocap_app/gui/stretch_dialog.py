"""A stretch of a video or take chosen by two times (seconds), the whole unless
narrowed: the boxes the export dialog and the import's ``StretchDialog`` share, and that
dialog (opened with ``open()``; the window keeps running)."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QLabel, QVBoxLayout)

from ..pipeline.offline import stretch_frames

END_BEFORE_START = ("<span style='color:#e05050'>the end must come after the start"
                    "</span>")


class StretchBoxes:
    """A start and an end box over 0..``span`` seconds (0.01 s steps shown), at 0 and
    ``span`` to begin with; ``on_change`` runs when either moves."""

    def __init__(self, span: float, step: float, on_change):
        self.span = float(span)
        self.start, self.end = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value in ((self.start, 0.0), (self.end, self.span)):
            box.setRange(0.0, self.span)
            box.setDecimals(2)
            box.setSingleStep(step)
            box.setSuffix(" s")
            box.setValue(value)
            box.valueChanged.connect(on_change)

    def stretch(self) -> tuple[float | None, float | None]:
        """(start, end) seconds, None where a box is at the whole's own start or end (the
        boxes round to 0.01 s, so an end shown at the span is the span)."""
        start, end = self.start.value(), self.end.value()
        return (start if start > 0.0 else None,
                end if end < round(self.span, 2) else None)

    def ordered(self) -> bool:
        return self.end.value() > self.start.value()


class StretchDialog(QDialog):
    """``stretch()`` gives (start, end) seconds for ``process_video``, None where a box is
    at the video's own start or end."""

    def __init__(self, name: str, info, parent=None):
        """``info``: the video's ``SourceInfo``, which must declare its length."""
        super().__init__(parent)
        self.setWindowTitle(f"Import a stretch of {name}")
        self.frame_count, self.fps = int(info.frame_count), float(info.fps)
        self.duration = float(info.duration)
        self.times = StretchBoxes(self.duration, 0.5, self._changed)
        self.start, self.end = self.times.start, self.times.end
        self.stretch = self.times.stretch
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

    def _changed(self) -> None:
        ok = self.times.ordered()
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(ok)
        if not ok:
            self.label.setText(END_BEFORE_START)
            return
        first, last = self.stretch()
        seconds = (self.duration if last is None else last) - (first or 0.0)
        frames = stretch_frames(self.frame_count, self.fps, first, last)
        self.label.setText(f"{frames} frames, {seconds:.2f} s")
