"""What the Sweep dialog offers and estimates, the parallel-coordinates layout, applying a
trial's values to the project, and a recorded sweep rebuilt from its runs."""

from __future__ import annotations

import math

import pytest

from cnnstudio.core import ProjectError, edits
from cnnstudio.core.parallel_axes import layout, make_axis
from cnnstudio.core.sweep_choices import (
    EpochTime, describe_estimate, epoch_time, suggest, sweep_choices, sweep_seconds,
)
from cnnstudio.core.sweep_plan import apply_values, check_key
from cnnstudio.core.sweep_trials import rank, recorded_trials, sweep_ids
from tests.training_projects import tiny_project


def test_every_choice_is_a_key_the_sweep_accepts_with_the_value_now():
    project = tiny_project()
    choices = {c.key: c for c in sweep_choices(project)}
    for key in choices:
        check_key(key, project)  # raises for a key the command would refuse
    assert choices["training.learning_rate"].current == 0.001
    assert choices["training.batch_size"].current == 16
    assert choices["training.batch_size"].suggestion == "8,16,32"
    assert choices["layers.conv2d.params.filters"].current == 4
    assert choices["layers.conv2d.params.kernel_size"].current == 3  # (3, 3) as typed
    assert choices["layers.dense.trainable"].suggestion == "true,false"
    assert choices["training.optimizer"].suggestion.startswith("adam,")
    assert "training.metrics" not in choices and "training.tensorboard_dir" not in choices
    assert "training.early_stopping.patience" in choices
    keys = list(choices)
    assert keys.index("training.learning_rate") < keys.index("layers.conv2d.params.filters")


def test_augmentation_arguments_are_offered():
    project = tiny_project()
    project = edits.set_dataset(project, {**project.dataset, "augmentation": [
        {"type": "RandomRotation", "params": {"factor": 0.1}}]})
    keys = [c.key for c in sweep_choices(project)]
    assert "dataset.augmentation.RandomRotation.params.factor" in keys


@pytest.mark.parametrize("current, kind, low, high, expected", [
    (0.001, "float", 0, 10, "0.0003,0.001,0.003"),
    (0.5, "float", 0, 1, "0.3,0.5,0.7"),
    (0.9, "float", 0, 1, "0.7,0.9"),  # 1.1 is out of bounds
    (64, "int", 1, 1e9, "32,64,128"),
    (3, "int", 1, 1e9, "3,5"),
    (None, "float", 0, 1, ""),
])
def test_suggestions_bracket_the_value_within_its_bounds(current, kind, low, high, expected):
    assert suggest(current, kind, low, high) == expected


def test_the_estimate_comes_from_the_projects_own_runs():
    project = tiny_project()
    assert epoch_time(project) is None
    assert describe_estimate(4, 2, None, 2, 2, True, str).startswith("Train once")
    # with ASHA and no run to go by, still the reason, not "at most Train once"
    assert describe_estimate(4, 2, None, 2, 2, True, str, early_stopping=True).startswith(
        "Train once")
    same = {"id": "run-2", "seconds": 3.0, "epochs": [{}, {}, {}],
            "input": {"shape": [12, 12, 1]},
            "layers": [layer.to_dict(ui=False) for layer in project.layers]}
    other = {"id": "run-3", "seconds": 10.0, "epochs": [{}], "layers": []}
    cluster = {**same, "id": "run-4", "seconds": 30.0, "device": "cluster"}
    project = edits.add_run(edits.add_run(edits.add_run(project, same), other), cluster)
    assert epoch_time(project) == EpochTime(1.0, "run-2", True)  # the same design first
    # one at a time: Ray 4 s + TensorFlow 3 s + 4 trials of (2 epochs x 1 s + 0.5 s)
    assert sweep_seconds(4, 2, 1.0, 1, 2, start_ray=True) == pytest.approx(17.0)
    # two at a time on two cores: two waves
    assert sweep_seconds(4, 2, 1.0, 2, 2, start_ray=True) == pytest.approx(12.0)
    # four at a time on two cores: one wave, each twice as slow
    assert sweep_seconds(4, 2, 1.0, 4, 2, start_ray=True) == pytest.approx(11.5)
    # a cluster: no Ray to start here, every trial its own machine
    assert sweep_seconds(4, 2, 1.0, 4, None, start_ray=False) == pytest.approx(5.5)
    text = describe_estimate(4, 2, epoch_time(project), 2, 2, True, lambda s: f"{s:.0f} s")
    assert text == ("about 12 s (run-2 took 1 s an epoch; 2 at a time sharing this "
                    "machine's 2 cores)")
    assert describe_estimate(4, 2, epoch_time(project), 2, 2, True, lambda s: f"{s:.0f} s",
                             early_stopping=True).startswith("at most 12 s")


