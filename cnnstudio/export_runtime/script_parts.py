"""The fixed parts of the Keras scripts CNN Studio exports (`cnnstudio export --to
keras-script`): core.keras_script writes each project's own parts (settings,
build_model, compile_model, callbacks, data glue) and copies from here only the
imports, functions and classes that a script uses, section by section.

What a script does with the data is the engine's own code: the readers, checks,
split and tf.data pipelines live in the runtime modules this one imports
(array_files, cache_readers, image_files, batches, rules), which the engine
imports too and a script carries as copies. tests/engine/test_keras_script_export.py
runs scripts and compares their batches with the engine's, byte for byte, and their
refusals with the engine's, sentence for sentence. The last section holds stand-ins
for what the exporter writes per project, so this module imports and reads as a
whole; they are never copied.
"""
from __future__ import annotations

# Some imports serve only the runtime modules a script copies in (READER_MODULES), so a
# script imports each module once, here; a script keeps only the names it uses.
import argparse
import gzip  # noqa: F401
import hashlib
import json
import os
import pickle  # noqa: F401
import sys
import zipfile  # noqa: F401
from dataclasses import dataclass, field  # noqa: F401
from pathlib import Path
from typing import Callable  # noqa: F401

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from cnnstudio.export_runtime.cache_readers import (  # noqa: E402 - copied, not imported, by an export
    keras_home, read_cifar_batch, read_idx,
)
from cnnstudio.export_runtime.array_files import DataError, hold_out, read_npz  # noqa: E402
from cnnstudio.export_runtime.batches import (  # noqa: E402
    array_dataset, augment, check_fit, decodable, folder_dataset, label_shaper, training_split,
)
from cnnstudio.export_runtime.image_files import FolderScan, scan_folder  # noqa: E402
from cnnstudio.export_runtime.rules import auto_loss  # noqa: E402


# ---------------------------------------------------------------------------
# Data sources
# ---------------------------------------------------------------------------
@dataclass
class ArrayData:
    """Images in memory, (N, height, width, channels), with integer class labels."""

    images: np.ndarray
    labels: np.ndarray
    class_count: int
    label_form: str = "sparse"  # "one_hot" when the file held one-hot rows

    @property
    def image_shape(self) -> tuple:
        return tuple(int(d) for d in self.images.shape[1:])

    def split(self):
        """Training and validation indices: a seeded shuffle, the first part validates."""
        return training_split(len(self.labels), VALIDATION_SPLIT, 0.0, SEED)

    def batches(self, indices, shuffle: bool) -> tf.data.Dataset:
        """Batches of (float32 images, labels); the images stay uint8 until batched."""
        return array_dataset(self.images[indices], self.labels[indices], BATCH_SIZE,
                             NORMALIZE, shuffle, SEED)


def require_cached(title: str, files: list, download: str) -> None:
    """Stop with a sentence when a file is not in the Keras cache: this script never
    downloads (keras.datasets.*.load_data() would). `download` says where a connected
    machine gets a file; {name} stands for the missing file's name."""
    for path in files:
        if not path.is_file():
            source = download.format(name=path.name)
            sys.exit(f"{title} is not in the Keras cache: {path} is missing. This script "
                     f"never downloads: on a connected machine fetch {source}, then put "
                     f"it in {path.parent}.")


KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_mnist() -> ArrayData:
    """MNIST's training part (60,000 digits, 28x28 grey) from the Keras cache."""
    path = keras_home() / "datasets" / "mnist.npz"
    require_cached("MNIST", [path], KERAS_ORIGIN + "{name}")
    with np.load(path, allow_pickle=False) as archive:
        images, labels = archive["x_train"], archive["y_train"]
    return ArrayData(images[..., None], labels.reshape(-1).astype(np.int64), class_count=10)


def load_fashion_mnist() -> ArrayData:
    """Fashion-MNIST's training part (60,000 pieces of clothing, 28x28 grey)."""
    folder = keras_home() / "datasets" / "fashion-mnist"
    label_file = folder / "train-labels-idx1-ubyte.gz"
    image_file = folder / "train-images-idx3-ubyte.gz"
    require_cached("Fashion-MNIST", [label_file, image_file], KERAS_ORIGIN + "{name}")
    labels = read_idx(label_file, 8)
    images = read_idx(image_file, 16).reshape(len(labels), 28, 28, 1)
    return ArrayData(images, labels.astype(np.int64), class_count=10)


CIFAR_DOWNLOAD = "https://www.cs.toronto.edu/~kriz/{}-python.tar.gz (unpack it)"


def load_cifar10() -> ArrayData:
    """CIFAR-10's training part (50,000 colour images, 32x32, 10 classes)."""
    folder = keras_home() / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    files = [folder / f"data_batch_{i}" for i in range(1, 6)]
    require_cached("CIFAR-10", files, CIFAR_DOWNLOAD.format("cifar-10"))
    parts = [read_cifar_batch(path, b"labels") for path in files]
    return ArrayData(np.concatenate([p[0] for p in parts]),
                     np.concatenate([p[1] for p in parts]), class_count=10)


