"""Folder images stream through tf.data with the right shapes, labels and skips."""

from __future__ import annotations

import numpy as np

from cnnstudio.engine.folder_scan import scan_folder
from tests.images import write_png


def test_stream_resizes_converts_and_labels(tmp_path):
    from cnnstudio.engine.folder_data import folder_dataset

    for i in range(3):
        write_png(tmp_path / "a" / f"{i}.png", np.full((10, 12, 3), 200))
        write_png(tmp_path / "b" / f"{i}.png", np.full((7, 7), 50))
    broken = tmp_path / "b" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # right header, broken body
    scan = scan_folder(tmp_path)
    assert len(scan.files) == 7
    batches = list(folder_dataset(scan, (8, 8), 1, batch_size=4))
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert images.shape == (6, 8, 8, 1)  # the broken file is dropped, not fatal
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    assert np.allclose(images[labels == 1], 50, atol=1)
    rgb = next(iter(folder_dataset(scan, (8, 8), 3, batch_size=2, indices=[0, 3])))
    assert rgb[0].shape == (2, 8, 8, 3) and rgb[1].numpy().tolist() == [0, 1]
