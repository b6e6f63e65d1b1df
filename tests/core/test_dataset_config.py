"""The `dataset` section: defaults, validation naming the field, relative paths."""

from pathlib import Path

import pytest

from cnnstudio.core import ProjectError, project_from_dict
from cnnstudio.core.dataset_config import DatasetConfig, dataset_config


def test_defaults_are_the_built_in_shapes():
    assert dataset_config(None) == dataset_config({}) == DatasetConfig()
    assert DatasetConfig().source == "shapes"


def test_relative_paths_start_at_the_project_folder(tmp_path):
    config = dataset_config({"source": "npz", "path": "data/x.npz"})
    assert config.resolved_path(tmp_path / "p.cnnstudio.json") == tmp_path / "data" / "x.npz"
    absolute = dataset_config({"source": "folder", "path": str(tmp_path)})
    assert absolute.resolved_path(Path("/elsewhere/p.json")) == tmp_path


@pytest.mark.parametrize("section, field", [
    ({"source": "web"}, "dataset.source"),
    ({"source": "keras", "name": "imagenet"}, "dataset.name"),
    ({"source": "npz"}, "dataset.path"),
    ({"count": 5}, "dataset.count"),
    ({"image_size": [28]}, "dataset.image_size"),
    ({"channels": 2}, "dataset.channels"),
    ({"test_split": 1.5}, "dataset.test_split"),
    ({"normalize": "yes"}, "dataset.normalize"),
])
def test_bad_fields_are_named(section, field):
    with pytest.raises(ProjectError) as caught:
        dataset_config(section)
    assert caught.value.field == field
    with pytest.raises(ProjectError) as caught:
        project_from_dict({"input": {"shape": [4]}, "dataset": section})
    assert caught.value.field == field


def test_augmentation_accepts_random_layers_and_refuses_others():
    import pytest

    from cnnstudio.core.dataset_config import AUGMENTATIONS, dataset_config
    from cnnstudio.core.errors import ProjectError

    config = dataset_config({"augmentation": [{"type": "RandomZoom",
                                               "params": {"height_factor": 0.2}}]})
    assert config.augmentation[0].resolved["height_factor"] == 0.2
    assert AUGMENTATIONS == ("RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation")
    for bad, field in (({"augmentation": {}}, "dataset.augmentation"),
                       ({"augmentation": [{"type": "Dense", "params": {"units": 2}}]},
                        "dataset.augmentation[0].type"),
                       ({"augmentation": [{"type": "RandomRotation", "params": {"factor": 2}}]},
                        "dataset.augmentation[0].params.factor"),
                       ({"augmentation": [{"type": "RandomFlip", "color": 1}]},
                        "dataset.augmentation[0].color")):
        with pytest.raises(ProjectError) as caught:
            dataset_config(bad)
        assert caught.value.field == field
