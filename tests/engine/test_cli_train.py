"""`cnnstudio train` as a user runs it: output lines, the recorded run, exit codes.

`main` runs in this process (see tests/core/test_cli.py); the subprocess cases,
where a signal or a closed pipe is the point, are in test_hostile_training.py.
"""

from __future__ import annotations

import pytest

import json

from tests.core.test_cli import cnnstudio

pytestmark = pytest.mark.slow  # trains, or starts a TensorFlow process


def test_train_prints_json_lines_and_records_the_run(tmp_path):
    from cnnstudio.core import load_project, save_project
    from tests.training_projects import tiny_project

    path = tmp_path / "tiny.cnnstudio.json"
    save_project(tiny_project(), path)
    result = cnnstudio("train", path, "--epochs", "2", "--batch-size", "32", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["epoch"] for line in lines[:-1]] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(lines[0])
    final = lines[-1]
    assert final["final"] is True and final["ended"] == "completed" and final["epochs"] == 2
    runs = load_project(path).runs
    assert len(runs) == 1 and runs[0]["id"] == final["run"]
    assert runs[0]["settings"]["batch_size"] == 32 and runs[0]["settings"]["epochs"] == 2
    text = cnnstudio("train", path, "--epochs", "1")
    assert text.returncode == 0
    assert "epoch 1/1  loss" in text.stdout and "Recorded as run-2" in text.stdout
    assert len(load_project(path).runs) == 2


def test_train_failures_exit_non_zero_with_one_sentence(tmp_path):
    from cnnstudio.core import edits, load_project, save_project
    from tests.training_projects import exploding_project, tiny_project

    missing = cnnstudio("train", tmp_path / "nothing.cnnstudio.json")
    assert missing.returncode == 2 and "nothing.cnnstudio.json" in missing.stderr
    path = tmp_path / "bad.cnnstudio.json"
    save_project(edits.set_param(tiny_project(), 2, "units", 3), path)
    bad = cnnstudio("train", path)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].startswith("cnnstudio: The data has 6 classes")
    assert load_project(path).runs == ()  # nothing trained, nothing recorded
    path = tmp_path / "nan.cnnstudio.json"
    save_project(exploding_project(epochs=4), path)
    nan = cnnstudio("train", path, "--json")
    assert nan.returncode == 1 and "NaN" in nan.stderr
    assert load_project(path).runs[0]["ended"] == "nan"
    assert cnnstudio("train", path, "--epochs", "0").returncode == 2
