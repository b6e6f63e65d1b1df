"""Activation layers: a function applied to every value, no change of shape."""

from __future__ import annotations

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue.common import activation_arg, same_shape
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape
from cnnstudio.core.source_text import py_literal
from cnnstudio.core.catalogue.torch_common import activation_modules, options


def _activation_torch(shape: Shape, a: Resolved) -> list[str]:
    return activation_modules(a["activation"])


def _relu_torch(shape: Shape, a: Resolved) -> list[str]:
    """PyTorch's own module where one matches, else the `KerasReLU` helper."""
    cap, slope, threshold = a["max_value"], a["negative_slope"], a["threshold"]
    if threshold == 0 and slope == 0 and (cap is None or cap > 0):
        if cap is None:
            return ["nn.ReLU()"]
        return ["nn.ReLU6()"] if cap == 6 else [f"nn.Hardtanh(0.0, {py_literal(cap)})"]
    if threshold == 0 and cap is None:
        return [f"nn.LeakyReLU({py_literal(slope)})"]
    extra = options(max_value=py_literal(cap) if cap is not None else None,
                    negative_slope=py_literal(slope) if slope else None,
                    threshold=py_literal(threshold) if threshold else None)
    return [f"KerasReLU({extra.lstrip(', ')})"]


def _leaky_relu_torch(shape: Shape, a: Resolved) -> list[str]:
    return [f"nn.LeakyReLU({py_literal(a['negative_slope'])})"]


ACTIVATION = LayerType(
    name="Activation", category=Category.ACTIVATION,
    summary="Applies an activation function as a layer of its own (the same as the "
            "`activation` argument of the layer before).",
    args=(activation_arg(required=True),), output=same_shape, torch=_activation_torch,
)

RELU = LayerType(
    name="ReLU", category=Category.ACTIVATION,
    summary="max(x, 0), optionally capped at max_value and with a slope below threshold.",
    args=(Arg("max_value", Kind.FLOAT, None, "Upper cap of the output; None for no cap.",
              minimum=0.0, nullable=True),
          Arg("negative_slope", Kind.FLOAT, 0.0, "Slope below the threshold.", minimum=0.0),
          Arg("threshold", Kind.FLOAT, 0.0, "Values below it are damped.", minimum=0.0)),
    output=same_shape, torch=_relu_torch,
)

LEAKY_RELU = LayerType(
    name="LeakyReLU", category=Category.ACTIVATION,
    summary="Like ReLU but lets a small slope through for negative values, so units "
            "never stop learning entirely.",
    args=(Arg("negative_slope", Kind.FLOAT, 0.3, "Slope for x < 0.", minimum=0.0, key=True),),
    output=same_shape, torch=_leaky_relu_torch,
)

LAYERS = (ACTIVATION, RELU, LEAKY_RELU)
