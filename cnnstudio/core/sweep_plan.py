"""A hyperparameter sweep's plan: which settings vary, over which values, how many trials.

`--set KEY=V1,V2` gives a list of values (every combination of the lists is a
trial) and `--set KEY=LOW..HIGH` a range (sampled: log-uniform for positive
decimals such as a learning rate, uniform whole numbers for integers); with a
range the sweep runs `samples` draws of every combination. KEY is a path into
the project: `training.learning_rate`, `training.early_stopping.patience`,
`layers.NAME.params.ARG`, `layers.NAME.trainable`, `dataset.KEY` or
`dataset.augmentation.TYPE.params.ARG`. A key that names nothing is refused
before any trial; a value that a trial's project refuses makes only that trial
invalid (`trial_project`), so one bad value does not stop the sweep.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping, Sequence

from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.core.errors import CnnStudioError, ProjectError
from cnnstudio.core.project import Project
from cnnstudio.core.training_config import GROUPS, SETTINGS

RANGE = ".."


class SweepError(CnnStudioError):
    """A `--set` that cannot be a sweep setting: its text, its key or its values."""


@dataclass(frozen=True)
class SweepSetting:
    """One varied setting: a list of values, or a range to sample (`low`..`high`)."""

    key: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def integer(self) -> bool:
        """Whole numbers at both ends (16..128): drawn as whole numbers, both ends included."""
        return isinstance(self.low, int) and isinstance(self.high, int)

    @property
    def log_scale(self) -> bool:
        """Decimals from a positive low end are drawn on a log scale, as rates are."""
        return self.is_range and not self.integer and self.low > 0

    def text(self) -> str:
        if self.is_range:
            return f"{self.key}={self.low:g}{RANGE}{self.high:g}"
        return f"{self.key}={','.join(_show(v) for v in self.values)}"


@dataclass(frozen=True)
class SweepPlan:
    settings: tuple[SweepSetting, ...]
    samples: int = 1

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.settings]

    @property
    def sampled(self) -> bool:
        return any(s.is_range for s in self.settings)

    def trial_count(self) -> int:
        """Every combination of the lists, times the samples drawn of each."""
        grid = math.prod(len(s.values) for s in self.settings if not s.is_range)
        return grid * self.samples

    def grid(self) -> list[dict[str, Any]]:
        """The combinations of the listed values (ranges left out: they are drawn)."""
        listed = [s for s in self.settings if not s.is_range]
        return [dict(zip([s.key for s in listed], combo))
                for combo in itertools.product(*(s.values for s in listed))]


def parse_value(text: str) -> Any:
    """A number, true/false/null or JSON as JSON reads it, else the text itself ('same')."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_setting(text: str) -> SweepSetting:
    """`KEY=V1,V2` or `KEY=LOW..HIGH`; the key is checked by `check_key` separately."""
    key, equals, rest = text.partition("=")
    key = key.strip()
    if not equals or not key or not rest.strip():
        raise SweepError(f"--set {text!r} needs KEY=VALUES, e.g. "
                         "training.learning_rate=0.001,0.01 or training.learning_rate="
                         "1e-4..1e-1.")
    if RANGE in rest:
        low_text, _, high_text = rest.partition(RANGE)
        low, high = parse_value(low_text), parse_value(high_text)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   for v in (low, high)) or not low < high:
            raise SweepError(f"--set {text!r}: a range is two numbers, the lower first, "
                             "e.g. 1e-4..1e-1 or 16..128.")
        return SweepSetting(key, low=low, high=high)
    values = tuple(parse_value(part) for part in rest.split(","))
    if any(part.strip() == "" for part in rest.split(",")):
        raise SweepError(f"--set {text!r} has an empty value; separate values with "
                         "single commas: 16,32,64.")
    if len(set(map(_show, values))) != len(values):
        raise SweepError(f"--set {text!r} lists a value twice; each value is one trial.")
    return SweepSetting(key, values=values)


