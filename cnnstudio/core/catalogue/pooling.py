"""Pooling layers: fixed (unlearned) windows that summarise a neighbourhood."""

from __future__ import annotations

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue.common import int_tuple_arg, padding_arg
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape, sliding_window
from cnnstudio.core.catalogue.torch_common import same_pads, size_text
from cnnstudio.core.shape_math import AXIS_NAMES, slide_windows


def _pool_args(rank: int, pool_default) -> tuple[Arg, ...]:
    return (
        int_tuple_arg("pool_size", rank, pool_default,
                      "Size of the window summarised into one value; 2 halves each size.",
                      key=True, initial=2),
        int_tuple_arg("strides", rank, None,
                      "Step between windows; None (the default) means the same as "
                      "pool_size, so windows do not overlap.", nullable=True),
        padding_arg(ignore_case=False),
    )


def _pool_output(shape: Shape, a: Resolved):
    sizes, steps = slide_windows(shape[1:-1], a["pool_size"], a["strides"] or a["pool_size"],
                                 a["padding"], None, "pool_size")
    return (shape[0], *sizes, shape[-1]), steps


def _pool_torch(kind: str):
    """nn.MaxPoolNd / nn.AvgPoolNd; 'same' as PyTorch's padding where TF pads evenly.

    TF's 'same' pooling ignores the padding: max pooling never picks it and
    average pooling divides by the real values only (count_include_pad=False).
    Uneven padding, or padding for an unknown size, needs the `SamePool` helper.
    """
    module = "Max" if kind == "max" else "Avg"

    def rule(shape: Shape, a: Resolved) -> list[str]:
        size = a["pool_size"]
        strides = a["strides"] or size
        window = f"kernel_size={size_text(size)}, stride={size_text(strides)}"
        dims = len(size)
        if a["padding"] == "valid":
            return [f"nn.{module}Pool{dims}d({window})"]
        pads = same_pads(shape, size, strides, (1,) * dims)
        if pads is None or any(b != e or 2 * b > k for (b, e), k in zip(pads, size)):
            return [f'SamePool("{kind}", {size_text(size)}, {size_text(strides)})']
        if not any(b for b, _ in pads):
            return [f"nn.{module}Pool{dims}d({window})"]
        exclude = ", count_include_pad=False" if kind == "avg" else ""
        padding = size_text(tuple(b for b, _ in pads))
        return [f"nn.{module}Pool{dims}d({window}, padding={padding}{exclude})"]
    return rule


def _global_torch(kind: str):
    """An adaptive pool to size 1, then nn.Flatten() unless keepdims (Keras keeps
    (None, 1, 1, C), which is (N, C, 1, 1) here)."""
    module = "Max" if kind == "max" else "Avg"

    def rule(shape: Shape, a: Resolved) -> list[str]:
        pool = f"nn.Adaptive{module}Pool{len(shape) - 2}d(1)"
        return [pool] if a["keepdims"] else [pool, "nn.Flatten()"]
    return rule


KEEPDIMS = Arg("keepdims", Kind.BOOL, False,
               "Keep the spatial axes as size 1 instead of dropping them.")


def _global_output(shape: Shape, a: Resolved):
    if a["keepdims"]:
        return (shape[0], *([1] * (len(shape) - 2)), shape[-1]), None
    return (shape[0], shape[-1]), None


def _pooling(name: str, rank: int, summary: str, pool_default=2) -> LayerType:
    return LayerType(
        name=name, category=Category.POOLING, summary=summary,
        args=_pool_args(rank, pool_default),
        output=_pool_output, ranks=(rank + 2,),
        torch=_pool_torch("max" if name.startswith("Max") else "avg"), window=sliding_window,
        rank_hint=f"{name} needs a {rank + 1}-D input per sample "
                  f"({', '.join(AXIS_NAMES[rank])}, channels); put it before Flatten.",
    )


def _global(name: str, rank: int, summary: str) -> LayerType:
    return LayerType(
        name=name, category=Category.POOLING, summary=summary, args=(KEEPDIMS,),
        output=_global_output, ranks=(rank + 2,),
        torch=_global_torch("max" if name.startswith("GlobalMax") else "avg"),
        rank_hint=f"{name} needs a {rank + 1}-D input per sample "
                  f"({', '.join(AXIS_NAMES[rank])}, channels).",
    )


_MAX = "Keeps the largest value of each window: the strongest response survives."
_AVG = "Keeps the mean of each window: a smoother summary than max pooling."
_GMAX = ("Keeps each channel's single largest value: one number per feature map, "
         "whatever the input size.")
_GAVG = ("Averages each channel over all positions: one number per feature map; a "
         "parameter-free replacement for Flatten before the classifier.")

LAYERS = (
    _pooling("MaxPooling1D", 1, _MAX),
    _pooling("MaxPooling2D", 2, _MAX),
    _pooling("AveragePooling1D", 1, _AVG, REQUIRED),  # Keras gives it no default
    _pooling("AveragePooling2D", 2, _AVG, REQUIRED),
    _global("GlobalMaxPooling1D", 1, _GMAX),
    _global("GlobalMaxPooling2D", 2, _GMAX),
    _global("GlobalAveragePooling1D", 1, _GAVG),
    _global("GlobalAveragePooling2D", 2, _GAVG),
)
