"""The batches `model.fit` reads: training and validation parts, labels shaped for the loss.

The split is made once from the seed (a shuffled order, as
`image_dataset_from_directory` does, so a file sorted by class never puts a
whole class in validation). Augmentation touches training batches only.
Everything that would fail deep inside Keras (an input shape that is not the
images', too few output units for the classes) fails here with one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.dataset_config import DatasetConfig
from cnnstudio.core.epochs import iterations
from cnnstudio.core.project import Project
from cnnstudio.core.training_config import TrainingConfig
from cnnstudio.engine.arrays import DataError, ImageData, data_errors
from cnnstudio.engine.augment import augment
from cnnstudio.engine.folder_data import decodable, folder_dataset
from cnnstudio.engine.folder_scan import FolderScan
from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.pipeline import array_dataset
from cnnstudio.export_runtime import batches
from cnnstudio.export_runtime.batches import label_shaper, training_split
from cnnstudio.export_runtime.rules import LOSS_FOR_LABELS, ONE_HOT_METRICS, auto_loss

import_keras()
import tensorflow as tf  # noqa: E402


@dataclass
class FitData:
    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    train_samples: int
    validation_samples: int
    steps_per_epoch: int
    loss: str
    class_count: int


def data_shape(data: ImageData | FolderScan, config: DatasetConfig) -> tuple[int, ...]:
    if isinstance(data, FolderScan):
        return (*config.image_size, config.channels)
    return data.input_shape


def choose_loss(setting: str, data: ImageData | FolderScan, output_shape: tuple,
                metrics: tuple[str, ...] = ()) -> str:
    """`auto` picks the loss that fits the labels and the output layer, as a Keras user would:
    one-hot labels (categorical) when a metric such as precision needs them."""
    if setting != "auto":
        return setting
    return auto_loss(output_shape[-1], getattr(data, "label_form", "sparse"), metrics)


def check_fit(project: Project, output_shape: tuple, data: ImageData | FolderScan,
              config: DatasetConfig, loss: str) -> None:
    """Refuse, with the fix, what would fail or learn nothing once training starts."""
    classes = len(data.class_names)
    if len(output_shape) != 2:
        raise DataError(f"The model's output is {show_shape(output_shape)}; a classifier "
                        f"needs one value per class, (None, {classes}). Add Flatten or "
                        f"GlobalAveragePooling2D, then Dense({classes}).")
    with data_errors():
        batches.check_fit(data_shape(data, config), project.input_shape, output_shape[-1],
                          classes, loss)


def _check_metrics(loss: str, metrics: tuple[str, ...]) -> None:
    """Keras's AUC, Precision and Recall fail on integer class labels mid-fit (a segment
    error): refuse before training, with the fix."""
    needing = [name for name in metrics if name in ONE_HOT_METRICS]
    if loss == LOSS_FOR_LABELS["sparse"] and needing:
        raise DataError(f"{', '.join(needing)} compare{'s' * (len(needing) == 1)} one-hot "
                        f"labels with the output, and the loss {loss} keeps integer labels. "
                        "Set the loss to auto or categorical_crossentropy, or drop "
                        f"{', '.join(needing)}.")


def fit_data(project: Project, output_shape: tuple, data: ImageData | FolderScan,
             config: DatasetConfig, training: TrainingConfig, replicas: int = 1) -> FitData:
    """Training and validation batches for `model.fit` (batch size is global over replicas)."""
    if isinstance(data, FolderScan):
        data = decodable(data, config.channels)  # so each epoch has the steps it plans
    loss = choose_loss(training.loss, data, output_shape, training.metrics)
    check_fit(project, output_shape, data, config, loss)
    _check_metrics(loss, training.metrics)
    classes = len(data.class_names)
    units = output_shape[-1]
    total = len(data.files) if isinstance(data, FolderScan) else len(data.x_train)
    test_split = config.test_split if isinstance(data, FolderScan) else 0.0
    with data_errors():
        train_idx, val_idx = training_split(total, training.validation_split, test_split,
                                            training.seed)
    batch = training.batch_size
    shape_labels = label_shaper(loss, units)

    def part(indices: np.ndarray, train: bool) -> tf.data.Dataset:
        if isinstance(data, FolderScan):
            stream = folder_dataset(data, config.image_size, config.channels, batch,
                                    indices=indices, shuffle=train and training.shuffle,
                                    seed=training.seed,
                                    normalize=config.pixel_scale("uint8") != 1.0)
        else:
            stream = array_dataset(data.x_train[indices], data.y_train[indices], batch,
                                   normalize=config.normalize,
                                   shuffle=train and training.shuffle, seed=training.seed)
        if train:
            stream = augment(stream, config.augmentation)
        return stream.map(lambda x, y: (x, shape_labels(y)),
                          num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    validation = part(val_idx, False) if len(val_idx) else None
    steps = iterations(len(train_idx), batch, training.epochs).per_epoch
    return FitData(part(train_idx, True), validation, len(train_idx), len(val_idx), steps,
                   loss, classes)
