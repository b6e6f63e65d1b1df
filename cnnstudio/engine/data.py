"""One entry point for the data of a project, whatever its source.

In-memory sources (Shapes, Keras's cache, .npz) come back as ImageData with a
test part; a folder comes back as its scan, to be streamed by folder_data.
Nothing here downloads anything.
"""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.dataset_config import DatasetConfig
from cnnstudio.engine.arrays import DataError, ImageData, data_errors, load_npz
from cnnstudio.engine.folder_scan import FolderScan, scan_folder
from cnnstudio.engine.keras_cache import load_keras_dataset
from cnnstudio.export_runtime.array_files import hold_out
from cnnstudio.export_runtime.shapes import CLASS_NAMES, ShapesSpec, generate


def load_data(config: DatasetConfig, project_file: str | Path | None = None,
              progress=None, cancelled=None) -> ImageData | FolderScan:
    """The data; `progress` and `cancelled` reach the folder scan, the one slow step."""
    if config.source == "shapes":
        return shapes_data(config)
    if config.source == "keras":
        return load_keras_dataset(config.name)
    path = config.resolved_path(project_file)
    if config.source == "npz":
        return with_test_part(load_npz(path), config)
    if config.source == "folder":
        return scan_folder(path, progress, cancelled)
    raise DataError(f"unknown data source {config.source!r}.")


def shapes_data(config: DatasetConfig) -> ImageData:
    """Training images from the seed; the test part from another seed, never the same."""
    h, w = config.image_size
    x, y = generate(ShapesSpec(config.count, h, w, config.channels, config.seed,
                               classes=config.classes))
    test_count = max(int(config.count * config.test_split), 0)
    x_test = y_test = None
    if test_count:
        x_test, y_test = generate(ShapesSpec(test_count, h, w, config.channels,
                                             config.seed + 1_000_003, classes=config.classes))
    return ImageData(x, y, x_test, y_test, list(CLASS_NAMES[:config.classes]))


def with_test_part(data: ImageData, config: DatasetConfig) -> ImageData:
    """Hold out `test_split` of the training part when the source has no test part."""
    if data.x_test is not None or config.test_split == 0:
        return data
    with data_errors():
        train, test = hold_out(len(data.x_train), config.test_split, config.seed)
    return ImageData(data.x_train[train], data.y_train[train], data.x_train[test],
                     data.y_train[test], data.class_names, data.label_form)
