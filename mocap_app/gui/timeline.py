"""Playback of a take: a timeline (scrub, play/pause, frame step) and a seekable video
reader for the frames that go with it."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180,
           270: cv2.ROTATE_90_COUNTERCLOCKWISE}


class VideoFrameReader:
    """Random access to a video's frames (sequential reads when playing, a seek when
    scrubbing), turned upright the way ``capture.VideoFileSource`` turns them. ``first``:
    the video's frame that ``read(0)`` gives (a take made from a stretch of the file)."""

    def __init__(self, path: Path, first: int = 0):
        self.path = Path(path)
        self.first = int(first)
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise OSError(f"cannot read the take's video: {self.path}")
        self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        rot = int(round(self._cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)) % 360
        self._rotate = _ROTATE.get(rot)
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._next = 0
        self._last: tuple[int, np.ndarray] | None = None

    def read(self, index: int) -> np.ndarray | None:
        index += self.first
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        if index != self._next:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = self._cap.read()
        if not ok or img is None:
            self._next = -1
            return None
        self._next = index + 1
        if self._rotate is not None:
            img = cv2.rotate(img, self._rotate)
        self._last = (index, img)
        return img

    def close(self) -> None:
        self._cap.release()


class Timeline(QWidget):
    frame_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.step_back = QPushButton("◀|")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.step_fwd = QPushButton("|▶")
        self.slider = QSlider(Qt.Horizontal)
        self.label = QLabel("no take")
        self.label.setMinimumWidth(170)
        for b, tip in ((self.step_back, "previous frame (,)"), (self.step_fwd,
                       "next frame (.)"), (self.play_button, "play / pause")):
            b.setToolTip(tip)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.step_back, self.play_button, self.step_fwd):
            layout.addWidget(w)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.slider.valueChanged.connect(self._changed)
        self.play_button.toggled.connect(self.set_playing)
        self.step_back.clicked.connect(lambda: self.step(-1))
        self.step_fwd.clicked.connect(lambda: self.step(1))
        self.fps = 30.0
        self.count = 0
        self.set_length(0, 30.0)

    def set_length(self, frames: int, fps: float) -> None:
        self.set_playing(False)
        self.count, self.fps = frames, fps if fps > 0 else 30.0
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, frames - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        for w in (self.step_back, self.play_button, self.step_fwd, self.slider):
            w.setEnabled(frames > 0)
        self._update_label()

    @property
    def frame(self) -> int:
        return self.slider.value()

    def seek(self, index: int) -> None:
        self.slider.setValue(int(np.clip(index, 0, max(0, self.count - 1))))

    def step(self, delta: int) -> None:
        self.set_playing(False)
        self.seek(self.frame + delta)

    def set_playing(self, on: bool) -> None:
        if on and self.count > 0:
            if self.frame >= self.count - 1:
                self.seek(0)
            self.timer.start(max(1, int(round(1000.0 / self.fps))))
        else:
            self.timer.stop()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(self.timer.isActive())
        self.play_button.setText("Pause" if self.timer.isActive() else "Play")
        self.play_button.blockSignals(False)

    def toggle(self) -> None:
        self.set_playing(not self.timer.isActive())

    def _tick(self) -> None:
        if self.frame >= self.count - 1:
            self.set_playing(False)
            return
        self.seek(self.frame + 1)

    def _changed(self, value: int) -> None:
        self._update_label()
        self.frame_changed.emit(value)

    def _update_label(self) -> None:
        if self.count <= 0:
            self.label.setText("no take")
        else:
            self.label.setText(f"frame {self.frame + 1}/{self.count}  "
                               f"{self.frame / self.fps:6.2f} s")
