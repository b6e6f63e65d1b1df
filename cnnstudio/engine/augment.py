"""The data set's augmentation: the catalogue's Random* layers applied to training batches.

Applied in the tf.data pipeline rather than inside the model, so the model the
user designed stays exactly as drawn, validation and test batches are never
changed, and an exported model carries no training-only layers.
"""

from __future__ import annotations

from typing import Sequence

from cnnstudio.core.dataset_config import augmentation_names
from cnnstudio.core.project import LayerSpec
from cnnstudio.engine.builder import make_keras_layer
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()
import tensorflow as tf  # noqa: E402

from cnnstudio.export_runtime import batches  # noqa: E402


def augmentation_layers(specs: Sequence[LayerSpec]) -> list:
    """The Keras layers of the data set's augmentation, named as an exported script names
    them."""
    return [make_keras_layer(spec, name) for spec, name in zip(specs, augmentation_names(specs))]


def augmenter(specs: Sequence[LayerSpec]):
    """A callable turning a float image batch into a randomly changed one (training mode),
    for a preview of the augmentation."""
    layers = augmentation_layers(specs)

    def apply(images):
        for layer in layers:
            images = layer(images, training=True)
        return images

    return apply


def augment(data: tf.data.Dataset, specs: Sequence[LayerSpec]) -> tf.data.Dataset:
    """Batches of (images, labels) with the augmentations applied to the images: the
    export runtime's pipeline step, which exported scripts carry too."""
    return batches.augment(data, augmentation_layers(specs))
