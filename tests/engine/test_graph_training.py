"""The graph templates (ResNet, Inception, DenseNet) train headless with `cnnstudio train`,
and everything that looks inside a run works on a graph: the capture of every node's
output, evaluation, the dropout view, the run's model rebuilt from its record."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from cnnstudio.core import load_project, save_project
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.templates import get_template
from cnnstudio.core.training_config import training_config
from tests.core.test_cli import cnnstudio

pytestmark = pytest.mark.slow  # trains three networks for an epoch

GRAPHS = ("resnet_small", "inception_small", "densenet_small")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """Each template, on 192 Shapes images for one epoch, trained by the command line."""
    folder = tmp_path_factory.mktemp("graphs")
    done = {}
    for key in GRAPHS:
        project = get_template(key).project
        path = folder / f"{key}.cnnstudio.json"
        save_project(replace(project, dataset={**project.dataset, "count": 192},
                             training={**project.training, "batch_size": 32}), path)
        result = cnnstudio("train", path, "--epochs", "1", "--json")
        done[key] = (path, result)
    return done


@pytest.mark.parametrize("key", GRAPHS)
def test_a_graph_template_trains_and_records_its_connections(key, trained):
    path, result = trained[key]
    assert result.returncode == 0, result.stderr[-2000:]
    epoch, final = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epoch)
    assert np.isfinite(epoch["loss"]) and final["ended"] == "completed"
    project = load_project(path)
    run = project.runs[0]
    recorded = [layer.get("inputs") for layer in run["layers"]]
    assert recorded == [layer.to_dict().get("inputs") for layer in project.layers]
    assert any(inputs and len(inputs) > 1 for inputs in recorded)  # the merges


def test_a_graph_runs_model_shows_every_node_evaluates_and_drops_out(trained):
    from cnnstudio.engine.data import load_data
    from cnnstudio.engine.dropout_view import dropout_sample
    from cnnstudio.engine.evaluation import evaluate
    from cnnstudio.engine.layer_outputs import layer_outputs
    from cnnstudio.engine.probe_file import load_outputs
    from cnnstudio.engine.run_model import model_for_run

    path, _ = trained["inception_small"]
    project = load_project(path)
    run = project.runs[0]
    model = model_for_run(run, path)
    config = dataset_config(project.dataset)
    data = load_data(config, path)
    image = data.x_train[0].astype(np.float32) / 255
    outputs = layer_outputs(model, image)
    assert set(outputs) == set(project.layer_names())  # every node, branches and merges
    assert outputs["inc1_concat"].shape == (14, 14, 56)
    probe, epochs = load_outputs(path.parent / run["probe"])
    assert set(epochs[1]) == set(project.layer_names())  # the capture during training
    training = training_config(project.training)
    result = evaluate(model, data, config, training, training.loss)
    assert result.confusion.sum() == len(result.y_true) > 0
    sample = dropout_sample(model, image, "dropout")
    assert sample.previous == "pool" and len(sample.training) == 3
