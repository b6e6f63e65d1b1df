"""What a training run is made of: the device strategy, the optimizer and metrics as
Keras objects, and a failure as one sentence a user can act on."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.training_config import (
    OPTIMIZER_CLASSES, OPTIMIZER_EXTRAS, TrainingConfig, metric_class,
)
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()
import tensorflow as tf  # noqa: E402


class TrainingError(CnnStudioError):
    """Training cannot start: a setting, the device or the data does not allow it."""


def strategy_for(device: str) -> tuple[Any, int, str | None]:
    """The tf.distribute strategy for the device setting, its replica count, and the
    device to pin a single-replica run to.

    One replica uses TensorFlow's default strategy pinned with tf.device: a
    OneDeviceStrategy would make Keras distribute every dataset, a new
    multi-device iterator per epoch and per validation pass.
    """
    gpus = tf.config.list_logical_devices("GPU")
    if device == "cpu":
        return tf.distribute.get_strategy(), 1, "/cpu:0"
    if device == "gpu":
        if not gpus:
            raise TrainingError("training.device is 'gpu' but TensorFlow sees no GPU on this "
                                "machine; choose 'cpu'.")
        return tf.distribute.get_strategy(), 1, gpus[0].name
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) == 1:
        return tf.distribute.get_strategy(), 1, devices[0]
    return tf.distribute.MirroredStrategy(devices), len(devices), None


def make_optimizer(config: TrainingConfig, learning_rate: float | None = None):
    """The configured optimizer; `learning_rate` overrides the rate (fine-tuning)."""
    rate = config.learning_rate if learning_rate is None else learning_rate
    extras = {key: getattr(config, key) for key in OPTIMIZER_EXTRAS.get(config.optimizer, ())}
    return getattr(keras.optimizers, OPTIMIZER_CLASSES[config.optimizer])(learning_rate=rate,
                                                                          **extras)


def make_metrics(names: tuple[str, ...], loss: str = "") -> list:
    """Keras metric objects named as Keras logs them (`accuracy`, `auc`, ...)."""
    one_hot = loss == "categorical_crossentropy"
    return [getattr(keras.metrics, cls)(name=name) if (cls := metric_class(name, one_hot))
            else name for name in names]


def error_sentence(error: BaseException) -> str:
    """One readable sentence for an exception; out of memory gets its fix."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, (MemoryError, tf.errors.ResourceExhaustedError)):
        return ("Out of memory while training: lower the batch size, the image size or the "
                "number of parameters.")
    if isinstance(error, CnnStudioError):
        return text
    first = text.splitlines()[0]
    return f"{type(error).__name__}: {first[:400]}"
