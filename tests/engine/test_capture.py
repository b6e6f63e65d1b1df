"""Layer dynamics captured while training: frozen layers exactly still, the rest moving."""

from __future__ import annotations

import pytest

import numpy as np

from cnnstudio.core import LayerSpec, Project

pytestmark = pytest.mark.slow  # trains, or starts a TensorFlow process


def test_frozen_layers_do_not_change_and_backpropagation_reaches_the_first_layer(tmp_path):
    from cnnstudio.engine.probe_file import load_outputs
    from cnnstudio.engine.trainer import Trainer

    project = Project(
        name="dynamics", input_shape=(12, 12, 1),
        layers=(LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
                LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"},
                          trainable=False),
                LayerSpec("Flatten"), LayerSpec("Dropout", {"rate": 0.3}),
                LayerSpec("Dense", {"units": 6, "activation": "softmax"})),
        dataset={"source": "shapes", "count": 120, "image_size": [12, 12]},
        training={"epochs": 2, "batch_size": 16})
    finished = Trainer(project, project_file=tmp_path / "p.cnnstudio.json").run()
    run = finished.run
    dynamics = run["dynamics"]
    assert dynamics["layers"] == ["conv2d", "conv2d_1", "dense"]
    assert dynamics["epochs"] == [1, 2]
    for change, grad in zip(dynamics["weight_change"], dynamics["gradient_norm"]):
        assert change[1] == 0.0 and grad[1] == 0.0  # frozen: exactly still
        assert change[0] > 0 and change[2] > 0  # before and after Flatten: learning
        assert grad[0] > 0 and grad[2] > 0
    probe, outputs = load_outputs(tmp_path / run["probe"])
    assert probe.shape == (12, 12, 1)
    assert sorted(outputs) == [0, 1, 2]
    assert outputs[1]["conv2d"].shape == (10, 10, 4)
    assert outputs[1]["flatten"].shape == (256,)
    assert not np.array_equal(outputs[1]["flatten"], outputs[2]["flatten"])  # layers before learn
    assert np.array_equal(outputs[2]["dropout"], outputs[2]["flatten"])  # inference: no dropout


def test_capture_can_be_turned_off(tmp_path):
    from cnnstudio.engine.trainer import Trainer
    from tests.training_projects import tiny_project

    run = Trainer(tiny_project(epochs=1, capture=False), project_file=tmp_path / "p.json").run().run
    assert "dynamics" not in run and "probe" not in run
