"""What every workflow page after Design works from: the project being edited, the data
the Data page loaded, and where the project is saved (None until it is)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QWidget

from cnnstudio.ui.common.loaded_data import LoadedData
from cnnstudio.ui.editor import ProjectEditor


def saved_file(path_provider: Callable[[], Path | None]) -> Path | None:
    """The project's file, when it is saved there: runs are recorded in it at once."""
    path = path_provider()
    return Path(path) if path is not None and Path(path).is_file() else None


class WorkflowPage(QWidget):
    def __init__(self, editor: ProjectEditor, loaded_data: LoadedData | None = None,
                 path_provider: Callable[[], Path | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.loaded_data = loaded_data if loaded_data is not None else LoadedData(self)
        self.path_provider = path_provider

    def saved_file(self) -> Path | None:
        return saved_file(self.path_provider)
