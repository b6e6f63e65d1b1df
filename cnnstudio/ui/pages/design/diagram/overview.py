"""The overview in the diagram's corner: the whole network small, the part in view
framed; click or drag in it to go elsewhere. Shown only when the network does not fit."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QFrame, QGraphicsView

SIZE = (120, 160)
MARGIN = 10


class Overview(QGraphicsView):
    def __init__(self, main: QGraphicsView) -> None:
        super().__init__(main.scene(), main)
        self.main = main
        self.setFixedSize(*SIZE)
        self.setInteractive(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Box)
        self.setStyleSheet("QGraphicsView { border: 1px solid #b0b7c0; background: white; }")
        self.setToolTip("The whole network: the frame is what the diagram shows; click or "
                        "drag to move it.")
        for bar in (main.horizontalScrollBar(), main.verticalScrollBar()):
            bar.valueChanged.connect(self.viewport().update)
        main.scene().sceneRectChanged.connect(lambda _: self.refit())

    def refit(self) -> None:
        """Fit the whole scene; hide when the diagram shows all of it anyway."""
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
        visible = self.main.mapToScene(self.main.viewport().rect()).boundingRect()
        self.setVisible(not visible.contains(self.scene().sceneRect()))
        viewport = self.main.viewport()
        self.move(viewport.width() - self.width() - MARGIN,
                  viewport.height() - self.height() - MARGIN)
        self.viewport().update()

    def drawForeground(self, painter, rect: QRectF) -> None:
        visible = self.main.mapToScene(self.main.viewport().rect()).boundingRect()
        painter.setPen(QPen(QColor("#1565c0"), 0))
        painter.setBrush(QColor(21, 101, 192, 40))
        painter.drawRect(visible)

    def mousePressEvent(self, event) -> None:
        self.main.centerOn(self.mapToScene(event.position().toPoint()))

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self.main.centerOn(self.mapToScene(event.position().toPoint()))

    def wheelEvent(self, event) -> None:
        self.main.wheelEvent(event)
