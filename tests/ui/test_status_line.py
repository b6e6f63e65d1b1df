"""StatusLine: new text repaints the line, never the layout around it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from cnnstudio.ui.common.status_line import ERROR_COLOUR, TEXT_COLOUR, StatusLine


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.LayoutRequest:
            self.count += 1
        return False


def column(qtbot, line: QWidget) -> tuple[QWidget, LayoutRequests]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(line)
    layout.addWidget(QLabel("<b>rich</b> text that wraps " * 8, wordWrap=True))
    qtbot.addWidget(page)
    page.resize(400, 200)
    page.show()
    qtbot.waitExposed(page)
    QApplication.processEvents()
    requests = LayoutRequests()
    page.installEventFilter(requests)
    return page, requests


def test_new_text_costs_no_layout_pass(qtbot):
    """A QLabel's setText relays out its whole page (the reason StatusLine exists);
    a StatusLine's repaints only itself."""
    line_page, line_requests = column(qtbot, line := StatusLine("Epoch 1"))
    for step in range(2, 12):
        line.setText(f"Epoch 1/8 · iteration {step}/85 · {step * 1000:,} samples/s")
        QApplication.processEvents()
    assert line_requests.count == 0
    font = line.font()
    font.setPointSize(font.pointSize() + 4)
    line.setFont(font)  # a change of size does relay out: the count can see one
    QApplication.processEvents()
    assert line_requests.count > 0
    assert line.text() == "Epoch 1/8 · iteration 11/85 · 11,000 samples/s"


def test_long_text_wraps_into_its_lines_and_is_elided_after(qtbot):
    line = StatusLine(lines=2)
    qtbot.addWidget(line)
    line.resize(200, line.height())
    line.show()
    qtbot.waitExposed(line)
    line.setText("short")
    assert line.shown_lines() == (["short"], False)
    qtbot.wait(20)
    assert line.toolTip() == ""
    text = "The loss became NaN or infinite in epoch 2, iteration 14: the weights blew up. " \
           "Lower the learning rate (now 10), e.g. by 10x, and train again."
    line.setText(text)
    shown, cut = line.shown_lines()
    assert len(shown) == 2 and cut
    assert shown[1].endswith("…")
    assert text.startswith(shown[0])
    qtbot.waitUntil(lambda: line.toolTip() == text)  # what the ellipsis hides, on hover
    line.resize(4000, line.height())
    qtbot.waitUntil(lambda: line.toolTip() == "")  # it all fits now
    wide, cut = line.shown_lines(width=4000)
    assert wide == [text] and not cut
    assert line.height() == line.sizeHint().height()  # fixed: text never resizes it


def test_error_colour(qtbot):
    line = StatusLine("Stopped.")
    qtbot.addWidget(line)
    assert line.colour().name() == TEXT_COLOUR
    line.set_error(True)
    assert line.colour().name() == ERROR_COLOUR
    line.set_error(False)
    assert line.colour().name() == TEXT_COLOUR
