"""Broken and hostile data and model files (issue 19): one sentence each, never a crash."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from cnnstudio.core import project_from_dict
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.engine.arrays import DataError, ImageData, load_npz
from tests.images import write_png
from tests.training_projects import tiny_project


def npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


# 3. NaN or infinite pixels ---------------------------------------------------------------

def test_nan_or_infinite_pixels_are_refused_naming_the_array_and_index(tmp_path):
    x = np.zeros((5, 4, 4, 1), np.float32)
    x[3, 1, 2, 0] = np.inf
    x[4, 0, 0, 0] = np.nan
    with pytest.raises(DataError) as caught:
        load_npz(npz(tmp_path / "d.npz", x_train=x, y_train=np.arange(5) % 2))
    text = str(caught.value)
    assert "x_train" in text and "[3, 1, 2, 0]" in text and "2 NaN or infinite" in text


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_a_loss_nan_from_the_first_iteration_points_at_the_data_and_model():
    from cnnstudio.engine.trainer import Trainer

    x = np.random.default_rng(0).random((64, 12, 12, 1)).astype(np.float32)
    x[::2] = np.nan  # past the loading check, as a custom data source might
    data = ImageData(x, np.arange(64) % 6, class_names=[str(i) for i in range(6)])
    project = tiny_project(epochs=1, capture=False)  # no ReLU, which may turn NaN into 0:
    project = project.with_layers(project.layers[1:])  # Flatten, then a softmax Dense
    finished = Trainer(project, data=data).run()
    assert finished.reason == "nan"
    assert "iteration 1 of the first epoch" in finished.message
    assert "data may hold NaN" in finished.message


# 9. Labels that would build a class list of a billion names ------------------------------

def test_a_huge_label_is_refused_naming_it(tmp_path):
    y = np.array([0, 1, 10 ** 9])
    with pytest.raises(DataError, match="1,000,000,000"):
        load_npz(npz(tmp_path / "d.npz", x_train=np.zeros((3, 4, 4)), y_train=y))
    ok = load_npz(npz(tmp_path / "ok.npz", x_train=np.zeros((3, 4, 4)), y_train=[0, 1, 25]))
    assert ok.class_count == 26  # a few more classes than images is a sample, not an error


# 18. Files that are not .npz archives -------------------------------------------------------

def test_npz_impostors_get_one_sentence_naming_the_file(tmp_path):
    np.save(tmp_path / "single.npy", np.zeros(3))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    (tmp_path / "text.npz").write_text("x_train,y_train\n1,2\n")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    expected = {"single.npz": "single array (.npy)", "text.npz": "not a NumPy file",
                "broken.npz": "damaged zip archive"}
    for name, words in expected.items():
        with pytest.raises(DataError) as caught:
            load_npz(tmp_path / name)
        text = str(caught.value)
        assert name in text and words in text and "allow_pickle" not in text


def _folder(root: Path, good: int, bad: int) -> Path:
    for label in ("circle", "square"):
        for i in range(good):
            write_png(root / label / f"{i}.png", np.full((12, 12), 40 * i % 255))
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(bad):  # the right first bytes, then nothing decodable
            (root / label / f"bad{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    return root


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_a_folder_where_no_image_decodes_says_so(tmp_path):
    from cnnstudio.engine.trainer import Trainer

    root = _folder(tmp_path / "imgs", good=0, bad=3)
    project = project_from_dict({**tiny_project().to_dict(), "dataset": {
        "source": "folder", "path": str(root), "image_size": [12, 12], "channels": 1}})
    finished = Trainer(project, project_file=None).run()
    assert finished.reason == "error"
    assert "No image in" in finished.message and "could be decoded" in finished.message


# 20. Undecodable files do not shorten an epoch ------------------------------------------------

@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_undecodable_files_are_not_counted_in_an_epochs_steps(tmp_path):
    from cnnstudio.engine.trainer import Trainer

    root = _folder(tmp_path / "imgs", good=16, bad=4)
    project = project_from_dict({**tiny_project().to_dict(), "dataset": {
        "source": "folder", "path": str(root), "image_size": [12, 12], "channels": 1,
        "test_split": 0}, "training": {"epochs": 1, "batch_size": 8, "validation_split": 0,
                                       "capture": False}})
    finished = Trainer(project).run()
    assert finished.reason == "completed", finished.message
    (epoch,) = finished.run["epochs"]
    assert "partial" not in epoch
    assert finished.run["train_samples"] == 32 and finished.run["iterations_per_epoch"] == 4


# 11. A model archive whose description inflates to gigabytes ------------------------------

def test_a_keras_archive_with_an_inflating_config_is_refused_before_reading(tmp_path):
    from cnnstudio.engine.model_import import MAX_CONFIG_BYTES, ModelImportError, import_model

    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * (MAX_CONFIG_BYTES + 1))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(ModelImportError, match="more than the"):
        import_model(bomb)


def test_model_files_that_are_pipes_or_hold_deep_json_are_refused(tmp_path):
    import os

    from cnnstudio.engine.model_import import ModelImportError, import_model

    pipe = tmp_path / "pipe.keras"
    os.mkfifo(pipe)
    with pytest.raises(ModelImportError, match="not a regular file"):
        import_model(pipe)
    deep = tmp_path / "deep.keras"
    with zipfile.ZipFile(deep, "w") as archive:
        archive.writestr("config.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelImportError, match="damaged"):
        import_model(deep)
    huge = tmp_path / "huge.keras"
    with zipfile.ZipFile(huge, "w") as archive:
        archive.writestr("config.json", '{"class_name": ' + "9" * 5000 + "}")
    with pytest.raises(ModelImportError, match="damaged"):
        import_model(huge)
    assert dataset_config({}).source == "shapes"  # nothing above changed global state


# 4. Recording a run writes whole files or none --------------------------------------------

def test_a_failed_write_of_a_run_file_leaves_the_previous_file(tmp_path, monkeypatch):
    from cnnstudio.engine import probe_file

    path = tmp_path / "probe.npz"
    probe_file.save_npz_atomic(path, {"probe": np.ones(3)})

    def fails_half_way(handle, **arrays):
        handle.write(b"PK\x03\x04 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", fails_half_way)
    with pytest.raises(OSError):
        probe_file.save_npz_atomic(path, {"probe": np.zeros(3)})
    with np.load(path) as archive:
        assert archive["probe"].tolist() == [1.0, 1.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["probe.npz"]


@pytest.mark.slow  # trains
def test_a_checkpoint_that_cannot_be_written_is_said_in_the_run(tmp_path, monkeypatch):
    """A full disk while checkpointing does not stop training, but the record says the
    run was unprotected against a kill."""
    from cnnstudio.core import save_project
    from cnnstudio.engine.trainer import Trainer

    def disk_full(path, weights):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("cnnstudio.engine.probe_file.save_weight_list", disk_full)
    project_file = tmp_path / "p.cnnstudio.json"
    project = tiny_project(epochs=1, capture=False)
    save_project(project, project_file)
    finished = Trainer(project, project_file=project_file).run()
    assert finished.reason == "completed"
    assert "epoch checkpoints could not be written" in finished.run["message"]
    assert "No space left" in finished.run["message"]
