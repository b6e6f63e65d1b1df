"""Core layers: the fully connected Dense layer."""

from __future__ import annotations

from math import prod

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue.common import activation_arg, show_shape, use_bias_arg
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape
from cnnstudio.core.catalogue.torch_common import options, with_activation
from cnnstudio.core.shape_math import ShapeError


def _dense_output(shape: Shape, a: Resolved):
    if shape[-1] is None:
        raise ShapeError(
            f"Dense needs to know the size of the last axis of its input, but "
            f"{show_shape(shape)} ends in None. Fix the input size, or use "
            f"GlobalAveragePooling2D instead of Flatten when the image size may vary.")
    return (*shape[:-1], a["units"]), None


def _dense_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    return shape[-1] * a["units"] + (a["units"] if a["use_bias"] else 0), 0


def _dense_formula(shape: Shape, a: Resolved) -> str:
    bias = f" + {a['units']}" if a["use_bias"] else ""
    return f"{shape[-1]}*{a['units']}{bias} = {_dense_weights(shape, a)[0]:,}"


def _dense_macs(shape: Shape, out: Shape, a: Resolved) -> int:
    return prod(d or 0 for d in shape[1:]) * a["units"]


def _dense_torch(shape: Shape, a: Resolved) -> list[str]:
    """nn.Linear; on more than two axes Keras's Dense acts on the channels, axis 1 here."""
    linear = (f"nn.Linear({shape[-1]}, {a['units']}"
              f"{options(bias=None if a['use_bias'] else False)})")
    return with_activation([linear if len(shape) == 2 else f"LastAxis({linear})"], a)


DENSE = LayerType(
    name="Dense", category=Category.CORE,
    summary="Every output unit is a weighted sum of every input value plus a bias: "
            "inputs x units weights. On a tensor with more than one axis it acts on the "
            "last axis only (use Flatten first for a classifier).",
    args=(Arg("units", Kind.INT, REQUIRED, "Number of output values (neurons).",
              minimum=1, initial=128, key=True),
          activation_arg(), use_bias_arg()),
    output=_dense_output, weights=_dense_weights, formula=_dense_formula, macs=_dense_macs,
    torch=_dense_torch,
)

LAYERS = (DENSE,)
