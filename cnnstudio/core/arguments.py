"""Declarations of layer constructor arguments, and their validation.

One `Arg` per Keras constructor argument. The property editor builds its widget
from `kind`, the project loader validates and normalises JSON values with
`Arg.resolve`, and the exporters write the user's own value. Valid ranges are Keras's own
wherever Keras checks a value (so a value we refuse is one Keras refuses when the
layer is made or run); where Keras checks nothing (BatchNormalization momentum,
RandomFlip mode) they are the values that make sense.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cnnstudio.core.errors import ArgumentError


class Kind(str, Enum):
    """How an argument's value is shaped; drives the editor widget."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"
    INT_TUPLE = "int_tuple"  # an int or a list of `length` ints (kernel_size)
    PAIR_OF_PAIRS = "pair_of_pairs"  # ZeroPadding2D / Cropping2D amounts
    SHAPE = "shape"  # Reshape target: list of positive ints, one may be -1
    NOISE_SHAPE = "noise_shape"  # Dropout mask shape: list of ints or null
    FACTOR = "factor"  # a float or a [lower, upper] pair (Random* layers)
    NAME = "name"  # a name such as a layer inside a pre-trained base, or null
    PATH = "path"  # a file on this machine (weights), or null


class _Required:
    """Marks an argument Keras requires (no default)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Arg:
    """One constructor argument, as Keras names and bounds it.

    `initial` is what the palette inserts for a new layer when Keras has no
    default (a Conv2D needs some number of filters to be drawn at all).
    """

    name: str
    kind: Kind
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    choices: tuple[str, ...] = ()
    length: int = 1
    nullable: bool = False
    initial: Any = None
    key: bool = False  # shown in the stack's one-line summary
    ignore_case: bool = False  # Keras lower-cases this choice (conv padding)
    keras_checks: bool = True  # False: Keras takes any value; our range is only sense

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def initial_value(self) -> Any:
        """The JSON value a freshly inserted layer carries for this argument."""
        return self.default if self.initial is None else self.initial

    def resolve(self, value: Any, where: str) -> Any:
        """Validate a JSON value and return its normalised Python form.

        Ints standing for square tuples are expanded, lists become tuples.
        Raises ArgumentError naming `where` (e.g. ``layers[3].params.kernel_size``).
        """
        if value is None:
            if self.nullable or (self.default is None and not self.required):
                return None
            raise ArgumentError(where, value, f"a value ({self.describe()}); null is not allowed")
        return _RESOLVERS[self.kind](self, value, where)

    def resolved_default(self) -> Any:
        if self.required or self.default is None:
            return self.default
        return self.resolve(self.default, self.name)

    def describe(self) -> str:
        """What a valid value looks like, in words, for messages and tooltips."""
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is Kind.BOOL:
            return "true or false"
        if self.kind is Kind.INT_TUPLE:
            bound = _bound_text(self, "integer")
            if self.length == 1:
                return bound
            return f"{bound}, or a list of {self.length} such integers"
        if self.kind is Kind.PAIR_OF_PAIRS:
            return ("a whole number >= 0, a list [height, width], "
                    "or [[top, bottom], [left, right]]")
        if self.kind is Kind.SHAPE:
            return "a list of whole numbers >= 0, at most one of them -1"
        if self.kind is Kind.NOISE_SHAPE:
            return "null, or a list of whole numbers or nulls, one per input axis including the batch"
        if self.kind is Kind.FACTOR:
            return f"{_bound_text(self, 'number')}, or a list [lower, upper] of such numbers"
        if self.kind is Kind.NAME:
            return "a name, or null"
        if self.kind is Kind.PATH:
            return "the path of a file on this computer, or null"
        return _bound_text(self, "whole number" if self.kind is Kind.INT else "number")


def _bound_text(arg: Arg, noun: str) -> str:
    parts = []
    if arg.minimum is not None:
        parts.append(f"{'>=' if arg.min_inclusive else '>'} {_num(arg.minimum)}")
    if arg.maximum is not None:
        parts.append(f"{'<=' if arg.max_inclusive else '<'} {_num(arg.maximum)}")
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{article} {noun}" + (" " + " and ".join(parts) if parts else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _fail(arg: Arg, where: str, value: Any) -> ArgumentError:
    return ArgumentError(where, value, arg.describe())


def _in_range(arg: Arg, x: float) -> bool:
    if arg.minimum is not None and (x < arg.minimum or (x == arg.minimum and not arg.min_inclusive)):
        return False
    if arg.maximum is not None and (x > arg.maximum or (x == arg.maximum and not arg.max_inclusive)):
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _resolve_int(arg: Arg, value: Any, where: str) -> int:
    if not _is_int(value) or not _in_range(arg, value):
        raise _fail(arg, where, value)
    return value


def _resolve_float(arg: Arg, value: Any, where: str) -> float:
    if not _is_number(value) or not _in_range(arg, value):
        raise _fail(arg, where, value)
    return float(value)


def _resolve_bool(arg: Arg, value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(arg, where, value)
    return value


def _resolve_choice(arg: Arg, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(arg, where, value)
    text = value.lower() if arg.ignore_case else value
    if text not in arg.choices:
        raise _fail(arg, where, value)
    return text


def _resolve_int_tuple(arg: Arg, value: Any, where: str) -> tuple[int, ...]:
    if _is_int(value):
        items = [value] * arg.length
    elif isinstance(value, (list, tuple)) and len(value) == arg.length:
        items = list(value)
    else:
        raise _fail(arg, where, value)
    if not all(_is_int(v) and _in_range(arg, v) for v in items):
        raise _fail(arg, where, value)
    return tuple(items)


def _resolve_pair_of_pairs(arg: Arg, value: Any, where: str) -> tuple[tuple[int, int], ...]:
    def amount(v: Any) -> int:
        if not _is_int(v) or v < 0:
            raise _fail(arg, where, value)
        return v

    if _is_int(value):
        return ((amount(value),) * 2,) * 2
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _fail(arg, where, value)
    pairs = []
    for item in value:
        if _is_int(item):
            pairs.append((amount(item), amount(item)))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((amount(item[0]), amount(item[1])))
        else:
            raise _fail(arg, where, value)
    return tuple(pairs)


def _resolve_shape(arg: Arg, value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)):
        raise _fail(arg, where, value)
    if not all(_is_int(v) and v >= -1 for v in value):
        raise _fail(arg, where, value)
    if sum(1 for v in value if v == -1) > 1:
        raise ArgumentError(where, value, "at most one -1 (the one size Keras may work out)")
    return tuple(value)


def _resolve_noise_shape(arg: Arg, value: Any, where: str) -> tuple[int | None, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise _fail(arg, where, value)
    if not all(v is None or (_is_int(v) and v > 0) for v in value):
        raise _fail(arg, where, value)
    return tuple(value)


def _resolve_factor(arg: Arg, value: Any, where: str) -> float | tuple[float, float]:
    """A float, or a [lower, upper] pair; Keras itself reads the meaning of each form."""
    if _is_number(value):
        if not _in_range(arg, value):
            raise _fail(arg, where, value)
        return float(value)
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(_is_number(v) and _in_range(arg, v) for v in value)):
        return (float(value[0]), float(value[1]))  # Keras orders the pair itself
    raise _fail(arg, where, value)


def _resolve_text(arg: Arg, value: Any, where: str) -> str | None:
    """A name or a path: any non-empty string; an empty one means null."""
    if not isinstance(value, str):
        raise _fail(arg, where, value)
    return value.strip() or None


_RESOLVERS = {
    Kind.INT: _resolve_int,
    Kind.FLOAT: _resolve_float,
    Kind.BOOL: _resolve_bool,
    Kind.CHOICE: _resolve_choice,
    Kind.INT_TUPLE: _resolve_int_tuple,
    Kind.PAIR_OF_PAIRS: _resolve_pair_of_pairs,
    Kind.SHAPE: _resolve_shape,
    Kind.NOISE_SHAPE: _resolve_noise_shape,
    Kind.FACTOR: _resolve_factor,
    Kind.NAME: _resolve_text,
    Kind.PATH: _resolve_text,
}
