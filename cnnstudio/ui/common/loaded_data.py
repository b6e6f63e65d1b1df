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

    def split(self, dataset: dict, training: dict):
        """How many images train, validate and test, from the data as loaded with these
        settings (or, for the Shapes set, as they say), with the test part in words, and
        the iterations they make with the training settings; None while that is not
        known (load the data). Both the Data and the Train page show this one breakdown."""
        from cnnstudio.core.dataset_config import dataset_config
        from cnnstudio.core.epochs import iterations, split_counts
        from cnnstudio.core.training_config import training_config

        config, settings = dataset_config(dataset), training_config(training)
        data = self.data_for(config)
        if data is None and config.source != "shapes":
            return None
        total = config.count if data is None else self._count(data)
        held = config.test_split if config.source == "folder" else 0.0
        split = split_counts(total, settings.validation_split, held)
        if config.source == "folder":
            test = f"{split.test:,} test (held out of the folder)"
        elif config.source == "shapes":
            test = f"{int(config.count * config.test_split):,} test (drawn apart)"
        else:
            x_test = getattr(data, "x_test", None)
            test = "no test part" if x_test is None else f"{len(x_test):,} test"
        text = (f"<b>{split.train:,}</b> train · {split.validation:,} validate "
                f"(validation_split {settings.validation_split:g}) · {test}")
        return split, text, iterations(split.train, settings.batch_size, settings.epochs)

    @staticmethod
    def _count(data) -> int:
        return len(data.files) if hasattr(data, "files") else len(data.x_train)

    def train_count(self) -> int | None:
        """How many training images were loaded (a folder's files), or None."""
        return None if self.data is None else self._count(self.data)

    @property
    def class_names(self) -> list[str]:
        return list(getattr(self.data, "class_names", []))
