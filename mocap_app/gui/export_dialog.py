"""The export dialog: BVH / FBX / GLB, naming preset, unit, frame rate, root motion, foot
locking, T-pose frame, a preview image. Exports through ``mocap_app.export.
export_sequence``, the function the CLI's ``mocap export`` calls."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout)

from ..core.skeleton import BONES
from .skeleton_style import BONE_SIDES, side_rgb
from .stretch_dialog import END_BEFORE_START, StretchBoxes
from .worker import Job, JobRunner

FOOT_LOCKING = (("as recorded", None), ("automatic", "auto"), ("always", "always"),
                ("off", "never"))
FORMATS = (("BVH", "bvh"), ("FBX (through Blender)", "fbx"), ("glTF binary (.glb)", "glb"))


def export_module():
    """``mocap_app.export`` with ``export_sequence``, or raise a clear error."""
    try:
        from .. import export
        fn = export.export_sequence
    except (ImportError, AttributeError):
        raise RuntimeError("exporting needs mocap_app.export.export_sequence, which is not "
                           "in this build yet") from None
    return export, fn


def export_take(folder: Path, path: Path, options, foot_locking: str | None = None) -> Path:
    """The dialog's export, without Qt: load the take's best poses (re-running the
    refinement stages when the foot locking asked for differs from the take's), then
    ``export_sequence`` as the CLI does."""
    from ..takes import load_take
    _, export_sequence = export_module()
    seq, meta = load_take(folder)
    if foot_locking is not None:
        from ..pipeline.refine import RefineOptions, refine_sequence
        raw, _ = load_take(folder, which="raw")
        try:
            from ..pipeline.refine import load_refiner
            refiner, temporal = load_refiner(causal=False), True
        except Exception:
            refiner, temporal = None, False
        from .offline_jobs import take_tilt
        seq = refine_sequence(raw, RefineOptions(temporal=temporal, foot_contact=foot_locking,
                                                 tilt_deg=take_tilt(meta)), refiner).refined
    if getattr(options, "fingers", False) and seq.hands_3d is not None \
            and seq.finger_angles is None:     # a live take: its finger stage, as the CLI
        from ..pipeline.fingers import add_finger_angles
        seq = add_finger_angles(seq)
    path = Path(path)
    export_sequence(seq, path, options)
    return path


def make_options(**values):
    """ExportOptions from the dialog's values, passing only the fields it has."""
    try:
        from ..export import ExportOptions
    except ImportError:
        from ..export.options import ExportOptions
    names = {f.name for f in dataclasses.fields(ExportOptions)}
    return ExportOptions(**{k: v for k, v in values.items() if k in names})


class ExportJob(Job):
    def __init__(self, folder, path, options, foot_locking):
        super().__init__()
        self.args = (Path(folder), Path(path), options, foot_locking)

    def work(self):
        return export_take(*self.args)


class BlenderPreviewJob(Job):
    """The export as Blender shows it: the take written as BVH with the dialog's options
    to a temporary file, one frame rendered by ``export.blender.render_preview``."""

    def __init__(self, folder, options, frame: int, foot_locking, size=(300, 400)):
        super().__init__()
        self.args = (Path(folder), options, frame, foot_locking, size)

    def work(self):
        import tempfile
        from dataclasses import replace

        from ..export.blender import render_preview
        folder, options, frame, foot_locking, size = self.args
        tmp = Path(tempfile.mkdtemp(prefix="mocap_preview_"))
        bvh = export_take(folder, tmp / "preview.bvh", replace(options, format="bvh"),
                          foot_locking)
        # Blender counts frames from 1; a prepended T-pose frame shifts the take by one
        blender_frame = frame + 1 + (1 if getattr(options, "tpose_frame", False) else 0)
        return render_preview(bvh, tmp / "preview.png", frame=blender_frame, size=size)


def take_span(seq) -> float:
    """Seconds from the take's first frame to its last."""
    return float(seq.timestamps[-1] - seq.timestamps[0]) if len(seq) > 1 else 0.0


def take_frames_in(seq, start: float | None, end: float | None) -> np.ndarray:
    """(T,) bool: the take's frames in the stretch (the export's own rule, on the take's
    frames); none where it holds none."""
    from ..export.timing import kept_frames
    try:
        return kept_frames(seq, seq.timestamps, start, end)
    except ValueError:
        return np.zeros(len(seq), bool)


def blender_available() -> bool:
    try:
        from ..export.blender import blender_available as available
    except ImportError:
        return False
    try:
        return bool(available())
    except Exception:
        return False


def render_skeleton_preview(joints: np.ndarray, size=(360, 300)) -> QImage:
    """Front (X-Y) and side (Z-Y) views of one pose, drawn with QPainter: what the export
    will hold at that frame, without starting Blender."""
    w, h = size
    img = QImage(w, h, QImage.Format_RGB32)
    img.fill(QColor(30, 30, 34))
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing, True)
    p.setPen(QColor(180, 180, 180))
    p.drawText(8, 16, "front")
    p.drawText(w // 2 + 8, 16, "side")
    if joints is not None and np.isfinite(joints).all():
        j = np.asarray(joints, float)
        j = j - np.array([0.0, j[:, 1].min(), 0.0])
        height = max(0.5, float(j[:, 1].max()))
        s = (h - 40) / height
        for k, (ax, x0) in enumerate(((0, w * 0.25), (2, w * 0.75))):
            def pt(v, ax=ax, x0=x0):
                return QPointF(x0 + (v[ax] - j[0, ax]) * s * (1 if ax == 0 else -1),
                               h - 14 - v[1] * s)
            p.setPen(QPen(QColor(90, 90, 90), 1))
            p.drawLine(QPointF(x0 - w * 0.2, h - 14), QPointF(x0 + w * 0.2, h - 14))
            for (a, b), side in zip(BONES, BONE_SIDES):
                c = side_rgb(side)
                p.setPen(QPen(QColor(int(c[0] * 255), int(c[1] * 255), int(c[2] * 255)), 3))
                p.drawLine(pt(j[a]), pt(j[b]))
    else:
        p.drawText(img.rect(), Qt.AlignCenter, "no person in this frame")
    p.end()
    return img


class ExportDialog(QDialog):
    """Non-blocking: ``start_export`` runs the export on a worker; ``exported`` (the
    output path) or ``last_error`` tells how it went."""

    def __init__(self, folder: Path, settings, default_dir: Path | None = None,
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Export {Path(folder).name}")
        self.folder = Path(folder)
        self.settings = settings
        self.runner: JobRunner | None = None
        self.exported: Path | None = None
        self.last_error: str | None = None
        self.on_done = None
        from ..takes import load_take
        self.seq, self.meta = load_take(self.folder)

        self.format = QComboBox()
        for text, key in FORMATS:
            self.format.addItem(text, key)
        self.preset = QComboBox()
        self.unit = QComboBox()
        self.root_motion = QComboBox()
        try:
            from ..export.options import PRESETS, ROOT_MODES, UNITS
        except ImportError:
            PRESETS, ROOT_MODES, UNITS = ("mixamo",), ("world",), {"cm": 100.0}
        self.preset.addItems(PRESETS)
        self.unit.addItems(list(UNITS))
        labels = {"world": "world (travels)", "inplace": "in place",
                  "ground": "ground-projected root"}
        for mode in ROOT_MODES:
            self.root_motion.addItem(labels.get(mode, mode), mode)
        self.fps = QDoubleSpinBox()
        self.fps.setRange(0, 240)
        self.fps.setDecimals(2)
        self.fps.setSpecialValueText(f"take's rate ({self.seq.fps:g})")
        self.foot_locking = QComboBox()
        for text, key in FOOT_LOCKING:
            self.foot_locking.addItem(text, key)
        self.tpose = QCheckBox("prepend a T-pose frame (frame 0 = rest pose)")
        self.fingers = QCheckBox("finger bones (the take tracked hands)")
        self.fingers.setEnabled(self.seq.hands_3d is not None)
        if not self.fingers.isEnabled():
            self.fingers.setToolTip("this take has no hands: track them with View > Track "
                                    "hands")
        self.preview_frame = QSpinBox()
        self.preview_frame.setRange(0, max(0, len(self.seq) - 1))
        self.preview_frame.setValue(int(np.argmax(self.seq.valid)) if len(self.seq) else 0)
        # the stretch to write, seconds from the take's first frame (not remembered: a
        # property of this take); the whole take unless narrowed
        self.times = StretchBoxes(take_span(self.seq), 0.1, self._stretch_changed)
        self.start, self.end = self.times.start, self.times.end
        self.stretch = self.times.stretch
        self.start_here = QPushButton("from preview frame")
        self.end_here = QPushButton("to preview frame")
        self.start_here.clicked.connect(lambda: self.start.setValue(self._preview_time()))
        self.end_here.clicked.connect(lambda: self.end.setValue(self._preview_time()))
        self.stretch_label = QLabel()
        stretch = QHBoxLayout()
        for widget in (self.start, QLabel("to"), self.end, self.start_here, self.end_here):
            stretch.addWidget(widget)
        stretch.addWidget(self.stretch_label, 1)
        self.preview = QLabel()
        self.preview.setMinimumSize(360, 300)
        self.preview.setAlignment(Qt.AlignCenter)
        self.blender_button = QPushButton("Render in Blender")
        self.blender_button.setToolTip("render the preview frame as Blender imports the "
                                       "export (takes a few seconds)")
        self.blender_button.setEnabled(blender_available())
        if not self.blender_button.isEnabled():
            self.blender_button.setToolTip("Blender (bpy) is not installed: the preview is "
                                           "drawn by the app")
        self.blender_button.clicked.connect(self.render_in_blender)
        self.preview_runner: JobRunner | None = None
        self.preview_source = "app"
        self.path = QLineEdit()
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        out = QHBoxLayout()
        out.addWidget(self.path, 1)
        out.addWidget(browse)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Bone names", self.preset)
        form.addRow("Unit", self.unit)
        form.addRow("Frame rate", self.fps)
        form.addRow("Root motion", self.root_motion)
        form.addRow("Foot locking", self.foot_locking)
        form.addRow("", self.tpose)
        form.addRow("", self.fingers)
        form.addRow("Preview frame", self.preview_frame)
        form.addRow("Stretch", stretch)
        form.addRow("Save as", out)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.AcceptRole)
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.blender_button)
        top.addLayout(right)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self._load_settings(default_dir)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.preview_frame.valueChanged.connect(self.update_preview)
        self.update_preview()
        self._stretch_changed()

    # -- settings --
    def _load_settings(self, default_dir):
        s = self.settings
        for combo, key in ((self.format, "format"), (self.preset, "preset"),
                           (self.unit, "unit"), (self.root_motion, "root_motion"),
                           (self.foot_locking, "foot_locking")):
            value = s.get(f"export/{key}")
            i = combo.findData(value) if combo.findData(value) >= 0 else combo.findText(
                str(value)) if value is not None else -1
            if i >= 0:
                combo.setCurrentIndex(i)
        self.fps.setValue(s.get("export/fps", 0.0, float) or 0.0)
        self.tpose.setChecked(s.get("export/tpose_frame", False, bool))
        self.fingers.setChecked(s.get("export/fingers", True, bool))
        folder = Path(s.get("folders/export", "") or default_dir or self.folder)
        self.path.setText(str(folder / f"{self.meta.get('name', self.folder.name)}."
                                       f"{self.format.currentData()}"))

    def _save_settings(self):
        s = self.settings
        s.set("export/format", self.format.currentData())
        s.set("export/preset", self.preset.currentText())
        s.set("export/unit", self.unit.currentText())
        s.set("export/root_motion", self.root_motion.currentData())
        s.set("export/foot_locking", self.foot_locking.currentData() or "")
        s.set("export/fps", self.fps.value())
        s.set("export/tpose_frame", self.tpose.isChecked())
        s.set("export/fingers", self.fingers.isChecked())
        s.set("folders/export", str(Path(self.path.text()).parent))

    def _format_changed(self):
        p = Path(self.path.text())
        self.path.setText(str(p.with_suffix("." + self.format.currentData())))
        self.unit.setEnabled(self.format.currentData() == "bvh")

    def _browse(self):
        fmt = self.format.currentData()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(),
                                              f"{fmt.upper()} (*.{fmt})")
        if path:
            self.path.setText(path)

    # -- preview --
    def update_preview(self):
        i = self.preview_frame.value()
        joints = self.seq.joints_3d[i] if len(self.seq) else None
        self.preview_image = render_skeleton_preview(joints)
        self.preview.setPixmap(QPixmap.fromImage(self.preview_image))
        self.preview_source = "app"

    def render_in_blender(self) -> None:
        try:
            options = self.options()
        except ValueError as exc:
            self._failed(str(exc))
            return
        frame = self.preview_frame.value()
        inside = take_frames_in(self.seq, *self.stretch())
        if not inside[frame]:
            self._failed(f"the preview frame ({frame}, {self._preview_time():.2f} s) is "
                         f"outside the stretch to export")
            return
        if self.preview_runner is not None:
            self.preview_runner.shutdown()
        self.blender_button.setEnabled(False)
        self.status.setText("rendering the preview in Blender…")
        # the file starts at the stretch's first frame
        job = BlenderPreviewJob(self.folder, options, frame - int(np.argmax(inside)),
                                self.foot_locking.currentData())
        job.done.connect(self._preview_rendered)
        job.failed.connect(lambda m: (self.blender_button.setEnabled(True),
                                      self._failed(f"Blender preview: {m}")))
        self.preview_runner = JobRunner(job, "blender-preview")
        self.preview_runner.start()

    def _preview_rendered(self, png) -> None:
        self.blender_button.setEnabled(True)
        image = QImage(str(png))
        if image.isNull():
            self._failed(f"Blender preview: no image in {png}")
            return
        self.preview_image = image.scaled(360, 300, Qt.KeepAspectRatio,
                                          Qt.SmoothTransformation)
        self.preview.setPixmap(QPixmap.fromImage(self.preview_image))
        self.preview_source = "blender"
        self.status.setText("preview rendered by Blender")

    # -- stretch --
    def _preview_time(self) -> float:
        ts = self.seq.timestamps
        return float(ts[self.preview_frame.value()] - ts[0]) if len(ts) else 0.0

    def _stretch_changed(self) -> None:
        if not self.times.ordered():
            self.stretch_label.setText(END_BEFORE_START)
            return
        frames = int(take_frames_in(self.seq, *self.stretch()).sum())
        self.stretch_label.setText(f"{frames} of {len(self.seq)} frames")

    # -- export --
    def options(self):
        start, end = self.stretch()
        return make_options(format=self.format.currentData(), preset=self.preset.currentText(),
                            unit=self.unit.currentText(),
                            fps=self.fps.value() or None,
                            root_motion=self.root_motion.currentData(),
                            tpose_frame=self.tpose.isChecked(),
                            fingers=self.fingers.isChecked(), start=start, end=end)

    def start_export(self) -> None:
        self.last_error = None
        self.exported = None
        try:
            options = self.options()
            export_module()
        except (ValueError, RuntimeError) as exc:
            self._failed(str(exc))
            return
        path = Path(self.path.text()).expanduser()
        if not path.parent.is_dir():
            self._failed(f"the folder does not exist: {path.parent}")
            return
        self._save_settings()
        self.export_button.setEnabled(False)
        self.status.setText(f"exporting to {path}…")
        job = ExportJob(self.folder, path, options, self.foot_locking.currentData())
        job.done.connect(self._done)
        job.failed.connect(self._failed)
        if self.runner is not None:
            # the last export's thread may still be winding down after it reported:
            # dropping its runner then destroys a running QThread (Qt aborts the app)
            self.runner.shutdown()
        self.runner = JobRunner(job, "export")
        self.runner.start()

    def _done(self, path) -> None:
        self.exported = Path(path)
        self.export_button.setEnabled(True)
        self.status.setText(f"saved {path}")
        if self.on_done is not None:
            self.on_done(self.exported)

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.export_button.setEnabled(True)
        self.status.setText(f"<span style='color:#e05050'>Export failed: {message}</span>")

    def done(self, result: int) -> None:   # QDialog.done: closing waits for the workers
        for runner in (self.runner, self.preview_runner):
            if runner is not None:
                runner.shutdown()
        super().done(result)
