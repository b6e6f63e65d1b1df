"""Exported Keras scripts, run as a user runs them: in their own Python process.

They build what the shape engine describes, read exactly the batches the
engine's training pipeline makes, never download, and train.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core import LayerSpec, Project, infer
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.keras_script import write_keras_script
from cnnstudio.core.templates import list_templates
from cnnstudio.core.training_config import training_config
from cnnstudio.engine.data import load_data
from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.training_data import fit_data
from tests.images import write_png
from tests.script_runner import Job, Result, run_scripts

pytestmark = pytest.mark.slow  # trains, or starts a TensorFlow process

keras = import_keras()


def run_script(path: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    """The script in a fresh interpreter, from its own folder, as `python script.py`."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=path.parent)


def last_json(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def small(input_shape=(12, 12, 1), units: int = 6, dataset=None, training=None,
          layers=None) -> Project:
    layers = layers or (LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3,
                                             "activation": "relu"}),
                        LayerSpec("MaxPooling2D"), LayerSpec("Flatten"),
                        LayerSpec("Dense", {"units": units, "activation": "softmax"}))
    return Project(name="small", input_shape=input_shape, layers=layers,
                   dataset=dataset or {"source": "shapes", "image_size": [12, 12]},
                   training={"batch_size": 16, "epochs": 1, **(training or {})})


# The model ------------------------------------------------------------------------------

FROZEN = Project(name="frozen parts", input_shape=(16, 16, 3), layers=(
    LayerSpec("Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same"}, trainable=False),
    LayerSpec("BatchNormalization"),
    LayerSpec("BatchNormalization", name="frozen_norm", trainable=False),
    LayerSpec("Activation", {"activation": "relu"}),
    LayerSpec("GlobalAveragePooling2D"),
    LayerSpec("Dense", {"units": 5, "activation": "softmax"}, trainable=False)))

BASE_IN_GRAPH = Project(name="base in a graph", input_shape=(32, 32, 3), layers=(
    LayerSpec("Application", {"application": "MobileNetV2", "pooling": "avg"}, name="base",
              trainable=False),
    LayerSpec("Dense", {"units": 8, "activation": "relu"}, name="a"),
    LayerSpec("Dense", {"units": 8}, name="b", trainable=False, inputs=("base",)),
    LayerSpec("Add", name="add", inputs=("a", "b")),
    LayerSpec("Dense", {"units": 6, "activation": "softmax"}, name="out")))
"""A pre-trained base whose output two branches take, one of them frozen."""

CASES = [pytest.param(t.project, t.path, id=t.key) for t in list_templates()] + \
    [pytest.param(FROZEN, None, id="frozen_layers"),
     pytest.param(BASE_IN_GRAPH, None, id="base_in_a_graph")]


@pytest.fixture(scope="module")
def summaries(tmp_path_factory) -> dict[str, Result]:
    """Every case's `--summary-json`, the scripts run in one process (tests/script_runner)."""
    from cnnstudio.engine.builder import measure_bases

    jobs = []
    for case in CASES:
        project, project_file = case.values
        measure_bases(project)  # a base's figures come from Keras, as the export does
        folder = tmp_path_factory.mktemp(case.id)
        jobs.append(Job(write_keras_script(project, folder / "model_script.py", project_file),
                        ("--summary-json",)))
    return dict(zip([case.id for case in CASES], run_scripts(jobs)))


@pytest.mark.parametrize("project, project_file", CASES)
def test_summary_json_equals_the_shape_engine(project, project_file, summaries, request):
    layers = last_json(summaries[request.node.callspec.id])
    expected = [{"name": r.name, "output_shape": list(r.output_shape),
                 "trainable_params": r.trainable_params,
                 "non_trainable_params": r.non_trainable_params}
                for r in infer(project, known_figures()).layers]
    if project.is_graph:  # Keras lists a graph's layers by depth, not in the file's order
        layers, expected = (sorted(items, key=lambda item: item["name"])
                            for items in (layers, expected))
    assert layers == expected


# The data -------------------------------------------------------------------------------

def digest(batches) -> dict:
    """What the script's --data-checksum prints, from the engine's batches."""
    hashed, samples = hashlib.sha256(), 0
    for images, labels in batches:
        hashed.update(np.ascontiguousarray(images.numpy()).tobytes())
        hashed.update(np.ascontiguousarray(labels.numpy()).tobytes())
        samples += int(images.shape[0])
    return {"sha256": hashed.hexdigest(), "samples": samples}


def engine_checksums(project: Project, project_file: Path | None = None) -> dict:
    """The first epoch's batches as the Trainer makes them (seed set first, as it does),
    without augmentation, which is random."""
    config = dataset_config({**project.dataset, "augmentation": []})
    training = training_config(project.training)
    data = load_data(config, project_file)
    keras.utils.set_random_seed(training.seed)
    fit = fit_data(project, infer(project, known_figures()).output_shape, data, config, training)
    return {"train": digest(fit.train),
            "validation": None if fit.validation is None else digest(fit.validation)}


