"""The layer stack: a table model over the project's layers, and its view.

Drops come from the palette (a layer type to insert) or from the stack itself
(rows to move); both become undoable edits on the ProjectEditor, never direct
changes of the model.
"""

from __future__ import annotations

import json

from PySide6.QtCore import (
    QAbstractTableModel, QByteArray, QItemSelectionModel, QMimeData, QModelIndex,
    QPersistentModelIndex, Qt, Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QStyle, QTableView

from cnnstudio.core import LayerSpec, ProjectError
from cnnstudio.core import edits
from cnnstudio.core.clipboard import layers_from_text, layers_to_text
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.describe import short_args
from cnnstudio.ui.common.markup import plain
from cnnstudio.ui.editor import ProjectEditor

LAYER_TYPE_MIME = "application/x-cnnstudio-layer-type"
ROWS_MIME = "application/x-cnnstudio-rows"

COLUMNS = ("Name", "Type", "Inputs", "Output shape", "Params", "Arguments")
NAME, TYPE, INPUTS, SHAPE, PARAMS, ARGS = range(6)
"""The arguments come last: the properties panel shows them too, and a narrow window
keeps the shapes and counts in view."""
INPUTS_HELP = ("The layers this layer takes (input: the model's input). Double-click to "
               "connect it to others: names separated by commas, two or more for a merge "
               "such as Add or Concatenate.")
ERROR_BG = QBrush(QColor("#fde7e9"))
ERROR_FG = QBrush(QColor("#a4262c"))
FROZEN_BG = QBrush(QColor("#e8f0fb"))
FROZEN_FG = QBrush(QColor("#3a5a85"))

Index = QModelIndex | QPersistentModelIndex


DISPLAY, TOOLTIP, DECORATION = int(Qt.DisplayRole), int(Qt.ToolTipRole), int(Qt.DecorationRole)
BACKGROUND, FOREGROUND, FONT, ALIGNMENT = (int(Qt.BackgroundRole), int(Qt.ForegroundRole),
                                          int(Qt.FontRole), int(Qt.TextAlignmentRole))
RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)
ROW_FLAGS = Qt.ItemIsDropEnabled | Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled
GAP_FLAGS = Qt.ItemFlags(Qt.ItemIsDropEnabled)
ALIGNMENTS = (None, None, None, None, RIGHT, None)
EDIT = int(Qt.EditRole)


def shape_text(result, shown, no_input: str) -> str:
    """What a layer shows as its output: `shown(shape)`, "computing…" while a base is
    measured, "invalid", or `no_input` below an invalid layer."""
    if result.output_shape is not None:
        return shown(result.output_shape)
    if result.pending:
        return "computing…"
    return "invalid" if result.error else no_input


def row_values(model: "StackModel", row: int) -> dict[int, tuple]:
    """What one row paints, by role, one value per column.

    Painting asks for about eight roles per cell; answering each from a ready
    tuple keeps a repaint of the visible rows cheap. Tooltips are left out:
    they are made when asked for.
    """
    spec = model.editor.project.layers[row]
    result = model.editor.report.layers[row]
    shape = shape_text(result, show_shape, "—")
    frozen = not spec.trainable
    failed = result.error and not result.pending
    background = ERROR_BG if failed else (FROZEN_BG if frozen else None)
    foreground = ERROR_FG if failed else (FROZEN_FG if frozen else None)
    values = {
        DISPLAY: (result.name, spec.type + ("  (frozen)" if frozen else ""),
                  ", ".join(result.inputs), shape,
                  "—" if result.params is None else f"{result.params:,}", short_args(spec)),
        ALIGNMENT: ALIGNMENTS,
        BACKGROUND: (background,) * len(COLUMNS),
        FOREGROUND: (foreground,) * len(COLUMNS),
    }
    if frozen:
        values[FONT] = (model.italic,) * len(COLUMNS)
    if row in model.hints:
        values[DECORATION] = (model.hint_icon(),) + (None,) * (len(COLUMNS) - 1)
    return values


def row_tooltip(model: "StackModel", row: int, col: int) -> str | None:
    spec = model.editor.project.layers[row]
    result = model.editor.report.layers[row]
    if result.error:
        return result.error
    if col == NAME:
        return "\n\n".join(model.hints.get(row, [])) or None
    if col == TYPE:
        return plain(spec.layer_type.summary)
    if col == INPUTS:
        return INPUTS_HELP
    if col == ARGS:
        return short_args(spec) or None
    if col == SHAPE:
        return "\n".join(result.arithmetic_lines()) or None
    return None


