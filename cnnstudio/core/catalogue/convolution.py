"""Convolution layers: learned sliding windows."""

from __future__ import annotations

from math import prod

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue.common import (
    activation_arg, check_strides_dilation, dilation_arg, filters_arg, int_tuple_arg,
    kernel_size_arg, padding_arg, require_channels, strides_arg, use_bias_arg,
)
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape
from cnnstudio.core.errors import ArgumentError
from cnnstudio.core.shape_math import AXIS_NAMES, slide_windows, transpose_length

DEPTH_MULTIPLIER = Arg("depth_multiplier", Kind.INT, 1,
                       "Output channels per input channel in the depthwise step.", minimum=1)


def _sliding_output(shape: Shape, a: Resolved, channels_out: int):
    sizes, steps = slide_windows(shape[1:-1], a["kernel_size"], a["strides"], a["padding"],
                                 a["dilation_rate"], "kernel")
    return (shape[0], *sizes, channels_out), steps


def _conv_output(layer: str):
    def rule(shape: Shape, a: Resolved):
        require_channels(layer, shape)
        return _sliding_output(shape, a, a["filters"])
    return rule


def _conv_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    kernel = prod(a["kernel_size"]) * shape[-1] * a["filters"]
    return kernel + (a["filters"] if a["use_bias"] else 0), 0


def _bias(a: Resolved, count: int) -> str:
    return f" + {count}" if a["use_bias"] else ""


def _kernel_text(a: Resolved) -> str:
    return "*".join(str(k) for k in a["kernel_size"])


def _conv_formula(shape: Shape, a: Resolved) -> str:
    total = _conv_weights(shape, a)[0]
    return f"{_kernel_text(a)}*{shape[-1]}*{a['filters']}{_bias(a, a['filters'])} = {total:,}"


def _conv_macs(shape: Shape, out: Shape, a: Resolved) -> int:
    return prod(a["kernel_size"]) * shape[-1] * a["filters"] * _positions(out)


def _transpose_macs(shape: Shape, out: Shape, a: Resolved) -> int:
    return prod(a["kernel_size"]) * shape[-1] * a["filters"] * _positions(shape)


def _positions(shape: Shape) -> int:
    return prod(d or 0 for d in shape[1:-1])


def _separable_formula(shape: Shape, a: Resolved) -> str:
    mid = shape[-1] * a["depth_multiplier"]
    total = _separable_weights(shape, a)[0]
    return (f"{_kernel_text(a)}*{shape[-1]}*{a['depth_multiplier']} (depthwise) + "
            f"{mid}*{a['filters']} (pointwise){_bias(a, a['filters'])} = {total:,}")


def _separable_macs(shape: Shape, out: Shape, a: Resolved) -> int:
    mid = shape[-1] * a["depth_multiplier"]
    return (prod(a["kernel_size"]) * mid + mid * a["filters"]) * _positions(out)


def _depthwise_formula(shape: Shape, a: Resolved) -> str:
    out = shape[-1] * a["depth_multiplier"]
    total = _depthwise_weights(shape, a)[0]
    return f"{_kernel_text(a)}*{shape[-1]}*{a['depth_multiplier']}{_bias(a, out)} = {total:,}"


def _depthwise_macs(shape: Shape, out: Shape, a: Resolved) -> int:
    return prod(a["kernel_size"]) * shape[-1] * a["depth_multiplier"] * _positions(out)


def _separable_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    mid = shape[-1] * a["depth_multiplier"]
    total = prod(a["kernel_size"]) * mid + mid * a["filters"]
    return total + (a["filters"] if a["use_bias"] else 0), 0


def _depthwise_output(shape: Shape, a: Resolved):
    channels = require_channels("DepthwiseConv2D", shape)
    return _sliding_output(shape, a, channels * a["depth_multiplier"])


def _depthwise_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    out = shape[-1] * a["depth_multiplier"]
    return prod(a["kernel_size"]) * out + (out if a["use_bias"] else 0), 0


def _transpose_output(shape: Shape, a: Resolved):
    require_channels("Conv2DTranspose", shape)
    names = AXIS_NAMES[2]
    padding_out = a["output_padding"] or (None, None)
    sizes, steps = [], []
    for i, n in enumerate(shape[1:-1]):
        size, step = transpose_length(names[i], n, a["kernel_size"][i], a["strides"][i],
                                      a["padding"], padding_out[i], a["dilation_rate"][i])
        sizes.append(size)
        if step is not None:
            steps.append(step)
    return (shape[0], *sizes, a["filters"]), steps


