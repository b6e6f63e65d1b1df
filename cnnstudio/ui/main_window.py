"""The main window. For now: the project's layer table with shapes and counts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from cnnstudio.core import Project, infer
from cnnstudio.ui.layer_table import LayerTable

APP_NAME = "CNN Studio"


class MainWindow(QMainWindow):
    def __init__(self, project: Project, path: Path | None = None) -> None:
        super().__init__()
        self.project = project
        self.path = path
        self.layer_table = LayerTable()
        self.summary = QLabel()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.layer_table)
        layout.addWidget(self.summary)
        self.setCentralWidget(central)
        self.resize(760, 520)
        self.show_project(project)

    def show_project(self, project: Project) -> None:
        self.project = project
        report = infer(project)
        self.layer_table.table_model.set_report(report)
        self.setWindowTitle(f"{APP_NAME} — {project.name}")
        text = (f"Total params: {report.total_params:,}   Trainable: "
                f"{report.trainable_params:,}   Non-trainable: {report.non_trainable_params:,}")
        if not report.valid:
            bad = report.layers[report.error_index]
            text += f"\nInvalid at {bad.name}: {bad.error}"
        self.summary.setText(text)
        self.summary.setWordWrap(True)
        self.statusBar().showMessage(str(self.path) if self.path else "")
