"""In-memory images as batches for `model.fit`: the engine trains on these, and an exported
script carries the same function, so both make the same batches."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnnstudio.export_runtime.rules import pixel_scale


# ---------------------------------------------------------------------------
# Data sources
# ---------------------------------------------------------------------------
def decodable_indices(paths: list, channels: int) -> list:
    """The indices of the image files TensorFlow decodes, in order, each decoded once in
    parallel: a damaged file with the right first bytes is left out before the data is
    split, so every epoch has the steps it plans."""
    if not paths:
        return []
    names = tf.constant([str(p) for p in paths])

    def check(index):
        image = tf.io.decode_image(tf.io.read_file(names[index]), channels=channels,
                                   expand_animations=False)
        return index, tf.size(image)

    found = tf.data.Dataset.range(len(paths)).map(check, num_parallel_calls=tf.data.AUTOTUNE)
    return sorted(int(i) for i, _ in found.ignore_errors().as_numpy_iterator())


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
