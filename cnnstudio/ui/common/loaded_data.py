"""The data set the Data page loaded, shared by the pages that use it.

The main window owns one; the Data page fills it, the Train and Evaluate pages
read it (to train or evaluate without reading the data a second time, and to
count and name what was loaded), so no page reaches into another.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class LoadedData(QObject):
    changed = Signal(object)  # the data, or None once it no longer stands

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data: Any = None
        self.config: Any = None  # the DatasetConfig it was loaded with

    def set(self, data: Any, config: Any) -> None:
        self.data, self.config = data, config
        self.changed.emit(data)

    def clear(self) -> None:
        self.set(None, None)

    def data_for(self, config: Any) -> Any:
        """The data if it was loaded with exactly this configuration, else None."""
        return self.data if self.data is not None and self.config == config else None

    def train_count(self) -> int | None:
        """How many training images were loaded (a folder's files), or None."""
        if self.data is None:
            return None
        return len(self.data.files) if hasattr(self.data, "files") else len(self.data.x_train)

    @property
    def class_names(self) -> list[str]:
        return list(getattr(self.data, "class_names", []))
