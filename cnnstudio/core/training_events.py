"""What a training run reports, as plain Python objects.

The Trainer (engine) produces these from Keras callbacks; the command line
prints them and the GUI's adapter forwards them as Qt signals. Neither side
needs the other, and neither needs TensorFlow to read them.
Epochs and iterations are counted from 1, as a person counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Started:
    epochs: int  # the epoch the run ends on (counted over continued runs too)
    initial_epoch: int  # epochs done before this run (0 unless continuing)
    steps_per_epoch: int
    train_samples: int
    validation_samples: int
    batch_size: int
    metrics: tuple[str, ...]  # Keras names: loss, accuracy, ...


@dataclass(frozen=True)
class BatchEnd:
    epoch: int
    step: int  # within the epoch
    iteration: int  # since the start of the run's history
    logs: dict[str, float]  # running means over the epoch so far, as Keras reports them
    batch: dict[str, float]  # this batch's own values (worked back from the means)
    samples_per_second: float
    eta_seconds: float | None

    @property
    def loss(self) -> float:
        return self.batch.get("loss", float("nan"))


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    iteration: int
    logs: dict[str, float]  # loss, metrics, val_*, learning_rate
    seconds: float


@dataclass(frozen=True)
class PhaseStarted:
    """A second phase begins (fine-tuning): plots mark where, the log says what changed."""

    epoch: int  # epochs done before it
    iteration: int
    message: str


@dataclass(frozen=True)
class Finished:
    run: dict[str, Any]  # the run record, as stored in the project's `runs`
    reason: str  # completed, stopped, early_stopping, nan, error
    message: str  # one sentence for the user
    details: str = ""  # a traceback, for "error"
    extra: dict[str, Any] = field(default_factory=dict)


Event = Union[Started, BatchEnd, EpochEnd, PhaseStarted, Finished]
