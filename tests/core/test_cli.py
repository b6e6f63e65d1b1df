"""The command line as a user runs it, checking output and exit codes.

One test runs `python -m cnnstudio` in a subprocess, as a user types it; the rest
call the same `main` in this process (a subprocess that imports TensorFlow costs
seconds, and what they check is the command's output and exit status).
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import pytest

from cnnstudio.core.resources import templates_dir


def cnnstudio(*args) -> subprocess.CompletedProcess:
    """`cnnstudio ARGS` run by `cli.main` in this process, its output captured."""
    from cnnstudio.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_shapes_prints_a_summary_table():
    result = subprocess.run([sys.executable, "-m", "cnnstudio", "shapes",
                             str(templates_dir() / "alexnet.cnnstudio.json")],
                            capture_output=True, text=True, timeout=60)
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
    assert doc["layers"][0] == {"name": "conv2d", "type": "Conv2D", "inputs": ["input"],
                                "output_shape": [None, 26, 26, 32], "params": 320,
                                "trainable_params": 320, "non_trainable_params": 0,
                                "error": None}
    assert doc["layers"][1]["inputs"] == ["conv2d"]
    assert doc["total_params"] == 1_199_366


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
    assert shapes["total_params"] == 61_366
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
