"""The training loop a cluster uses (engine.custom_fit) against Keras's own `fit`.

On a Ray cluster Keras 3's `fit` cannot run (MultiWorkerMirroredStrategy), so the
Trainer trains with a step of its own there; here it runs with TensorFlow's
default strategy, in this process, beside `fit` on the same seed.
"""

from __future__ import annotations

import pytest

from tests.training_projects import tiny_project

pytestmark = pytest.mark.slow  # trains


def _runs(project, **trainer):
    import tensorflow as tf

    from cnnstudio.engine.trainer import Trainer

    keras_fit = Trainer(project, **trainer).run()
    loop = Trainer(project, strategy=tf.distribute.get_strategy(), **trainer).run()
    assert keras_fit.reason == loop.reason == "completed", loop.details
    return keras_fit.run["epochs"], loop.run["epochs"]


def test_the_loop_reaches_fits_loss_and_metrics():
    fit, loop = _runs(tiny_project(epochs=3, shuffle=False, metrics=["accuracy", "precision"],
                                   loss="categorical_crossentropy"))
    for ours, keras in zip(loop, fit):
        # the same names, in the same order, and the same values to float32 precision
        assert list(ours) == list(keras)
        for name in ("loss", "accuracy", "precision", "val_loss", "val_accuracy"):
            assert ours[name] == pytest.approx(keras[name], rel=1e-4), name


def test_with_shuffling_the_final_loss_agrees_within_a_percent():
    # Keras draws each epoch's order from another iterator than the loop, so the
    # epochs after the first see other batches: the same run, not the same numbers
    fit, loop = _runs(tiny_project(epochs=3))
    assert loop[0]["loss"] == pytest.approx(fit[0]["loss"], rel=1e-4)
    assert loop[-1]["loss"] == pytest.approx(fit[-1]["loss"], rel=0.01)
    assert loop[-1]["val_loss"] == pytest.approx(fit[-1]["val_loss"], rel=0.02)


def test_the_callbacks_act_as_under_fit():
    import tensorflow as tf

    from cnnstudio.engine.trainer import Trainer

    # accuracy is watched for its highest value (Keras finds that in the compiled
    # metrics, which the loop never builds): the same epochs, rates and ending
    project = tiny_project(epochs=4, learning_rate=0.01,
                           reduce_lr={"enabled": True, "monitor": "val_accuracy",
                                      "patience": 1, "factor": 0.5},
                           early_stopping={"enabled": True, "monitor": "val_accuracy",
                                           "patience": 1})
    loop = Trainer(project, strategy=tf.distribute.get_strategy()).run()
    fit = Trainer(project).run()
    assert [e["learning_rate"] for e in loop.run["epochs"]] == \
        [e["learning_rate"] for e in fit.run["epochs"]]
    assert loop.reason == fit.reason
    assert loop.run["best_weights"] and loop.run["dynamics"]["epochs"]


def test_stop_ends_the_loop_after_the_batch():
    import tensorflow as tf

    from cnnstudio.core.training_events import BatchEnd
    from cnnstudio.engine.trainer import Trainer

    trainer = None

    def on_batch(event: BatchEnd) -> None:
        if event.iteration == 3:
            trainer.stop()

    trainer = Trainer(tiny_project(epochs=3), strategy=tf.distribute.get_strategy(),
                      on_batch=on_batch)
    finished = trainer.run()
    assert finished.reason == "stopped"
    (epoch,) = finished.run["epochs"]
    assert epoch["partial"] and epoch["iterations"] == 3 and "val_loss" in epoch
