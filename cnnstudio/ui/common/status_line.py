"""A line of changing text that costs no layout pass when it changes.

A QLabel asks its layout to run again at every `setText`, and the layout
then measures every label in the column again, word-wrapped rich text
included: on the Train page, whose status changes 4 times a second and whose
epoch line changes at every epoch, perf put QLayout::activate (most of it
QTextDocumentLayout) under a third of the GUI thread's samples while the
Dense baseline trained, CPU taken from training on a 2-core machine. A
StatusLine has a fixed height of a few lines, so new text only repaints it.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QTextLayout, QTextOption
from PySide6.QtWidgets import QSizePolicy, QWidget

TEXT_COLOUR = "#222222"
ERROR_COLOUR = "#a4262c"


class StatusLine(QWidget):
    """Plain text in at most `lines` word-wrapped lines; what does not fit ends in an
    ellipsis and the whole text is the tooltip."""

    def __init__(self, text: str = "", lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._shown: tuple[tuple, tuple[list[str], bool]] | None = None
        self._colour = QColor(TEXT_COLOUR)
        self.lines = lines
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setFixedHeight(self.sizeHint().height())
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        self.setAccessibleName(text)
        self.update()  # the paint wraps it, once, and sets the tooltip

    def set_error(self, error: bool) -> None:
        """Red for a failure the user must act on, else the usual text colour."""
        colour = QColor(ERROR_COLOUR if error else TEXT_COLOUR)
        if colour != self._colour:
            self._colour = colour
            self.update()

    def colour(self) -> QColor:
        return self._colour

    def shown_lines(self, width: int | None = None) -> tuple[list[str], bool]:
        """The text as it is drawn at `width` (default: the widget's), wrapped at
        words, and whether it was cut: then the last line ends in an ellipsis.
        Kept for the text, width and font: the tooltip and the paint ask for the same."""
        width = max(self.width() if width is None else width, 1)
        key = (self._text, width, self.font().key())
        if self._shown is not None and self._shown[0] == key:
            return self._shown[1]
        layout = QTextLayout(self._text.replace("\n", " "), self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        text = layout.text()
        layout.beginLayout()
        shown: list[str] = []
        cut = False
        while len(shown) < self.lines:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            start, length = line.textStart(), line.textLength()
            if len(shown) == self.lines - 1 and start + length < len(text):
                rest = text[start:]  # the last line takes the rest, elided
                shown.append(QFontMetrics(self.font()).elidedText(rest, Qt.ElideRight, width))
                cut = True
            else:
                shown.append(text[start:start + length].rstrip())
        layout.endLayout()
        self._shown = (key, (shown, cut))
        return shown, cut

    def sizeHint(self) -> QSize:
        return QSize(200, QFontMetrics(self.font()).lineSpacing() * self.lines + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.sizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setPen(self._colour)
        spacing = QFontMetrics(self.font()).lineSpacing()
        shown, cut = self.shown_lines()
        for row, line in enumerate(shown):
            painter.drawText(QRect(0, 1 + row * spacing, self.width(), spacing),
                             Qt.AlignLeft | Qt.AlignVCenter, line)
        painter.end()
        # the whole text on hover when the ellipsis hides some: set here, where the
        # text is wrapped anyway (a new text or width always repaints before a hover)
        tooltip = self._text if cut else ""
        if tooltip != self.toolTip():
            self.setToolTip(tooltip)
