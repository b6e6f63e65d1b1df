"""Training runs as the project stores them, and what can be read from them.

A run record is a JSON object in the project's `runs` list: its settings and
architecture as they were when it started, one entry per finished epoch, how
long it took, its best epoch and why it ended. Readers here accept records
with missing fields (an older file, a hand-edited one) instead of failing.

A record, as the Trainer writes it:

    {"id": "run-3", "started": "2026-11-23T12:00:00", "seconds": 41.2,
     "ended": "completed",            # a key of ENDINGS
     "message": "Completed 5 epochs.",
     "settings": {...},               # TrainingConfig.to_dict(): every setting
     "dataset": {...},                # the project's dataset section
     "input": {"shape": [28, 28, 1]},
     "layers": [{"type": ..., "name": ..., "params": ...}, ...],  # names filled in
     "epochs": [{"epoch": 1, "loss": 0.9, "accuracy": 0.6, "val_loss": 1.0,
                 "val_accuracy": 0.55, "learning_rate": 0.001, "seconds": 8.1}, ...],
     "epochs_planned": 5, "iterations_per_epoch": 85, "train_samples": 5400,
     "best_epoch": 4, "monitor": "val_loss",
     "weights": "runs/run-3/last.weights.h5",   # relative to the project file
     "best_weights": "runs/run-3/best.weights.h5" or null,
     "continued_from": null or "run-2"}
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.core.run_files import check_stored_path

ENDINGS = {
    "completed": "completed all epochs",
    "stopped": "stopped by the user",
    "early_stopping": "stopped early: the monitored value stopped improving",
    "nan": "stopped: the loss became NaN or infinite",
    "error": "failed with an error",
    "interrupted": "interrupted: the process ended before the run was recorded",
}

RISE_EPOCHS = 2
"""Validation loss must stay above its best for this many epochs to count as rising."""
MIN_RISE = 0.02
"""...and end at least this fraction above its best: noise is not overfitting."""


RUN_FILE_FIELDS = ("weights", "best_weights", "probe", "start_weights")
"""Fields of a run record that name a file: each must be a path the project may name."""
_TEXT_FIELDS = ("id", "started", "ended", "message", "monitor", "continued_from", "device",
                "started_from", "start_note")
_NUMBER_FIELDS = ("seconds", "best_epoch", "epochs_planned", "iterations_per_epoch",
                  "train_samples", "validation_samples", "replicas")
_OBJECT_FIELDS = ("settings", "dataset", "input", "dynamics", "fine_tune")
_LIST_FIELDS = ("epochs", "layers")


def check_runs(runs: Sequence[Any], temp_ok: bool = False) -> None:
    """Refuse a `runs` list whose records the readers here would trip on, naming the field.

    Records may lack any field (an older or hand-edited file), but a field that is
    there has the kind the Trainer writes, and a file field is a path the project
    may name (see run_files). `temp_ok` admits CNN Studio's own temporary files.
    """
    seen: dict[str, int] = {}
    for i, run in enumerate(runs):
        where = f"runs[{i}]"
        if not isinstance(run, dict):
            raise ProjectError(where, f"got {show_value(run)}, expected a run record (an "
                               "object with id, settings and epochs), as training writes it.")
        for key in _TEXT_FIELDS:
            _expect(run, key, str, "a text or null", where)
        for key in _NUMBER_FIELDS:
            _expect(run, key, (int, float), "a number or null", where)
        for key in _OBJECT_FIELDS:
            _expect(run, key, dict, "an object", where)
        for key in _LIST_FIELDS:
            _expect(run, key, list, "a list", where)
        for key in RUN_FILE_FIELDS:
            if run.get(key) is not None:
                check_stored_path(run[key], f"{where}.{key}", temp_ok)
        run_id = run.get("id")
        if run_id is not None:
            if run_id in seen:
                raise ProjectError(f"{where}.id", f"{run_id!r} is already the id of "
                                   f"runs[{seen[run_id]}]; give each run its own id.")
            seen[run_id] = i
        for j, layer in enumerate(run.get("layers") or []):
            if not isinstance(layer, dict):
                raise ProjectError(f"{where}.layers[{j}]", f"got {show_value(layer)}, "
                                   "expected a layer object.")
        for j, epoch in enumerate(run.get("epochs") or []):
            _check_epoch(epoch, f"{where}.epochs[{j}]")


def _expect(run: Mapping[str, Any], key: str, kind, expected: str, where: str) -> None:
    value = run.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected {expected}.")


def _check_epoch(epoch: Any, where: str) -> None:
    if not isinstance(epoch, dict):
        raise ProjectError(where, f"got {show_value(epoch)}, expected an object of metrics "
                           'such as {"epoch": 1, "loss": 0.5}.')
    for key, value in epoch.items():
        if value is not None and not isinstance(value, (int, float)):
            raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected a "
                               "number or null.")


def new_run_id(runs: Sequence[Mapping[str, Any]]) -> str:
    """run-1, run-2, ...: one more than the highest number used so far."""
    numbers = [0]
    for run in runs:
        tail = str(run.get("id", "")).rpartition("-")[2]
        if tail.isdigit():
            numbers.append(int(tail))
    return f"run-{max(numbers) + 1}"


def same_architecture(run: Mapping[str, Any], project) -> bool:
    """Whether a run's weights fit the project's model as it is now."""
    layers = [{k: v for k, v in layer.items() if k not in ("name", "ui")}
              for layer in run.get("layers", [])]
    now = [{k: v for k, v in layer.to_dict(ui=False).items() if k != "name"}
           for layer in project.layers]
    return run.get("input", {}).get("shape") == list(project.input_shape) and layers == now


def latest_trained_run(project) -> Mapping[str, Any] | None:
    """The newest run with saved weights that fit the project as it is now."""
    return next((run for run in reversed(project.runs)
                 if run.get("weights") and same_architecture(run, project)), None)


def metric_names(run: Mapping[str, Any]) -> list[str]:
    """Every metric any epoch recorded, in first-seen order, `epoch` left out."""
    names: list[str] = []
    for entry in run.get("epochs", []):
        for key in entry:
            if key != "epoch" and key not in names:
                names.append(key)
    return names


def best_epoch(epochs: Sequence[Mapping[str, Any]], monitor: str = "val_loss") -> int | None:
    """The epoch (from 1) with the best monitored value: lowest loss, highest accuracy."""
    if not epochs:
        return None
    if not any(monitor in e for e in epochs):
        monitor = "loss"
    values = [(e.get(monitor), e.get("epoch", i + 1)) for i, e in enumerate(epochs)]
    values = [(v, n) for v, n in values if v is not None and math.isfinite(v)]
    if not values:
        return None
    higher_is_better = "loss" not in monitor and "error" not in monitor
    pick = max if higher_is_better else min
    return pick(values, key=lambda pair: pair[0])[1]


MEMORISING = "the network is memorising the training images rather than learning what generalises."


@dataclass(frozen=True)
class Overfitting:
    epoch: int  # the last epoch before validation loss began to rise
    best_val_loss: float
    last_val_loss: float
    train_loss_change: float  # since `epoch` (negative: still falling)

    def explain(self) -> str:
        return (f"From epoch {self.epoch + 1} validation loss rose from {self.best_val_loss:.4g} "
                f"to {self.last_val_loss:.4g} while training loss kept falling "
                f"({self.train_loss_change:+.4g}): {MEMORISING}")

    def headline(self) -> str:
        """The finding in words that hold while it lasts: the live hint shows this,
        since a hint whose text changes at every epoch re-lays out the whole page
        (the curves and the epoch line give the latest losses)."""
        return (f"From epoch {self.epoch + 1} validation loss rose above its best, "
                f"{self.best_val_loss:.4g}, while training loss kept falling: {MEMORISING}")


def overfitting(epochs: Sequence[Mapping[str, Any]]) -> Overfitting | None:
    """Where validation loss starts rising while training loss falls, if it does.

    The best validation epoch must be followed by at least RISE_EPOCHS epochs,
    all with a higher validation loss, the last at least MIN_RISE above the
    best, and training loss at the end must be lower than at the best epoch:
    one noisy epoch is not overfitting. A partial epoch (stopped mid-way) is no
    epoch here.
    """
    epochs = [e for e in epochs if not e.get("partial")]
    val = [e.get("val_loss") for e in epochs]
    train = [e.get("loss") for e in epochs]
    if len(epochs) < RISE_EPOCHS + 1 or any(v is None or not math.isfinite(v) for v in val):
        return None
    best = min(range(len(val)), key=lambda i: val[i])
    after = val[best + 1:]
    if len(after) < RISE_EPOCHS or not all(v > val[best] for v in after[-RISE_EPOCHS:]):
        return None
    if val[-1] < val[best] * (1 + MIN_RISE):
        return None
    if train[best] is None or train[-1] is None or not train[-1] < train[best]:
        return None
    number = epochs[best].get("epoch", best + 1)
    return Overfitting(number, val[best], val[-1], train[-1] - train[best])


def overfitting_advice(project_layers: Sequence[Mapping[str, Any]],
                       settings: Mapping[str, Any], dataset: Mapping[str, Any]) -> list[str]:
    """What could help, given what the run already used."""
    types = [LAYER_TYPES.get(layer.get("type")) for layer in project_layers
             if isinstance(layer.get("type"), str)]
    advice = []
    if not any(t is not None and t.regularizes for t in types):
        advice.append("Add Dropout (0.25 to 0.5) before the Dense layers.")
    else:
        advice.append("Raise the Dropout rate a little.")
    if not dataset.get("augmentation"):
        advice.append("Turn on augmentation on the Data page (RandomFlip, RandomRotation).")
    advice.append("Use fewer parameters: fewer Dense units, or pooling before Flatten.")
    if not settings.get("early_stopping", {}).get("enabled"):
        advice.append("Turn on early stopping with restore_best_weights, so the best "
                      "epoch's weights are kept.")
    advice.append("Train on more images if you can.")
    return advice


def format_value(value: float | None) -> str:
    """4 significant digits; None (a NaN or infinite value, stored as null) as NaN."""
    return "NaN" if value is None or not math.isfinite(value) else f"{value:.4g}"


def format_metrics(logs: Mapping[str, Any], keys: Sequence[str] | None = None,
                   separator: str = ", ") -> str:
    """'loss 0.4123, accuracy 0.8712': the chosen keys (else all), learning rate as lr."""
    chosen = [k for k in (keys if keys is not None else logs) if k in logs]
    return separator.join(f"{'lr' if k == 'learning_rate' else k} {format_value(logs[k])}"
                          for k in chosen)


def describe_ending(run: Mapping[str, Any]) -> str:
    return ENDINGS.get(run.get("ended", ""), run.get("ended", "unknown"))


def metrics_csv(run: Mapping[str, Any]) -> str:
    """The run's per-epoch metrics as CSV text, one row per epoch."""
    names = ["epoch"] + metric_names(run)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for i, entry in enumerate(run.get("epochs", [])):
        writer.writerow([entry.get("epoch", i + 1) if n == "epoch" else entry.get(n, "")
                         for n in names])
    return out.getvalue()


