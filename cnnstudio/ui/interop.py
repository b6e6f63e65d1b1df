"""File > Export and File > Import Keras Model: the round trip out of and into CNN Studio.

Both build or read Keras models, so they run in a worker (TensorFlow stays off
the GUI thread); the window only asks for a file name and shows the outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cnnstudio.ui.worker import Task

APP_NAME = "CNN Studio"

# target -> (menu text, suffix, file filter)
EXPORTS = {
    "keras-script": ("&Keras Script…", ".py", "Python (*.py)"),
    "pytorch-script": ("&PyTorch Script…", ".py", "Python (*.py)"),
    "keras-model": ("Keras &Model (.keras)…", ".keras", "Keras model (*.keras)"),
    "onnx": ("&ONNX Model…", ".onnx", "ONNX (*.onnx)"),
}


def export_name(parent: QWidget, target: str, project_name: str,
                folder: Path | None) -> Path | None:
    """Ask where to write; the right suffix is added when the name lacks it."""
    _text, suffix, filter_text = EXPORTS[target]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in project_name) or "model"
    start = str((folder or Path.home()) / f"{stem}{'_torch' if target == 'pytorch-script' else ''}{suffix}")
    name, _ = QFileDialog.getSaveFileName(parent, "Export", start, filter_text)
    if not name:
        return None
    return Path(name if name.endswith(suffix) else name + suffix)


class Exporter:
    """Runs one export in a worker and reports it in a dialog; `done` for tests."""

    def __init__(self, parent: QWidget, on_done: Callable[[str], None] | None = None) -> None:
        self.parent = parent
        self.task: Task | None = None
        self.on_done = on_done or (lambda text: None)

    def start(self, project, project_file: Path | None, target: str, out: Path) -> None:
        def work(progress, cancelled):
            from cnnstudio.engine.exports import export

            return export(project, project_file, target, out)

        self.task = Task(work, self.parent)
        self.task.done.connect(self._done)
        self.task.failed.connect(self._failed)
        self.task.start()

    def _done(self, exported) -> None:
        self.task = None
        text = f"Wrote {exported.path}.\n\n" + "\n".join(exported.notes)
        QMessageBox.information(self.parent, APP_NAME, text.strip())
        self.on_done(text)

    def _failed(self, message: str, details: str) -> None:
        self.task = None
        QMessageBox.warning(self.parent, APP_NAME, f"The export failed.\n\n{message}")
        self.on_done(message)

    def wait(self) -> None:
        if self.task is not None:
            self.task.wait()


MODEL_FILTER = "Keras models (*.keras *.h5);;All files (*)"


class Importer:
    """Reads a Keras model file in a worker; `imported(ImportedModel)` or a warning."""

    def __init__(self, parent: QWidget, on_imported: Callable[[object], None]) -> None:
        self.parent = parent
        self.on_imported = on_imported
        self.task: Task | None = None

    def start(self, path: Path) -> None:
        def work(progress, cancelled):
            from cnnstudio.engine.model_import import import_model

            return import_model(path)

        self.task = Task(work, self.parent)
        self.task.done.connect(self._done)
        self.task.failed.connect(self._failed)
        self.task.start()

    def _done(self, imported) -> None:
        self.task = None
        self.on_imported(imported)

    def _failed(self, message: str, details: str) -> None:
        self.task = None
        QMessageBox.warning(self.parent, APP_NAME, f"The model was not imported; the open "
                            f"project is unchanged.\n\n{message}")

    def wait(self) -> None:
        if self.task is not None:
            self.task.wait()
