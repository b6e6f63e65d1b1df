"""Activation layers: a function applied to every value, no change of shape."""

from __future__ import annotations

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue.common import activation_arg, same_shape
from cnnstudio.core.catalogue.spec import Category, LayerType


ACTIVATION = LayerType(
    name="Activation", category=Category.ACTIVATION,
    summary="Applies an activation function as a layer of its own (the same as the "
            "`activation` argument of the layer before).",
    args=(activation_arg(required=True),), output=same_shape,
)

RELU = LayerType(
    name="ReLU", category=Category.ACTIVATION,
    summary="max(x, 0), optionally capped at max_value and with a slope below threshold.",
    args=(Arg("max_value", Kind.FLOAT, None, "Upper cap of the output; None for no cap.",
              minimum=0.0, nullable=True),
          Arg("negative_slope", Kind.FLOAT, 0.0, "Slope below the threshold.", minimum=0.0),
          Arg("threshold", Kind.FLOAT, 0.0, "Values below it are damped.", minimum=0.0)),
    output=same_shape,
)

LEAKY_RELU = LayerType(
    name="LeakyReLU", category=Category.ACTIVATION,
    summary="Like ReLU but lets a small slope through for negative values, so units "
            "never stop learning entirely.",
    args=(Arg("negative_slope", Kind.FLOAT, 0.3, "Slope for x < 0.", minimum=0.0, key=True),),
    output=same_shape,
)

LAYERS = (ACTIVATION, RELU, LEAKY_RELU)
