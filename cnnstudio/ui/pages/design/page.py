"""The Design page: the palette, the network (a diagram, or the list of layers) with its
input and summary, and the selected layer's properties and explanation side by side."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup, QHBoxLayout, QLineEdit, QSplitter, QStackedWidget, QToolButton, QVBoxLayout,
    QWidget,
)

from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.pages.design.diagram.view import DiagramView
from cnnstudio.ui.pages.design.explain import ExplainPanel
from cnnstudio.ui.pages.design.input_shape import InputShapeEditor
from cnnstudio.ui.pages.design.palette import Palette
from cnnstudio.ui.pages.design.properties import PropertiesPanel
from cnnstudio.ui.pages.design.stack import StackView
from cnnstudio.ui.pages.design.summary_bar import SummaryBar


class DesignPage(QSplitter):
    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(Qt.Horizontal, parent)
        self.editor = editor
        self.palette = Palette()
        self.input_editor = InputShapeEditor(editor)
        self.stack = StackView(editor)
        self.diagram = DiagramView(editor, self.stack)
        self.summary = SummaryBar(editor)
        self.properties = PropertiesPanel(editor)
        self.explain = ExplainPanel(editor)
        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()  # under the input shape: how the network is shown
        top.setContentsMargins(6, 0, 6, 0)
        self.view_buttons = QButtonGroup(self)
        for mode, label, tip in (("diagram", "Diagram", "The network as blocks and wires"),
                                 ("list", "List", "The layers as a table, one row each")):
            button = QToolButton()
            button.setText(label)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setProperty("mode", mode)
            self.view_buttons.addButton(button)
            top.addWidget(button)
        self.view_buttons.buttonClicked.connect(
            lambda button: self.show_view(button.property("mode")))
        self.direction = QToolButton()
        self.direction.setText("↓")
        self.direction.setCheckable(True)
        self.direction.setToolTip("The diagram runs top to bottom; press to run it left to "
                                  "right")
        self.direction.toggled.connect(self._set_direction)
        top.addWidget(self.direction)
        top.addStretch(1)
        self.find = QLineEdit()
        self.find.setPlaceholderText("Find (Ctrl+F)")
        self.find.setToolTip("Find a layer by name or type; Enter for the next one")
        self.find.setClearButtonEnabled(True)
        self.find.setMinimumWidth(110)
        self.find.setMaximumWidth(190)
        self.find.textEdited.connect(lambda _: self.find_next(restart=True))
        self.find.returnPressed.connect(self.find_next)
        top.addWidget(self.find)
        shortcut = QShortcut(QKeySequence.Find, self)
        shortcut.setContext(Qt.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self._focus_find)
        self.views = QStackedWidget()
        self.views.addWidget(self.diagram)
        self.views.addWidget(self.stack)
        column.addWidget(self.input_editor)
        column.addLayout(top)
        column.addWidget(self.views, 1)
        column.addWidget(self.summary)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.properties)
        right.addWidget(self.explain)
        right.setSizes([380, 260])
        self.addWidget(self.palette)
        self.addWidget(center)
        self.addWidget(right)
        self.setSizes([215, 640, 340])
        self.setStretchFactor(1, 1)
        self.palette.activated_type.connect(self.append_layer)
        self.stack.selectionModel().selectionChanged.connect(self._selection_changed)
        self.stack.stack_model.modelReset.connect(self._selection_changed)
        self.diagram.rows_selected.connect(self.stack.select_rows)
        self.diagram.status.connect(self.stack.status)
        self.show_view("diagram")

    def show_view(self, mode: str) -> None:
        """The diagram or the list: one selection, one set of commands, either way."""
        view = self.diagram if mode == "diagram" else self.stack
        self.views.setCurrentWidget(view)
        for button in self.view_buttons.buttons():
            button.setChecked(button.property("mode") == mode)
        view.setFocus()

    def _set_direction(self, horizontal: bool) -> None:
        self.direction.setText("→" if horizontal else "↓")
        self.direction.setToolTip("The diagram runs left to right; press to run it top to "
                                  "bottom" if horizontal else "The diagram runs top to "
                                  "bottom; press to run it left to right")
        self.diagram.set_horizontal(horizontal)

    def _focus_find(self) -> None:
        self.find.setFocus()
        self.find.selectAll()

    def find_next(self, restart: bool = False) -> None:
        """Select the next layer whose name or type holds the text (Enter for the next)."""
        text = self.find.text().strip().lower()
        if not text:
            return
        report = self.editor.report
        matches = [r.index for r in report.layers
                   if text in r.name.lower() or text in r.type.lower()]
        if not matches:
            self.stack.status.emit(f"No layer matches {self.find.text()!r}.")
            return
        current = self.stack.current_row()
        later = [m for m in matches if current is None or m > current]
        row = matches[0] if restart or not later else later[0]
        self.stack.select_rows([row])
        self.stack.scrollTo(self.stack.stack_model.index(row, 0))

    @property
    def view_mode(self) -> str:
        return "diagram" if self.views.currentWidget() is self.diagram else "list"

    def append_layer(self, type_name: str) -> None:
        """Double-click or Enter in the palette: insert after the selection."""
        row = self.stack.current_row()
        self.stack.insert_layer(type_name, len(self.editor.project.layers) if row is None
                                else row + 1)

    def _selection_changed(self, *args) -> None:
        self.diagram.select_rows(self.stack.selected_rows())
        row = self.stack.current_row()
        self.properties.show_layer(row)
        self.explain.show_layer(row)
