"""New project: choose a template, read what it is for."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QVBoxLayout,
)

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.templates import Template, list_templates


class TemplateDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Project from Template")
        self.templates = list_templates()
        self.chosen: Template | None = None
        self.list = QListWidget()
        for template in self.templates:
            self.list.addItem(template.title)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setMinimumWidth(320)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.list)
        row.addWidget(self.description, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        self.list.setCurrentRow(0)
        self.resize(640, 340)

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.templates):
            return
        template = self.templates[row]
        self.chosen = template
        shape = "x".join(str(d) for d in template.project.input_shape)
        self.description.setText(
            f"<b>{template.title}</b><p>{template.description}</p>"
            f"<p style='color:#555'>Input {shape} · {len(template.project.layers)} layers · "
            f"{template.parameters_text(known_figures())}</p>")
