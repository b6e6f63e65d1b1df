"""Image arrays and their labels, checked the way a learner needs them checked.

Every data source ends here: images as (N, H, W, C), labels as class indices,
with one clear sentence for anything that would otherwise fail deep inside
`model.fit`. NumPy only; no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnstudio.core.errors import CnnStudioError


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


def as_images(x: np.ndarray, where: str) -> np.ndarray:
    """(N, H, W) gets a channel axis; anything but (N, H, W[, C]) is refused."""
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise DataError(f"{where} holds {x.dtype} values; images must be numbers.")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise DataError(f"{where} has shape {x.shape}; images must be (N, height, width) or "
                        f"(N, height, width, channels).")
    if x.shape[0] == 0:
        raise DataError(f"{where} holds no images.")
    return x


def as_labels(y: np.ndarray, count: int, where: str) -> tuple[np.ndarray, str, int]:
    """Class indices from integer or one-hot labels, with their form and class count."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if not np.all((y == 0) | (y == 1)) or not np.all(y.sum(axis=1) == 1):
            raise DataError(f"{where} has shape {y.shape} but its rows are not one-hot "
                            f"(exactly one 1 per row).")
        form, classes, y = "one_hot", y.shape[1], y.argmax(axis=1)
    else:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{where} has shape {y.shape}; labels must be (N,) class numbers "
                            f"or (N, classes) one-hot rows.")
        if not np.issubdtype(y.dtype, np.integer):
            if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
                y = y.astype(np.int64)
            else:
                raise DataError(f"{where} holds {y.dtype} values; labels must be whole "
                                f"class numbers 0, 1, 2, ...")
        if y.min() < 0:
            raise DataError(f"{where} has a negative label ({int(y.min())}); classes are "
                            f"numbered from 0.")
        form = "binary" if y.max() <= 1 else "sparse"
        classes = max(int(y.max()) + 1, 2)
    if len(y) != count:
        raise DataError(f"{where} has {len(y)} labels for {count} images; there must be one "
                        f"label per image.")
    return y.astype(np.int64), form, classes


def check_same_image_shape(train: np.ndarray, test: np.ndarray, where: str) -> None:
    if train.shape[1:] != test.shape[1:]:
        raise DataError(f"{where}: test images are {test.shape[1:]} but training images "
                        f"are {train.shape[1:]}; both parts must have the same image size.")


def load_npz(path: str | Path) -> ImageData:
    """`x_train`, `y_train`, optionally `x_test`, `y_test`, from a NumPy .npz file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found. Choose an existing .npz file.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataError(f"{path} is not a readable .npz file ({error}).") from None
    with archive:
        names = set(archive.files)
        for required in ("x_train", "y_train"):
            if required not in names:
                found = ", ".join(sorted(names)) or "nothing"
                raise DataError(f"{path} has no array '{required}' (it holds {found}). Save "
                                f"with np.savez(path, x_train=..., y_train=...).")
        if ("x_test" in names) != ("y_test" in names):
            raise DataError(f"{path} has only one of x_test and y_test; give both or neither.")
        try:
            x_train = as_images(archive["x_train"], f"{path.name}: x_train")
            y_train, form, classes = as_labels(archive["y_train"], len(x_train),
                                               f"{path.name}: y_train")
            x_test = y_test = None
            if "x_test" in names:
                x_test = as_images(archive["x_test"], f"{path.name}: x_test")
                check_same_image_shape(x_train, x_test, path.name)
                y_test, _, test_classes = as_labels(archive["y_test"], len(x_test),
                                                    f"{path.name}: y_test")
                classes = max(classes, test_classes)
        except ValueError as error:  # e.g. object arrays refused without pickle
            raise DataError(f"{path}: {error}") from None
    return ImageData(x_train, y_train, x_test, y_test, [str(i) for i in range(classes)], form)
