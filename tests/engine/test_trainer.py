"""The Trainer on tiny data: events, records, stop, pause, NaN, errors, continuing, devices."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cnnstudio.core import LayerSpec, edits
from cnnstudio.core.training_events import BatchEnd, EpochEnd, Finished, Started
from tests.training_projects import exploding_project, tiny_project

pytestmark = pytest.mark.slow  # trains, or starts a TensorFlow process


def train(project, tmp_path, **kwargs):
    from cnnstudio.engine.trainer import Trainer

    events = []
    trainer = Trainer(project, project_file=tmp_path / "p.cnnstudio.json",
                      on_event=events.append, **kwargs)
    finished = trainer.run()
    return trainer, events, finished


def test_a_run_reports_every_batch_and_epoch_and_records_itself(tmp_path):
    trainer, events, finished = train(tiny_project(), tmp_path)
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    started = events[0]
    assert (started.train_samples, started.validation_samples) == (108, 12)
    assert started.steps_per_epoch == 7  # ceil(108 / 16)
    batches = [e for e in events if isinstance(e, BatchEnd)]
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(batches) == 14 and [b.iteration for b in batches] == list(range(1, 15))
    assert [b.step for b in batches[:7]] == list(range(1, 8))
    assert [e.iteration for e in epochs] == [7, 14]
    assert all(b.samples_per_second > 0 for b in batches)
    assert batches[-1].eta_seconds == 0
    assert finished.reason == "completed"
    run = finished.run
    assert run["id"] == "run-1" and run["ended"] == "completed"
    assert [e["epoch"] for e in run["epochs"]] == [1, 2]
    assert set(run["epochs"][0]) >= {"loss", "accuracy", "val_loss", "val_accuracy",
                                     "learning_rate", "seconds"}
    assert run["settings"]["loss"] == "sparse_categorical_crossentropy"  # auto, from labels
    assert run["layers"][0]["name"] == "conv2d" and run["input"] == {"shape": [12, 12, 1]}
    assert run["best_epoch"] in (1, 2) and run["seconds"] > 0
    assert (tmp_path / run["weights"]).is_file()
    assert (tmp_path / run["best_weights"]).is_file()
    # the per-batch loss comes from Keras's running mean and averages back to it
    first_epoch = batches[:7]
    for key in ("loss", "accuracy"):
        mean = sum(b.batch[key] * (16 if b.step < 7 else 108 - 96) for b in first_epoch) / 108
        assert mean == pytest.approx(first_epoch[-1].logs[key], rel=1e-3)


def test_best_weights_are_those_of_the_best_epoch_and_the_model_keeps_its_last(tmp_path):
    """The checkpoint keeps the best epoch's weights in memory and writes them once."""
    import numpy as np

    from cnnstudio.engine.training_callbacks import BestWeights, keras

    def model():
        net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        net.compile(loss="mse")
        return net

    net = model()
    best = BestWeights(tmp_path / "best.weights.h5", "val_loss")
    best.set_model(net)
    assert best.write() is None  # no epoch ended: nothing to write
    losses = {0: 0.9, 1: 0.5, 2: 0.7}  # epoch 2 (index 1) is the best
    kept = {}
    for epoch, val_loss in losses.items():
        net.set_weights([np.full_like(w, epoch + 1.0) for w in net.get_weights()])
        kept[epoch] = net.get_weights()
        best.on_epoch_begin(epoch)
        best.on_epoch_end(epoch, {"val_loss": val_loss})
    path = tmp_path / "best.weights.h5"
    assert not path.exists()  # nothing written while training
    assert best.write() == path
    other = model()
    other.load_weights(path)
    for saved, expected in zip(other.get_weights(), kept[1]):
        np.testing.assert_array_equal(saved, expected)
    for current, last in zip(net.get_weights(), kept[2]):
        np.testing.assert_array_equal(current, last)
    accuracy = BestWeights(tmp_path / "acc.weights.h5", "val_accuracy")  # higher is better
    accuracy.set_model(net)
    for epoch, value in enumerate([0.5, 0.8, float("nan"), 0.7]):
        net.set_weights([np.full_like(w, epoch + 1.0) for w in net.get_weights()])
        accuracy.on_epoch_end(epoch, {"val_accuracy": value})
    assert accuracy.best == 0.8 and accuracy.weights[0][0, 0] == 2.0


