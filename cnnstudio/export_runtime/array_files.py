"""Image arrays and their labels, read from .npz files and checked the way a learner
needs them checked: the engine reads data with these, and an exported script carries
them, so both accept and refuse the same files with the same sentence.

Every in-memory source ends in `as_images` and `as_labels`: images as (N, H, W, C),
labels as class indices, with one clear sentence for anything that would otherwise
fail deep inside `model.fit`. NumPy only.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


# ---------------------------------------------------------------------------
# Data sources
# ---------------------------------------------------------------------------
class DataError(ValueError):
    """A data set that cannot be used, with what is wrong and how to fix it."""


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
    check_finite(x, where)
    return x


def check_finite(x: np.ndarray, where: str) -> None:
    """Refuse NaN or infinite pixels, which train into NaN weights: name the first."""
    if not np.issubdtype(x.dtype, np.floating):
        return
    bad = ~np.isfinite(x)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{where} holds {int(bad.sum()):,} NaN or infinite values, the first "
                        f"at index {list(index)} (image {index[0]}): {x[index]}. Replace them "
                        "(e.g. np.nan_to_num) or drop those images.")


MAX_CLASSES = 100_000
"""More classes than any image data set has (ImageNet-21k has 21,841): a label past it is
an id or a mistake, and a class list that long would only exhaust memory."""
CLASSES_PER_IMAGE = 10
MIN_CLASS_ALLOWANCE = 1_000
"""Labels may name more classes than there are images (a small sample of a large data
set), but not by orders of magnitude: at most 10 per image, or 1,000."""


def as_labels(y: np.ndarray, count: int, where: str) -> tuple:
    """Class indices (int64) from integer or one-hot labels, with their form ("sparse",
    "one_hot" or "binary") and the number of classes they name."""
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
        if y.size and y.min() < 0:
            raise DataError(f"{where} has a negative label ({int(y.min())}); classes are "
                            f"numbered from 0.")
        largest = int(y.max()) if y.size else 0
        limit = min(MAX_CLASSES, max(MIN_CLASS_ALLOWANCE, CLASSES_PER_IMAGE * len(y)))
        if largest >= limit:
            raise DataError(f"{where} has the label {largest:,}, so {largest + 1:,} classes "
                            f"for {len(y):,} images; labels must be class numbers 0 to N-1, "
                            f"with N at most {limit:,} here. Renumber the classes from 0.")
        form = "binary" if largest <= 1 else "sparse"
        classes = max(largest + 1, 2)
    if len(y) != count:
        raise DataError(f"{where} has {len(y)} labels for {count} images; there must be one "
                        f"label per image.")
    return y.astype(np.int64), form, classes


def check_same_image_shape(train: np.ndarray, test: np.ndarray, where: str) -> None:
    if train.shape[1:] != test.shape[1:]:
        raise DataError(f"{where}: test images are {test.shape[1:]} but training images "
                        f"are {train.shape[1:]}; both parts must have the same image size.")


@dataclass
class NpzArrays:
    """What an .npz file holds once checked: the test part is None when it has none."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    class_count: int
    label_form: str


def read_npz(path: Path) -> NpzArrays:
    """`x_train`, `y_train`, optionally `x_test`, `y_test`, from a NumPy .npz file; never
    a pickle."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found. Choose an existing .npz file.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path} is not a readable .npz file: {why_not_npz(path, error)}. "
                        "Save the arrays with np.savez(path, x_train=..., y_train=...)."
                        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path} is not a readable .npz file: it is a single array (.npy), "
                        "not an .npz archive of named arrays. Save the arrays with "
                        "np.savez(path, x_train=..., y_train=...).")
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
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            if isinstance(error, DataError):
                raise
            raise DataError(f"{path}: an array cannot be read ({why_not_npz(path, error)}); "
                            "only plain number arrays are read.") from None
    return NpzArrays(x_train, y_train, x_test, y_test, classes, form)


def why_not_npz(path: Path, error: BaseException) -> str:
    """What is wrong with a file np.load refused, in words (NumPy's own suggest pickles)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as err:
        return f"it cannot be read ({err.strerror})"
    if not head:
        return "it is empty"
    if head.startswith(b"\x93NUMPY"):
        return "it is a single array (.npy), not an .npz archive"
    if not head.startswith(b"PK"):
        return "it is not a NumPy file"
    if "pickle" in str(error).lower() or "object" in str(error).lower():
        return "it holds Python objects, which are never loaded (only number arrays)"
    return "it is a damaged zip archive"


def hold_out(count: int, fraction: float, seed: int) -> tuple:
    """Indices to keep and to hold out for testing, from a shuffle seeded with `seed`: a
    source without a test part gives up `fraction` of its images to one."""
    order = np.random.default_rng(seed).permutation(count)
    cut = count - int(count * fraction)
    if cut < 1:
        raise DataError(f"{count} images are too few to hold out a test part of "
                        f"{fraction:.0%}; lower test_split.")
    return order[:cut], order[cut:]