def run_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two runs: input, layers (by name) and settings, one line each."""
    changes: list[str] = []
    old_shape = old.get("input", {}).get("shape")
    new_shape = new.get("input", {}).get("shape")
    if old_shape != new_shape:
        changes.append(f"input shape {old_shape} -> {new_shape}")
    changes += _layer_changes(old.get("layers", []), new.get("layers", []))
    changes += _dict_changes("training", old.get("settings", {}), new.get("settings", {}))
    changes += _dict_changes("dataset", old.get("dataset", {}), new.get("dataset", {}))
    return changes


def _layer_changes(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    def key(layer: Mapping[str, Any], i: int) -> str:
        return layer.get("name") or f"#{i + 1} {layer.get('type')}"

    old_by = {key(layer, i): layer for i, layer in enumerate(old)}
    new_by = {key(layer, i): layer for i, layer in enumerate(new)}
    old_inputs, new_inputs = _recorded_inputs(old_by), _recorded_inputs(new_by)
    changes = [f"removed layer {name} ({layer.get('type')})"
               for name, layer in old_by.items() if name not in new_by]
    changes += [f"added layer {name} ({layer.get('type')})"
                for name, layer in new_by.items() if name not in old_by]
    for name, layer in new_by.items():
        before = old_by.get(name)
        if before is None:
            continue
        if before.get("type") != layer.get("type"):
            changes.append(f"layer {name}: type {before.get('type')} -> {layer.get('type')}")
            continue
        changes += _dict_changes(f"layer {name}", before.get("params", {}) or {},
                                 layer.get("params", {}) or {})
        if before.get("trainable", True) != layer.get("trainable", True):
            changes.append(f"layer {name}: trainable {before.get('trainable', True)} -> "
                           f"{layer.get('trainable', True)}")
        if old_inputs[name] != new_inputs[name]:
            changes.append(f"layer {name}: inputs {', '.join(old_inputs[name])} -> "
                           f"{', '.join(new_inputs[name])}")
    common = [n for n in new_by if n in old_by]
    if [n for n in old_by if n in new_by] != common:
        changes.append("layer order changed")
    return changes


def _recorded_inputs(layers: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each recorded layer's inputs by name, the default (the layer before) filled in."""
    found, previous = {}, MODEL_INPUT
    for name, layer in layers.items():
        inputs = layer.get("inputs")
        found[name] = [str(i) for i in inputs] if isinstance(inputs, list) else [previous]
        previous = name
    return found