def _check_transpose(a: Resolved, where: str) -> None:
    """Keras refuses output_padding >= strides on any axis (conv_transpose.py)."""
    check_strides_dilation(a, where)
    padding, strides = a["output_padding"], a["strides"]
    if padding is not None and any(p >= s for p, s in zip(padding, strides)):
        raise ArgumentError(f"{where}.output_padding", list(padding),
                            f"values smaller than strides {list(strides)} on each axis")


def _conv_args(rank: int, causal: bool = False) -> tuple[Arg, ...]:
    return (filters_arg(), kernel_size_arg(rank), strides_arg(rank), padding_arg(causal),
            dilation_arg(rank), activation_arg(), use_bias_arg())


CONV1D = LayerType(
    name="Conv1D", category=Category.CONVOLUTION,
    summary="Slides `filters` learned kernels along a sequence; each kernel gives one "
            "output channel.",
    args=_conv_args(1, causal=True), output=_conv_output("Conv1D"), weights=_conv_weights,
    formula=_conv_formula, macs=_conv_macs,
    ranks=(3,), rank_hint="Conv1D works on sequences (steps, channels); for images use "
                          "Conv2D, or Reshape to (steps, channels) first.",
    check=check_strides_dilation,
)

CONV2D = LayerType(
    name="Conv2D", category=Category.CONVOLUTION,
    summary="Slides `filters` learned kernels over the image; each kernel gives one "
            "feature map. Weights: kernel height x width x input channels x filters, plus "
            "one bias per filter.",
    args=_conv_args(2), output=_conv_output("Conv2D"), weights=_conv_weights,
    formula=_conv_formula, macs=_conv_macs,
    ranks=(4,), rank_hint="Conv2D needs images (height, width, channels); a vector from "
                          "Flatten or Dense cannot be convolved. Move the layer above "
                          "Flatten, or Reshape to (height, width, channels) first.",
    check=check_strides_dilation,
)

SEPARABLE_CONV2D = LayerType(
    name="SeparableConv2D", category=Category.CONVOLUTION,
    summary="A depthwise convolution (one kernel per input channel) followed by a 1x1 "
            "pointwise convolution: far fewer weights than Conv2D for the same output.",
    args=(filters_arg(), kernel_size_arg(2), strides_arg(2), padding_arg(),
          dilation_arg(2), DEPTH_MULTIPLIER, activation_arg(), use_bias_arg()),
    output=_conv_output("SeparableConv2D"), weights=_separable_weights, ranks=(4,),
    formula=_separable_formula, macs=_separable_macs,
    rank_hint="SeparableConv2D needs images (height, width, channels).",
)

DEPTHWISE_CONV2D = LayerType(
    name="DepthwiseConv2D", category=Category.CONVOLUTION,
    summary="One kernel per input channel (no mixing between channels); output channels "
            "= input channels x depth_multiplier.",
    args=(kernel_size_arg(2), strides_arg(2), padding_arg(), DEPTH_MULTIPLIER,
          dilation_arg(2), activation_arg(), use_bias_arg()),
    output=_depthwise_output, weights=_depthwise_weights, ranks=(4,),
    formula=_depthwise_formula, macs=_depthwise_macs,
    rank_hint="DepthwiseConv2D needs images (height, width, channels).",
)

CONV2D_TRANSPOSE = LayerType(
    name="Conv2DTranspose", category=Category.CONVOLUTION,
    summary="The reverse of a strided convolution: spreads each input value over a "
            "kernel-sized patch, so the image grows (decoders, segmentation).",
    args=(filters_arg(), kernel_size_arg(2), strides_arg(2), padding_arg(),
          int_tuple_arg("output_padding", 2, None,
                        "Extra rows/columns added on one side of the output; must be "
                        "smaller than strides. None lets Keras choose.",
                        minimum=0, nullable=True),
          dilation_arg(2), activation_arg(), use_bias_arg()),
    output=_transpose_output, weights=_conv_weights, ranks=(4,),
    formula=_conv_formula, macs=_transpose_macs,
    rank_hint="Conv2DTranspose needs images (height, width, channels).",
    check=_check_transpose,
)

LAYERS = (CONV1D, CONV2D, SEPARABLE_CONV2D, DEPTHWISE_CONV2D, CONV2D_TRANSPOSE)
