"""The sweep's plan: what `--set` accepts, which keys name a setting, each trial's project."""

from __future__ import annotations

import pytest

from cnnstudio.core import LayerSpec, ProjectError
from cnnstudio.core.sweep_plan import (
    SweepError, loads_own_data, make_plan, parse_setting, trial_project, with_values,
)
from tests.training_projects import tiny_project


def test_lists_multiply_into_trials_and_ranges_are_drawn():
    project = tiny_project()
    plan = make_plan(["training.learning_rate=0.001,0.01",
                      "layers.dense.params.units=6,8,12"], project)
    assert plan.trial_count() == 6 and not plan.sampled
    assert plan.grid()[1] == {"training.learning_rate": 0.001, "layers.dense.params.units": 8}
    assert plan.samples == 1
    sampled = make_plan(["training.learning_rate=1e-4..1e-1", "training.batch_size=16,32",
                         "layers.conv2d.params.filters=2..8"], project, samples=5)
    assert sampled.trial_count() == 10 and sampled.sampled
    rate, _, filters = sampled.settings
    assert rate.log_scale and not rate.integer
    assert filters.integer and not filters.log_scale
    assert make_plan(["training.shuffle=true,false"], project, samples=4).samples == 1


def test_values_are_read_as_json_else_as_text():
    setting = parse_setting("layers.conv2d.params.padding=same,valid")
    assert setting.values == ("same", "valid")
    assert parse_setting("training.batch_size=16, 32").values == (16, 32)
    assert parse_setting("training.shuffle=true,false").values == (True, False)


@pytest.mark.parametrize("text, words", [
    ("training.learning_rate", "needs KEY=VALUES"),
    ("training.learning_rate=", "needs KEY=VALUES"),
    ("training.batch_size=16,,32", "empty value"),
    ("training.batch_size=16,16", "twice"),
    ("training.learning_rate=0.1..0.01", "the lower first"),
    ("training.learning_rate=a..b", "two numbers"),
    ("training.learning_rat=0.1", "not a training setting"),
    ("layers.dens.params.units=4", "no layer 'dens'"),
    ("layers.dense.params.unit=4", "has no argument 'unit'"),
    ("layers.dense.units=4", "layers.NAME.params.ARG"),
    ("dataset.colour=1", "not a dataset setting"),
    ("model.depth=3", "starts with training., layers. or dataset."),
])
def test_bad_settings_are_refused_before_any_trial(text, words):
    with pytest.raises(SweepError, match=words):
        make_plan([text], tiny_project())


def test_a_key_given_twice_and_no_key_are_refused():
    with pytest.raises(SweepError, match="given twice"):
        make_plan(["training.epochs=1", "training.epochs=2"], tiny_project())
    with pytest.raises(SweepError, match="at least one"):
        make_plan([], tiny_project())


def test_a_trial_project_carries_its_values_and_leaves_the_rest():
    project = tiny_project(early_stopping={"enabled": True})
    project = project.with_layers(project.layers)  # names resolved: conv2d, flatten, dense
    trial = trial_project(project, {"training.learning_rate": 0.01,
                                    "training.early_stopping.patience": 7,
                                    "layers.dense.params.units": 8,
                                    "layers.conv2d.trainable": False})
    assert trial.training["learning_rate"] == 0.01
    assert trial.training["early_stopping"] == {"enabled": True, "patience": 7}
    assert trial.layers[2].params["units"] == 8 and trial.layers[2].params["activation"]
    assert trial.layers[0].trainable is False
    assert project.training.get("learning_rate") is None  # the project itself is untouched


def test_augmentation_values_reach_the_named_augmentation():
    project = tiny_project()
    doc = {**project.to_dict(), "dataset": {"source": "shapes", "augmentation": [
        LayerSpec("RandomRotation", {"factor": 0.1}).to_dict()]}}
    changed = with_values(doc, {"dataset.augmentation.RandomRotation.params.factor": 0.3},
                          project.layer_names())
    assert changed["dataset"]["augmentation"][0]["params"]["factor"] == 0.3
    assert doc["dataset"]["augmentation"][0]["params"]["factor"] == 0.1


def test_a_value_the_project_refuses_fails_only_its_trial():
    project = tiny_project()
    with pytest.raises(ProjectError, match="filters"):
        trial_project(project, {"layers.conv2d.params.filters": 0})
    with pytest.raises(ProjectError, match="learning_rate"):
        trial_project(project, {"training.learning_rate": -1})
    with pytest.raises(SweepError, match=r"layers\[0\] \(conv2d\) is invalid: kernel 20x20"):
        trial_project(project, {"layers.conv2d.params.kernel_size": 20})


def test_only_data_settings_make_trials_load_their_own_data():
    project = tiny_project()
    assert not loads_own_data(make_plan(["training.batch_size=8,16"], project))
    assert loads_own_data(make_plan(["dataset.count=60,120"], project))
