"""A read-only table of the stack: name, type, output shape, parameters."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from cnnstudio.core import ShapeReport
from cnnstudio.core.catalogue.common import show_shape

COLUMNS = ("Name", "Type", "Output shape", "Params")
ERROR_BRUSH = QBrush(QColor("#fde2e1"))
ERROR_TEXT = QBrush(QColor("#a4262c"))

Index = QModelIndex | QPersistentModelIndex


class LayerTableModel(QAbstractTableModel):
    """Rows are the input layer then one per layer of a ShapeReport."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._report: ShapeReport | None = None

    def set_report(self, report: ShapeReport) -> None:
        self.beginResetModel()
        self._report = report
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() or self._report is None:
            return 0
        return len(self._report.layers) + 1

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.DisplayRole):
        if not index.isValid() or self._report is None:
            return None
        row, col = index.row(), index.column()
        if role == Qt.TextAlignmentRole and col == 3:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if row == 0:
            values = ("input_layer", "InputLayer", show_shape(self._report.input_shape), "0")
            return values[col] if role == Qt.DisplayRole else None
        result = self._report.layers[row - 1]
        if role == Qt.DisplayRole:
            if col == 0:
                return result.name
            if col == 1:
                return result.type
            if col == 2:
                if result.output_shape is not None:
                    return show_shape(result.output_shape)
                return "invalid" if result.error else "-"
            return "-" if result.params is None else f"{result.params:,}"
        if role == Qt.ToolTipRole:
            return result.error or "\n".join(result.arithmetic_lines()) or None
        if role == Qt.BackgroundRole and result.error:
            return ERROR_BRUSH
        if role == Qt.ForegroundRole and result.error:
            return ERROR_TEXT
        return None


class LayerTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table_model = LayerTableModel(self)
        self.setModel(self.table_model)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QTableView.SelectRows)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
