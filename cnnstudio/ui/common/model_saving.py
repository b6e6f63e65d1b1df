"""Saving a recorded run's trained model as `.keras`, from any page, in a worker."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QFileDialog, QWidget

from cnnstudio.ui.common.worker import Task


def ask_model_path(parent: QWidget, suggested: str) -> str | None:
    """A .keras file name chosen by the user, the extension added if left out."""
    name, _ = QFileDialog.getSaveFileName(parent, "Save trained model", f"{suggested}.keras",
                                          "Keras model (*.keras)")
    if not name:
        return None
    return name if name.endswith(".keras") else name + ".keras"


def start_model_save(parent: QWidget, run: dict, project_file, path: str,
                     report: Callable[[str, bool], None]) -> Task:
    """Build the run's model with its weights and save it; `report(text, is_error)` at the end."""

    def work(progress, cancelled):
        from cnnstudio.engine.run_model import save_run_model

        return save_run_model(run, project_file, path)

    task = Task(work, parent)
    task.done.connect(lambda out: report(f"Saved {run.get('id')} as {out}.", False))
    task.failed.connect(lambda message, _details: report(message, True))
    task.start()
    return task
