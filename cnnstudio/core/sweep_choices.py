"""What the Sweep dialog offers, and what it tells before a sweep starts.

The settings a sweep can vary are read from the project and the declarations
(training_config.SETTINGS and GROUPS, each layer type's Args), never from a list
of our own; each comes with its value now and a first guess at values worth
comparing, which the user edits. The time estimate is made from the project's
own runs: a learner should know before starting whether a sweep takes a
minute or an afternoon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.project import LayerSpec, Project
from cnnstudio.core.runs import same_architecture
from cnnstudio.core.training_config import GROUPS, SETTINGS, Setting

SWEEPABLE_SETTINGS = ("int", "float", "choice", "bool")
SWEEPABLE_ARGS = (Kind.INT, Kind.FLOAT, Kind.CHOICE, Kind.BOOL, Kind.INT_TUPLE, Kind.FACTOR)
CHOICES_SUGGESTED = 3

RAY_START_SECONDS = 4.0
SLOT_START_SECONDS = 3.0
TRIAL_SETUP_SECONDS = 0.5
"""Ray's start on this machine, each parallel slot's TensorFlow import (trial processes
are reused), and each trial's model build and record. Fitted on the 2-core development
machine with tests/benchmarks/bench_sweep_estimate.py (see README, Performance)."""


@dataclass(frozen=True)
class SweepChoice:
    """One setting the dialog offers: its sweep key, how to call it, its value now, and
    the values first suggested (as the user would type them: `V1,V2` or `LOW..HIGH`)."""

    key: str
    label: str
    current: Any
    suggestion: str


def sweep_choices(project: Project) -> list[SweepChoice]:
    """Every setting of this project a sweep can vary, training first, then each layer's
    arguments in the model's order, then the augmentation's."""
    from cnnstudio.core.dataset_config import dataset_config
    from cnnstudio.core.errors import ProjectError

    choices = [_setting_choice(f"training.{s.key}", s.label, s, project.training.get(s.key))
               for s in SETTINGS if s.kind in SWEEPABLE_SETTINGS]
    for group, settings in GROUPS.items():
        section = project.training.get(group) or {}
        title = group.replace("_", " ").capitalize()
        choices += [_setting_choice(f"training.{group}.{s.key}", f"{title}: {s.label.lower()}",
                                    s, section.get(s.key))
                    for s in settings if s.kind in SWEEPABLE_SETTINGS]
    choices += _layer_choices(project.layers, project.layer_names(), "layers")
    try:
        augmentation = dataset_config(project.dataset).augmentation
    except ProjectError:
        augmentation = ()
    choices += _layer_choices(augmentation, [spec.type for spec in augmentation],
                              "dataset.augmentation")
    return choices


def _setting_choice(key: str, label: str, setting: Setting, value: Any) -> SweepChoice:
    current = setting.default if value is None else value
    if setting.kind == "choice":
        suggestion = _choice_values(current, setting.choices)
    else:
        suggestion = suggest(current, setting.kind, setting.low, setting.high)
    return SweepChoice(key, label, current, suggestion)


def _layer_choices(specs: Iterable[LayerSpec], names: list[str], where: str
                   ) -> list[SweepChoice]:
    out = []
    for spec, name in zip(specs, names):
        for arg in spec.layer_type.args:
            if arg.kind not in SWEEPABLE_ARGS:
                continue
            current = _plain(spec.params.get(arg.name, spec.resolved.get(arg.name)))
            out.append(SweepChoice(f"{where}.{name}.params.{arg.name}", f"{name}: {arg.name}",
                                   current, _arg_suggestion(arg, current)))
        out.append(SweepChoice(f"{where}.{name}.trainable", f"{name}: trainable",
                               spec.trainable, "true,false"))
    return out


def _plain(value: Any) -> Any:
    """A square kernel (3, 3) as 3: the value a user types for it."""
    if isinstance(value, (tuple, list)) and value and len(set(value)) == 1:
        return value[0]
    return value


def _arg_suggestion(arg: Arg, current: Any) -> str:
    if arg.kind == Kind.CHOICE:
        return _choice_values(current, arg.choices)
    kind = {Kind.INT: "int", Kind.INT_TUPLE: "int", Kind.FLOAT: "float",
            Kind.FACTOR: "float", Kind.BOOL: "bool"}[arg.kind]
    low = arg.minimum if arg.minimum is not None else -math.inf
    high = arg.maximum if arg.maximum is not None else math.inf
    return suggest(current, kind, low, high)


def _choice_values(current: Any, choices: Iterable[Any]) -> str:
    """The value now and the next ones of its list: a first comparison, not every value."""
    values = [c for c in choices if c is not None]
    if current in values:
        start = values.index(current)
        values = values[start:] + values[:start]
    return ",".join(str(v) for v in values[:CHOICES_SUGGESTED])


def suggest(current: Any, kind: str, low: float = -math.inf, high: float = math.inf) -> str:
    """Values around `current` worth comparing: rates a factor of 3 either side, sizes
    halved and doubled, small counts +2, fractions 0.2 either side; kept within bounds."""
    if kind == "bool":
        return "true,false"
    if not isinstance(current, (int, float)) or isinstance(current, bool):
        return ""
    if kind == "int":
        current = int(current)
        values = [current // 2, current, current * 2] if current >= 8 else [current,
                                                                              current + 2]
    elif 0 < current < 0.1:
        values = [_round(current / 3, 1), current, _round(current * 3, 1)]
    elif 0 < current <= 1:
        values = [_round(current - 0.2), current, _round(current + 0.2)]
    else:
        values = [current]
    kept = [v for v in dict.fromkeys(values) if low <= v <= high]
    return ",".join(_show(v) for v in kept or [current])


def _round(value: float, digits: int = 2) -> float:
    return float(f"{value:.{digits}g}")


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# time ------------------------------------------------------------------------------
@dataclass(frozen=True)
class EpochTime:
    """How long an epoch takes, and which run says so."""

    seconds: float
    run_id: str
    same_design: bool


def epoch_time(project: Project) -> EpochTime | None:
    """The newest timed run's seconds per epoch, preferring one of this very design, then
    one that trained alone (a sweep's trial may have shared the cores with others, which
    the estimate counts again). Runs on a cluster are left out: their time is the
    cluster's."""
    timed = [run for run in reversed(project.runs)
             if _number(run.get("seconds")) and run.get("epochs")
             and run.get("device") != "cluster" and not run.get("cluster")]
    if not timed:
        return None
    run = min(timed, key=lambda r: (not same_architecture(r, project), bool(r.get("sweep"))))
    return EpochTime(float(run["seconds"]) / len(run["epochs"]), str(run.get("id", "?")),
                     same_architecture(run, project))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def sweep_seconds(trials: int, epochs: int, epoch_seconds: float, parallel: int,
                  cores: int | None, start_ray: bool) -> float:
    """The wall time of a sweep: Ray's start, each slot's TensorFlow import, then the
    trials in waves of `parallel`. On this machine (`cores` given) the trials of a wave
    share its cores: a wave of more trials than cores takes that much longer. On a
    cluster each trial is taken to have a machine's worth of its own."""
    slots = max(1, min(parallel, trials))
    wave = epochs * epoch_seconds
    if cores is not None:
        wave *= max(1.0, slots / max(cores, 1))
    waves = math.ceil(trials / slots)
    return ((RAY_START_SECONDS if start_ray else 0.0) + SLOT_START_SECONDS
            + waves * (wave + TRIAL_SETUP_SECONDS))


def describe_estimate(trials: int, epochs: int, timing: EpochTime | None, parallel: int,
                      cores: int | None, start_ray: bool,
                      duration: Callable[[float], str], early_stopping: bool = False) -> str:
    """'about 4:10 (run-3 took 2.1 s an epoch; …)', or why no estimate can be made; with
    a scheduler that ends weak trials early (ASHA) the figure is a bound, 'at most'."""
    if timing is None:
        return "Train once to see how long the sweep would take."
    seconds = sweep_seconds(trials, epochs, timing.seconds, parallel, cores, start_ray)
    basis = f"{timing.run_id} took {timing.seconds:.2g} s an epoch"
    if not timing.same_design:
        basis += " with another design"
    where = (f"{min(parallel, trials)} at a time sharing this machine's {cores} cores"
             if cores is not None else f"{min(parallel, trials)} at a time on the cluster")
    bound = "at most" if early_stopping else "about"
    return f"{bound} {duration(seconds)} ({basis}; {where})"
