"""Growing series of training values in NumPy buffers, with no Qt: what the live plots
draw, and the readers of recorded values they need."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

ITERATIONS, EPOCHS = "iterations", "epochs"  # the two x units of every point
X_LABELS = {ITERATIONS: "iteration", EPOCHS: "epoch"}
DEFAULT_SMOOTHING = 0.9
RUN_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
               "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
"""One colour a run (or a sweep's trial) on plots that compare them, and in their tables."""


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]
ACCURACY_NAMES = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy",
                  "binary_accuracy")


def accuracy_key(names: Iterable[str]) -> str | None:
    """The training accuracy among Keras metric names (`accuracy`, `acc`, ...), if any."""
    names = [n for n in names if not n.startswith("val_")]
    for name in ACCURACY_NAMES:
        if name in names:
            return name
    return next((n for n in names if n.endswith("accuracy")), None)


def as_float(value: Any) -> float:
    """A recorded value as a float; NaN for a missing or unreadable one (hand-edited files)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


class Series:
    """A growing series of points in numpy buffers that double when full.

    Each point has its x in both units (iteration, and epoch with fraction) and
    a value; with `smoothed`, a TensorBoard-style smoothed copy (exponential
    moving average, debiased at the start) is kept up to date as points arrive.
    """

    def __init__(self, smoothed: bool = False, capacity: int = 256) -> None:
        self.n = 0
        # integers: pyqtgraph then knows without looking that every x is finite
        self._iteration = np.empty(capacity, dtype=np.int64)
        self._epoch = np.empty(capacity)
        self._value = np.empty(capacity)
        self._smooth = np.empty(capacity) if smoothed else None
        self.weight = DEFAULT_SMOOTHING
        self._last = 0.0
        self._count = 0
        self.low, self.high = math.inf, -math.inf  # of the finite values

    def __len__(self) -> int:
        return self.n

    @property
    def capacity(self) -> int:
        return len(self._value)

    def append(self, iteration: int, epoch: float, value: float) -> None:
        self.extend(np.array([iteration]), np.array([epoch]), np.array([float(value)]))

    def extend(self, iterations: np.ndarray, epochs: np.ndarray, values: np.ndarray) -> None:
        """Many points at once: a drain brings a quarter second of batches, and a
        Python call per point took a sixth of the GUI thread's time while a fast
        model trained."""
        count = len(values)
        if not count:
            return
        while self.n + count > len(self._value):
            self._grow()
        part = slice(self.n, self.n + count)
        self._iteration[part] = iterations
        self._epoch[part] = epochs
        self._value[part] = values
        finite = values[np.isfinite(values)]
        if len(finite):
            self.low = min(self.low, float(finite.min()))
            self.high = max(self.high, float(finite.max()))
        if self._smooth is not None:
            self._smooth[part] = [self._smoothed(value) for value in values.tolist()]
        self.n += count

    def _grow(self) -> None:
        def doubled(array: np.ndarray) -> np.ndarray:
            bigger = np.empty(2 * len(array), dtype=array.dtype)
            bigger[:self.n] = array[:self.n]
            return bigger

        self._iteration = doubled(self._iteration)
        self._epoch = doubled(self._epoch)
        self._value = doubled(self._value)
        if self._smooth is not None:
            self._smooth = doubled(self._smooth)

    def _smoothed(self, value: float) -> float:
        if not math.isfinite(value):
            return value
        self._last = self._last * self.weight + (1 - self.weight) * value
        self._count += 1
        return self._last / (1 - self.weight ** self._count)

    def set_smoothing(self, weight: float) -> None:
        """A new weight (0 = none, 0.99 = heavy): the smoothed copy is recomputed."""
        self.weight = weight
        self._last, self._count = 0.0, 0
        if self._smooth is not None:
            smooth = self._smooth
            for i, value in enumerate(self._value[:self.n].tolist()):
                smooth[i] = self._smoothed(value)

    def clear(self) -> None:
        self.n = 0
        self._last, self._count = 0.0, 0
        self.low, self.high = math.inf, -math.inf

    def x(self, unit: str) -> np.ndarray:
        return (self._iteration if unit == ITERATIONS else self._epoch)[:self.n]

    @property
    def values(self) -> np.ndarray:
        return self._value[:self.n]

    @property
    def smooth(self) -> np.ndarray:
        assert self._smooth is not None
        return self._smooth[:self.n]

    def nearest(self, x: float, unit: str) -> int | None:
        """The index of the point whose x is nearest to `x`, None when empty."""
        if not self.n:
            return None
        xs = self.x(unit)
        i = int(np.searchsorted(xs, x))
        if i >= self.n:
            return self.n - 1
        if i > 0 and x - xs[i - 1] < xs[i] - x:
            return i - 1
        return i
