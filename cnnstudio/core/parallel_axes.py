"""The layout of a parallel-coordinates plot: one vertical axis per sweep setting and one
for the result, each trial a line across them.

Every axis runs from 0 (bottom) to 1 (top). Numbers are placed by value, on a log
scale when they are all positive and span a factor of 10 or more (learning
rates); anything else (optimizers, true/false) is placed by category, evenly, in
the order the values first appear. Kept free of Qt so it is tested on its own
and the plot only draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

LOG_SPAN = 10.0


@dataclass(frozen=True)
class Axis:
    """One vertical axis: its title, whether it is logarithmic, and labelled ticks."""

    key: str
    title: str
    log: bool
    ticks: tuple[tuple[float, str], ...]
    categories: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0

    def place(self, value: Any) -> float | None:
        """Where a value sits on the axis, 0..1; None for a missing value."""
        if value is None or _not_finite(value):
            return None
        if self.categories:
            text = _category(value)
            if text not in self.categories:
                return None
            return _spread(self.categories.index(text), len(self.categories))
        number = float(value)
        if not math.isfinite(number):
            return None
        if self.high == self.low:
            return 0.5
        if self.log:
            return (math.log10(number) - math.log10(self.low)) / (
                math.log10(self.high) - math.log10(self.low))
        return (number - self.low) / (self.high - self.low)


def _category(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _spread(index: int, count: int) -> float:
    return 0.5 if count == 1 else index / (count - 1)


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def make_axis(key: str, title: str, values: Sequence[Any]) -> Axis:
    """An axis for these values (missing ones, None or NaN, left out)."""
    present = [v for v in values if v is not None and not _not_finite(v)]
    if present and all(_is_number(v) for v in present):
        low, high = float(min(present)), float(max(present))
        log = low > 0 and high / low >= LOG_SPAN
        axis = Axis(key, title, log, (), low=low, high=high)
        shown = sorted(set(present)) if len(set(present)) <= 5 else [low, high]
        texts = _distinct_texts(shown)
        ticks = tuple((axis.place(v), text) for v, text in zip(shown, texts))
        return Axis(key, title, log, ticks, low=low, high=high)
    categories = tuple(dict.fromkeys(_category(v) for v in present))
    ticks = tuple((_spread(i, len(categories)), text) for i, text in enumerate(categories))
    return Axis(key, title, False, ticks, categories=categories)


def _distinct_texts(values: Sequence[float]) -> list[str]:
    """Each tick's number with as few digits as tell the ticks apart: 1.775, 1.778 and
    1.78 all read 1.78 at three."""
    for digits in range(3, 9):
        texts = [f"{value:.{digits}g}" for value in values]
        if len(set(texts)) == len(texts):
            return texts
    return texts


def layout(rows: Sequence[Mapping[str, Any]], keys: Sequence[str],
           titles: Mapping[str, str]) -> tuple[list[Axis], list[list[float | None]]]:
    """The axes for `keys` (setting keys, then the result's), and each row's positions on
    them in order (None where the row has no value, e.g. a failed trial's result)."""
    axes = [make_axis(key, titles.get(key, key), [row.get(key) for row in rows])
            for key in keys]
    lines = [[axis.place(row.get(axis.key)) for axis in axes] for row in rows]
    return axes, lines