def make_plan(texts: Sequence[str], project: Project, samples: int = 1) -> SweepPlan:
    return plan_of([parse_setting(text) for text in texts], project, samples)


def plan_of(settings: Sequence[SweepSetting], project: Project, samples: int = 1
            ) -> SweepPlan:
    """The plan of settings already parsed (the Sweep dialog parses each row itself, to
    name a row's problem in its own words)."""
    settings = tuple(settings)
    if not settings:
        raise SweepError("a sweep needs at least one --set KEY=V1,V2.")
    seen: set[str] = set()
    for setting in settings:
        if setting.key in seen:
            raise SweepError(f"--set {setting.key} is given twice; list all its values "
                             "in one --set.")
        seen.add(setting.key)
        check_key(setting.key, project)
    if samples < 1:
        raise SweepError(f"--samples {samples}: a sweep draws at least 1 sample.")
    return SweepPlan(settings, samples if any(s.is_range for s in settings) else 1)


# keys ----------------------------------------------------------------------------
def _training_keys() -> list[str]:
    keys = [f"training.{s.key}" for s in SETTINGS]
    for group, settings in GROUPS.items():
        keys += [f"training.{group}.{s.key}" for s in settings]
    return keys


def _dataset_keys() -> list[str]:
    from cnnstudio.core.dataset_config import DatasetConfig

    return [f"dataset.{f.name}" for f in fields(DatasetConfig) if f.name != "augmentation"]


def check_key(key: str, project: Project) -> None:
    """Refuse a key that names no setting of this project, listing what it could be."""
    parts = key.split(".")
    section = parts[0]
    if section == "training":
        known = _training_keys()
        if key not in known:
            raise SweepError(f"--set {key}: not a training setting; the settings are "
                             f"{', '.join(k.removeprefix('training.') for k in known)}.")
    elif section == "layers":
        _check_layer_key(parts, project.layers, project.layer_names(), key, "layers")
    elif section == "dataset" and len(parts) > 1 and parts[1] == "augmentation":
        from cnnstudio.core.dataset_config import dataset_config

        specs = dataset_config(project.dataset).augmentation
        names = [spec.type for spec in specs]
        _check_layer_key(parts[1:], specs, names, key, "dataset.augmentation")
    elif section == "dataset":
        known = _dataset_keys()
        if key not in known:
            raise SweepError(f"--set {key}: not a dataset setting; the settings are "
                             f"{', '.join(k.removeprefix('dataset.') for k in known)}.")
    else:
        raise SweepError(f"--set {key}: a key starts with training., layers. or dataset., "
                         "e.g. training.learning_rate or layers.dense.params.units.")


def _check_layer_key(parts: list[str], specs, names: list[str], key: str, where: str) -> None:
    if len(parts) < 3 or parts[2] not in ("params", "trainable") or \
            (parts[2] == "params") != (len(parts) == 4) or len(parts) > 4:
        raise SweepError(f"--set {key}: write {where}.NAME.params.ARG (or {where}.NAME."
                         "trainable).")
    if parts[1] not in names:
        raise SweepError(f"--set {key}: no layer {parts[1]!r} in {where}; the names are "
                         f"{', '.join(names) or 'none'}.")
    spec = specs[names.index(parts[1])]
    if parts[2] == "params":
        args = [arg.name for arg in LAYER_TYPES[spec.type].args]
        if parts[3] not in args:
            raise SweepError(f"--set {key}: {spec.type} has no argument {parts[3]!r}; its "
                             f"arguments are {', '.join(args)}.")


