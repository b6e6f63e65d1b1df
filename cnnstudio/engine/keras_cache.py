"""Keras's own data sets, read from the local Keras cache, never downloaded.

`keras.datasets.*.load_data()` downloads what is missing, and re-downloads a
cached file whose checksum differs; offline that means a hang or a traceback.
So CNN Studio reads the files Keras keeps in its cache (`$KERAS_HOME`, else
`~/.keras`), in Keras's own formats, with the readers an exported script
carries too (export_runtime.cache_readers), and when one is missing says which
file to put where.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cnnstudio.engine.arrays import DataError, ImageData
from cnnstudio.export_runtime.cache_readers import keras_home, read_cifar_batch, read_idx

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
CIFAR10_DIR = "cifar-10-batches-py-target/cifar-10-batches-py"
CIFAR100_DIR = "cifar-100-python-target/cifar-100-python"


@dataclass(frozen=True)
class KerasDataset:
    name: str
    title: str
    files: tuple[str, ...]  # relative to <keras home>/datasets
    download: str  # where a connected machine can fetch it
    class_names: tuple[str, ...]
    reader: Callable[[Path], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def paths(self) -> list[Path]:
        root = keras_home() / "datasets"
        return [root / f for f in self.files]

    def missing(self) -> list[Path]:
        return [p for p in self.paths() if not p.is_file()]


def _read_mnist(root: Path):
    with np.load(root / "mnist.npz", allow_pickle=False) as f:
        return f["x_train"], f["y_train"], f["x_test"], f["y_test"]


def _read_fashion(root: Path):
    folder = root / "fashion-mnist"
    y_train = read_idx(folder / FASHION_FILES[0], 8)
    x_train = read_idx(folder / FASHION_FILES[1], 16).reshape(len(y_train), 28, 28)
    y_test = read_idx(folder / FASHION_FILES[2], 8)
    x_test = read_idx(folder / FASHION_FILES[3], 16).reshape(len(y_test), 28, 28)
    return x_train, y_train, x_test, y_test


def _read_cifar10(root: Path):
    parts = [read_cifar_batch(root / CIFAR10_DIR / f"data_batch_{i}", b"labels") for i in range(1, 6)]
    x_test, y_test = read_cifar_batch(root / CIFAR10_DIR / "test_batch", b"labels")
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            x_test, y_test)


def _read_cifar100(root: Path):
    x_train, y_train = read_cifar_batch(root / CIFAR100_DIR / "train", b"fine_labels")
    x_test, y_test = read_cifar_batch(root / CIFAR100_DIR / "test", b"fine_labels")
    return x_train, y_train, x_test, y_test


DIGITS = tuple(str(i) for i in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot")
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck")

DATASETS = {
    d.name: d for d in (
        KerasDataset("mnist", "MNIST", ("mnist.npz",), ORIGIN + "mnist.npz", DIGITS,
                     _read_mnist),
        KerasDataset("fashion_mnist", "Fashion-MNIST",
                     tuple(f"fashion-mnist/{f}" for f in FASHION_FILES),
                     ORIGIN + "<file name>", FASHION, _read_fashion),
        KerasDataset("cifar10", "CIFAR-10",
                     tuple(f"{CIFAR10_DIR}/{f}" for f in
                           [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]),
                     "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (unpack it)",
                     CIFAR10, _read_cifar10),
        KerasDataset("cifar100", "CIFAR-100",
                     (f"{CIFAR100_DIR}/train", f"{CIFAR100_DIR}/test"),
                     "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz (unpack it)",
                     tuple(str(i) for i in range(100)), _read_cifar100),
    )
}


def load_keras_dataset(name: str) -> ImageData:
    """One of Keras's data sets from the cache, or a DataError naming the missing file."""
    dataset = DATASETS.get(name)
    if dataset is None:
        raise DataError(f"unknown Keras data set {name!r}; choose one of "
                        f"{', '.join(DATASETS)}.")
    missing = dataset.missing()
    if missing:
        more = f" (and {len(missing) - 1} more files beside it)" if len(missing) > 1 else ""
        raise DataError(
            f"{dataset.title} is not in the Keras cache: {missing[0]} is missing{more}. "
            f"CNN Studio works offline: on a connected machine fetch {dataset.download}, "
            f"then put it in {missing[0].parent}.")
    try:
        x_train, y_train, x_test, y_test = dataset.reader(keras_home() / "datasets")
    except Exception as error:  # corrupt or truncated cache files come in many forms
        raise DataError(f"{dataset.title} in the Keras cache ({dataset.paths()[0].parent}) "
                        f"cannot be read: {error}. Delete the files and fetch them again.") \
            from None
    return ImageData(_images(x_train), y_train.reshape(-1).astype(np.int64), _images(x_test),
                     y_test.reshape(-1).astype(np.int64), list(dataset.class_names))


def _images(x: np.ndarray) -> np.ndarray:
    return x[..., None] if x.ndim == 3 else x
