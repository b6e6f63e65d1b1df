"""Reading one value of a settings section (`dataset`, `training`) with a usable error.

Each reader takes the section, the key, the default and the range, and
raises a ProjectError naming `where.key`, the value and what is expected.
"""

from __future__ import annotations

from typing import Any, Mapping

from cnnstudio.core.errors import ProjectError, show_value


def choice(section: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...],
           where: str) -> str:
    value = section.get(key, default)
    if isinstance(value, str):
        value = value.lower()
    if value not in choices:
        raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected one of "
                           f"{', '.join(choices)}.")
    return value


def whole(section: Mapping[str, Any], key: str, default: int, low: int, high: int,
          where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected a whole "
                           f"number from {low:,} to {high:,}.")
    return value


def number(section: Mapping[str, Any], key: str, default: float, low: float, high: float,
            where: str, low_open: bool = False, high_open: bool = False) -> float:
    value = section.get(key, default)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = (low < value if low_open else low <= value) and \
             (value < high if high_open else value <= high)
    if not ok:
        range_text = (f"{'above' if low_open else 'from'} {low:g} "
                      f"{'and below' if high_open else 'to'} {high:g}")
        if low_open and not high_open:
            range_text = f"above {low:g} and at most {high:g}"
        raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected a number "
                           f"{range_text}.")
    return float(value)


def flag(section: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected true or "
                           "false.")
    return value