def load_cifar100() -> ArrayData:
    """CIFAR-100's training part (50,000 colour images, 32x32, 100 fine classes)."""
    path = (keras_home() / "datasets" / "cifar-100-python-target" / "cifar-100-python"
            / "train")
    require_cached("CIFAR-100", [path], CIFAR_DOWNLOAD.format("cifar-100"))
    images, labels = read_cifar_batch(path, b"fine_labels")
    return ArrayData(images, labels, class_count=100)


def load_npz(path: Path, test_split: float, seed: int) -> ArrayData:
    """x_train and y_train from a NumPy .npz file, checked as CNN Studio checks them.

    When the file has no x_test, CNN Studio holds out `test_split` of x_train
    (a shuffle seeded with `seed`) for evaluation; training gets the rest.
    """
    found = read_npz(path)
    images, labels = found.x_train, found.y_train
    if found.x_test is None and test_split > 0:
        keep, _ = hold_out(len(images), test_split, seed)
        images, labels = images[keep], labels[keep]
    return ArrayData(images, labels, found.class_count, found.label_form)


@dataclass
class FolderData:
    """Image files, one sub-folder per class, read and resized batch by batch."""

    scan: FolderScan
    image_size: tuple
    channels: int
    test_split: float
    label_form: str = "sparse"

    @property
    def image_shape(self) -> tuple:
        return (*self.image_size, self.channels)

    @property
    def class_count(self) -> int:
        return len(self.scan.class_names)

    def split(self):
        """Training and validation indices from one seeded shuffle; its first part, the
        test part, is kept for evaluation and not used here."""
        return training_split(len(self.scan.files), VALIDATION_SPLIT, self.test_split, SEED)

    def batches(self, indices, shuffle: bool) -> tf.data.Dataset:
        """Batches of (float32 images, labels), decoded and resized in parallel."""
        return folder_dataset(self.scan, self.image_size, self.channels, BATCH_SIZE,
                              indices, shuffle, SEED, normalize=NORMALIZE)


def load_folder(root: Path, image_size: tuple, channels: int, test_split: float) -> FolderData:
    """The images under `root`, one sub-folder per class in name order; files that are
    not images (by their first bytes) or do not decode are left out, before the split."""
    return FolderData(decodable(scan_folder(root), channels), image_size, channels,
                      test_split)


# ---------------------------------------------------------------------------
# Batches for model.fit
# ---------------------------------------------------------------------------
def choose_loss(data) -> str:
    """LOSS, or for 'auto' the loss that fits the labels and the output layer."""
    if LOSS != "auto":
        return LOSS
    return auto_loss(OUTPUT_UNITS, data.label_form)


def make_datasets(data, loss: str, augmented: bool = True):
    """Training and validation batches: split once from SEED; the training part is
    reshuffled every epoch and augmented (unless `augmented` is false), the
    validation part never is."""
    train_indices, validation_indices = data.split()
    shape_labels = label_shaper(loss, OUTPUT_UNITS)

    def part(indices, train: bool) -> tf.data.Dataset:
        batches = data.batches(indices, shuffle=train and SHUFFLE)
        if train and augmented:
            batches = augment(batches, augmentation_layers())
        return (batches.map(lambda x, y: (x, shape_labels(y)),
                            num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE))

    validation = part(validation_indices, False) if len(validation_indices) else None
    return part(train_indices, True), validation


def batches_checksum(batches) -> dict:
    """A SHA-256 over every batch of one pass, and the number of samples."""
    digest, samples = hashlib.sha256(), 0
    for images, labels in batches:
        digest.update(np.ascontiguousarray(images.numpy()).tobytes())
        digest.update(np.ascontiguousarray(labels.numpy()).tobytes())
        samples += int(images.shape[0])
    return {"sha256": digest.hexdigest(), "samples": samples}


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
def monitored(name: str, has_validation: bool) -> str:
    """A val_ value falls back to its training value when nothing is held out."""
    return name if has_validation else name.removeprefix("val_")


def device_scope():
    """Where the model is built and trained (the project's training.device)."""
    if DEVICE == "cpu":
        return tf.device("/cpu:0")
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if DEVICE == "gpu":
        if not gpus:
            sys.exit("DEVICE is 'gpu' but TensorFlow sees no GPU on this machine; set it "
                     "to 'cpu'.")
        return tf.device(gpus[0])
    devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) == 1:
        return tf.device(devices[0])
    return tf.distribute.MirroredStrategy(devices).scope()


def load_start_weights(model: keras.Model) -> None:
    """Start from START_WEIGHTS (an imported model's) where there are some; a missing
    file means training from scratch, as in CNN Studio."""
    if START_WEIGHTS is None:
        return
    if not START_WEIGHTS.is_file():
        print(f"Training from scratch: the imported weights file {START_WEIGHTS} is missing.")
        return
    model.load_weights(START_WEIGHTS)


