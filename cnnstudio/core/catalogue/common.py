"""Arguments and rules shared by several layer declarations.

Kept as factories so each declaration still reads as the full list of its
Keras constructor arguments.
"""

from __future__ import annotations

from math import prod

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue.spec import Resolved, Shape
from cnnstudio.core.errors import ArgumentError
from cnnstudio.core.shape_math import AXIS_NAMES, ShapeError

ACTIVATIONS = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish",
    "mish", "softplus", "softsign", "sigmoid", "hard_sigmoid", "tanh", "exponential",
    "softmax", "log_softmax",
)


def activation_arg(default: str | None = None, required: bool = False) -> Arg:
    return Arg("activation", Kind.CHOICE, REQUIRED if required else default,
               "Function applied to every output value; relu for hidden layers, softmax "
               "for class probabilities, none (linear) to keep raw values.",
               choices=ACTIVATIONS, nullable=not required, key=True,
               initial="relu" if required else None)


def use_bias_arg() -> Arg:
    return Arg("use_bias", Kind.BOOL, True,
               "Add a learned bias (one per output channel) after the weighted sum.")


def int_tuple_arg(name: str, rank: int, default, help: str, *, minimum: int = 1,
                  nullable: bool = False, initial=None, key: bool = False) -> Arg:
    return Arg(name, Kind.INT_TUPLE, default, help, minimum=minimum, length=rank,
               nullable=nullable, initial=initial, key=key)


def kernel_size_arg(rank: int) -> Arg:
    return int_tuple_arg("kernel_size", rank, REQUIRED,
                         "Size of the sliding window; an integer means a square window.",
                         initial=3, key=True)


def strides_arg(rank: int) -> Arg:
    return int_tuple_arg("strides", rank, 1,
                         "Step between window positions; 2 halves each spatial size.")


def dilation_arg(rank: int) -> Arg:
    return int_tuple_arg("dilation_rate", rank, 1,
                         "Gap between kernel taps; widens the receptive field without "
                         "more weights. Cannot be combined with strides > 1.")


def padding_arg(causal: bool = False, ignore_case: bool = True) -> Arg:
    """Convolutions lower-case `padding`; pooling layers take it as written."""
    return Arg("padding", Kind.CHOICE, "valid",
               "'valid' uses no padding and shrinks the output; 'same' pads so that "
               "output = ceil(input / strides)"
               + ("; 'causal' pads only on the left (time series)." if causal else "."),
               choices=("valid", "same", "causal") if causal else ("valid", "same"), key=True,
               ignore_case=ignore_case)


def filters_arg() -> Arg:
    return Arg("filters", Kind.INT, REQUIRED,
               "Number of kernels, i.e. output channels (feature maps).",
               minimum=1, initial=32, key=True)


def check_strides_dilation(a: Resolved, where: str) -> None:
    """Keras refuses strides > 1 together with dilation_rate > 1 (base_conv.py)."""
    if max(a["strides"]) > 1 and max(a["dilation_rate"]) > 1:
        raise ArgumentError(f"{where}.strides", list(a["strides"]),
                            "strides of 1 when dilation_rate is above 1 (Keras cannot "
                            "combine both); set strides or dilation_rate to 1")


def show_shape(shape: Shape) -> str:
    """A shape as Keras prints it: ``(None, 28, 28, 1)``."""
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def rank_words(rank: int) -> str:
    """Names of the non-batch axes of a channels-last tensor of this rank."""
    spatial = rank - 2
    if spatial in AXIS_NAMES:
        return ", ".join(AXIS_NAMES[spatial] + ("channels",))
    return "features" if rank == 2 else f"{rank - 1} axes"


def require_channels(layer: str, shape: Shape) -> int:
    """The channel count, which weight shapes depend on, or a learner's error."""
    channels = shape[-1]
    if channels is None:
        raise ShapeError(
            f"{layer} needs to know how many channels its input has, but the last axis "
            f"of {show_shape(shape)} is None. Give the input (or the Reshape above) a fixed "
            f"last size.")
    return channels


def same_shape(shape: Shape, a: Resolved):
    """The output rule of every layer that keeps its input's shape."""
    return shape, None


def flat_size(shape: Shape) -> int | None:
    """Values per sample, or None when a size is unknown."""
    dims = shape[1:]
    return None if any(d is None for d in dims) else prod(dims)
