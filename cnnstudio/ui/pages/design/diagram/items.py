"""What the diagram draws: a block per layer (and one for the model input) and a wire per
connection, each painted from the layer's spec and its shape-engine result."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QGraphicsSimpleTextItem,
)

from cnnstudio.core.catalogue import Category
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.describe import short_args
from cnnstudio.core.diagram_layout import BLOCK_HEIGHT, BLOCK_WIDTH
from cnnstudio.core.inference import LayerResult
from cnnstudio.ui.common.markup import plain
from cnnstudio.ui.pages.design.stack import shape_text

COLOURS = {
    Category.CONVOLUTION: "#3b78c4", Category.POOLING: "#2a9d8f", Category.CORE: "#7b4fb5",
    Category.REGULARIZATION: "#d9822b", Category.NORMALIZATION: "#4c9a3c",
    Category.RESHAPING: "#8d6e63", Category.MERGE: "#c2408a",
    Category.ACTIVATION: "#c9a227", Category.PREPROCESSING: "#6d7f2f",
    Category.PRETRAINED: "#5f6b7a",
}
"""One colour a category: the block's stripe and border; its fill is a light tint."""
INPUT_COLOUR = "#37474f"
ERROR = QColor("#c62828")
ERROR_FILL = QColor("#fde7e9")
FROZEN_FILL = QColor("#e8eef7")
TEXT = QColor("#1f2329")
MUTED = QColor("#5b6470")
STRIPE = 7.0
SKETCH_BELOW = 0.3  # zoom under which a block is drawn as a box without text (overview)
PORT_RADIUS = 4.0  # the input (top) and output (bottom) ports wires are drawn between


def compact_shape(shape) -> str:
    """(None, 26, 26, 32) -> '26x26x32', as a wire's label."""
    return "x".join("?" if d is None else str(d) for d in shape[1:]) or "scalar"


@dataclass
class BlockState:
    """What one block shows, from the spec and the shape engine."""

    name: str
    type: str
    args: str
    shape: str
    params: str
    colour: str
    frozen: bool = False
    error: str | None = None
    hints: tuple[str, ...] = ()
    summary: str = ""


def layer_state(spec, result: LayerResult, hints: list[str]) -> BlockState:
    shape = shape_text(result, compact_shape, "no input")
    params = "" if result.params is None else f"{result.params:,} params"
    error = None if result.pending else result.error
    return BlockState(result.name, spec.type, short_args(spec), shape, params,
                      COLOURS.get(spec.layer_type.category, "#607d8b"),
                      not spec.trainable, error, tuple(hints), plain(spec.layer_type.summary))


def input_state(shape) -> BlockState:
    return BlockState("input", "Input", "", compact_shape(shape), "", INPUT_COLOUR,
                      summary="The model's input: one image (height, width, channels) a "
                              "sample; the batch size is None.")


