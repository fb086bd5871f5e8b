"""The camera or video frame with the detector's box and the 2D skeleton drawn over it.

The tracked subject's box is drawn solid green with a "tracked" tag; a click on the image
asks the detector to track whoever is under the cursor (``subject_clicked``).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.hand import HAND_PARENTS
from ..core.skeleton import BONES
from .skeleton_style import BONE_SIDES, JOINT_SIDES, side_rgb


def _qcolor(rgb, alpha=255) -> QColor:
    return QColor(int(rgb[0] * 255), int(rgb[1] * 255), int(rgb[2] * 255), alpha)


class FrameView(QWidget):
    subject_clicked = Signal(float, float)     # image pixels

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._qimage: QImage | None = None
        self._image_size = (0, 0)
        self.keypoints: np.ndarray | None = None     # (J, 2) px, what is drawn
        self.visibility: np.ndarray | None = None
        self.box: np.ndarray | None = None
        self.frame_index: int | None = None
        self.message = "Open a video (File > Open) or start a camera"
        self.tracked = True
        self.others: tuple = ()     # boxes of everyone seen (click one to track)
        self.hands: np.ndarray | None = None   # (2, 21, 2) px, left/right; NaN: unseen

    # -- data in --
    def show_frame(self, image: np.ndarray | None, index: int | None = None,
                   keypoints=None, visibility=None, box=None, others=(),
                   hands=None) -> None:
        """``image`` BGR (H, W, 3); keypoints (J, 2) pixels of that image; ``others``
        boxes of everyone the detector sees (drawn dashed: click one to track it)."""
        self.others = tuple(others)
        if image is not None:
            h, w = image.shape[:2]
            # no copy, no colour conversion: Qt reads the BGR buffer and scales it while
            # painting (the frame is never modified after it was emitted)
            img = np.ascontiguousarray(image)
            self._buffer = img          # QImage does not own the buffer
            self._qimage = QImage(img.data, w, h, img.strides[0], QImage.Format_BGR888)
            self._image_size = (w, h)
            self.message = ""
        self.frame_index = index
        self.keypoints = None if keypoints is None else np.asarray(keypoints)
        self.visibility = None if visibility is None else np.asarray(visibility)
        self.box = None if box is None else np.asarray(box)
        self.hands = None if hands is None else np.asarray(hands)
        self.update()

    def show_message(self, text: str) -> None:
        self.message = text
        self._qimage = None
        self.keypoints = self.box = None
        self.update()

    # -- geometry --
    def _image_rect(self) -> QRectF:
        w, h = self._image_size
        if not w or not h:
            return QRectF()
        s = min(self.width() / w, self.height() / h)
        dw, dh = w * s, h * s
        return QRectF((self.width() - dw) / 2, (self.height() - dh) / 2, dw, dh)

    def to_image(self, x: float, y: float) -> tuple[float, float] | None:
        r = self._image_rect()
        if r.isEmpty() or not r.contains(QPointF(x, y)):
            return None
        s = r.width() / self._image_size[0]
        return (x - r.left()) / s, (y - r.top()) / s

    def mousePressEvent(self, event) -> None:
        p = self.to_image(event.position().x(), event.position().y())
        if p is not None and event.button() == Qt.LeftButton:
            self.subject_clicked.emit(*p)

    # -- drawing --
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 28))
        if self._qimage is None:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self.message)
            return
        r = self._image_rect()
        painter.drawImage(r, self._qimage)
        s = r.width() / self._image_size[0]

        def pt(x, y):
            return QPointF(r.left() + x * s, r.top() + y * s)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setClipRect(r)
        for x0, y0, x1, y1 in self.others:
            painter.setPen(QPen(QColor(200, 200, 200, 170), 1, Qt.DashLine))
            painter.setBrush(Qt.NoBrush)
            painter.drawRect(QRectF(pt(x0, y0), pt(x1, y1)))
        painter.setClipping(False)
        if self.box is not None and np.isfinite(self.box).all():
            x0, y0, x1, y1 = self.box
            pen = QPen(QColor(60, 220, 90), 2)
            painter.setPen(pen)
            painter.drawRect(QRectF(pt(x0, y0), pt(x1, y1)))
            if self.tracked:
                painter.fillRect(QRectF(pt(x0, y0) - QPointF(0, 18), pt(x0, y0) + QPointF(62, 0)),
                                 QColor(60, 220, 90))
                painter.setPen(QColor(0, 0, 0))
                painter.drawText(pt(x0, y0) + QPointF(4, -4), "tracked")
        kp = self.keypoints
        if kp is not None and np.isfinite(kp).all():
            for (a, b), side in zip(BONES, BONE_SIDES):
                painter.setPen(QPen(_qcolor(side_rgb(side)), 3))
                painter.drawLine(pt(*kp[a]), pt(*kp[b]))
            for j, side in enumerate(JOINT_SIDES):
                painter.setPen(QPen(QColor(20, 20, 20), 1))
                painter.setBrush(_qcolor(side_rgb(side)))
                painter.drawEllipse(pt(*kp[j]), 3.5, 3.5)
        if self.hands is not None:
            for hand, side in zip(self.hands, ("left", "right")):
                if not np.isfinite(hand).all():
                    continue          # not seen this frame
                painter.setPen(QPen(_qcolor(side_rgb(side)), 1.5))
                for j, parent in enumerate(HAND_PARENTS):
                    if parent >= 0:
                        painter.drawLine(pt(*hand[parent]), pt(*hand[j]))
                painter.setPen(Qt.NoPen)
                painter.setBrush(QColor(250, 250, 250))
                for x, y in hand:
                    painter.drawEllipse(pt(x, y), 1.6, 1.6)
        if self.frame_index is not None:
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(QPointF(r.left() + 6, r.bottom() - 6), f"frame {self.frame_index}")