class StackModel(QAbstractTableModel):
    refused = Signal(str)  # an edit made in a cell that the project refused, in words

    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.hints: dict[int, list[str]] = {}
        self._rows = len(editor.project.layers)
        self._cache: dict[int, dict[int, tuple]] = {}
        self.italic = QFont()
        self.italic.setItalic(True)
        self._hint_icon = None
        editor.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.hints = self.editor.hint_texts()
        self._cache = {}
        rows = len(self.editor.project.layers)
        if rows != self._rows:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(COLUMNS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == DISPLAY:
            return COLUMNS[section] if orientation == Qt.Horizontal else str(section + 1)
        return None

    def hint_icon(self):
        if self._hint_icon is None:
            self._hint_icon = QApplication.style().standardIcon(QStyle.SP_MessageBoxInformation)
        return self._hint_icon

    def data(self, index: Index, role: int = Qt.DisplayRole):
        row = index.row()
        if not 0 <= row < self._rows:
            return None
        values = self._cache.get(row)
        if values is None:
            values = self._cache[row] = row_values(self, row)
        column = values.get(role)
        if column is not None:
            return column[index.column()]
        if role == TOOLTIP:
            return row_tooltip(self, row, index.column())
        if role == EDIT and index.column() == INPUTS:
            return ", ".join(self.editor.report.layers[row].inputs)
        return None

    def setData(self, index: Index, value, role: int = Qt.EditRole) -> bool:
        """Connect a layer from its Inputs cell: an undoable edit like any other."""
        if role != EDIT or index.column() != INPUTS:
            return False
        names = [name.strip() for name in str(value).split(",") if name.strip()]
        if names == list(self.editor.report.layers[index.row()].inputs):
            return False
        text = "Connect layer"
        error = self.editor.edit(text, edits.set_inputs, index.row(), names)
        if error is not None:
            self.refused.emit(f"{text}: {error}")
        return error is None

    # drag and drop -------------------------------------------------------
    def flags(self, index: Index) -> Qt.ItemFlags:
        if not index.isValid():
            return GAP_FLAGS
        return ROW_FLAGS | Qt.ItemIsEditable if index.column() == INPUTS else ROW_FLAGS

    def supportedDropActions(self) -> Qt.DropActions:
        return Qt.MoveAction | Qt.CopyAction

    def mimeTypes(self) -> list[str]:
        return [LAYER_TYPE_MIME, ROWS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        data = QMimeData()
        data.setData(ROWS_MIME, QByteArray(json.dumps(rows).encode()))
        return data


def new_layer(type_name: str) -> LayerSpec:
    """A layer as the palette inserts it: required arguments with usable values."""
    from cnnstudio.core.catalogue import LAYER_TYPES

    return LayerSpec(type_name, LAYER_TYPES[type_name].initial_params())


class StackView(QTableView):
    """The stack table: drag to reorder, Delete, Ctrl+D, Ctrl+C / Ctrl+V."""

    status = Signal(str)

    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.stack_model = StackModel(editor, self)
        self.stack_model.refused.connect(self.status)
        self.setModel(self.stack_model)
        self.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDrop)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        # each column as wide as its longest text (_fit_columns), the last one taking the
        # room left; a narrow window scrolls sideways rather than cutting any text
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        self._pending_selection: list[int] | None = None
        self.stack_model.modelReset.connect(self._restore_selection)
        editor.changed.connect(self._show_inputs_of_graphs)
        editor.changed.connect(self._fit_columns)
        self._show_inputs_of_graphs()
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Every column as wide as its longest text, so none is cut; measured from the
        project (not by asking every cell, as ResizeToContents would) when the list is
        shown and after each edit: about a millisecond for 150 layers."""
        if not self.isVisible():
            return  # the diagram is shown: measured when the list is (showEvent)
        metrics = self.fontMetrics()
        project, report = self.editor.project, self.editor.report
        texts = {
            NAME: {r.name for r in report.layers},
            TYPE: {spec.type + ("  (frozen)" if not spec.trainable else "")
                   for spec in project.layers},
            INPUTS: {", ".join(r.inputs) for r in report.layers},
            ARGS: {short_args(spec) for spec in project.layers},
            SHAPE: {shape_text(r, show_shape, "—") for r in report.layers},
            PARAMS: {"—" if r.params is None else f"{r.params:,}" for r in report.layers},
        }
        icon = 22 if self.stack_model.hints else 0  # a hint's icon beside a name
        for column, values in texts.items():
            longest = sorted(values | {COLUMNS[column]}, key=len)[-6:]  # the widest is one
            widest = max(metrics.horizontalAdvance(t) for t in longest)  # of the longest
            width = widest + 18 + (icon if column == NAME else 0)
            if self.columnWidth(column) != width:  # a resize lays the whole table out again
                self.setColumnWidth(column, width)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit_columns()

    def _show_inputs_of_graphs(self) -> None:
        """The Inputs column where layers branch; in a chain each takes the one above it
        (the properties panel connects a layer either way)."""
        self.setColumnHidden(INPUTS, not self.editor.project.is_graph)

    def keyPressEvent(self, event) -> None:
        """Delete, Ctrl+D, Ctrl+C and Ctrl+V act on the selected layers."""
        if event.matches(QKeySequence.Delete) or event.key() == Qt.Key_Backspace:
            self.delete_selected()
        elif event.key() == Qt.Key_D and event.modifiers() == Qt.ControlModifier:
            self.duplicate_selected()
        elif event.matches(QKeySequence.Copy):
            self.copy_selected()
        elif event.matches(QKeySequence.Paste):
            self.paste()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # selection -------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        model = self.selectionModel()
        return sorted({i.row() for i in model.selectedRows()}) if model else []

    def current_row(self) -> int | None:
        rows = self.selected_rows()
        return rows[-1] if rows else None

    def select_rows(self, rows: list[int]) -> None:
        model = self.selectionModel()
        model.clearSelection()
        for row in rows:
            if 0 <= row < self.stack_model.rowCount():
                model.select(self.stack_model.index(row, 0),
                             QItemSelectionModel.Select | QItemSelectionModel.Rows)
        if rows and 0 <= rows[-1] < self.stack_model.rowCount():
            model.setCurrentIndex(self.stack_model.index(rows[-1], 0),
                                  QItemSelectionModel.NoUpdate)

    def expect_selection(self, rows: list[int]) -> None:
        """Rows to select once the next edit has reset the model."""
        self._pending_selection = rows

    def _restore_selection(self) -> None:
        if self._pending_selection is not None:
            rows, self._pending_selection = self._pending_selection, None
            self.select_rows(rows)

    def dropEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        indicator = self.dropIndicatorPosition()
        target = self.stack_model.rowCount()
        if index.isValid():
            target = index.row() + (1 if indicator == QAbstractItemView.BelowItem else 0)
        data = event.mimeData()
        if data.hasFormat(ROWS_MIME):
            rows = json.loads(bytes(data.data(ROWS_MIME)).decode())
            self.apply_edit(edits.moved_rows(rows, target),
                      "Move layer" if len(rows) == 1 else f"Move {len(rows)} layers",
                      edits.move_layers, rows, target)
            self._restore_selection()  # a move keeps the row count: no model reset
        elif data.hasFormat(LAYER_TYPE_MIME):
            self.insert_layer(bytes(data.data(LAYER_TYPE_MIME)).decode(), target)
        else:
            event.ignore()
            return
        event.setDropAction(Qt.CopyAction)  # never let the view remove rows itself
        event.accept()

    # editing commands -------------------------------------------------------
    def apply_edit(self, select: list[int], text: str, change, *args) -> str | None:
        """An undoable edit that selects `select` afterwards (nothing, if refused)."""
        self.expect_selection(select)
        error = self.editor.edit(text, change, *args)
        if error is not None:
            self._pending_selection = None
            self.status.emit(f"{text}: {error}")
        return error

    def insert_layer(self, type_name: str, at: int) -> None:
        self.apply_edit([at], f"Insert {type_name}", edits.insert_layers, at, [new_layer(type_name)])

    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        text = "Delete layer" if len(rows) == 1 else f"Delete {len(rows)} layers"
        self.apply_edit([min(rows[0], len(self.editor.project.layers) - len(rows) - 1)], text,
                  edits.remove_layers, rows)

    def duplicate_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        _, new_rows = edits.duplicate_layers(self.editor.project, rows)
        self.apply_edit(new_rows, "Duplicate layer" if len(rows) == 1
                  else f"Duplicate {len(rows)} layers",
                  lambda p: edits.duplicate_layers(p, rows)[0])

    def copy_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        layers = [self.editor.project.layers[r] for r in rows]
        # Plain text (setting a QMimeData made in Python can crash PySide6 on exit)
        QApplication.clipboard().setText(layers_to_text(layers))
        self.status.emit(f"Copied {len(rows)} layer{'s' if len(rows) > 1 else ''}.")

    def paste(self) -> None:
        text = QApplication.clipboard().text()
        try:
            specs = layers_from_text(text)
        except ProjectError as error:
            self.status.emit(f"Nothing pasted: {error}")
            return
        rows = self.selected_rows()
        at = rows[-1] + 1 if rows else len(self.editor.project.layers)
        self.apply_edit(list(range(at, at + len(specs))),
                  "Paste layer" if len(specs) == 1 else f"Paste {len(specs)} layers",
                  edits.paste_layers, at, specs)

    def wrap_in_residual(self) -> None:
        """An Add around the selected layers, their input as the shortcut."""
        rows = self.selected_rows()
        if rows:
            self.apply_edit([max(rows) + 1], "Wrap in residual block", edits.wrap_in_residual,
                            rows)

    def add_branch(self) -> None:
        """A copy of the selected layers beside them, the two concatenated."""
        rows = self.selected_rows()
        if rows:
            self.apply_edit([max(rows) + len(rows) + 1], "Add parallel branch",
                            edits.add_branch, rows)
