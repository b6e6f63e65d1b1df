"""Keras data sets from a temporary Keras home: read offline, or a clear sentence."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from cnnstudio.engine.arrays import DataError
from cnnstudio.engine.keras_cache import CIFAR10_DIR, FASHION_FILES, load_keras_dataset


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def test_missing_file_is_named_with_where_to_put_it(home):
    with pytest.raises(DataError) as caught:
        load_keras_dataset("mnist")
    text = str(caught.value)
    assert str(home / "mnist.npz") in text and "offline" in text and "mnist.npz" in text


def test_mnist_from_the_cache(home):
    rng = np.random.default_rng(0)
    np.savez(home / "mnist.npz", x_train=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8),
             y_train=np.arange(30) % 10, x_test=np.zeros((5, 28, 28), np.uint8),
             y_test=np.arange(5))
    data = load_keras_dataset("mnist")
    assert data.x_train.shape == (30, 28, 28, 1) and data.x_test.shape == (5, 28, 28, 1)
    assert data.class_count == 10 and data.y_train.tolist()[:3] == [0, 1, 2]


def _idx(path, header: bytes, array: np.ndarray):
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_idx_files(home):
    folder = home / "fashion-mnist"
    folder.mkdir()
    _idx(folder / FASHION_FILES[0], b"\0" * 8, np.array([1, 2, 3]))
    _idx(folder / FASHION_FILES[1], b"\0" * 16, np.full((3, 28, 28), 7))
    _idx(folder / FASHION_FILES[2], b"\0" * 8, np.array([9]))
    _idx(folder / FASHION_FILES[3], b"\0" * 16, np.zeros((1, 28, 28)))
    data = load_keras_dataset("fashion_mnist")
    assert data.x_train.shape == (3, 28, 28, 1) and data.y_test.tolist() == [9]
    assert data.class_names[9] == "Ankle boot"


def test_cifar10_batches(home):
    folder = home / CIFAR10_DIR
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": np.full((2, 3 * 32 * 32), 5, np.uint8), b"labels": [3, 4]}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle, protocol=4)
    data = load_keras_dataset("cifar10")
    assert data.x_train.shape == (10, 32, 32, 3) and data.class_names[3] == "cat"


def test_corrupt_cache_file_says_so(home):
    (home / "mnist.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot be read"):
        load_keras_dataset("mnist")


def test_unknown_name():
    with pytest.raises(DataError, match="choose one of mnist"):
        load_keras_dataset("imagenet")
