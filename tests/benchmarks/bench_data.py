"""Samples per second each data source's pipeline delivers, beside what training consumes.

Run: make bench   (or .venv/bin/python tests/benchmarks/bench_data.py)
Target (issue 4): data loading is never the bottleneck of training the built-in
templates: each pipeline must deliver more samples per second than `model.fit`
consumes on the fastest template here (the dense baseline) and the MNIST CNN.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from cnnstudio.core.dataset_config import dataset_config  # noqa: E402
from cnnstudio.engine.data import load_data  # noqa: E402
from tests.images import write_png  # noqa: E402

BATCH = 64


def rate(dataset, seconds: float = 3.0) -> float:
    """Samples per second pulled from a tf.data pipeline (after one warm-up batch)."""
    iterator = iter(dataset.repeat())
    next(iterator)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        count += len(next(iterator)[1])
    return count / (time.perf_counter() - start)


def fit_rate(template: str, x, y) -> float:
    import cnnstudio
    from cnnstudio.core.templates import get_template
    from cnnstudio.engine.pipeline import array_dataset

    model = cnnstudio.build_keras_model(get_template(template).project)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    data = array_dataset(x, y, BATCH)
    model.fit(data.take(5), verbose=0)
    start = time.perf_counter()
    model.fit(data, verbose=0)
    return len(x) / (time.perf_counter() - start)


def main() -> None:
    from cnnstudio.engine.folder_data import folder_dataset
    from cnnstudio.engine.pipeline import array_dataset

    shapes = load_data(dataset_config({"count": 6000}))
    rates = {"shapes (generated, in memory)": rate(array_dataset(shapes.x_train,
                                                                 shapes.y_train, BATCH))}
    start = time.perf_counter()
    load_data(dataset_config({"count": 10000}))
    generation = 10000 / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "d.npz", x_train=shapes.x_train, y_train=shapes.y_train)
        npz = load_data(dataset_config({"source": "npz", "path": str(Path(tmp) / "d.npz")}))
        rates["npz (in memory)"] = rate(array_dataset(npz.x_train, npz.y_train, BATCH))
        for i, (image, label) in enumerate(zip(shapes.x_train[:2000], shapes.y_train)):
            write_png(Path(tmp) / "folder" / str(label) / f"{i}.png", image[..., 0])
        scan = load_data(dataset_config({"source": "folder", "path": str(Path(tmp) / "folder"),
                                         "image_size": [28, 28], "channels": 1}))
        first = folder_dataset(scan, (28, 28), 1, BATCH, cache=False)
        rates["folder of PNG files, first epoch (tf.data, decode + resize)"] = rate(first)
        cached = folder_dataset(scan, (28, 28), 1, BATCH)
        for _ in cached:  # one full epoch fills the cache
            pass
        rates["folder of PNG files, later epochs (decoded images cached)"] = rate(cached)
    print(f"machine: {os.cpu_count()} cores; batch {BATCH}; 28x28x1 images")
    print(f"Shapes generation: {generation:,.0f} images/s")
    for name, value in rates.items():
        print(f"pipeline {name}: {value:,.0f} samples/s")
    for template in ("dense_baseline", "mnist_cnn"):
        print(f"model.fit consumes, {template}: "
              f"{fit_rate(template, shapes.x_train, shapes.y_train):,.0f} samples/s")


if __name__ == "__main__":
    main()