def test_axes_place_numbers_on_log_or_linear_scales_and_categories_evenly():
    rates = make_axis("lr", "learning rate", [0.001, 0.01, 0.1])
    assert rates.log and rates.place(0.01) == pytest.approx(0.5)
    units = make_axis("units", "units", [16, 32, 64])
    assert not units.log and units.place(32) == pytest.approx(1 / 3)
    optimizer = make_axis("opt", "optimizer", ["adam", "sgd", "adam", "rmsprop"])
    assert optimizer.categories == ("adam", "sgd", "rmsprop")
    assert [optimizer.place(v) for v in ("adam", "sgd", "rmsprop")] == [0, 0.5, 1]
    flags = make_axis("t", "trainable", [True, False])
    assert [t for _, t in flags.ticks] == ["true", "false"]
    single = make_axis("x", "x", [3, 3])
    assert single.place(3) == 0.5
    axes, lines = layout([{"lr": 0.001, "loss": 0.5}, {"lr": 0.1, "loss": None}],
                         ["lr", "loss"], {"loss": "best val_loss"})
    assert [a.title for a in axes] == ["lr", "best val_loss"]
    assert lines == [[0.0, 0.5], [1.0, None]]
    assert make_axis("loss", "loss", [math.nan, 1.0]).place(math.nan) is None


def test_apply_values_sets_each_key_and_keeps_everything_else():
    project = edits.add_run(tiny_project(), {"id": "run-1", "epochs": []})
    applied = apply_values(project, {"training.learning_rate": 0.01,
                                     "layers.conv2d.params.filters": 8,
                                     "layers.dense.trainable": False})
    assert applied.training["learning_rate"] == 0.01
    assert applied.layers[0].params["filters"] == 8 and not applied.layers[2].trainable
    assert applied.layers[1] == project.layers[1] and applied.runs == project.runs
    assert applied.dataset == project.dataset and applied.name == project.name
    with pytest.raises(ProjectError, match="filters"):
        apply_values(project, {"layers.conv2d.params.filters": -1})


def test_a_recorded_sweep_is_rebuilt_from_its_runs_ranked():
    def run(run_id, sweep, trial, rate, losses):
        return {"id": run_id, "ended": "completed", "message": "",
                "epochs": [{"epoch": i + 1, "val_loss": v} for i, v in enumerate(losses)],
                "sweep": {"id": sweep, "trial": trial, "values": {"lr": rate}}}
    runs = [run("run-1", "sweep-a", "t_0", 0.1, [1.0]), {"id": "run-2"},
            run("run-3", "sweep-b", "t_0", 0.1, [0.9, 0.8]),
            run("run-4", "sweep-b", "t_1", 0.01, [0.7, 0.4])]
    assert sweep_ids(runs) == ["sweep-a", "sweep-b"]
    trials = rank(recorded_trials(runs, "sweep-b"))
    assert [(t.run_id, t.values["lr"], t.best()["val_loss"]) for t in trials] == [
        ("run-4", 0.01, 0.4), ("run-3", 0.1, 0.8)]


def test_apply_values_refuses_a_setting_the_design_no_longer_has_in_its_place():
    from cnnstudio.core.project import LayerSpec

    project = tiny_project()
    recorded = [layer.to_dict(ui=False) for layer in project.layers]
    values = {"layers.dense.params.units": 6, "training.learning_rate": 0.01}
    assert apply_values(project, values, recorded).training["learning_rate"] == 0.01
    without = edits.remove_layers(project, [2])
    with pytest.raises(ProjectError, match="design changed since the sweep.*no layer 'dense'"):
        apply_values(without, values, recorded)
    # a Dense inserted above takes the generated name dense; the varied one is dense_1
    shifted = edits.insert_layers(project, 1, [LayerSpec("Flatten", name="flat"),
                                               LayerSpec("Dense", {"units": 32})])
    shifted = edits.remove_layers(shifted, [3])  # the old Flatten
    assert shifted.layer_names()[2:] == ["dense", "dense_1"]
    with pytest.raises(ProjectError, match="dense is no longer the layer the sweep varied"):
        apply_values(shifted, values, recorded)


def test_the_estimate_prefers_a_run_that_trained_alone():
    project = tiny_project()
    layers = [layer.to_dict(ui=False) for layer in project.layers]
    alone = {"id": "run-1", "seconds": 2.0, "epochs": [{}, {}], "layers": layers,
             "input": {"shape": [12, 12, 1]}}
    trial = {**alone, "id": "run-2", "seconds": 8.0, "sweep": {"id": "s", "values": {}}}
    on_cluster = {**alone, "id": "run-3", "seconds": 30.0, "cluster": {"workers": 2}}
    project = edits.add_run(edits.add_run(edits.add_run(project, alone), trial), on_cluster)
    assert epoch_time(project) == EpochTime(1.0, "run-1", True)


def test_close_results_get_enough_digits_to_tell_them_apart():
    axis = make_axis("loss", "best val_loss", [1.775, 1.778, 1.78, 0.5])
    assert [text for _, text in axis.ticks] == ["0.5", "1.775", "1.778", "1.78"]
    assert [text for _, text in make_axis("lr", "lr", [0.001, 0.01]).ticks] == [
        "0.001", "0.01"]
