"""Reading run records: best epoch, overfitting, CSV, what changed between runs."""

from __future__ import annotations

import csv
import io

from cnnstudio.core.runs import (
    best_epoch, format_metrics, metrics_csv, new_run_id, overfitting, overfitting_advice,
    run_changes,
)


def epochs(train, val):
    return [{"epoch": i + 1, "loss": t, "val_loss": v} for i, (t, v) in enumerate(zip(train, val))]


def test_overfitting_is_found_where_validation_turns_up_while_training_falls():
    found = overfitting(epochs([1.0, 0.7, 0.5, 0.35, 0.25], [1.0, 0.8, 0.7, 0.75, 0.82]))
    assert found is not None and found.epoch == 3
    assert "From epoch 4 validation loss rose from 0.7 to 0.82" in found.explain()
    later = overfitting(epochs([1.0, 0.7, 0.5, 0.35, 0.25, 0.2], [1.0, 0.8, 0.7, 0.75, 0.82, 0.9]))
    assert later.explain() != found.explain()  # the latest losses
    assert later.headline() == found.headline()  # what the live hint shows: the same finding
    assert "From epoch 4 validation loss rose above its best, 0.7," in found.headline()


def test_no_overfitting_in_healthy_noisy_or_short_runs():
    assert overfitting(epochs([1.0, 0.7, 0.5, 0.4], [1.0, 0.8, 0.7, 0.6])) is None  # healthy
    assert overfitting(epochs([1.0, 0.7, 0.5, 0.4], [1.0, 0.8, 0.7, 0.71])) is None  # one epoch
    assert overfitting(epochs([1.0, 0.9, 0.8], [1.0, 1.002, 1.004])) is None  # noise (< 2%)
    assert overfitting(epochs([1.0, 1.1, 1.2], [1.0, 1.1, 1.2])) is None  # both rise: diverging
    assert overfitting(epochs([1.0, 0.5], [1.0, 2.0])) is None  # too short to tell
    assert overfitting([{"epoch": 1, "loss": 1.0}] * 4) is None  # no validation part
    assert overfitting(epochs([1.0, 0.7, 0.5], [1.0, None, 0.9])) is None  # NaN stored as null


def test_best_epoch_by_monitor():
    records = [{"epoch": 1, "loss": 1.0, "val_loss": 0.9, "val_accuracy": 0.5},
               {"epoch": 2, "loss": 0.8, "val_loss": 0.7, "val_accuracy": 0.6},
               {"epoch": 3, "loss": 0.6, "val_loss": 0.8, "val_accuracy": 0.7}]
    assert best_epoch(records) == 2
    assert best_epoch(records, "val_accuracy") == 3
    assert best_epoch([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4}]) == 2  # falls back
    assert best_epoch([]) is None


def test_run_ids_count_up_from_the_highest():
    assert new_run_id([]) == "run-1"
    assert new_run_id([{"id": "run-1"}, {"id": "run-7"}, {"id": "imported"}]) == "run-8"


def test_metrics_csv_has_one_row_per_epoch():
    run = {"epochs": [{"epoch": 1, "loss": 0.5, "accuracy": 0.8},
                      {"epoch": 2, "loss": 0.4, "accuracy": 0.85, "val_loss": None}]}
    rows = list(csv.reader(io.StringIO(metrics_csv(run))))
    assert rows == [["epoch", "loss", "accuracy", "val_loss"], ["1", "0.5", "0.8", ""],
                    ["2", "0.4", "0.85", ""]]


def test_run_changes_lists_layers_and_settings():
    old = {"input": {"shape": [28, 28, 1]},
           "layers": [{"type": "Conv2D", "name": "conv2d", "params": {"filters": 32}},
                      {"type": "Dropout", "name": "dropout", "params": {"rate": 0.25}},
                      {"type": "Dense", "name": "dense", "params": {"units": 10}}],
           "settings": {"learning_rate": 0.001, "batch_size": 64}, "dataset": {}}
    new = {"input": {"shape": [28, 28, 1]},
           "layers": [{"type": "Conv2D", "name": "conv2d", "params": {"filters": 64}},
                      {"type": "Dense", "name": "dense", "params": {"units": 10},
                       "trainable": False}],
           "settings": {"learning_rate": 0.01, "batch_size": 64},
           "dataset": {"augmentation": [{"type": "RandomFlip"}]}}
    changes = run_changes(old, new)
    assert "removed layer dropout (Dropout)" in changes
    assert "layer conv2d: filters 32 -> 64" in changes
    assert "layer dense: trainable True -> False" in changes
    assert "training: learning_rate 0.001 -> 0.01" in changes
    assert any(c.startswith("dataset: augmentation (default) ->") for c in changes)
    assert run_changes(old, old) == []


def test_advice_fits_what_the_run_already_used():
    plain = overfitting_advice([{"type": "Dense"}], {}, {})
    assert any("Add Dropout" in line for line in plain)
    assert any("augmentation" in line for line in plain)
    assert any("early stopping" in line for line in plain)
    used = overfitting_advice([{"type": "Dropout"}], {"early_stopping": {"enabled": True}},
                              {"augmentation": [{"type": "RandomFlip"}]})
    assert not any("Add Dropout" in line or "augmentation" in line or "early stopping" in line
                   for line in used)


def test_format_metrics_shows_nan_for_null():
    assert format_metrics({"loss": 0.41234, "val_loss": None, "learning_rate": 0.001}) == \
        "loss 0.4123, val_loss NaN, lr 0.001"


def test_overfitting_report_reads_the_run():
    from cnnstudio.core.runs import overfitting_report

    rising = {"epochs": [dict(e, accuracy=a, val_accuracy=0.7) for e, a in zip(
        epochs([1.0, 0.7, 0.5, 0.35, 0.25], [1.0, 0.8, 0.7, 0.75, 0.82]),
        [0.5, 0.7, 0.8, 0.9, 0.97])], "layers": [{"type": "Dense"}]}
    report = overfitting_report(rising)
    assert report[0] == "Validation loss was best at epoch 3 of 5 (0.7)."
    assert "gap of +27.0 points" in report[1]
    assert any("Add Dropout" in line for line in report)
    healthy = {"epochs": epochs([1.0, 0.7], [1.0, 0.8])}
    assert "more epochs may help" in overfitting_report(healthy)[-1]
    assert "no validation part" in overfitting_report({"epochs": [{"epoch": 1, "loss": 1}]})[0]


def test_a_partial_last_epoch_is_no_evidence_of_overfitting():
    from cnnstudio.core.runs import overfitting

    whole = [{"epoch": e, "loss": 1.0 / e, "val_loss": v}
             for e, v in ((1, 0.5), (2, 0.4), (3, 0.45))]
    assert overfitting(whole) is None
    stopped = whole + [{"epoch": 4, "loss": 0.2, "val_loss": 0.9, "partial": True}]
    assert overfitting(stopped) is None
    assert overfitting(whole + [{"epoch": 4, "loss": 0.2, "val_loss": 0.9}]) is not None
