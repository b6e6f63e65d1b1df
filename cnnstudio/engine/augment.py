"""The data set's augmentation: the catalogue's Random* layers applied to training batches.

Applied in the tf.data pipeline rather than inside the model, so the model the
user designed stays exactly as drawn, validation and test batches are never
changed, and an exported model carries no training-only layers.
"""

from __future__ import annotations

from typing import Sequence

from cnnstudio.core.project import LayerSpec
from cnnstudio.engine.builder import make_keras_layer
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()
import tensorflow as tf  # noqa: E402


def augmenter(specs: Sequence[LayerSpec]):
    """A callable turning a float image batch into a randomly changed one (training mode)."""
    layers = [make_keras_layer(spec, f"augment_{i}_{spec.layer_type.snake_name}")
              for i, spec in enumerate(specs)]

    def apply(images):
        for layer in layers:
            images = layer(images, training=True)
        return images

    return apply


def augment(data: tf.data.Dataset, specs: Sequence[LayerSpec]) -> tf.data.Dataset:
    """Batches of (images, labels) with the augmentations applied to the images."""
    if not specs:
        return data
    apply = augmenter(specs)
    # One batch at a time: parallel calls would draw from the layers' seeded random
    # state in whatever order they ran, and the same seed would no longer give the same run.
    return data.map(lambda images, labels: (apply(images), labels))
