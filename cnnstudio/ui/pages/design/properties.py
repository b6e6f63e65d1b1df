"""The properties panel: one form per selected layer, generated from its declaration."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QLabel, QLineEdit, QScrollArea, QToolButton, QVBoxLayout, QWidget,
    QHBoxLayout,
)

from cnnstudio.core import edits
from cnnstudio.core.arguments import REQUIRED
from cnnstudio.ui.common.markup import plain, rich
from cnnstudio.ui.pages.design.fields import Field, make_field
from cnnstudio.ui.pages.design.stack import INPUTS_HELP
from cnnstudio.ui.editor import ProjectEditor

ERROR_STYLE = "color: #a4262c;"


class PropertiesPanel(QScrollArea):
    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.index: int | None = None
        self._type: str | None = None
        self.fields: dict[str, Field] = {}
        self.errors: dict[str, QLabel] = {}
        self._editing = False
        self.setWidgetResizable(True)
        self.setMinimumWidth(300)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._empty()
        editor.changed.connect(self.refresh)

    def _empty(self) -> None:
        label = QLabel("Select a layer to edit its arguments.")
        label.setAlignment(Qt.AlignCenter)
        label.setStyleSheet("color: #666;")
        self.setWidget(label)
        self.fields, self.errors, self._type = {}, {}, None

    def show_layer(self, index: int | None) -> None:
        layers = self.editor.project.layers
        if index is None or not 0 <= index < len(layers):
            self.index = None
            self._empty()
            return
        spec = layers[index]
        if index != self.index or spec.type != self._type:
            self.index = index
            self._build(spec)
        self.refresh()

    def _build(self, spec) -> None:
        layer_type = spec.layer_type
        self._type = spec.type
        page = QWidget()
        outer = QVBoxLayout(page)
        title = QLabel(f"<b>{layer_type.name}</b> <span style='color:#666'>"
                       f"({layer_type.category.value})</span>")
        summary = QLabel(rich(layer_type.summary))
        summary.setWordWrap(True)
        summary.setStyleSheet("color: #444;")
        outer.addWidget(title)
        outer.addWidget(summary)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("generated")
        self.name_edit.editingFinished.connect(self._rename)
        form.addRow("name", self.name_edit)
        self.inputs_edit = QLineEdit()
        self.inputs_edit.setToolTip(INPUTS_HELP)
        self.inputs_edit.editingFinished.connect(self._connect)
        form.addRow("inputs", self.inputs_edit)
        self.inputs_error = QLabel()
        self.inputs_error.setStyleSheet(ERROR_STYLE)
        self.inputs_error.setWordWrap(True)
        self.inputs_error.hide()
        form.addRow("", self.inputs_error)
        self.trainable_box = QCheckBox("trainable")
        self.trainable_box.setToolTip("Unchecked: the layer is frozen; its weights do not "
                                      "change in training and count as non-trainable.")
        self.trainable_box.toggled.connect(self._set_trainable)
        form.addRow("", self.trainable_box)
        self.fields, self.errors = {}, {}
        for arg in layer_type.args:
            field = make_field(arg)
            field.edited.connect(lambda value, name=arg.name: self._edited(name, value))
            reset = QToolButton()
            reset.setText("↺")
            reset.setToolTip("Reset to the Keras default"
                             + ("" if arg.required else f" ({arg.default!r})"))
            reset.setEnabled(not arg.required)
            reset.clicked.connect(lambda _=False, name=arg.name: self._reset(name))
            holder = QWidget()
            row = QHBoxLayout(holder)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(field, 1)
            row.addWidget(reset)
            label = QLabel(arg.name + (" *" if arg.required else ""))
            label.setToolTip(plain(arg.help))
            form.addRow(label, holder)
            error = QLabel()
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            form.addRow("", error)
            self.fields[arg.name] = field
            self.errors[arg.name] = error
        outer.addLayout(form)
        outer.addStretch(1)
        self.setWidget(page)
        # as wide as the form needs (it never scrolls sideways): the splitter makes room
        self.setMinimumWidth(max(300, page.minimumSizeHint().width()
                                 + self.verticalScrollBar().sizeHint().width() + 4))

    def refresh(self) -> None:
        """Show the layer's current values (after any edit, undo or redo)."""
        if self.index is None:
            return
        layers = self.editor.project.layers
        if self.index >= len(layers) or layers[self.index].type != self._type:
            self.show_layer(self.index if self.index < len(layers) else None)
            return
        spec = layers[self.index]
        if not self._editing:
            for label in self.errors.values():
                label.hide()  # the project moved on (undo, another edit): old refusals go
        if not self.name_edit.hasFocus():
            self.name_edit.setText(spec.name or "")
        self.name_edit.setPlaceholderText(self.editor.report.layers[self.index].name)
        if not self.inputs_edit.hasFocus():
            self.inputs_edit.setText(", ".join(self.editor.report.layers[self.index].inputs))
            if not self._editing:
                self.inputs_error.hide()
        self.trainable_box.blockSignals(True)
        self.trainable_box.setChecked(spec.trainable)
        self.trainable_box.blockSignals(False)
        for name, field in self.fields.items():
            arg = field.arg
            if name in spec.params:
                value = spec.params[name]
            else:
                value = None if arg.default is REQUIRED else arg.default
            field.set_value(value)

    def _edited(self, name: str, value) -> None:
        if self.index is None:
            return
        self._editing = True
        try:
            error = self.editor.edit(f"Change {name}", edits.set_param, self.index, name,
                                     value, merge_key=("param", self.index, name))
        finally:
            self._editing = False
        label = self.errors[name]
        label.setText(error or "")
        label.setVisible(bool(error))

    def _reset(self, name: str) -> None:
        if self.index is not None:
            self.editor.edit(f"Reset {name}", edits.reset_param, self.index, name)
            self.errors[name].hide()

    def _rename(self) -> None:
        if self.index is None:
            return
        error = self.editor.edit("Rename layer", edits.rename_layer, self.index,
                                 self.name_edit.text())
        self.name_edit.setToolTip(error or "")
        self.name_edit.setStyleSheet("QLineEdit { background: #fde7e9; }" if error else "")

    def _connect(self) -> None:
        """The layers this one takes, from the inputs field: an undoable edit."""
        if self.index is None:
            return
        names = [name.strip() for name in self.inputs_edit.text().split(",") if name.strip()]
        if names == list(self.editor.report.layers[self.index].inputs):
            return
        self._editing = True
        try:
            error = self.editor.edit("Connect layer", edits.set_inputs, self.index, names)
        finally:
            self._editing = False
        self.inputs_error.setText(error or "")
        self.inputs_error.setVisible(bool(error))

    def _set_trainable(self, on: bool) -> None:
        if self.index is not None:
            self.editor.edit("Unfreeze layer" if on else "Freeze layer", edits.set_trainable,
                             self.index, on)
