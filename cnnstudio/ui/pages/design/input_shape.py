"""The input shape editor above the stack: one spin box per axis (H, W, C)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from cnnstudio.core import edits
from cnnstudio.ui.editor import ProjectEditor

AXIS_LABELS = {1: ("features",), 2: ("steps", "channels"), 3: ("H", "W", "C"),
               4: ("D", "H", "W", "C")}
MAX_SIZE = 100_000


class InputShapeEditor(QWidget):
    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(4, 2, 4, 2)
        self.spins: list[QSpinBox] = []
        self.error = QLabel()
        self.error.setStyleSheet("color: #a4262c;")
        editor.changed.connect(self.refresh)
        self._build(len(editor.project.input_shape))
        self.refresh()

    def _build(self, rank: int) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            if item.widget() and item.widget() is not self.error:
                item.widget().deleteLater()
        self.row.addWidget(QLabel("<b>Input</b>"))
        self.spins = []
        for label in AXIS_LABELS[rank]:
            self.row.addWidget(QLabel(label))
            spin = QSpinBox()
            spin.setRange(0, MAX_SIZE)
            spin.setSpecialValueText("None")
            spin.setToolTip(f"Input {label}; None for a size that may vary")
            spin.valueChanged.connect(self._edited)
            self.row.addWidget(spin)
            self.spins.append(spin)
        self.row.addWidget(self.error)
        self.row.addStretch(1)

    def refresh(self) -> None:
        shape = self.editor.project.input_shape
        if len(shape) != len(self.spins):
            self._build(len(shape))
        for spin, dim in zip(self.spins, shape):
            value = 0 if dim is None else dim
            if spin.value() != value:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)

    def _edited(self) -> None:
        shape = [spin.value() or None for spin in self.spins]
        message = self.editor.edit("Change input shape", edits.set_input_shape, shape,
                                   merge_key=("input",))
        self.error.setText(message or "")