def npz_one_hot_without_test_part(root: Path) -> Project:
    """Grey (N, H, W) images and one-hot labels: a channel axis, a held-out test part and
    categorical_crossentropy with one-hot rows, as the engine does."""
    rng = np.random.default_rng(1)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 60)]
    np.savez(root / "data" / "set.npz", x_train=rng.integers(0, 256, (60, 12, 12),
                                                             dtype=np.uint8), y_train=labels)
    return small(dataset={"source": "npz", "path": "data/set.npz", "test_split": 0.2,
                          "seed": 3}, training={"validation_split": 0.25, "seed": 2})


def image_folder(root: Path) -> Project:
    """Two class folders of PNGs of another size (resized), one file that is no image and
    one damaged PNG."""
    rng = np.random.default_rng(2)
    for label in ("cats", "dogs"):
        for i in range(12):
            write_png(root / "data" / "pictures" / label / f"{i:02}.png",
                      rng.integers(0, 256, (14, 10), dtype=np.uint8))
    (root / "data" / "pictures" / "cats" / "notes.txt").write_text("not an image")
    # the right first bytes and nothing decodable: both leave it out before the split
    (root / "data" / "pictures" / "cats" / "00b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return small(dataset={"source": "folder", "path": "data/pictures", "image_size": [12, 12],
                          "test_split": 0.2}, training={"validation_split": 0.2})


def mnist_cache(root: Path) -> Project:
    rng = np.random.default_rng(3)
    np.savez(root / "datasets" / "mnist.npz",
             x_train=rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 40).astype(np.uint8),
             x_test=np.zeros((4, 28, 28), np.uint8), y_test=np.arange(4))
    return small((28, 28, 1), 10, {"source": "keras", "name": "mnist"})


