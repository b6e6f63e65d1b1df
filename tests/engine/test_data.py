"""Loading a project's data from its dataset section."""

import numpy as np

from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.engine.data import load_data
from cnnstudio.engine.folder_scan import FolderScan
from tests.images import write_png


def test_shapes_with_a_separate_test_part():
    data = load_data(dataset_config({"count": 120, "image_size": [16, 20], "channels": 3,
                                     "test_split": 0.25}))
    assert data.x_train.shape == (120, 16, 20, 3) and data.x_test.shape == (30, 16, 20, 3)
    assert data.class_names[:3] == ["circle", "square", "triangle"]
    assert not np.array_equal(data.x_train[:30], data.x_test)


def test_npz_relative_to_the_project_gets_a_held_out_test_part(tmp_path):
    np.savez(tmp_path / "d.npz", x_train=np.arange(20 * 16).reshape(20, 4, 4),
             y_train=np.arange(20) % 2)
    config = dataset_config({"source": "npz", "path": "d.npz", "test_split": 0.2})
    data = load_data(config, tmp_path / "p.cnnstudio.json")
    assert len(data.x_train) == 16 and len(data.x_test) == 4
    together = np.concatenate([data.x_train, data.x_test]).reshape(20, -1)[:, 0]
    assert sorted(together.tolist()) == list(range(0, 320, 16))


def test_folder_gives_its_scan(tmp_path):
    for name in ("x", "y"):
        write_png(tmp_path / "imgs" / name / "0.png", np.zeros((4, 4)))
    scan = load_data(dataset_config({"source": "folder", "path": "imgs"}),
                     tmp_path / "p.cnnstudio.json")
    assert isinstance(scan, FolderScan) and scan.class_names == ["x", "y"]
