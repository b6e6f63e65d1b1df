"""Reading Keras's own data sets from its local cache, in Keras's formats, with NumPy
alone: the engine reads them with these, and an exported script carries them.

`keras.datasets.*.load_data()` downloads what is missing, and again when a cached
file's checksum differs; CNN Studio and its scripts never download.
"""
from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np


# ---------------------------------------------------------------------------
# Data sources
# ---------------------------------------------------------------------------
def keras_home() -> Path:
    """Where Keras keeps its downloads: $KERAS_HOME, else ~/.keras (Keras's own rule)."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"])
    base = Path.home() if os.access(Path.home(), os.W_OK) else Path("/tmp")
    return base / ".keras"


def read_idx(path: Path, header_bytes: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=header_bytes)


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Reads the CIFAR pickles, refusing anything but NumPy arrays (as Keras does)."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a CIFAR file")


def read_cifar_batch(path: Path, label_key: bytes):
    """One CIFAR pickle: images as (N, 32, 32, 3) and their labels."""
    with open(path, "rb") as handle:
        batch = NumpyOnlyUnpickler(handle, encoding="bytes").load()
    images = np.asarray(batch[b"data"]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch[label_key]).reshape(-1).astype(np.int64)
