"""Short texts about layers for the stack view: `32 · 3x3 · relu`."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.project import LayerSpec


def format_value(value: Any) -> str:
    """A resolved argument as a person writes it: (3, 3) -> 3x3, 0.25 -> 0.25."""
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) for v in value):
            return " / ".join(format_value(v) for v in value)
        return "x".join("None" if v is None else format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "None"
    return str(value)


def short_args(spec: LayerSpec) -> str:
    """The key arguments in short, in declaration order, skipping empty ones."""
    parts = []
    for arg in spec.layer_type.key_args:
        value = spec.resolved.get(arg.name)
        if value is None or (arg.name == "padding" and value == "valid"):
            continue
        parts.append(format_value(value))
    return " · ".join(parts)
