"""Small layout helpers shared by the pages."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView, QLayout, QScrollArea, QWidget


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget of a layout.

    Each is hidden at once: deleteLater alone leaves it painted until the next
    event-loop pass, so old thumbnails would show through new ones.
    """
    while layout.count():
        widget = layout.takeAt(0).widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()


def scrolled(widget: QWidget) -> QScrollArea:
    """`widget` in a scroll area that gives it the room there is and scrolls the rest."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    return scroll


def select_row(view: QAbstractItemView, row: int) -> None:
    """Select a whole row from code. `QAbstractItemView.selectRow` acts as a click and reads
    the keyboard: with Shift or Ctrl down (or a modifier Qt still thinks is down) it
    extends or toggles the selection instead of adding the row."""
    view.selectionModel().select(view.model().index(row, 0),
                                 QItemSelectionModel.Select | QItemSelectionModel.Rows)
