"""Where frames come from: the webcams that exist (with what each delivers), live
start/stop, recording (button and Space), streaming the live poses out (the live link:
Blender add-on or VMC), and opening a video file."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from .worker import Job


class CameraListJob(Job):
    """Probes cameras 0..N-1 (opening a camera can take a second: never on the GUI
    thread). Result: [(device, SourceInfo)]."""

    def __init__(self, max_devices: int = 6):
        super().__init__()
        self.max_devices = max_devices

    def work(self):
        from ..capture.webcam import list_cameras
        return list_cameras(self.max_devices, self.stop_event)


class SourcePanel(QWidget):
    open_video_requested = Signal()
    refresh_requested = Signal()
    live_toggled = Signal(bool)         # start (True) / stop (False)
    record_toggled = Signal(bool)
    stream_toggled = Signal(bool)       # live link on (True) / off (False)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cameras = QComboBox()
        self.cameras.setMinimumWidth(180)
        self.cameras.setPlaceholderText("looking for cameras…")
        self.refresh_button = QPushButton("↻")
        self.refresh_button.setToolTip("look for cameras again")
        self.live_button = QPushButton("Start camera")
        self.live_button.setCheckable(True)
        self.record_button = QPushButton("● Record")
        self.record_button.setCheckable(True)
        self.record_button.setEnabled(False)
        self.record_button.setToolTip("start/stop recording a take (Space)")
        self.record_label = QLabel("not recording")
        self.stream_button = QPushButton("⇄ Stream")
        self.stream_button.setCheckable(True)
        self.stream_button.setEnabled(False)
        self.stream_button.setToolTip("send each live pose as it is made to the Blender "
                                      "add-on (mocap blender-addon) or a VMC receiver on "
                                      "this computer")
        self.stream_target = QComboBox()
        self.stream_target.addItem("to Blender", "blender")
        self.stream_target.addItem("to VMC", "vmc")
        self.stream_target.setToolTip("the receiver: the Mocap Link add-on in Blender, or "
                                      "any VMC protocol receiver")
        self.stream_label = QLabel("not streaming")
        self.open_button = QPushButton("Open video…")
        cams = QHBoxLayout()
        cams.addWidget(self.cameras, 1)
        cams.addWidget(self.refresh_button)
        live = QGroupBox("Camera")
        lv = QVBoxLayout(live)
        lv.addLayout(cams)
        lv.addWidget(self.live_button)
        take_row = QHBoxLayout()
        take_row.addWidget(self.record_button, 1)
        take_row.addWidget(self.stream_button, 1)
        lv.addLayout(take_row)
        lv.addWidget(self.record_label)
        stream_row = QHBoxLayout()
        stream_row.addWidget(self.stream_target, 1)
        stream_row.addWidget(self.stream_label, 2)
        lv.addLayout(stream_row)
        files = QGroupBox("Video file")
        fv = QVBoxLayout(files)
        fv.addWidget(self.open_button)
        fv.addWidget(QLabel("or drop a video on the window"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(live)
        layout.addWidget(files)
        layout.addStretch(1)
        self.open_button.clicked.connect(self.open_video_requested)
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.live_button.toggled.connect(self.live_toggled)
        self.record_button.toggled.connect(self.record_toggled)
        self.stream_button.toggled.connect(self.stream_toggled)

    def set_cameras(self, cameras: list, last_device: int | None = None) -> None:
        self.cameras.clear()
        for dev, info in cameras:
            self.cameras.addItem(f"Camera {dev}: {info.width}x{info.height} @ {info.fps:g} fps",
                                 dev)
        if not cameras:
            self.cameras.setPlaceholderText("no camera found")
        elif last_device is not None:
            i = self.cameras.findData(last_device)
            if i >= 0:
                self.cameras.setCurrentIndex(i)
        self.live_button.setEnabled(True)

    def device(self) -> int | None:
        return self.cameras.currentData()

    def set_live(self, on: bool) -> None:
        self.live_button.blockSignals(True)
        self.live_button.setChecked(on)
        self.live_button.setText("Stop camera" if on else "Start camera")
        self.live_button.blockSignals(False)
        self.record_button.setEnabled(on)
        self.stream_button.setEnabled(on)
        if not on:
            self.set_recording(False)
            self.set_streaming(False)

    def set_recording(self, on: bool) -> None:
        self.record_button.blockSignals(True)
        self.record_button.setChecked(on)
        self.record_button.setText("■ Stop recording" if on else "● Record")
        self.record_button.setStyleSheet("background: #b02020; color: white" if on else "")
        self.record_button.blockSignals(False)
        if not on:
            self.record_label.setText("not recording")

    def show_recording(self, elapsed: float, frames: int, dropped: int) -> None:
        m, s = divmod(int(elapsed), 60)
        self.record_label.setText(f"REC {m:02d}:{s:02d}  {frames} frames, {dropped} dropped")

    def set_streaming(self, on: bool) -> None:
        self.stream_button.blockSignals(True)
        self.stream_button.setChecked(on)
        self.stream_button.setText("■ Stop stream" if on else "⇄ Stream")
        self.stream_button.blockSignals(False)
        self.stream_target.setEnabled(not on)
        if not on:
            self.stream_label.setText("not streaming")

    def show_streaming(self, text: str) -> None:
        self.stream_label.setText(text)
