"""File > Export and File > Import Keras Model: the round trip out of and into CNN Studio.

Both build or read Keras models, so they run in a worker (TensorFlow stays off
the GUI thread); the window only asks for a file name and shows the outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cnnstudio.core.export_targets import TARGETS
from cnnstudio.core.project import Project, model_name
from cnnstudio.ui import APP_NAME
from cnnstudio.ui.common.worker import Task



def export_name(parent: QWidget, target: str, project: Project,
                folder: Path | None) -> Path | None:
    """Ask where to write; the right suffix is added when the name lacks it."""
    suffix, filter_text = TARGETS[target].suffix, TARGETS[target].file_filter
    stem = model_name(project) + ("_torch" if target == "pytorch-script" else "")
    start = str((folder or Path.home()) / f"{stem}{suffix}")
    name, _ = QFileDialog.getSaveFileName(parent, "Export", start, filter_text)
    if not name:
        return None
    out = Path(name if name.endswith(suffix) else name + suffix)
    if str(out) != name and out.exists() and not confirm_replace(parent, out):
        return None  # the dialog asked about the name without its suffix
    return out


def confirm_replace(parent: QWidget, path: Path) -> bool:
    """Whether the user wants `path`, which exists, replaced."""
    answer = QMessageBox.question(parent, APP_NAME, f"{path.name} already exists in "
                                  f"{path.parent}. Replace it?",
                                  QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    return answer == QMessageBox.Yes


class _OneJob:
    """One worker at a time for a menu action; `wait` when the window closes."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.task: Task | None = None

    def _run(self, work: Callable, done: Callable[[Any], None],
             failed: Callable[[str], None]) -> None:
        def finish(handler, *args) -> None:
            self.task = None
            handler(*args)

        self.task = Task(work, self.parent)
        self.task.done.connect(lambda result: finish(done, result))
        self.task.failed.connect(lambda message, _details: finish(failed, message))
        self.task.start()

    def wait(self) -> None:
        if self.task is not None:
            self.task.wait()


class Exporter(_OneJob):
    """Runs one export in a worker and reports it in a dialog; `on_done` for tests."""

    def __init__(self, parent: QWidget, on_done: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.on_done = on_done or (lambda text: None)

    def start(self, project, project_file: Path | None, target: str, out: Path) -> None:
        def work(progress, cancelled):
            from cnnstudio.engine.exports import export

            return export(project, project_file, target, out, force=True)  # the dialog asked

        self._run(work, self._done, self._failed)

    def _done(self, exported) -> None:
        text = f"Wrote {exported.path}.\n\n" + "\n".join(exported.notes)
        QMessageBox.information(self.parent, APP_NAME, text.strip())
        self.on_done(text)

    def _failed(self, message: str) -> None:
        QMessageBox.warning(self.parent, APP_NAME, f"The export failed.\n\n{message}")
        self.on_done(message)


MODEL_FILTER = "Keras models (*.keras *.h5);;All files (*)"


class Importer(_OneJob):
    """Reads a Keras model file in a worker; `on_imported(ImportedModel)` or a warning."""

    def __init__(self, parent: QWidget, on_imported: Callable[[Any], None]) -> None:
        super().__init__(parent)
        self.on_imported = on_imported

    def start(self, path: Path) -> None:
        def work(progress, cancelled):
            from cnnstudio.engine.model_import import import_model

            return import_model(path)

        self._run(work, self.on_imported, self._failed)

    def _failed(self, message: str) -> None:
        QMessageBox.warning(self.parent, APP_NAME, f"The model was not imported; the open "
                            f"project is unchanged.\n\n{message}")
