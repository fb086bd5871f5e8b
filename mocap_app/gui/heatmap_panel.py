"""The lifter's marginal heatmaps (MargiPose's xy, zy and xz planes) of one joint, or of
all joints combined, with a colour map and the decoded point marked (pyqtgraph)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..core.skeleton import JOINT_NAMES

PLANES = ("xy", "zy", "xz")
ALL_JOINTS = "all joints"


def combine(maps: np.ndarray, joint: int | None) -> np.ndarray:
    """(J, H, W) -> (H, W): one joint's map, or the per-pixel max over all joints."""
    return maps[joint] if joint is not None else maps.max(axis=0)


def peak(image: np.ndarray) -> tuple[float, float]:
    """(column, row) of a map's soft-argmax (the decoded point), in pixels of the map."""
    w = np.clip(np.asarray(image, np.float64), 0, None)
    total = w.sum()
    if total <= 0 or not np.isfinite(total):
        r, c = np.unravel_index(int(np.nanargmax(image)), image.shape)
        return float(c), float(r)
    rows, cols = np.indices(image.shape)
    return float((w * cols).sum() / total), float((w * rows).sum() / total)


class HeatmapPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.picker = QComboBox()
        self.picker.addItem(ALL_JOINTS)
        self.picker.addItems(JOINT_NAMES)
        self.picker.currentIndexChanged.connect(lambda _i: self._redraw())
        self.status = QLabel("Heatmaps appear here while the lifter runs")
        self.status.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground((24, 24, 28))
        cmap = pg.colormap.get("viridis")
        self.images: dict[str, pg.ImageItem] = {}
        self.markers: dict[str, pg.ScatterPlotItem] = {}
        for plane in PLANES:
            vb = self.plots.addViewBox(lockAspect=True, enableMouse=False)
            vb.invertY(True)
            img = pg.ImageItem(axisOrder="row-major")
            img.setColorMap(cmap)
            vb.addItem(img)
            mark = pg.ScatterPlotItem(size=10, symbol="+", pen=pg.mkPen("r", width=2),
                                      brush=None)
            vb.addItem(mark)
            label = pg.TextItem(plane, color=(230, 230, 230), anchor=(0, 0))
            vb.addItem(label)
            self.images[plane] = img
            self.markers[plane] = mark
        top = QHBoxLayout()
        top.addWidget(QLabel("Joint:"))
        top.addWidget(self.picker, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.plots, 1)
        self.heatmaps: dict | None = None       # the pipeline's maps for the shown frame
        self.frame_index: int | None = None
        self.shown: dict[str, np.ndarray] = {}  # plane -> (H, W) image drawn
        self.decoded: dict[str, tuple[float, float]] = {}
        self.available = True

    @property
    def joint(self) -> int | None:
        i = self.picker.currentIndex()
        return None if i <= 0 else i - 1

    def set_joint(self, joint: int | None) -> None:
        self.picker.setCurrentIndex(0 if joint is None else joint + 1)

    def set_unavailable(self, reason: str) -> None:
        self.available = False
        self.heatmaps = None
        self.status.setText(reason)
        self.status.setStyleSheet("color: #e0b050")
        for plane in PLANES:
            self.images[plane].clear()
            self.markers[plane].clear()
        self.shown, self.decoded = {}, {}

    def show_heatmaps(self, heatmaps: dict | None, frame_index: int | None = None) -> None:
        """``heatmaps``: {"xy","zy","xz"} -> (J, H, W), as FramePose.heatmaps."""
        self.heatmaps = heatmaps
        self.frame_index = frame_index
        if heatmaps is not None:
            self.available = True
            self.status.setStyleSheet("")
            self.status.setText(f"frame {frame_index}" if frame_index is not None else "")
        elif self.available:
            self.status.setText("no person in this frame")
        self._redraw()

    def _redraw(self) -> None:
        self.shown, self.decoded = {}, {}
        for plane in PLANES:
            maps = None if self.heatmaps is None else self.heatmaps.get(plane)
            if maps is None:
                self.images[plane].clear()
                self.markers[plane].clear()
                continue
            img = combine(np.asarray(maps), self.joint)
            self.shown[plane] = img
            self.images[plane].setImage(img, autoLevels=True)
            if self.joint is None:
                pts = [peak(m) for m in maps]
            else:
                pts = [peak(img)]
            self.decoded[plane] = pts[0] if self.joint is not None else None
            # a pixel's centre is at +0.5 in the ImageItem's coordinates
            self.markers[plane].setData([p[0] + 0.5 for p in pts], [p[1] + 0.5 for p in pts])