def test_same_seed_same_run(tmp_path):
    first = train(tiny_project(epochs=1), tmp_path)[2].run["epochs"]
    second = train(tiny_project(epochs=1), tmp_path)[2].run["epochs"]
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in first]
    assert strip == [{k: v for k, v in e.items() if k != "seconds"} for e in second]


def test_stop_takes_effect_within_one_batch_and_keeps_the_partial_epoch(tmp_path):
    from cnnstudio.engine.trainer import Trainer

    seen = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, BatchEnd) and event.iteration == 3:
            trainer.stop()

    trainer = Trainer(tiny_project(epochs=3), on_event=on_event)
    finished = trainer.run()
    assert max(e.iteration for e in seen if isinstance(e, BatchEnd)) == 3
    assert finished.reason == "stopped" and finished.run["ended"] == "stopped"
    assert finished.run["epochs"][0]["partial"] is True
    assert finished.run["epochs"][0]["iterations"] == 3
    assert "Stopped after 1 epoch" in finished.message
    assert trainer.model is not None  # the partly trained model is kept


def test_pause_holds_training_until_resumed(tmp_path):
    from cnnstudio.engine.trainer import Trainer

    times = {}

    def on_event(event):
        if isinstance(event, BatchEnd) and event.iteration == 2:
            trainer.pause()
            times["paused"] = time.perf_counter()
            threading.Timer(0.6, trainer.resume).start()
        if isinstance(event, BatchEnd) and event.iteration == 3:
            times["next"] = time.perf_counter()

    trainer = Trainer(tiny_project(epochs=1), on_event=on_event)
    finished = trainer.run()
    assert finished.reason == "completed"
    assert times["next"] - times["paused"] >= 0.55
    assert finished.run["epochs"][0]["seconds"] < times["next"] - times["paused"] + 5


def test_nan_loss_stops_with_the_learning_rate_advice(tmp_path):
    trainer, events, finished = train(exploding_project(epochs=5), tmp_path)
    assert finished.reason == "nan"
    assert "NaN or infinite" in finished.message and "learning rate" in finished.message
    assert len(finished.run["epochs"]) < 5
    assert None in finished.run["epochs"][-1].values()  # stored as null, not NaN


def test_failures_are_one_sentence_and_never_raise(tmp_path):
    bad_units = edits.set_param(tiny_project(), 2, "units", 3)
    finished = train(bad_units, tmp_path)[2]
    assert finished.reason == "error" and finished.run is None
    assert "6 classes but the last layer has 3 units" in finished.message
    wrong_input = edits.set_input_shape(tiny_project(), [16, 16, 1])
    assert "images are 12x12x1 but the model's input is 16x16x1" in \
        train(wrong_input, tmp_path)[2].message
    invalid = edits.set_param(tiny_project(), 0, "kernel_size", 20)
    assert "(conv2d) is invalid" in train(invalid, tmp_path)[2].message
    no_gpu = tiny_project(device="gpu")
    assert "no GPU" in train(no_gpu, tmp_path)[2].message
    bad_setting = tiny_project(epochs=0)
    assert "training.epochs" in train(bad_setting, tmp_path)[2].message


def test_continuing_a_run_starts_from_its_weights_and_epochs(tmp_path):
    project = tiny_project(epochs=1)
    first = train(project, tmp_path)[2].run
    project = edits.add_run(project, first)
    trainer, events, finished = train(project, tmp_path, continue_from=first)
    assert events[0].initial_epoch == 1 and events[0].epochs == 2
    run = finished.run
    assert run["id"] == "run-2" and run["continued_from"] == "run-1"
    assert [e["epoch"] for e in run["epochs"]] == [1, 2]
    assert [e.iteration for e in events if isinstance(e, EpochEnd)] == [14]
    changed = edits.insert_layers(project, 2, [LayerSpec("Dense", {"units": 8})])
    failed = train(changed, tmp_path, continue_from=first)[2]
    assert failed.reason == "error" and "do not fit the model" in failed.message


