"""In-memory images as a tf.data pipeline for `model.fit`, the same shape as folder data."""

from __future__ import annotations

import numpy as np

from cnnstudio.core.dataset_config import DatasetConfig
from cnnstudio.engine.keras_env import import_keras

import_keras()
import tensorflow as tf  # noqa: E402


def array_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, normalize: bool = True,
                  shuffle: bool = False, seed: int = 0) -> tf.data.Dataset:
    """Batches of (float32 images, integer labels); rescaling to 0..1 happens per batch.

    The arrays stay uint8 in memory (a quarter of float32) and are converted
    batch by batch, in parallel with training thanks to prefetch.
    """
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    scale = DatasetConfig(normalize=normalize).pixel_scale(x.dtype)

    def prepare(images, labels):
        return tf.cast(images, tf.float32) * scale, labels

    return (data.batch(batch_size).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
