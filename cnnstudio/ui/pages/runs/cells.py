"""How the Runs page's tables write a number: one rule for runs and a sweep's trials."""

from __future__ import annotations

from typing import Any

MISSING = "–"


def number_cell(value: Any, digits: str = ".4g") -> str:
    """A recorded number as a table shows it; – where the record has none."""
    return MISSING if value is None else format(value, digits)
