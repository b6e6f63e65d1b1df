"""Epochs, iterations and batches in numbers, and how a data set is split.

A learner's question "what are epochs, iterations and batches?" answered with
their own numbers: N training samples in batches of B make ceil(N / B)
iterations per epoch (the last batch may be smaller), and E epochs make
E * ceil(N / B) iterations.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from cnnstudio.export_runtime.rules import part_sizes


@dataclass(frozen=True)
class Split:
    train: int
    validation: int
    test: int

    @property
    def total(self) -> int:
        return self.train + self.validation + self.test


def split_counts(total: int, validation_fraction: float, test_fraction: float = 0.0) -> Split:
    """How many samples go to each part; Keras's `validation_split` takes the tail.

    Fractions are of the whole; each part is rounded down, as Keras does, and
    the training part keeps what is left.
    """
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    for name, fraction in (("validation", validation_fraction), ("test", test_fraction)):
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"the {name} fraction must be in [0, 1), got {fraction}")
    if validation_fraction + test_fraction >= 1.0:
        raise ValueError("validation and test fractions together must leave some samples "
                         f"for training, got {validation_fraction} + {test_fraction}")
    test, validation = part_sizes(total, validation_fraction, test_fraction)
    return Split(total - test - validation, validation, test)


@dataclass(frozen=True)
class Iterations:
    samples: int
    batch_size: int
    epochs: int

    @property
    def per_epoch(self) -> int:
        return ceil(self.samples / self.batch_size) if self.samples else 0

    @property
    def total(self) -> int:
        return self.per_epoch * self.epochs

    @property
    def last_batch(self) -> int:
        """Size of the last batch of an epoch (smaller when B does not divide N)."""
        if not self.samples:
            return 0
        rest = self.samples % self.batch_size
        return rest or self.batch_size

    def explain(self) -> str:
        """'1,000 samples / batch 500 = 2 iterations per epoch; 3 epochs = 6 iterations'."""
        if self.batch_size < 1 or self.epochs < 0:
            raise ValueError("batch size must be >= 1 and epochs >= 0")
        ceil_text = (f"{self.samples:,} / {self.batch_size:,}" if self.samples % self.batch_size
                     == 0 else f"ceil({self.samples:,} / {self.batch_size:,})")
        text = (f"{ceil_text} = {self.per_epoch:,} iteration{'s' * (self.per_epoch != 1)} "
                f"(batches) per epoch; {self.epochs:,} epoch{'s' * (self.epochs != 1)} x "
                f"{self.per_epoch:,} = {self.total:,} iterations in all")
        if self.samples and self.last_batch != self.batch_size:
            text += f"; the last batch of each epoch has {self.last_batch:,} samples"
        return text


def iterations(samples: int, batch_size: int, epochs: int) -> Iterations:
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if samples < 0 or epochs < 0:
        raise ValueError("samples and epochs must be >= 0")
    return Iterations(samples, batch_size, epochs)