# a trial's project ------------------------------------------------------------------
def with_values(doc: Mapping[str, Any], values: Mapping[str, Any],
                layer_names: Sequence[str]) -> dict[str, Any]:
    """A copy of the project document with each key set to its value."""
    doc = copy.deepcopy(dict(doc))
    for key, value in values.items():
        parts = key.split(".")
        if parts[0] == "layers":
            target = doc["layers"][list(layer_names).index(parts[1])]
            parts = parts[2:]
        elif parts[:2] == ["dataset", "augmentation"]:
            items = doc.setdefault("dataset", {}).setdefault("augmentation", [])
            target = next(item for item in items if item.get("type") == parts[2])
            parts = parts[3:]
        else:
            target = doc
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return doc


def apply_values(project: Project, values: Mapping[str, Any],
                 recorded_layers: Sequence[Mapping[str, Any]] | None = None) -> Project:
    """The project with each key set to its value, as one edit (the Runs page's "Apply
    best settings"); a ProjectError, naming the field, if the project refuses a value or
    no longer has the setting. With the trial's recorded layers, a layer's key must still
    name a layer of the same type in the same place: a layer inserted since shifts the
    generated names (dense becomes dense_1), and the value would reach another layer."""
    from cnnstudio.core.project_file import project_from_dict

    for key in values:
        try:
            check_key(key, project)
        except SweepError as error:
            raise ProjectError(key, "the design changed since the sweep: "
                               f"{str(error).removeprefix('--set ')}") from None
    if recorded_layers is not None:
        _check_same_places(project, values, recorded_layers)
    return project_from_dict(with_values(project.to_dict(), values, project.layer_names()))


def _check_same_places(project: Project, values: Mapping[str, Any],
                       recorded: Sequence[Mapping[str, Any]]) -> None:
    from cnnstudio.core.project import layer_from_dict, layer_names

    try:
        then = [layer_from_dict(item, f"layers[{i}]") for i, item in enumerate(recorded)]
    except ProjectError:
        return  # a record this version cannot read: the names alone are checked
    then_names, now_names = layer_names(then), project.layer_names()
    varied: dict[str, set[str]] = {}
    for key in values:
        parts = key.split(".")
        if parts[0] == "layers":
            varied.setdefault(parts[1], set()).add(parts[-1])
    for name, args in varied.items():
        now = project.layers[now_names.index(name)]
        was = then[then_names.index(name)] if name in then_names else None
        if was is None or was.type != now.type or _other_params(was, args) != \
                _other_params(now, args):
            raise ProjectError(f"layers.{name}", "the design changed since the sweep: "
                               f"{name} is no longer the layer the sweep varied. Set the "
                               "values by hand, or run the sweep again.")


def _other_params(layer, varied: set[str]) -> dict[str, Any]:
    return {k: v for k, v in layer.params.items() if k not in varied}


def trial_project(project: Project, values: Mapping[str, Any]) -> Project:
    """The project a trial trains: a ProjectError (with the field) if a value is refused,
    a SweepError if the architecture it makes is invalid, decided here before the trial
    loads TensorFlow."""
    from cnnstudio.core.base_figures import known_figures
    from cnnstudio.core.dataset_config import dataset_config
    from cnnstudio.core.inference import infer
    from cnnstudio.core.training_config import training_config

    trial = apply_values(project, values)
    training_config(trial.training)
    dataset_config(trial.dataset)
    report = infer(trial, known_figures())
    if report.pending is None:  # a pre-trained base not measured yet: the Trainer does it
        report.raise_if_invalid(SweepError)
    return trial


def loads_own_data(plan: SweepPlan) -> bool:
    """Whether trials differ in the data itself (not only its augmentation), so each loads
    its own; otherwise the data is loaded once and shared."""
    return any(key.startswith("dataset.") and not key.startswith("dataset.augmentation.")
               for key in plan.keys)


def describe_values(values: Mapping[str, Any]) -> str:
    """'learning_rate=0.01, units=64': the keys' last parts, for tables and run names."""
    return ", ".join(f"{key.rsplit('.', 1)[-1]}={show_setting(v)}" for key, v in values.items())


def show_setting(value: Any) -> str:
    """A setting's value as tables and run names show it: 0.0003, 64, true, adam."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return _show(value)
