"""`cnnstudio shapes` as a user runs it: in a subprocess, checking output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cnnstudio.core.resources import templates_dir


def cnnstudio(*args):
    return subprocess.run([sys.executable, "-m", "cnnstudio", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_shapes_prints_a_summary_table():
    result = cnnstudio("shapes", templates_dir() / "alexnet.cnnstudio.json")
    assert result.returncode == 0, result.stderr
    assert "conv2d (Conv2D)" in result.stdout
    assert "(None, 55, 55, 96)" in result.stdout
    assert "Total params: 62,378,344" in result.stdout


def test_shapes_json_matches_the_design_contract():
    result = cnnstudio("shapes", templates_dir() / "mnist_cnn.cnnstudio.json", "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["valid"] is True
    assert doc["input_shape"] == [None, 28, 28, 1]
    assert doc["layers"][0] == {"name": "conv2d", "type": "Conv2D",
                                "output_shape": [None, 26, 26, 32], "params": 320,
                                "trainable_params": 320, "non_trainable_params": 0,
                                "error": None}
    assert doc["total_params"] == 1_199_882


def test_invalid_architecture_exits_1_with_the_error_at_its_layer(tmp_path):
    path = tmp_path / "bad.cnnstudio.json"
    path.write_text(json.dumps({"input": {"shape": [3, 3, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 8, "kernel_size": 5}},
        {"type": "Flatten"}]}))
    result = cnnstudio("shapes", path, "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert "(3 - 5 + 2*0)/1 + 1 = -1" in doc["layers"][0]["error"]
    assert doc["layers"][1]["output_shape"] is None and doc["layers"][1]["params"] is None
    text = cnnstudio("shapes", path)
    assert text.returncode == 1 and "error: kernel 5x5 does not fit" in text.stdout


def test_unreadable_file_exits_2_with_one_sentence(tmp_path):
    path = tmp_path / "trunc.cnnstudio.json"
    path.write_text('{"input": {"shape": [28, 28')
    result = cnnstudio("shapes", path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not valid JSON" in lines[0] and str(path) in lines[0]


def test_wrong_type_exits_2_naming_the_field(tmp_path):
    path = tmp_path / "t.cnnstudio.json"
    path.write_text(json.dumps({"input": {"shape": [28, 28, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 8, "kernel_size": "big"}}]}))
    result = cnnstudio("shapes", path, "--json")
    assert result.returncode == 2
    assert "layers[0].params.kernel_size" in result.stderr
    assert "Traceback" not in result.stderr




@pytest.mark.parametrize("doc, field", [
    ({"layers": []}, "input"),
    ({"input": {"shape": [8, 8, 1]}, "layers": [{"type": "Conv2D", "params": {
        "filters": -4, "kernel_size": 3}}]}, "layers[0].params.filters"),
    ({"input": {"shape": [8, 8, 1]}, "layers": [{"type": "Convolution2D"}]}, "layers[0].type"),
])
def test_bad_fields_exit_2_with_one_sentence_naming_the_field(tmp_path, doc, field):
    path = tmp_path / "bad.cnnstudio.json"
    path.write_text(json.dumps(doc))
    result = cnnstudio("shapes", path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"{field}:" in result.stderr


def test_templates_and_new(tmp_path):
    listing = cnnstudio("templates")
    assert listing.returncode == 0
    for key in ("mnist_cnn", "lenet5", "alexnet", "vgg_small", "dense_baseline"):
        assert key in listing.stdout
    out = tmp_path / "le.cnnstudio.json"
    made = cnnstudio("new", "--template", "lenet5", out)
    assert made.returncode == 0, made.stderr
    shapes = json.loads(cnnstudio("shapes", out, "--json").stdout)
    assert shapes["total_params"] == 61_706
    again = cnnstudio("new", "--template", "lenet5", out)
    assert again.returncode == 2 and "already exists" in again.stderr
    unknown = cnnstudio("new", "--template", "resnet", tmp_path / "x.cnnstudio.json")
    assert unknown.returncode == 2 and "mnist_cnn" in unknown.stderr


def test_export_needs_a_target_and_reads_the_project_first(tmp_path):
    missing = cnnstudio("export", tmp_path / "x.cnnstudio.json", "--to", "keras-model",
                        tmp_path / "x.keras")
    assert missing.returncode == 2 and "x.cnnstudio.json" in missing.stderr
    no_target = cnnstudio("export", tmp_path / "x.cnnstudio.json", tmp_path / "x.keras")
    assert no_target.returncode == 2 and "--to" in no_target.stderr


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


@pytest.mark.slow
def test_the_mnist_cnn_template_learns_shapes_headless(tmp_path):
    """README: 67% validation accuracy after the default 5 epochs; the floor leaves room."""
    path = tmp_path / "mnist.cnnstudio.json"
    assert cnnstudio("new", "--template", "mnist_cnn", path).returncode == 0
    result = subprocess.run([sys.executable, "-m", "cnnstudio", "train", str(path), "--json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    final = json.loads(result.stdout.splitlines()[-1])
    assert final["epochs"] == 5
    assert final["val_accuracy"] >= 0.55, final
