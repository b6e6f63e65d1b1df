"""The project's `dataset` section: which data, from where, and how it is prepared.

Every field has a default, so `{}` (or no section) means the built-in Shapes
data set. Bad values are ProjectErrors naming the field (`dataset.source`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.project import LayerSpec, layer_from_dict
from cnnstudio.core.section_values import flag, number, whole
from cnnstudio.export_runtime.rules import pixel_scale

SOURCES = ("shapes", "keras", "folder", "npz")
KERAS_NAMES = ("mnist", "fashion_mnist", "cifar10", "cifar100")
D = "dataset"
AUGMENTATIONS = tuple(name for name, layer in LAYER_TYPES.items() if layer.augments)


@dataclass(frozen=True)
class DatasetConfig:
    source: str = "shapes"
    name: str = "mnist"  # for source "keras"
    path: str | None = None  # for "folder" and "npz"; relative to the project file
    count: int = 6000  # for "shapes": training images generated
    image_size: tuple[int, int] = (28, 28)  # for "shapes" and "folder"
    channels: int = 1  # for "shapes" and "folder": 1 grey, 3 colour
    classes: int = 6  # for "shapes": the first N kinds (2: circle and square, a binary task)
    seed: int = 0
    test_split: float = 0.1  # held out for evaluation when the source has no test part
    normalize: bool = True  # rescale pixel values to 0..1
    augmentation: tuple[LayerSpec, ...] = ()  # Random* layers applied to training batches

    def pixel_scale(self, dtype: object) -> float:
        """What images of this dtype are multiplied by before the model sees them.

        `normalize` rescales 0..255 pixels to 0..1; only whole-number pixels
        (uint8, and a folder's decoded images) are 0..255: float images are
        taken as they are, so they are never divided twice. Training,
        evaluation and every view of a run's model read this one rule.
        """
        name = dtype if isinstance(dtype, str) else str(getattr(dtype, "name", dtype))
        return pixel_scale(self.normalize, name)

    def known_classes(self) -> int | None:
        """How many classes the data has, where that is known without reading it: the
        Shapes set's `classes`, Keras's data sets' (10, or 100 for CIFAR-100)."""
        if self.source == "shapes":
            return self.classes
        if self.source == "keras":
            return 100 if self.name == "cifar100" else 10
        return None

    def resolved_path(self, project_file: str | Path | None) -> Path | None:
        """`path` as the loader needs it: relative paths start at the project's folder."""
        if self.path is None:
            return None
        path = Path(self.path).expanduser()
        if not path.is_absolute() and project_file is not None:
            path = Path(project_file).resolve().parent / path
        return path


def augmentation_names(specs: Sequence[LayerSpec]) -> list[str]:
    """The Keras names of augmentation layers, the same in training, in a preview and in
    an exported script: augment_0_random_flip, ..."""
    return [f"augment_{i}_{spec.layer_type.snake_name}" for i, spec in enumerate(specs)]


def dataset_config(section: Mapping[str, Any] | None) -> DatasetConfig:
    section = dict(section or {})
    source = section.get("source", "shapes")
    if source not in SOURCES:
        raise ProjectError("dataset.source", f"got {show_value(source)}, expected one of "
                           f"{', '.join(SOURCES)}.")
    values: dict[str, Any] = {"source": source}
    if source == "keras":
        name = section.get("name", "mnist")
        if name not in KERAS_NAMES:
            raise ProjectError("dataset.name", f"got {show_value(name)}, expected one of "
                               f"{', '.join(KERAS_NAMES)}.")
        values["name"] = name
    if source in ("folder", "npz"):
        path = section.get("path")
        if not isinstance(path, str) or not path.strip():
            raise ProjectError("dataset.path", f"got {show_value(path)}; source "
                               f"{source!r} needs the path of its "
                               f"{'folder' if source == 'folder' else '.npz file'}.")
        values["path"] = path
    values["count"] = whole(section, "count", 6000, 12, 1_000_000, D)
    size = section.get("image_size", [28, 28])
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 8 <= v <= 4096
                       for v in size)):
        raise ProjectError("dataset.image_size", f"got {show_value(size)}, expected "
                           "[height, width] with sizes from 8 to 4096.")
    values["image_size"] = tuple(size)
    channels = section.get("channels", 1)
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ProjectError("dataset.channels", f"got {show_value(channels)}, expected 1 "
                           "(grey) or 3 (colour).")
    values["channels"] = channels
    values["classes"] = whole(section, "classes", 6, 2, 6, D)
    values["seed"] = whole(section, "seed", 0, 0, 2**31 - 1, D)
    values["test_split"] = number(section, "test_split", 0.1, 0.0, 0.9, D, high_open=True)
    values["normalize"] = flag(section, "normalize", True, D)
    values["augmentation"] = _augmentation(section.get("augmentation", []))
    return DatasetConfig(**values)


def _augmentation(items: Any) -> tuple[LayerSpec, ...]:
    """Random* layers, written like `layers` entries; they change only training batches."""
    if not isinstance(items, list):
        raise ProjectError("dataset.augmentation", f"got {show_value(items)}, expected a "
                           'list such as [{"type": "RandomFlip", "params": {"mode": '
                           '"horizontal"}}].')
    specs = []
    for i, item in enumerate(items):
        where = f"dataset.augmentation[{i}]"
        spec = layer_from_dict(item, where)
        if not spec.layer_type.augments:
            raise ProjectError(f"{where}.type", f"{spec.type} is not a random augmentation; "
                               f"use one of {', '.join(AUGMENTATIONS)}, or put {spec.type} "
                               "in the model's layers.")
        specs.append(spec)
    return tuple(specs)