def _dict_changes(where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    changes = []
    for name in list(old) + [n for n in new if n not in old]:
        if old.get(name) != new.get(name):
            changes.append(f"{where}: {name} {_show(old.get(name))} -> {_show(new.get(name))}")
    return changes


def _show(value: Any) -> str:
    return "(default)" if value is None else str(value)


def overfitting_report(run: Mapping[str, Any]) -> list[str]:
    """Sentences a learner can act on: best epoch, train/validation gap, what could help."""
    epochs = run.get("epochs", [])
    if not epochs:
        return ["The run has no finished epoch to judge."]
    lines = []
    best = best_epoch(epochs, "val_loss")
    has_val = any(e.get("val_loss") is not None for e in epochs)
    if not has_val:
        return ["The run had no validation part, so overfitting cannot be measured: set a "
                "validation split on the Train page."]
    best_entry = next(e for e in epochs if e.get("epoch") == best)
    lines.append(f"Validation loss was best at epoch {best} of {len(epochs)} "
                 f"({format_value(best_entry.get('val_loss'))}).")
    last = epochs[-1]
    if last.get("accuracy") is not None and last.get("val_accuracy") is not None:
        gap = last["accuracy"] - last["val_accuracy"]
        lines.append(f"At the last epoch, training accuracy was {last['accuracy']:.1%} and "
                     f"validation accuracy {last['val_accuracy']:.1%}: a gap of "
                     f"{gap * 100:+.1f} points" + (" (small: the model generalises)."
                                                   if gap < 0.05 else "."))
    found = overfitting(epochs)
    if found is None:
        lines.append("No sign of overfitting: validation loss did not keep rising while "
                     "training loss fell." + (" It was still falling at the end: more epochs "
                                              "may help." if best == len(epochs) else ""))
        return lines
    lines.append(found.explain())
    lines += overfitting_advice(run.get("layers", []), run.get("settings", {}),
                                run.get("dataset", {}))
    return lines