def test_early_stopping_and_reduce_lr_are_keras_callbacks(tmp_path):
    """At a learning rate of 1e-9 the weights barely move, so validation accuracy never
    improves after epoch 1: early stopping (patience 2) ends the run after epoch 3, and
    the plateau rule (patience 0) halves the rate at the end of epochs 2 and 3 (an
    epoch's record holds the rate it trained at)."""
    project = tiny_project(epochs=8, learning_rate=1e-9,
                           early_stopping={"enabled": True, "monitor": "val_accuracy",
                                           "patience": 2},
                           reduce_lr={"enabled": True, "monitor": "val_accuracy", "patience": 0,
                                      "factor": 0.5, "min_lr": 0.0})
    finished = train(project, tmp_path)[2]
    epochs = finished.run["epochs"]
    assert finished.reason == "early_stopping", finished.message
    assert len(epochs) == 3 and "Early stopping after 3 epochs" in finished.message
    assert epochs[0]["val_accuracy"] == epochs[1]["val_accuracy"] == epochs[2]["val_accuracy"]
    assert [e["learning_rate"] for e in epochs] == [pytest.approx(1e-9), pytest.approx(1e-9),
                                                    pytest.approx(5e-10)]


def test_mirrored_strategy_over_two_logical_cpus():
    script = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from cnnstudio.engine.trainer import Trainer, strategy_for
from tests.training_projects import tiny_project
strategy, replicas, _ = strategy_for("all")
finished = Trainer(tiny_project(epochs=1, device="all")).run()
print(type(strategy).__name__, replicas, finished.reason, finished.run["replicas"])
"""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-4:] == ["MirroredStrategy", "2", "completed", "2"]


def test_tensorboard_logs_go_to_a_folder_per_run(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_tensorboard(name, *args, **kwargs):
        if name == "tensorboard":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "__import__", without_tensorboard)
        missing = train(tiny_project(epochs=1, tensorboard_dir="logs"), tmp_path)[2]
    assert missing.reason == "error" and "pip install tensorboard" in missing.message
    pytest.importorskip("tensorboard", reason="the test extra installs tensorboard")
    finished = train(tiny_project(epochs=1, tensorboard_dir="logs"), tmp_path)[2]
    assert finished.reason == "completed"
    written = list((tmp_path / "logs" / "run-1").rglob("events.out.tfevents.*"))
    assert written, "TensorBoard wrote no event files"


def test_precision_recall_and_auc_train_with_one_hot_labels():
    """Keras's AUC, Precision and Recall need labels shaped like the output: 'auto' picks
    categorical cross-entropy for them, and a sparse loss is refused before training."""
    from cnnstudio.core import edits
    from cnnstudio.engine.trainer import Trainer

    project = edits.set_training(tiny_project(epochs=1), {
        "metrics": ["accuracy", "precision", "recall", "auc", "top_k_categorical_accuracy"],
        "capture": False})
    finished = Trainer(project).run()
    assert finished.reason == "completed", finished.message
    assert finished.run["settings"]["loss"] == "categorical_crossentropy"
    assert {"precision", "recall", "auc", "val_auc", "top_k_categorical_accuracy"} <= set(
        finished.run["epochs"][0])
    sparse = edits.set_training(project, {"loss": "sparse_categorical_crossentropy"})
    refused = Trainer(sparse).run()
    assert refused.reason == "error"
    assert "Set the loss to auto or categorical_crossentropy" in refused.message


def test_a_partial_epoch_is_left_out_of_layer_dynamics_and_the_probe(tmp_path):
    from cnnstudio.engine.probe_file import load_outputs
    from cnnstudio.engine.trainer import Trainer

    def on_event(event):
        if isinstance(event, BatchEnd) and event.epoch == 2 and event.step == 2:
            trainer.stop()

    project_file = tmp_path / "p.cnnstudio.json"
    trainer = Trainer(tiny_project(epochs=3), project_file=project_file, on_event=on_event)
    run = trainer.run().run
    assert [e.get("partial", False) for e in run["epochs"]] == [False, True]
    assert run["dynamics"]["epochs"] == [1]
    assert len(run["dynamics"]["weight_change"]) == 1
    _, outputs = load_outputs(project_file.parent / run["probe"])
    assert sorted(outputs) == [0, 1]  # before training and after the one whole epoch
