"""Evaluating a trained model on held-out images: predictions, confusion matrix, per class.

The images come from the test part when the data set has one (the Shapes test
set, a Keras data set's test arrays, an .npz's x_test or its held-out
`test_split`, a folder's held-out files), else from the validation part, so
the numbers are never measured on images the model trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnstudio.core.dataset_config import DatasetConfig
from cnnstudio.core.training_config import TrainingConfig
from cnnstudio.engine.arrays import DataError, ImageData
from cnnstudio.engine.folder_scan import FolderScan
from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.training_data import choose_loss
from cnnstudio.export_runtime.batches import split_parts

keras = import_keras()

BATCH = 256


@dataclass
class HeldOut:
    """Images kept apart from training, as uint8 or float arrays with class labels."""

    x: np.ndarray
    y: np.ndarray
    part: str  # "test" or "validation"


def held_out(data: ImageData | FolderScan, config: DatasetConfig,
             training: TrainingConfig, limit: int | None = None) -> HeldOut:
    """The test part, else the validation part that `fit_data` held out (same seed)."""
    if isinstance(data, ImageData):
        if data.x_test is not None and len(data.x_test):
            x, y, part = data.x_test, data.y_test, "test"
        else:
            _, chosen, _ = split_parts(len(data.x_train), training.validation_split, 0.0,
                                       training.seed)
            if len(chosen) == 0:
                raise DataError("The data set has no test part and the training settings "
                                "hold out no validation images; set a test split on the Data "
                                "page or a validation split on the Train page.")
            x, y, part = data.x_train[chosen], data.y_train[chosen], "validation"
    else:
        x, y, part = _folder_held_out(data, config, training)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return HeldOut(x, y, part)


def _folder_held_out(scan: FolderScan, config: DatasetConfig, training: TrainingConfig):
    from cnnstudio.engine.folder_data import folder_dataset

    _, validation, test = split_parts(len(scan.files), training.validation_split,
                                      config.test_split, training.seed)
    chosen, part = (test, "test") if len(test) else (validation, "validation")
    if len(chosen) == 0:
        raise DataError("No images are held out of training; set a test split on the Data "
                        "page or a validation split on the Train page.")
    batches = folder_dataset(scan, config.image_size, config.channels, BATCH, indices=chosen)
    xs, ys = zip(*((x.numpy(), y.numpy()) for x, y in batches))
    return np.concatenate(xs).astype(np.uint8), np.concatenate(ys), part


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Rows are true classes, columns predicted ones; entry [i, j] counts images."""
    index = np.asarray(y_true, np.int64) * classes + np.asarray(y_pred, np.int64)
    return np.bincount(index, minlength=classes * classes).reshape(classes, classes)


@dataclass
class Evaluation:
    part: str
    class_names: list[str]
    x: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    confidence: np.ndarray  # probability of the predicted class
    probabilities: np.ndarray  # (N, classes)
    loss: float
    confusion: np.ndarray

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.y_true == self.y_pred)) if len(self.y_true) else 0.0

    def precision(self) -> np.ndarray:
        """Per class: of the images predicted as it, the share that were it (NaN if none)."""
        predicted = self.confusion.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / predicted

    def recall(self) -> np.ndarray:
        """Per class: of its images, the share predicted as it (NaN if it has none)."""
        actual = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / actual

    def cases(self, true_class: int | None = None, predicted: int | None = None,
              mistakes_only: bool = False) -> np.ndarray:
        """Indices of the images with that true and predicted class (None: any)."""
        keep = np.ones(len(self.y_true), bool)
        if true_class is not None:
            keep &= self.y_true == true_class
        if predicted is not None:
            keep &= self.y_pred == predicted
        if mistakes_only:
            keep &= self.y_true != self.y_pred
        return np.flatnonzero(keep)


def class_probabilities(outputs: np.ndarray, classes: int) -> np.ndarray:
    """(N, classes) probabilities from the model's outputs: softmax rows as they are, a
    single sigmoid unit as [1 - p, p]."""
    outputs = np.asarray(outputs, np.float64)
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        p = outputs[:, 0]
        return np.stack([1 - p, p], axis=1)
    return outputs[:, :classes] if outputs.shape[1] >= classes else outputs


def evaluate(model, data: ImageData | FolderScan, config: DatasetConfig,
             training: TrainingConfig, loss: str, limit: int | None = None) -> Evaluation:
    """Predict the held-out images and measure them (the model need not be compiled).

    `loss` may be "auto" (a run recorded before its loss was), resolved as training
    resolves it, from the labels and the model's output."""
    part = held_out(data, config, training, limit)
    scale = config.pixel_scale(part.x.dtype)
    loss = choose_loss(loss, data, model.output_shape, training.metrics)
    outputs = model.predict(part.x.astype(np.float32) * scale, batch_size=BATCH, verbose=0)
    classes = len(data.class_names)
    probabilities = class_probabilities(outputs, classes)
    y_pred = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(y_pred)), y_pred]
    return Evaluation(part.part, list(data.class_names), part.x, part.y.astype(np.int64),
                      y_pred, confidence, probabilities,
                      _loss(loss, part.y, outputs, classes),
                      confusion_matrix(part.y, y_pred, max(classes, probabilities.shape[1])))


def _loss(name: str, y: np.ndarray, outputs: np.ndarray, classes: int) -> float:
    """The training loss on these images, computed by Keras's own loss function."""
    labels = np.asarray(y)
    if name == "binary_crossentropy" and outputs.shape[1] == 1:
        labels = labels.reshape(-1, 1).astype(np.float32)
    elif name != "sparse_categorical_crossentropy":
        labels = np.eye(outputs.shape[1], dtype=np.float32)[labels]
    value = keras.losses.get(name)(labels, outputs)
    return float(np.mean(keras.ops.convert_to_numpy(value)))
