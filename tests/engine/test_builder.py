"""`build_keras_model` gives the model the shape engine describes."""

from __future__ import annotations

import subprocess
import sys
from math import prod

import pytest

import cnnstudio
from cnnstudio.core.base_figures import known_figures
from cnnstudio.core import ShapeError, infer, load_project
from cnnstudio.core.resources import templates_dir

TEMPLATES = sorted(p.name for p in templates_dir().glob("*.cnnstudio.json"))


def _count(weights):
    return int(sum(prod(w.shape) for w in weights))


@pytest.mark.parametrize("template", TEMPLATES)
def test_keras_summary_equals_the_engine(template):
    project = load_project(templates_dir() / template)
    model = cnnstudio.build_keras_model(project)
    report = infer(project, known_figures())
    layers = [model.get_layer(r.name) for r in report.layers]  # Keras orders a graph its way
    assert len(model.layers) == len(report.layers) + 1  # and the InputLayer
    for layer, result in zip(layers, report.layers):
        assert [node.name for node in _sources(layer)] == [
            "input_layer" if s == "input" else s for s in result.inputs]
        assert tuple(layer.output.shape) == result.output_shape
        assert _count(layer.trainable_weights) == result.trainable_params
        assert _count(layer.non_trainable_weights) == result.non_trainable_params
    assert model.count_params() == report.total_params


def _sources(layer):
    """The layers whose outputs a Keras layer takes, in order."""
    tensors = layer._inbound_nodes[0].input_tensors
    return [t._keras_history.operation for t in tensors]


def test_frozen_layers_are_frozen_in_keras():
    model = cnnstudio.build_keras_model({"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "params": {"units": 3}, "trainable": False},
        {"type": "Dense", "params": {"units": 2}}]})
    assert [layer.trainable for layer in model.layers[1:]] == [False, True]


def test_invalid_stack_fails_with_the_engine_message():
    with pytest.raises(ShapeError,
                       match=r"layers\[0\] \(conv2d\) is invalid: kernel 5x5 does not fit"):
        cnnstudio.build_keras_model({"input": {"shape": [3, 3, 1]}, "layers": [
            {"type": "Conv2D", "params": {"filters": 1, "kernel_size": 5}}]})


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_tensorflow_loads_only_when_the_builder_is_called():
    code = ("import sys, cnnstudio; p = cnnstudio.load_project(sys.argv[1]); "
            "cnnstudio.infer_shapes(p); before = 'tensorflow' in sys.modules; "
            "cnnstudio.build_keras_model(p); print(before, 'tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code,
                             str(templates_dir() / "mnist_cnn.cnnstudio.json")],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["False", "True"], result.stderr[-2000:]
