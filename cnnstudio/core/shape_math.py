"""Sliding-window arithmetic, one spatial axis at a time, as Keras computes it.

The rules follow ``keras/src/ops/operation_utils.py`` (convolution and pooling)
and ``keras/src/backend/common/backend_utils.py`` (transposed convolution).
Each result keeps its numbers so the GUI can show *why* a size came out as it
did, e.g. ``(227 - 11 + 2*0)/4 + 1 = 55``; the text is formatted only when
asked for, because inference runs on every keystroke. (The records are not
frozen dataclasses only because frozen ones are several times slower to make.)
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnstudio.core.errors import CnnStudioError


class ShapeError(CnnStudioError):
    """A layer that Keras would refuse for the shape it receives.

    The message is written for a learner: what does not fit, the arithmetic
    with the user's own numbers, and what to change.
    """


class WindowMisfit(ShapeError):
    """A kernel or pool window larger than its input: the kind one-click fixes read
    (with the window's `what` and the input sizes), never the message's words."""

    def __init__(self, message: str, what: str, input_dims: tuple[int | None, ...]) -> None:
        super().__init__(message)
        self.what = what  # "kernel" or "pool"
        self.input_dims = input_dims


AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


@dataclass(slots=True)
class WindowArithmetic:
    """One axis of a convolution or pooling window sliding over its input."""

    axis: str
    size: int
    kernel: int  # effective kernel: dilation * (kernel - 1) + 1
    stride: int
    pad_before: int
    pad_after: int
    result: int
    raw_kernel: int = 0
    dilation: int = 1
    padding: str = "valid"

    def text(self) -> str:
        pad = self.pad_before + self.pad_after
        pad_text = (f"2*{self.pad_before}" if self.pad_before == self.pad_after
                    else f"({self.pad_before}+{self.pad_after})")
        span = self.size - self.kernel + pad
        body = f"({self.size} - {self.kernel} + {pad_text})/{self.stride}"
        if span % self.stride:
            body = f"floor({body})"
        text = f"{body} + 1 = {self.result}"
        if self.dilation > 1:
            text += (f"  (dilated kernel {self.dilation}*({self.raw_kernel} - 1) + 1"
                     f" = {self.kernel})")
        if self.padding != "valid" and pad:
            text += f"  (padding='{self.padding}' adds {pad})"
        return text


@dataclass(slots=True)
class TransposeArithmetic:
    """One axis of a transposed convolution (the size grows)."""

    axis: str
    size: int
    kernel: int
    stride: int
    output_padding: int | None
    padding: str
    result: int

    def text(self) -> str:
        if self.padding == "same" and self.output_padding is None:
            return f"{self.size}*{self.stride} = {self.result}  (padding='same')"
        if self.padding == "same":
            return (f"({self.size} - 1)*{self.stride} + {self.kernel} % 2 + "
                    f"{self.output_padding} = {self.result}")
        if self.output_padding is None:
            return (f"({self.size} - 1)*{self.stride} + max({self.kernel}, {self.stride})"
                    f" = {self.result}")
        return (f"({self.size} - 1)*{self.stride} + {self.kernel} + {self.output_padding}"
                f" = {self.result}")


@dataclass(slots=True)
class PlainArithmetic:
    """A formula already written out (Flatten's product, UpSampling's multiply)."""

    axis: str
    formula: str

    def text(self) -> str:
        return self.formula


Arithmetic = WindowArithmetic | TransposeArithmetic | PlainArithmetic


def window_length(axis: str, size: int | None, kernel: int, stride: int, padding: str,
                  dilation: int = 1) -> tuple[int | None, WindowArithmetic | None]:
    """Output length of a convolution or pooling window along one axis.

    Returns ``(None, None)`` for an unknown (None) input size, as Keras does.
    A result of zero or less is returned as is; the caller words the error.
    """
    if size is None:
        return None, None
    effective = dilation * (kernel - 1) + 1
    if padding == "valid":
        before = after = 0
        result = (size - effective) // stride + 1
    else:
        result = (size - 1) // stride + 1
        if padding == "causal":
            before, after = effective - 1, 0
        else:
            total = max((result - 1) * stride + effective - size, 0)
            before, after = total // 2, total - total // 2
    return result, WindowArithmetic(axis, size, effective, stride, before, after, result,
                                    kernel, dilation, padding)


def transpose_length(axis: str, size: int | None, kernel: int, stride: int, padding: str,
                     output_padding: int | None, dilation: int = 1
                     ) -> tuple[int | None, TransposeArithmetic | None]:
    """Output length of a transposed convolution along one axis (Keras's TF rule)."""
    if size is None:
        return None, None
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        result = (size - 1) * stride + effective + extra
    elif output_padding is None:
        result = size * stride
    else:
        result = (size - 1) * stride + effective % 2 + output_padding
    return result, TransposeArithmetic(axis, size, effective, stride, output_padding, padding,
                                       result)


def slide_windows(dims: tuple[int | None, ...], kernels: tuple[int, ...],
                  strides: tuple[int, ...], padding: str, dilations: tuple[int, ...] | None,
                  what: str) -> tuple[list[int | None], list[WindowArithmetic]]:
    """Output sizes of a window sliding over every spatial axis, and the sums.

    Raises ShapeError, with the arithmetic, where Keras raises: a known size
    whose result is zero or less. `what` names the window ("kernel", "pool_size").
    """
    names = AXIS_NAMES[len(dims)]
    dilations = dilations or (1,) * len(dims)
    sizes, steps = [], []
    for axis, n, k, s, d in zip(names, dims, kernels, strides, dilations):
        size, step = window_length(axis, n, k, s, padding, d)
        sizes.append(size)
        if step is not None:
            steps.append(step)
    if any(size is not None and size <= 0 for size in sizes):
        raise WindowMisfit(window_misfit_message(what, steps, dims), what, tuple(dims))
    return sizes, steps


def window_misfit_message(what: str, arithmetic: list[WindowArithmetic],
                          input_dims: tuple[int | None, ...]) -> str:
    """The message for a window that does not fit its input, with the arithmetic."""
    bad = [a for a in arithmetic if a.result <= 0]
    kernels = "x".join(str(a.kernel) for a in arithmetic)
    sizes = "x".join("?" if d is None else str(d) for d in input_dims)
    texts = [a.text() for a in bad]
    if len(set(texts)) == 1 and len(bad) == len(input_dims):
        sums = texts[0]
    else:
        sums = "; ".join(f"{a.axis}: {t}" if len(input_dims) > 1 else t
                         for a, t in zip(bad, texts))
    fixes = ("Use padding='same', a smaller kernel, or fewer pooling layers above."
             if what == "kernel" else
             "Use padding='same', a smaller pool_size, or fewer pooling layers above.")
    return f"{what} {kernels} does not fit its {sizes} input: {sums}. {fixes}"
