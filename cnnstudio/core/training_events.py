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
class EpochPace:
    """What the batches of one epoch share: each works out its own values, its
    rate and the time left from these and its own figures (see `BatchEnd`)."""

    batch_size: int
    train_samples: int  # a smaller last batch holds what is left of them
    steps_to_go: int  # batches from this epoch's start to the run's end


@dataclass(slots=True)
class BatchEnd:
    """One batch done.

    The Trainer makes one per batch on the training thread, where every step of
    Python delays the next batch: TensorFlow waits meanwhile, and on two cores
    its spinning threads make that Python several times slower than alone
    (tests/benchmarks/bench_training.py). So the event holds what Keras
    reported and the clock, and the batch's own values, the rate and the time
    left are worked out when read, on the reader's thread. Slots and not
    frozen for the same reason (a frozen dataclass takes five times as long to
    make); treat it as read-only.
    """

    epoch: int
    step: int  # within the epoch
    iteration: int  # since the start of the run's history
    logs: dict[str, float]  # running means over the epoch so far, as Keras reports them
    previous: dict[str, float] | None  # the running means one batch before; None: the first
    seconds: float  # since the epoch began, time paused left out
    pace: EpochPace

    @property
    def batch(self) -> dict[str, float]:
        """This batch's own values, worked back from the running means.

        Keras weighs each batch by its size (the last may be smaller), so with
        `seen` samples so far: value = (mean * seen - previous mean * before) / size.
        """
        if not self.previous:
            return dict(self.logs)
        size, total = self.pace.batch_size, self.pace.train_samples
        seen, before = min(self.step * size, total), min((self.step - 1) * size, total)
        return {key: (mean * seen - self.previous.get(key, 0.0) * before) / max(seen - before, 1)
                for key, mean in self.logs.items()}

    @property
    def samples_per_second(self) -> float:
        """Over the epoch so far."""
        return self.step * self.pace.batch_size / max(self.seconds, 1e-9)

    @property
    def eta_seconds(self) -> float:
        """To the run's end, at the epoch's pace so far."""
        return (self.pace.steps_to_go - self.step) * self.seconds / self.step

    @property
    def loss(self) -> float:
        return self.batch.get("loss", float("nan"))


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    iteration: int
    logs: dict[str, float]  # loss, metrics, val_*, learning_rate
    seconds: float
    partial: bool = False  # stopped mid-epoch: over the batches done, at `iteration`


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
