"""Convolution layers: learned sliding windows."""

from __future__ import annotations

from math import prod

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue.common import (
    activation_arg, check_strides_dilation, dilation_arg, filters_arg, int_tuple_arg,
    kernel_size_arg, padding_arg, require_channels, strides_arg, use_bias_arg,
)
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape, sliding_window
from cnnstudio.core.catalogue.torch_common import (
    conv_padding, options, size_text, with_activation,
)
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


def _torch_conv_options(a: Resolved, padding: str, **extra) -> str:
    """The arguments every PyTorch conv shares, leaving out PyTorch's defaults."""
    dilation = a["dilation_rate"]
    return (f"kernel_size={size_text(a['kernel_size'])}, stride={size_text(a['strides'])}, "
            f"{padding}"
            + options(dilation=None if max(dilation) == 1 else size_text(dilation), **extra,
                      bias=None if a["use_bias"] else False))


def _conv_torch(shape: Shape, a: Resolved) -> list[str]:
    """Conv1D/Conv2D: nn.ConvNd(in, filters, ...), padding as Keras pads."""
    padding = conv_padding(shape, a, a["kernel_size"])
    dims = len(a["kernel_size"])
    conv = (f"nn.Conv{dims}d({shape[-1]}, {a['filters']}, "
            f"{_torch_conv_options(a, padding.argument)})")
    return with_activation([*padding.before, conv], a)


def _depthwise_torch(shape: Shape, a: Resolved) -> list[str]:
    """One kernel per input channel is PyTorch's groups=in_channels."""
    padding = conv_padding(shape, a, a["kernel_size"])
    channels = shape[-1]
    conv = (f"nn.Conv2d({channels}, {channels * a['depth_multiplier']}, "
            f"{_torch_conv_options(a, padding.argument, groups=channels)})")
    return with_activation([*padding.before, conv], a)


def _separable_torch(shape: Shape, a: Resolved) -> list[str]:
    """A depthwise conv without bias, then a 1x1 conv, as Keras computes it."""
    padding = conv_padding(shape, a, a["kernel_size"])
    channels = shape[-1]
    mid = channels * a["depth_multiplier"]
    depthwise_options = _torch_conv_options({**a, "use_bias": False}, padding.argument,
                                            groups=channels)
    depthwise = f"nn.Conv2d({channels}, {mid}, {depthwise_options})"
    bias = options(bias=None if a["use_bias"] else False)
    pointwise = f"nn.Conv2d({mid}, {a['filters']}, kernel_size=1{bias})"
    return with_activation([*padding.before, depthwise, pointwise], a)


def _transpose_torch(shape: Shape, a: Resolved) -> list[str]:
    """Conv2DTranspose as nn.ConvTranspose2d, cropped where TF crops unevenly.

    Of the full transposed output, (n - 1)*s + reach, TF keeps the Keras output
    size starting `before` values in (padding='same' crops like a forward conv
    pads: the odd one at the end), filling any missing end with zeros.
    PyTorch's padding crops evenly and its output_padding extends the end; where
    they cannot express TF's crop, the full output is cropped explicitly.
    """
    axes = [_transpose_axis(k, s, d, a["padding"], op)
            for k, s, d, op in zip(a["kernel_size"], a["strides"], a["dilation_rate"],
                                   a["output_padding"] or (None, None))]
    limits = [max(s, d) for s, d in zip(a["strides"], a["dilation_rate"])]
    crop: list[str] = []
    if all(0 <= delta + 2 * before < limit for (delta, before), limit in zip(axes, limits)):
        padding = tuple(before for _, before in axes)
        extra = tuple(delta + 2 * before for delta, before in axes)
    else:
        padding = (0,) * len(axes)
        extra = tuple(max(delta, 0) for delta, _ in axes)
        pairs = [(before, max(-delta, 0) - before) for delta, before in axes]
        crop = [f"Crop({', '.join(str(pair) for pair in pairs)})"]
    conv_options = _torch_conv_options(a, f"padding={size_text(padding)}",
                                       output_padding=size_text(extra) if any(extra) else None)
    conv = f"nn.ConvTranspose2d({shape[-1]}, {a['filters']}, {conv_options})"
    return with_activation([conv, *crop], a)


def _transpose_axis(kernel: int, stride: int, dilation: int, padding: str,
                    output_padding: int | None) -> tuple[int, int]:
    """(Keras output - full transposed output, values TF crops at the start).

    Both are independent of the input size (see `transpose_length`).
    """
    reach = dilation * (kernel - 1) + 1
    if padding == "valid":
        delta = max(reach, stride) - reach if output_padding is None else output_padding
        return delta, 0
    if output_padding is None:
        delta = stride - reach
    else:
        delta = reach % 2 + output_padding - reach
    return delta, max(-delta, 0) // 2


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
    check=check_strides_dilation, torch=_conv_torch, window=sliding_window,
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
    check=check_strides_dilation, torch=_conv_torch, window=sliding_window,
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
    torch=_separable_torch, window=sliding_window,
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
    torch=_depthwise_torch, window=sliding_window,
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
    check=_check_transpose, torch=_transpose_torch,
)

LAYERS = (CONV1D, CONV2D, SEPARABLE_CONV2D, DEPTHWISE_CONV2D, CONV2D_TRANSPOSE)
