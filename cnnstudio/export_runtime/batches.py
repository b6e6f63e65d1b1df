"""Images as batches for `model.fit`, from memory or from an image folder: the engine
trains on these, and an exported script carries the same functions, so both split the
data, decode it, check it against the model and shape its labels alike."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnnstudio.export_runtime.array_files import DataError
from cnnstudio.export_runtime.image_files import FolderScan
from cnnstudio.export_runtime.rules import PIXEL_MAX, part_sizes, pixel_scale


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


def decodable(scan: FolderScan, channels: int) -> FolderScan:
    """The scan without the files TensorFlow cannot decode (listed as skipped).

    The scan checks first bytes only; a damaged file passes it and would be dropped
    mid-epoch, leaving an epoch short of its planned steps (Keras's "input ran out of
    data"). A folder where nothing decodes says so.
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


# ---------------------------------------------------------------------------
# Batches for model.fit
# ---------------------------------------------------------------------------
def split_parts(total: int, validation_split: float, test_split: float, seed: int) -> tuple:
    """Training, validation and test indices from one seeded shuffle: the first
    `test_split` of it is the test part (a folder's, kept for evaluation), the next
    `validation_split` validates, training gets the rest. A shuffle, as
    `image_dataset_from_directory` does, so data sorted by class never puts a whole
    class in validation."""
    order = np.random.default_rng(seed).permutation(total)
    n_test, n_validation = part_sizes(total, validation_split, test_split)
    return order[n_test + n_validation:], order[n_test:n_test + n_validation], order[:n_test]


def training_split(total: int, validation_split: float, test_split: float, seed: int) -> tuple:
    """The training and validation indices of `split_parts`; refused when no training
    image is left."""
    train, validation, _ = split_parts(total, validation_split, test_split, seed)
    if len(train) == 0:
        raise DataError(f"No training images are left after the split ({total} images, "
                        f"validation_split {validation_split}); lower it.")
    return train, validation


def check_fit(images: tuple, model_input: tuple, units: int, classes: int, loss: str) -> None:
    """Refuse, with the fix, what would fail or learn nothing once training starts: images
    of another size than the model's input, too few output units for the classes."""
    if tuple(images) != tuple(model_input):
        raise DataError(
            f"The images are {'x'.join(map(str, images))} but the model's input is "
            f"{'x'.join(map(str, model_input))}. Use the images' shape as the model's input, "
            f"or load the images at the model's size.")
    if loss == "binary_crossentropy":
        if units != 1 and units != classes:
            raise DataError(f"binary_crossentropy needs 1 output unit (or one per class), "
                            f"the last layer has {units}. Set its units to 1 with sigmoid.")
        if units == 1 and classes > 2:
            raise DataError(f"The data has {classes} classes but binary_crossentropy with one "
                            f"output unit tells only two apart. Use "
                            f"sparse_categorical_crossentropy and Dense({classes}, softmax).")
    elif units < classes:
        raise DataError(f"The data has {classes} classes but the last layer has {units} "
                        f"units; labels up to {classes - 1} need at least {classes}. Set its "
                        f"units to {classes}.")


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


CACHE_LIMIT_BYTES = 512 * 1024 ** 2


def folder_dataset(scan: FolderScan, image_size: tuple, channels: int, batch_size: int,
                   indices=None, shuffle: bool = False, seed: int = 0,
                   cache: bool | None = None, normalize: bool = False) -> tf.data.Dataset:
    """Batches of (float32 images of (H, W, C), integer labels), decoded and resized in
    parallel, as `keras.utils.image_dataset_from_directory` does but from the scan's
    files; a file that still fails to decode is dropped (`ignore_errors`).

    Decoded pixels are whole numbers 0..255, divided by 255 when `normalize`. They
    stay in memory after the first epoch (`cache`) when they fit in 512 MB, so later
    epochs never wait for the disk or the decoder; None decides by that size.
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
    data = data.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    if normalize:
        data = data.map(lambda x, y: (x / PIXEL_MAX, y), num_parallel_calls=tf.data.AUTOTUNE)
    return data


def label_shaper(loss: str, units: int):
    """Integer class labels in the form the loss expects."""
    if loss == "sparse_categorical_crossentropy":
        return lambda y: y
    if loss == "binary_crossentropy" and units == 1:
        return lambda y: tf.cast(tf.reshape(y, (-1, 1)), tf.float32)
    return lambda y: tf.one_hot(y, units, dtype=tf.float32)


def augment(data: tf.data.Dataset, layers: list) -> tf.data.Dataset:
    """Batches of (images, labels) with the random augmentation layers applied to the
    images in training mode; an empty list leaves the batches as they are."""
    if not layers:
        return data

    def apply(images, labels):
        for layer in layers:
            images = layer(images, training=True)
        return images, labels

    # One batch at a time: parallel calls would draw from the layers' seeded random
    # state in whatever order they ran, and the same seed would no longer give the same run.
    return data.map(apply)
