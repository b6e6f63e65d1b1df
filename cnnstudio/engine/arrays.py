"""Image arrays and their labels as the engine holds them, and its data errors.

The checks themselves (images as (N, H, W, C), labels as class indices, .npz files)
are the export runtime's (export_runtime/array_files.py), which exported scripts
carry too; here they become ImageData and CnnStudio's own DataError. NumPy only.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.export_runtime import array_files


class DataError(CnnStudioError):
    """A data set that cannot be used, with what is wrong and how to fix it."""


@dataclass
class ImageData:
    x_train: np.ndarray
    y_train: np.ndarray  # class indices, int64
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    label_form: str = "sparse"  # as found: "sparse", "one_hot" or "binary"

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def class_count(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> list[int]:
        return np.bincount(self.y_train, minlength=self.class_count).tolist()

    def value_range(self) -> tuple[float, float]:
        return float(self.x_train.min()), float(self.x_train.max())


@contextmanager
def data_errors():
    """The export runtime's data errors as CNN Studio's own, which every page and command
    shows as one sentence."""
    try:
        yield
    except array_files.DataError as error:
        raise DataError(str(error)) from None


def load_npz(path: str | Path) -> ImageData:
    """`x_train`, `y_train`, optionally `x_test`, `y_test`, from a NumPy .npz file."""
    with data_errors():
        found = array_files.read_npz(Path(path))
    return ImageData(found.x_train, found.y_train, found.x_test, found.y_test,
                     [str(i) for i in range(found.class_count)], found.label_form)
