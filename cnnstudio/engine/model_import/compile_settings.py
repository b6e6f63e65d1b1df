"""The file's compile settings (optimizer, loss, metrics) as the project's training section."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.catalogue.spec import to_snake_case
from cnnstudio.core.errors import ProjectError
from cnnstudio.core.training_config import LOSSES, METRICS, OPTIMIZERS, training_config


_LOSS_ALIASES = {"mse": "mean_squared_error", "crossentropy": "categorical_crossentropy"}
_METRIC_ALIASES = {"acc": "accuracy"}


def training_section(compile_config: Any, notes: list[str]) -> dict[str, Any]:
    """The project's training section from the file's compile settings, where CNN Studio
    offers the same choice; what it does not offer is noted and left at its default."""
    if not isinstance(compile_config, dict):
        return {}
    section: dict[str, Any] = {}
    _optimizer(compile_config.get("optimizer", compile_config.get("optimizer_config")),
               section, notes)
    loss = _keras_name(compile_config.get("loss"), "loss")
    if loss is not None:
        loss = _LOSS_ALIASES.get(loss, loss)
        if loss in LOSSES and not _from_logits(compile_config.get("loss")):
            section["loss"] = loss
        else:
            notes.append(f"The model was compiled with the loss {loss}"
                         f"{' (from logits)' if _from_logits(compile_config.get('loss')) else ''}"
                         ", which CNN Studio does not offer; training picks the loss from the "
                         "labels (auto).")
    metrics, dropped = [], []
    for item in _flat(compile_config.get("metrics")):
        name = _keras_name(item, "metric")
        if name is None:
            continue
        name = _METRIC_ALIASES.get(name, name)
        (metrics if name in METRICS else dropped).append(name)
    if metrics:
        section["metrics"] = list(dict.fromkeys(metrics))
    if dropped:
        notes.append(f"The metrics {', '.join(dropped)} were not imported; CNN Studio offers "
                     f"{', '.join(METRICS)}.")
    try:
        training_config(section)
    except ProjectError as error:
        notes.append(f"The compile settings were not imported ({error}).")
        return {}
    return section


def _optimizer(value: Any, section: dict[str, Any], notes: list[str]) -> None:
    if isinstance(value, str):
        name, config = value, {}
    elif isinstance(value, dict):
        name, config = str(value.get("class_name", "")), value.get("config") or {}
    else:
        return
    key = name.lower()
    if key not in OPTIMIZERS:
        notes.append(f"The model was compiled with the {name} optimizer, which CNN Studio "
                     "does not offer; training uses Adam.")
        return
    section["optimizer"] = key
    rate = config.get("learning_rate")
    if _is_number(rate):
        section["learning_rate"] = float(f"{rate:.6g}")
    elif rate is not None:
        notes.append("The learning-rate schedule was not imported; training uses a fixed "
                     "rate (0.001 unless you change it).")
    for setting, optimizer in (("momentum", "sgd"), ("weight_decay", "adamw")):
        if key == optimizer and _is_number(config.get(setting)):
            section[setting] = float(f"{config[setting]:.6g}")


def _keras_name(value: Any, what: str) -> str | None:
    """`"accuracy"`, or a serialised Keras object's name (`SparseCategoricalCrossentropy`
    -> `sparse_categorical_crossentropy`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("config")
        if what == "metric" and isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
        if isinstance(value.get("class_name"), str):
            return to_snake_case(value["class_name"])
    return None


def _from_logits(value: Any) -> bool:
    return isinstance(value, dict) and bool((value.get("config") or {}).get("from_logits"))


def _flat(value: Any) -> list:
    """Metrics as Keras keeps them (a list, per-output lists or dicts) as one list."""
    if isinstance(value, dict) and "class_name" not in value:
        value = list(value.values())
    if not isinstance(value, list):
        return [] if value is None else [value]
    return [metric for item in value for metric in _flat(item)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

