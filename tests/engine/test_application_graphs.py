"""keras.applications networks, built with random weights, import as editable graphs whose
every layer equals Keras's, and go back out as a Keras script with the same figures."""

from __future__ import annotations

import json
from math import prod

import pytest

from cnnstudio.core import infer
from cnnstudio.core.keras_script import write_keras_script
from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.model_import import import_model
from tests.script_runner import Job, run_scripts

pytestmark = pytest.mark.slow  # builds six networks in Keras, and again in a script

keras = import_keras()

APPLICATIONS = {"ResNet50": 32, "MobileNetV2": 32, "InceptionV3": 75, "DenseNet121": 32,
                "Xception": 71, "VGG16": 32}
"""Each network at the smallest input Keras builds it for: the figures do not depend on the
image size past that, and building is quicker."""


def _count(weights) -> int:
    return int(sum(prod(w.shape) for w in weights))


def test_six_applications_import_layer_for_layer_and_export_back(tmp_path):
    """One test, so one worker builds the six networks (seconds each) once."""
    jobs, imported = [], {}
    for name, size in APPLICATIONS.items():
        model = getattr(keras.applications, name)(include_top=False, weights=None,
                                                  pooling="avg", input_shape=(size, size, 3))
        model.save(tmp_path / f"{name}.keras")
        project_file = tmp_path / f"{name}.cnnstudio.json"
        project = import_model(tmp_path / f"{name}.keras", project_file).project
        report = infer(project)
        assert report.valid and project.is_graph == (name != "VGG16"), name
        assert len(report.layers) == len(model.layers) - 1  # the InputLayer: the model input
        for result in report.layers:
            layer = model.get_layer(result.name)
            assert result.output_shape == tuple(layer.output.shape), (name, result.name)
            assert (result.trainable_params, result.non_trainable_params) == (
                _count(layer.trainable_weights), _count(layer.non_trainable_weights)), (
                name, result.name)
        assert report.total_params == model.count_params(), name
        imported[name] = {r.name: (list(r.output_shape), r.trainable_params,
                                   r.non_trainable_params) for r in report.layers}
        jobs.append(Job(write_keras_script(project, tmp_path / f"{name}_script.py",
                                           project_file), ("--summary-json",)))
        keras.backend.clear_session()
    for (name, expected), result in zip(imported.items(), run_scripts(jobs)):
        assert result.returncode == 0, result.stderr[-2000:]
        layers = json.loads(result.stdout.strip().splitlines()[-1])
        assert {item["name"]: (item["output_shape"], item["trainable_params"],
                               item["non_trainable_params"]) for item in layers} == expected, name