def _idx(path: Path, header_bytes: int, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as handle:
        handle.write(b"\0" * header_bytes + array.astype(np.uint8).tobytes())


def fashion_cache(root: Path) -> Project:
    rng = np.random.default_rng(4)
    folder = root / "datasets" / "fashion-mnist"
    _idx(folder / "train-labels-idx1-ubyte.gz", 8, rng.integers(0, 10, 30))
    _idx(folder / "train-images-idx3-ubyte.gz", 16, rng.integers(0, 256, (30, 28, 28)))
    _idx(folder / "t10k-labels-idx1-ubyte.gz", 8, np.arange(2))
    _idx(folder / "t10k-images-idx3-ubyte.gz", 16, np.zeros((2, 28, 28)))
    return small((28, 28, 1), 10, {"source": "keras", "name": "fashion_mnist"})


def _cifar_batch(path: Path, label_key: bytes, count: int, rng) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    batch = {b"data": rng.integers(0, 256, (count, 3 * 32 * 32), dtype=np.uint8),
             label_key: rng.integers(0, 10, count).tolist()}
    with open(path, "wb") as handle:
        pickle.dump(batch, handle, protocol=4)


def cifar10_cache(root: Path) -> Project:
    rng = np.random.default_rng(5)
    folder = root / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        _cifar_batch(folder / name, b"labels", 6, rng)
    return small((32, 32, 3), 10, {"source": "keras", "name": "cifar10"})


def cifar100_cache(root: Path) -> Project:
    rng = np.random.default_rng(6)
    folder = root / "datasets" / "cifar-100-python-target" / "cifar-100-python"
    _cifar_batch(folder / "train", b"fine_labels", 30, rng)
    _cifar_batch(folder / "test", b"fine_labels", 4, rng)
    return small((32, 32, 3), 100, {"source": "keras", "name": "cifar100"})


SOURCES = [npz_one_hot_without_test_part, image_folder, mnist_cache, fashion_cache,
           cifar10_cache, cifar100_cache]


@pytest.fixture(scope="module")
def checksums(tmp_path_factory) -> dict[str, tuple[dict, Result]]:
    """For each data source: the engine's checksum and the script's `--data-checksum`
    (the scripts run in one process, each with its own KERAS_HOME)."""
    expected, jobs = {}, []
    for make in SOURCES:
        root = tmp_path_factory.mktemp(make.__name__)
        home = root / "keras"
        (home / "datasets").mkdir(parents=True)
        (root / "project" / "data").mkdir(parents=True)
        project = make(home if "cache" in make.__name__ else root / "project")
        project_file = root / "project" / "p.cnnstudio.json"
        (root / "out").mkdir()
        script = write_keras_script(project, root / "out" / "train_it.py", project_file)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KERAS_HOME", str(home))
            expected[make.__name__] = engine_checksums(project, project_file)
        jobs.append(Job(script, ("--data-checksum",), (("KERAS_HOME", str(home)),)))
    results = run_scripts(jobs)
    return {name: (expected[name], result) for name, result in zip(expected, results)}


@pytest.mark.parametrize("make", SOURCES, ids=lambda make: make.__name__)
def test_the_script_reads_the_batches_the_engine_makes(make, checksums):
    expected, result = checksums[make.__name__]
    assert last_json(result) == expected
    assert expected["train"]["samples"] > 0


def npz_with_nan_pixels(root: Path) -> Project:
    x = np.random.default_rng(4).random((30, 12, 12)).astype(np.float32)
    x[7, 3, 5] = np.nan
    np.savez(root / "data" / "set.npz", x_train=x, y_train=np.arange(30) % 3)
    return small(dataset={"source": "npz", "path": "data/set.npz"})


def npz_with_rows_that_are_not_one_hot(root: Path) -> Project:
    np.savez(root / "data" / "set.npz", x_train=np.zeros((10, 12, 12), np.uint8),
             y_train=np.full((10, 3), 0.5))
    return small(dataset={"source": "npz", "path": "data/set.npz"})


def npz_of_another_image_size(root: Path) -> Project:
    np.savez(root / "data" / "set.npz", x_train=np.zeros((20, 14, 14), np.uint8),
             y_train=np.arange(20) % 3)
    return small(dataset={"source": "npz", "path": "data/set.npz"})


def more_classes_than_units(root: Path) -> Project:
    np.savez(root / "data" / "set.npz", x_train=np.zeros((20, 12, 12), np.uint8),
             y_train=np.arange(20) % 5)
    return small(units=3, dataset={"source": "npz", "path": "data/set.npz"})


def folder_with_one_class(root: Path) -> Project:
    write_png(root / "data" / "pictures" / "cats" / "a.png", np.zeros((12, 12), np.uint8))
    return small(dataset={"source": "folder", "path": "data/pictures", "image_size": [12, 12]})


REFUSED = [npz_with_nan_pixels, npz_with_rows_that_are_not_one_hot, npz_of_another_image_size,
           more_classes_than_units, folder_with_one_class]


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[str, tuple[str, Result]]:
    """For each data set that cannot train its model: the engine's DataError and the
    script's run (all scripts in one process)."""
    from cnnstudio.engine.arrays import DataError

    expected, jobs = {}, []
    for make in REFUSED:
        root = tmp_path_factory.mktemp(make.__name__)
        (root / "project" / "data").mkdir(parents=True)
        project = make(root / "project")
        project_file = root / "project" / "p.cnnstudio.json"
        with pytest.raises(DataError) as refused:
            engine_checksums(project, project_file)
        expected[make.__name__] = str(refused.value)
        jobs.append(Job(write_keras_script(project, root / "train_it.py", project_file),
                        ("--epochs", "1")))
    return dict(zip(expected, zip(expected.values(), run_scripts(jobs))))


@pytest.mark.parametrize("make", REFUSED, ids=lambda make: make.__name__)
def test_the_script_refuses_what_the_engine_refuses_with_the_same_sentence(make, refusals):
    sentence, result = refusals[make.__name__]
    assert result.returncode == 1
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_cache_file_is_named_and_nothing_is_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    script = write_keras_script(small((28, 28, 1), 10, {"source": "keras", "name": "mnist"}),
                                tmp_path / "mnist_script.py")
    result = run_script(script, timeout=120)
    assert result.returncode == 1
    missing = tmp_path / "keras" / "datasets" / "mnist.npz"
    assert f"MNIST is not in the Keras cache: {missing} is missing. This script never " \
           f"downloads: on a connected machine fetch https://storage.googleapis.com/" \
           f"tensorflow/tf-keras-datasets/mnist.npz, then put it in {missing.parent}." \
           in result.stderr
    assert not missing.exists()
    assert "Traceback" not in result.stderr


# Training ---------------------------------------------------------------------------------

@pytest.mark.slow  # real training, two runs of the script: 9 s, near 20 s on a busy machine
def test_a_tiny_shapes_project_trains_end_to_end_on_the_engines_data(tmp_path):
    project = small(dataset={"source": "shapes", "count": 200, "image_size": [12, 12],
                             "seed": 4, "augmentation": [
                                 {"type": "RandomFlip", "params": {"mode": "horizontal"}}]},
                    training={"epochs": 3, "seed": 1, "optimizer": "sgd",
                              "learning_rate": 0.05,
                              "early_stopping": {"enabled": True, "patience": 1},
                              "reduce_lr": {"enabled": True, "patience": 1}})
    script = write_keras_script(project, tmp_path / "shapes_script.py")
    result = run_script(script, "--epochs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert 'Model: "small"' in out  # model.summary() first
    assert f"Total params: {infer(project, known_figures()).total_params:,}" in out
    assert out.index("Total params") < out.index("loss:")
    final = next(line for line in out.splitlines() if line.startswith("Final epoch:"))
    assert " loss " in final and "val_loss" in final
    assert (tmp_path / "shapes_script.keras").is_file()
    assert (tmp_path / "shapes_script.best.weights.h5").is_file()
    trained = keras.models.load_model(tmp_path / "shapes_script.keras")
    assert [layer.name for layer in trained.layers[1:]] == project.layer_names()
    assert last_json(run_script(script, "--data-checksum")) == engine_checksums(project)
