"""Images from a scanned folder, streamed through tf.data (never read whole into memory).

The pipeline decodes and resizes in parallel and prefetches, like
`keras.utils.image_dataset_from_directory`, but from the scan's list of
files: files that fail the scan never enter it, and a file that still fails
to decode is dropped (`ignore_errors`) instead of stopping training.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cnnstudio.engine.arrays import DataError
from cnnstudio.engine.folder_scan import FolderScan
from cnnstudio.export_runtime.batches import decodable_indices
from cnnstudio.engine.keras_env import import_keras

import_keras()
import tensorflow as tf  # noqa: E402


CACHE_LIMIT_BYTES = 512 * 1024 ** 2


def folder_dataset(scan: FolderScan, image_size: tuple[int, int], channels: int,
                   batch_size: int, indices: Sequence[int] | None = None,
                   shuffle: bool = False, seed: int = 0,
                   cache: bool | None = None) -> tf.data.Dataset:
    """Batches of (images float32 0..255 of (H, W, C), integer labels).

    Decoded images are kept in memory after the first epoch (`cache`) when
    they fit in 512 MB, so later epochs never wait for the disk or the PNG
    decoder; None decides by that size.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    chosen = np.arange(len(scan.files)) if indices is None else np.asarray(indices)
    paths = tf.constant([str(scan.files[i]) for i in chosen])
    labels = tf.constant(np.asarray(scan.labels, np.int64)[chosen])
    data = tf.data.Dataset.from_tensor_slices((paths, labels))
    height, width = image_size
    if cache is None:
        cache = len(chosen) * height * width * channels * 4 <= CACHE_LIMIT_BYTES

    def load(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels,
                                   expand_animations=False)
        image = tf.image.resize(image, (height, width))
        image.set_shape((height, width, channels))
        return image, label

    data = data.map(load, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    if cache:
        data = data.cache()
    if shuffle:
        data = data.shuffle(len(chosen), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def decodable(scan: FolderScan, channels: int) -> FolderScan:
    """The scan without the files TensorFlow cannot decode (listed as skipped).

    The scan checks first bytes only; a damaged file passes it and would be
    dropped mid-epoch, leaving an epoch short of its planned steps (Keras's
    "input ran out of data"). Decoding every file once here, in parallel,
    makes the step count true; a folder where nothing decodes says so.
    """
    good = set(decodable_indices(scan.files, channels))
    if len(good) == len(scan.files):
        return scan
    bad = [f for i, f in enumerate(scan.files) if i not in good]
    if not good:
        raise DataError(f"No image in {scan.root} could be decoded ({len(bad):,} files "
                        f"tried, e.g. {bad[0]}); they may be damaged, or not images despite "
                        "their names.")
    kept = sorted(good)
    result = FolderScan(scan.root, list(scan.class_names), [scan.files[i] for i in kept],
                        [scan.labels[i] for i in kept], [*scan.skipped, *bad])
    empty = [n for n, count in zip(result.class_names, result.class_counts()) if count == 0]
    if empty:
        raise DataError(f"No image in class folder {empty[0]!r} of {scan.root} could be "
                        "decoded; replace the damaged files or remove the folder.")
    return result
