"""In-memory images as batches for `model.fit`: the engine trains on these, and an exported
script carries the same function, so both make the same batches."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnnstudio.export_runtime.rules import pixel_scale


# ---------------------------------------------------------------------------
# Batches for model.fit
# ---------------------------------------------------------------------------
def array_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, normalize: bool = True,
                  shuffle: bool = False, seed: int = 0) -> tf.data.Dataset:
    """Batches of (float32 images, integer labels); rescaling to 0..1 happens per batch.

    The arrays stay uint8 in memory (a quarter of float32) and are converted
    batch by batch, in parallel with training thanks to prefetch.
    """
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    scale = pixel_scale(normalize, x.dtype.name)

    def prepare(images, labels):
        return tf.cast(images, tf.float32) * scale, labels

    return (data.batch(batch_size).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
