"""Scanning an image folder: classes, skipped files, and folders that cannot work."""

from __future__ import annotations

import numpy as np
import pytest

from cnnstudio.engine.arrays import DataError
from cnnstudio.engine.folder_scan import scan_folder
from tests.images import write_png


def make_folder(root, counts, size=(8, 8)):
    for name, count in counts.items():
        for i in range(count):
            write_png(root / name / f"{i}.png", np.full(size, i * 10 % 255))
    return root


def test_classes_in_name_order_with_counts(tmp_path):
    root = make_folder(tmp_path / "data", {"dogs": 3, "cats": 2})
    scan = scan_folder(root)
    assert scan.class_names == ["cats", "dogs"]
    assert scan.class_counts() == [2, 3] and scan.skipped == []


def test_non_images_and_corrupt_files_are_skipped_and_counted(tmp_path):
    root = make_folder(tmp_path / "data", {"a": 2, "b": 2})
    (root / "a" / "notes.txt").write_text("hello")
    (root / "b" / "broken.png").write_bytes(b"not a png at all")
    (root / "b" / "empty.jpg").write_bytes(b"")
    scan = scan_folder(root)
    assert scan.class_counts() == [2, 2]
    assert sorted(p.name for p in scan.skipped) == ["broken.png", "empty.jpg", "notes.txt"]


def test_progress_is_reported(tmp_path):
    root = make_folder(tmp_path / "data", {"a": 300, "b": 260})
    seen = []
    scan_folder(root, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (560, 560) and seen[0] == (250, 560)


@pytest.mark.parametrize("setup, words", [
    (lambda root: None, "folder not found"),
    (lambda root: root.mkdir(), "no sub-folders"),
    (lambda root: make_folder(root, {"only": 2}), "only one class folder"),
    (lambda root: (make_folder(root, {"a": 2}), (root / "b").mkdir()), "holds no readable"),
])
def test_folders_that_cannot_be_a_data_set(tmp_path, setup, words):
    root = tmp_path / "data"
    setup(root)
    with pytest.raises(DataError, match=words):
        scan_folder(root)


def test_a_scan_can_be_cancelled(tmp_path):
    root = make_folder(tmp_path / "data", {"a": 3, "b": 3})
    with pytest.raises(DataError, match="cancelled"):
        scan_folder(root, cancelled=lambda: True)