def layer_summary(model: keras.Model) -> list:
    """Each layer's name, output shape (batch axis null) and parameter counts."""
    def count(weights):
        return int(sum(np.prod(w.shape) for w in weights))

    return [{"name": layer.name, "output_shape": list(layer.output.shape),
             "trainable_params": count(layer.trainable_weights),
             "non_trainable_params": count(layer.non_trainable_weights)}
            for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help=f"passes over the training images (default {EPOCHS})")
    parser.add_argument("--summary-json", action="store_true",
                        help="print each layer's output shape and parameter counts as JSON "
                             "and exit, without loading data")
    parser.add_argument("--data-checksum", action="store_true",
                        help="print a SHA-256 of the first epoch's training batches (before "
                             "augmentation) and validation batches as JSON and exit, "
                             "without training")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def load_base_weights(base, path: Path, expected: str, url: str) -> None:
    """A pre-trained base's weights from a local file; this script never downloads."""
    if not path.is_file():
        sys.exit(f"The weights file {path} does not exist. Get {expected} from {url} on a "
                 "computer with internet and put it there.")
    base.load_weights(str(path))


def fine_tune(model, loss: str, train, validation, done: int):
    """The second phase: the top layers of each pre-trained base learn, at a lower rate
    (set trainable, then compile again, as Keras's transfer-learning guide does)."""
    for name in FINE_TUNE["bases"]:
        base = model.get_layer(name)
        base.trainable = True
        for layer in base.layers[:-FINE_TUNE["unfreeze_top"]]:
            layer.trainable = False
    compile_model(model, loss, FINE_TUNE["learning_rate"])
    print(f"Fine-tuning: the top {FINE_TUNE['unfreeze_top']} layers of "
          f"{', '.join(FINE_TUNE['bases'])} learn at rate {FINE_TUNE['learning_rate']:g}")
    return model.fit(train, validation_data=validation, initial_epoch=done,
                     epochs=done + FINE_TUNE["epochs"],
                     callbacks=make_callbacks(validation is not None), shuffle=False,
                     verbose=2)


def main(argv=None) -> None:
    args = parse_arguments(argv)
    if args.summary_json:
        print(json.dumps(layer_summary(build_model())))
        return
    try:
        train_model(args)
    except DataError as error:  # data that cannot train this model: the sentence, no trace
        sys.exit(str(error))


def train_model(args: argparse.Namespace) -> None:
    """Load the data, check it against the model, then train and save (or only print
    the batches' checksum)."""
    data = load_training_data()
    loss = choose_loss(data)
    check_fit(data.image_shape, INPUT_SHAPE, OUTPUT_UNITS, data.class_count, loss)
    keras.utils.set_random_seed(SEED)  # weights, dropout, batch order, augmentation
    if args.data_checksum:  # augmentation is random, so the batches before it
        train, validation = make_datasets(data, loss, augmented=False)
        print(json.dumps({"train": batches_checksum(train),
                          "validation": None if validation is None
                          else batches_checksum(validation)}))
        return
    train, validation = make_datasets(data, loss)
    with device_scope():
        model = build_model()
        load_start_weights(model)
        compile_model(model, loss)
        model.summary()
        history = model.fit(train, validation_data=validation, epochs=args.epochs,
                            callbacks=make_callbacks(validation is not None),
                            shuffle=False,  # the tf.data pipeline shuffles
                            verbose=2)
        if FINE_TUNE:
            history = fine_tune(model, loss, train, validation, args.epochs)
    last = {name: round(float(values[-1]), 6) for name, values in history.history.items()}
    print("Final epoch:", ", ".join(f"{name} {value:g}" for name, value in last.items()))
    model.save(MODEL_FILE)
    print(f"Saved the trained model to {MODEL_FILE}")


# ---------------------------------------------------------------------------
# Written for each project by core.keras_script
# ---------------------------------------------------------------------------
# Stand-ins with the names and kinds the parts above read; an exported script
# defines its own from the project, and these are never copied into it.
INPUT_SHAPE: tuple = (28, 28, 1)
OUTPUT_UNITS = 10
BATCH_SIZE = 64
EPOCHS = 5
SEED = 0
VALIDATION_SPLIT = 0.1
SHUFFLE = True
NORMALIZE = True
LOSS = "sparse_categorical_crossentropy"
DEVICE = "cpu"
START_WEIGHTS: Path | None = None
MODEL_FILE = Path("model.keras")
FINE_TUNE: dict | None = None


def build_model() -> keras.Model:
    raise NotImplementedError("an exported script builds its project's model")


def compile_model(model: keras.Model) -> None:
    raise NotImplementedError("an exported script compiles with its project's settings")


def load_training_data():
    raise NotImplementedError("an exported script loads its project's data")


def augmentation_layers() -> list:
    return []


def make_callbacks() -> list:
    return []