class BlockItem(QGraphicsItem):
    """One layer as a block: its name and type, key arguments, output shape and
    parameter count; red with the reason when invalid, tinted when frozen."""

    def __init__(self, state: BlockState, index: int | None) -> None:
        super().__init__()
        self.index = index  # the layer's row; None for the model input
        self.state = state
        self.horizontal = False  # wires enter on the left and leave on the right
        self.setFlag(QGraphicsItem.ItemIsSelectable, index is not None)
        self.setFlag(QGraphicsItem.ItemIsMovable, index is not None)
        self.setFlag(QGraphicsItem.ItemSendsGeometryChanges, True)
        self.moved = None  # called with the block while the user drags it
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self._update_tooltip()

    def set_state(self, state: BlockState, index: int | None) -> None:
        self.index = index
        self.setFlag(QGraphicsItem.ItemIsSelectable, index is not None)
        self.setFlag(QGraphicsItem.ItemIsMovable, index is not None)
        if state != self.state:
            self.state = state
            self._update_tooltip()
            self.update()

    def _update_tooltip(self) -> None:
        s = self.state
        lines = [f"{s.name} ({s.type})"]
        if s.error:
            lines.append(f"Invalid: {s.error}")
        lines += [f"Hint: {hint}" for hint in s.hints]
        if not s.error:
            lines.append(s.summary)
        self.setToolTip("\n\n".join(line for line in lines if line))

    def boundingRect(self) -> QRectF:
        return QRectF(-BLOCK_WIDTH / 2 - 2, -BLOCK_HEIGHT / 2 - 2, BLOCK_WIDTH + 4,
                      BLOCK_HEIGHT + 4)

    def paint(self, painter, option, widget=None) -> None:
        s = self.state
        rect = QRectF(-BLOCK_WIDTH / 2, -BLOCK_HEIGHT / 2, BLOCK_WIDTH, BLOCK_HEIGHT)
        colour = QColor(s.colour)
        fill = ERROR_FILL if s.error else (FROZEN_FILL if s.frozen else
                                           QColor.fromHsvF(colour.hsvHueF(), 0.07, 1.0))
        border = ERROR if s.error else colour
        pen = QPen(border, 2.6 if self.isSelected() else 1.2)
        if s.frozen and not s.error:
            pen.setStyle(Qt.DashLine)
        if self.isSelected():
            pen.setColor(QColor("#1565c0") if not s.error else ERROR)
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        if option.levelOfDetailFromTransform(painter.worldTransform()) < SKETCH_BELOW:
            painter.setBrush(ERROR if s.error else colour)  # too small to read: a coloured box
            painter.setPen(QPen(QColor("#0d47a1"), 8) if self.isSelected() else Qt.NoPen)
            painter.drawRect(rect)
            return
        painter.drawRoundedRect(rect, 6, 6)
        stripe = QPainterPath()
        stripe.addRoundedRect(QRectF(rect.left(), rect.top(), STRIPE + 6, rect.height()), 6, 6)
        clip = QPainterPath()
        clip.addRect(QRectF(rect.left(), rect.top(), STRIPE, rect.height()))
        painter.fillPath(stripe.intersected(clip), ERROR if s.error else colour)
        left = rect.left() + STRIPE + 7
        width = rect.right() - 8 - left
        font = QFont(painter.font())
        font.setPointSizeF(9.0)
        bold = QFont(font)
        bold.setBold(True)
        small = QFont(font)
        small.setPointSizeF(8.0)
        top = rect.top() + 4
        painter.setFont(bold)
        painter.setPen(TEXT)
        title = QFontMetricsF(bold).elidedText(s.name, Qt.ElideMiddle, width * 0.62)
        painter.drawText(QRectF(left, top, width, 18), Qt.AlignLeft | Qt.AlignVCenter, title)
        painter.setFont(small)
        painter.setPen(MUTED)
        kind = s.type + (" · frozen" if s.frozen else "")
        painter.drawText(QRectF(left, top, width, 18), Qt.AlignRight | Qt.AlignVCenter,
                         QFontMetricsF(small).elidedText(kind, Qt.ElideRight, width * 0.45))
        painter.setFont(font)
        painter.setPen(TEXT)
        if s.args:
            painter.drawText(QRectF(left, top + 19, width, 18), Qt.AlignLeft | Qt.AlignVCenter,
                             QFontMetricsF(font).elidedText(s.args, Qt.ElideRight, width))
        painter.setPen(ERROR if s.error else MUTED)
        painter.setFont(small)
        painter.drawText(QRectF(left, top + 39, width, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         s.shape)
        painter.drawText(QRectF(left, top + 39, width, 18), Qt.AlignRight | Qt.AlignVCenter,
                         s.params)
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(QColor("white"))
        ports = (True, False) if self.index is not None else (True,)
        for out in ports:
            painter.drawEllipse(self.port(out), PORT_RADIUS, PORT_RADIUS)
        if s.hints:
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor("#1e88e5"))
            centre = QPointF(rect.right() - 1, rect.top() + 1)
            painter.drawEllipse(centre, 7, 7)
            painter.setPen(QColor("white"))
            painter.setFont(bold)
            painter.drawText(QRectF(centre.x() - 7, centre.y() - 7, 14, 14), Qt.AlignCenter,
                             "i")

    def near_output(self, point: QPointF) -> bool:
        """Whether a point (in the block's coordinates) is on its output port, where a
        wire is drawn from."""
        return (point - self.port(out=True)).manhattanLength() <= PORT_RADIUS * 2.2

    def port(self, out: bool) -> QPointF:
        """The output (`out`) or input port, in the block's coordinates."""
        if self.horizontal:
            return QPointF(BLOCK_WIDTH / 2 if out else -BLOCK_WIDTH / 2, 0)
        return QPointF(0, BLOCK_HEIGHT / 2 if out else -BLOCK_HEIGHT / 2)

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemSelectedHasChanged:
            self.update()
        elif change == QGraphicsItem.ItemPositionHasChanged and self.moved is not None:
            self.moved(self)  # its wires follow it
        return super().itemChange(change, value)


class WireItem(QGraphicsPathItem):
    """A connection: from the bottom of one block to the top of the next, through the
    layout's waypoints, labelled with the tensor it carries; thicker for larger
    tensors, red into a layer the shape engine refuses."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__()
        self.source, self.target = source, target
        self.plate = QGraphicsRectItem(self)  # keeps the label readable over other wires
        self.plate.setBrush(QColor(247, 248, 250, 220))
        self.plate.setPen(QPen(Qt.NoPen))
        self.label = QGraphicsSimpleTextItem(self)
        font = QFont()
        font.setPointSizeF(7.5)
        self.label.setFont(font)
        self.setZValue(-1)

    def set_route(self, points: list[QPointF], horizontal: bool) -> None:
        path = QPainterPath(points[0])
        for start, end in zip(points, points[1:]):
            if horizontal:
                middle = (start.x() + end.x()) / 2
                path.cubicTo(QPointF(middle, start.y()), QPointF(middle, end.y()), end)
            else:
                middle = (start.y() + end.y()) / 2
                path.cubicTo(QPointF(start.x(), middle), QPointF(end.x(), middle), end)
        self.setPath(path)
        self._anchor = path.pointAtPercent(0.5)
        self._place_label()

    def _place_label(self) -> None:
        box = self.label.boundingRect()
        at = getattr(self, "_anchor", QPointF()) - QPointF(box.width() / 2, box.height() / 2)
        self.label.setPos(at)
        self.plate.setRect(QRectF(at, box.size()).adjusted(-2, 0, 2, 0))
        self.plate.setVisible(bool(self.label.text()))

    def set_tensor(self, shape, bad: bool) -> None:
        if shape is None:
            values, text = 0, ""
        else:
            values = math.prod(d or 1 for d in shape[1:])
            text = compact_shape(shape)
        width = 1.0 + min(3.0, math.log10(max(values, 1)) / 2)
        colour = ERROR if bad else QColor("#78828c")
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.RoundCap)
        self.setPen(pen)
        self.label.setText(text)
        self.label.setBrush(ERROR if bad else MUTED)
        self._place_label()
        self.setToolTip(f"{self.source} → {self.target}: {show_shape(shape)}, "
                        f"{values:,} values a sample" if shape is not None else
                        f"{self.source} → {self.target}: no tensor (an error above)")
