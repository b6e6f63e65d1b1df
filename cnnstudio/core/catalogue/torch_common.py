"""What several torch rules share: code text, padding arithmetic, helper classes.

The torch rules write PyTorch code as text for the PyTorch script export
(`cnnstudio.core.pytorch_script`), so nothing here imports torch. The model
they describe is channels-first: a Keras tensor (N, *spatial, C) is the
PyTorch tensor (N, C, *spatial); a tensor of rank 2, (N, features), is the same
in both. Where PyTorch has no module for a Keras behaviour, a rule uses one of
the small helper classes in `HELPERS`, whose source the export copies into the
script, so the script stays standalone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from cnnstudio.core.catalogue.spec import NoTorchEquivalent, Resolved, Shape
from cnnstudio.core.shape_math import window_length
from cnnstudio.core.source_text import py_literal


# -- code text ---------------------------------------------------------------------


def size_text(values: tuple[int, ...]) -> str:
    """A kernel size, stride or similar: ``3`` for one axis, ``(3, 3)`` for two."""
    return str(values[0]) if len(values) == 1 else py_literal(tuple(values))


def torch_axis(shape: Shape, axis: int) -> int:
    """Where a Keras axis of a channels-last tensor sits in the channels-first one.

    The channels (Keras's last axis) move to position 1; the axes between the
    batch and the channels move one place to the right.
    """
    rank = len(shape)
    axis %= rank
    if rank <= 2 or axis == 0:
        return axis
    return 1 if axis == rank - 1 else axis + 1


# -- activations ---------------------------------------------------------------------

_ACTIVATION_MODULES = {
    "linear": None,
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "leaky_relu": "nn.LeakyReLU(0.2)",  # keras.activations.leaky_relu's negative_slope
    "elu": "nn.ELU(alpha=1.0)",
    "selu": "nn.SELU()",
    "gelu": "nn.GELU()",  # Keras's gelu is exact (approximate=False) by default
    "silu": "nn.SiLU()",
    "swish": "nn.SiLU()",
    "mish": "nn.Mish()",
    "softplus": "nn.Softplus()",
    "softsign": "nn.Softsign()",
    "sigmoid": "nn.Sigmoid()",
    "hard_sigmoid": "nn.Hardsigmoid()",  # Keras 3: relu6(x + 3) / 6, as PyTorch's
    "tanh": "nn.Tanh()",
    "exponential": "Exponential()",
    # Keras applies these on its last axis, the channels: axis 1 here.
    "softmax": "nn.Softmax(dim=1)",
    "log_softmax": "nn.LogSoftmax(dim=1)",
}


def activation_modules(name: str | None) -> list[str]:
    """The module for a Keras activation name; none for None or 'linear'."""
    if name is None:
        return []
    if name not in _ACTIVATION_MODULES:
        raise NoTorchEquivalent(f"activation {name!r} has no PyTorch module here")
    module = _ACTIVATION_MODULES[name]
    return [] if module is None else [module]


def with_activation(modules: list[str], a: Resolved) -> list[str]:
    """Keras's `activation=` argument becomes a module of its own after the layer."""
    return modules + activation_modules(a.get("activation"))


# -- padding ------------------------------------------------------------------------


@dataclass(frozen=True)
class Padding:
    """How a Keras padding becomes PyTorch code: modules before the layer, and the
    layer's own `padding=` argument text."""

    before: tuple[str, ...]
    argument: str


def same_pads(shape: Shape, kernels: tuple[int, ...], strides: tuple[int, ...],
              dilations: tuple[int, ...]) -> list[tuple[int, int]] | None:
    """TF's (before, after) zeros per spatial axis for padding='same', or None when
    a size is unknown. TF puts the odd extra zero after (at the bottom or right)."""
    pads = []
    for n, k, s, d in zip(shape[1:-1], kernels, strides, dilations):
        if n is None:
            return None
        _, step = window_length("", n, k, s, "same", d)
        pads.append((step.pad_before, step.pad_after))
    return pads


def pad_module(pads: list[tuple[int, int]], value: float = 0.0) -> str:
    """A padding module; PyTorch lists the last axis first: (left, right, top, bottom)."""
    flat = tuple(amount for pair in reversed(pads) for amount in pair)
    dims = len(pads)
    if value == 0.0:
        return f"nn.ZeroPad{dims}d({py_literal(flat)})"
    return f"nn.ConstantPad{dims}d({py_literal(flat)}, {py_literal(value)})"


def conv_padding(shape: Shape, a: Resolved, kernels: tuple[int, ...]) -> Padding:
    """Keras's conv padding as PyTorch's.

    'valid' is padding=0. 'same' with stride 1 is PyTorch's padding='same' (both
    put the odd extra zero after). With a larger stride PyTorch refuses 'same',
    so the zeros TF adds, which depend on the input size, are written out: as the
    conv's own padding where they are even on both sides, else as a ZeroPad
    module before it (a run-time `SamePadding` where a size is unknown). 'causal'
    pads only before (on the left of the sequence).
    """
    strides, dilations = a["strides"], a["dilation_rate"]
    if a["padding"] == "valid":
        return Padding((), "padding=0")
    if a["padding"] == "causal":
        reach = dilations[0] * (kernels[0] - 1)
        return Padding((pad_module([(reach, 0)]),), "padding=0")
    if max(strides) == 1:
        return Padding((), 'padding="same"')
    pads = same_pads(shape, kernels, strides, dilations)
    if pads is None:
        return Padding((f"SamePadding({size_text(kernels)}, {size_text(strides)}, "
                        f"{size_text(dilations)})",), "padding=0")
    if all(before == after for before, after in pads):
        return Padding((), f"padding={size_text(tuple(before for before, _ in pads))}")
    return Padding((pad_module(pads),), "padding=0")


def torch_dim(axis: int, rank: int) -> int:
    """A Keras axis of a channels-last tensor of `rank` (batch included) as the PyTorch
    dimension of the same values channels-first: the channels go from -1 to 1."""
    axis %= rank
    if rank <= 2 or axis == 0:
        return axis
    return 1 if axis == rank - 1 else axis + 1


def options(**values: Any) -> str:
    """Keyword arguments as text, leaving out those given as None."""
    return "".join(f", {key}={value}" for key, value in values.items() if value is not None)


# -- helper classes -------------------------------------------------------------------


@dataclass(frozen=True)
class TorchHelper:
    """A class or function a torch rule's code may call, copied into the script."""

    name: str
    source: str
    needs: tuple[str, ...] = ()


def _helper(name: str, source: str, needs: tuple[str, ...] = ()) -> TorchHelper:
    return TorchHelper(name, source.strip("\n") + "\n", needs)


_HELPERS = (
    _helper("KerasFlatten", '''
class KerasFlatten(nn.Module):
    """Keras's Flatten: lays each sample out in Keras's channels-last order.

    PyTorch keeps images as (N, C, H, W) but Keras as (N, H, W, C). Flattening
    (N, C, H, W) directly would order the vector channel by channel, and the
    weights of a Dense layer trained in Keras (or in CNN Studio) would then meet
    the wrong values. So the channels are moved last first, exactly as Keras
    holds them, and only then flattened.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() > 2:
            x = x.movedim(1, -1)  # (N, C, H, W) -> (N, H, W, C): Keras's order
        return x.flatten(1)
'''),
    _helper("KerasReshape", '''
class KerasReshape(nn.Module):
    """Keras's Reshape: reshapes the channels-last values, as Keras does.

    The values are laid out in Keras's order (channels last) before reshaping,
    and the channels (the target's last axis) are moved back to axis 1 after.
    """

    def __init__(self, target_shape: tuple[int, ...]):
        super().__init__()
        self.target_shape = tuple(target_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() > 2:
            x = x.movedim(1, -1)  # to channels-last, Keras's order
        x = x.reshape(x.shape[0], *self.target_shape)
        if x.dim() > 2:
            x = x.movedim(-1, 1)  # back to channels-first
        return x

    def extra_repr(self) -> str:
        return f"target_shape={self.target_shape}"
'''),
    _helper("LastAxis", '''
class LastAxis(nn.Module):
    """Runs a module that works on the last axis (Linear, LayerNorm) on axis `dim`.

    Keras's Dense and LayerNormalization act on the channels, Keras's last axis,
    which is axis 1 here on tensors with more than two axes.
    """

    def __init__(self, module: nn.Module, dim: int = 1):
        super().__init__()
        self.module = module
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.movedim(self.dim, -1)).movedim(-1, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
'''),
    _helper("AxisAsChannels", '''
class AxisAsChannels(nn.Module):
    """Runs a module that works on axis 1 (BatchNorm) on axis `dim` instead."""

    def __init__(self, module: nn.Module, dim: int):
        super().__init__()
        self.module = module
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.movedim(self.dim, 1)).movedim(1, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
'''),
    _helper("same_pads", '''
def same_pads(sizes, kernel_size, stride, dilation=None) -> list[int]:
    """TF's zeros for padding='same', in F.pad's order (last axis first).

    TF pads so that output = ceil(input / stride) and puts the odd extra zero
    after (bottom, right); it depends on the input size when stride > 1.
    """
    dilation = dilation or (1,) * len(sizes)
    pads = []
    for n, k, s, d in zip(sizes, kernel_size, stride, dilation):
        total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return [amount for pair in reversed(pads) for amount in pair]
'''),
    _helper("SamePadding", '''
class SamePadding(nn.Module):
    """Keras's padding='same' for a strided convolution, worked out per input size."""

    def __init__(self, kernel_size, stride, dilation=1):
        super().__init__()
        self.kernel_size, self.stride, self.dilation = (
            _as_tuple(kernel_size), _as_tuple(stride), _as_tuple(dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rank = len(self.kernel_size)
        return F.pad(x, same_pads(x.shape[-rank:], _fill(self.kernel_size, rank),
                                  _fill(self.stride, rank), _fill(self.dilation, rank)))
''', needs=("same_pads", "_as_tuple")),
    _helper("SamePool", '''
class SamePool(nn.Module):
    """Keras's pooling with padding='same', where PyTorch's own padding cannot match.

    Max pooling pads with -inf, so padding never wins; average pooling, like TF,
    divides each window by the number of real (unpadded) values in it.
    """

    def __init__(self, kind: str, pool_size, stride):
        super().__init__()
        self.kind, self.pool_size, self.stride = kind, _as_tuple(pool_size), _as_tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rank = x.dim() - 2
        size, stride = _fill(self.pool_size, rank), _fill(self.stride, rank)
        pads = same_pads(x.shape[2:], size, stride)
        pool = getattr(F, f"{self.kind}_pool{rank}d")
        if self.kind == "max":
            return pool(F.pad(x, pads, value=float("-inf")), size, stride)
        ones = torch.ones_like(x[:1, :1])
        return pool(F.pad(x, pads), size, stride) / pool(F.pad(ones, pads), size, stride)

    def extra_repr(self) -> str:
        return f"{self.kind!r}, pool_size={self.pool_size}, stride={self.stride}"
''', needs=("same_pads", "_as_tuple")),
    _helper("_as_tuple", '''
def _as_tuple(value) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _fill(values: tuple[int, ...], rank: int) -> tuple[int, ...]:
    return values * rank if len(values) == 1 else values
'''),
    _helper("Crop", '''
class Crop(nn.Module):
    """Removes (before, after) rows or columns on each of the last axes, like
    Keras's Cropping2D: Crop((top, bottom), (left, right))."""

    def __init__(self, *pairs: tuple[int, int]):
        super().__init__()
        self.pairs = tuple(tuple(pair) for pair in pairs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sizes = x.shape[x.dim() - len(self.pairs):]
        keep = [slice(before, n - after) for (before, after), n in zip(self.pairs, sizes)]
        return x[(..., *keep)]

    def extra_repr(self) -> str:
        return ", ".join(str(pair) for pair in self.pairs)
'''),
    _helper("MaskDropout", '''
class MaskDropout(nn.Module):
    """Keras's Dropout with a noise_shape: one keep/drop decision is shared along
    every axis whose mask size is 1 (e.g. whole channels). `mask_shape` is in
    this model's channels-first order; None takes the input's size."""

    def __init__(self, rate: float, mask_shape: tuple):
        super().__init__()
        self.rate, self.mask_shape = rate, tuple(mask_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        shape = [n if m is None else m for n, m in zip(x.shape, self.mask_shape)]
        keep = torch.rand(shape, device=x.device) >= self.rate
        return x * keep / (1 - self.rate)

    def extra_repr(self) -> str:
        return f"rate={self.rate}, mask_shape={self.mask_shape}"
'''),
    _helper("GaussianNoise", '''
class GaussianNoise(nn.Module):
    """Keras's GaussianNoise: adds N(0, stddev^2) noise in training only."""

    def __init__(self, stddev: float):
        super().__init__()
        self.stddev = stddev

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.randn_like(x) * self.stddev if self.training else x

    def extra_repr(self) -> str:
        return f"stddev={self.stddev}"
'''),
    _helper("Rescaling", '''
class Rescaling(nn.Module):
    """Keras's Rescaling: x * scale + offset (e.g. 1/255 to bring pixels to 0..1)."""

    def __init__(self, scale: float, offset: float = 0.0):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.offset

    def extra_repr(self) -> str:
        return f"scale={self.scale}, offset={self.offset}"
'''),
    _helper("KerasReLU", '''
class KerasReLU(nn.Module):
    """Keras's ReLU layer with max_value, negative_slope and threshold:
    x above the threshold (capped at max_value), negative_slope * (x - threshold)
    at or below it."""

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0):
        super().__init__()
        self.max_value, self.negative_slope, self.threshold = (
            max_value, negative_slope, threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.where(x > self.threshold, x, self.negative_slope * (x - self.threshold))
        return out if self.max_value is None else out.clamp(max=self.max_value)

    def extra_repr(self) -> str:
        return (f"max_value={self.max_value}, negative_slope={self.negative_slope}, "
                f"threshold={self.threshold}")
'''),
    _helper("Merge", '''
class Merge(nn.Module):
    """Keras's merge layers, where branches meet: the tensors given to forward() become
    one, value by value (add, subtract, multiply, average, maximum, minimum) or joined
    along a dimension (concatenate; dim 1 is the channels here, -1 in Keras)."""

    def __init__(self, op: str, dim: int = 1):
        super().__init__()
        self.op, self.dim = op, dim

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.op == "concatenate":
            return torch.cat(inputs, dim=self.dim)
        out = inputs[0]
        for x in inputs[1:]:
            if self.op in ("add", "average"):
                out = out + x
            elif self.op == "subtract":
                out = out - x
            elif self.op == "multiply":
                out = out * x
            elif self.op == "maximum":
                out = torch.maximum(out, x)
            else:
                out = torch.minimum(out, x)
        return out / len(inputs) if self.op == "average" else out

    def extra_repr(self) -> str:
        return f"{self.op!r}" + (f", dim={self.dim}" if self.op == "concatenate" else "")
'''),
    _helper("Exponential", '''
class Exponential(nn.Module):
    """Keras's 'exponential' activation: e^x."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)
'''),
)

HELPERS: dict[str, TorchHelper] = {helper.name: helper for helper in _HELPERS}
"""Every helper a torch rule may use, in the order the script defines them."""


def helpers_used(code: Iterable[str]) -> list[TorchHelper]:
    """The helpers that code calls, with the helpers they need, in `HELPERS` order."""
    text = "\n".join(code)
    wanted = {name for name in HELPERS if re.search(rf"\b{re.escape(name)}\(", text)}
    pending = list(wanted)
    while pending:
        for need in HELPERS[pending.pop()].needs:
            if need not in wanted:
                wanted.add(need)
                pending.append(need)
    return [helper for name, helper in HELPERS.items() if name in wanted]
