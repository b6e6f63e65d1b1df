"""NumPy data: every kind of bad file gets one clear sentence."""

from __future__ import annotations

import numpy as np
import pytest

from cnnstudio.engine.arrays import DataError, load_npz


def save(tmp_path, **arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path


def test_integer_labels_and_grey_images(tmp_path):
    x = np.zeros((10, 8, 8), np.uint8)
    y = np.array([0, 1, 2, 3, 4] * 2)
    data = load_npz(save(tmp_path, x_train=x, y_train=y))
    assert data.x_train.shape == (10, 8, 8, 1) and data.input_shape == (8, 8, 1)
    assert data.class_names == ["0", "1", "2", "3", "4"] and data.label_form == "sparse"
    assert data.class_counts() == [2, 2, 2, 2, 2]
    assert data.x_test is None


def test_one_hot_labels_and_a_test_part(tmp_path):
    y = np.eye(3)[[0, 1, 2, 1]]
    data = load_npz(save(tmp_path, x_train=np.ones((4, 5, 5, 3)), y_train=y,
                         x_test=np.ones((2, 5, 5, 3)), y_test=np.array([2, 0])))
    assert data.label_form == "one_hot" and data.y_train.tolist() == [0, 1, 2, 1]
    assert data.class_count == 3 and data.y_test.tolist() == [2, 0]


def test_binary_labels(tmp_path):
    data = load_npz(save(tmp_path, x_train=np.ones((4, 5, 5)), y_train=np.array([0, 1, 1, 0])))
    assert data.label_form == "binary" and data.class_count == 2


@pytest.mark.parametrize("arrays, words", [
    ({"x": np.ones((2, 4, 4))}, "no array 'x_train'"),
    ({"x_train": np.ones((2, 4, 4))}, "no array 'y_train'"),
    ({"x_train": np.ones((3, 4, 4)), "y_train": np.array([0, 1])}, "2 labels for 3 images"),
    ({"x_train": np.ones((2, 4)), "y_train": np.array([0, 1])}, "must be (N, height, width)"),
    ({"x_train": np.ones((2, 4, 4)), "y_train": np.array([0, -1])}, "negative label"),
    ({"x_train": np.ones((2, 4, 4)), "y_train": np.array([0.5, 1])}, "whole class numbers"),
    ({"x_train": np.ones((2, 4, 4)), "y_train": np.array([[1, 1], [0, 1]])}, "not one-hot"),
    ({"x_train": np.ones((2, 4, 4)), "y_train": np.array([0, 1]), "x_test": np.ones((1, 4, 4))},
     "only one of x_test and y_test"),
    ({"x_train": np.ones((2, 4, 4)), "y_train": np.array([0, 1]), "x_test": np.ones((1, 5, 5)),
      "y_test": np.array([0])}, "same image size"),
    ({"x_train": np.array(["a", "b"]), "y_train": np.array([0, 1])}, "must be numbers"),
])
def test_bad_npz_files(tmp_path, arrays, words):
    with pytest.raises(DataError, match=None) as caught:
        load_npz(save(tmp_path, **arrays))
    assert words in str(caught.value)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_npz(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_npz(bad)
