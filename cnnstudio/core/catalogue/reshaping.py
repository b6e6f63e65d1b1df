"""Reshaping layers: change the layout of values without learning anything."""

from __future__ import annotations

from math import prod

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue.common import flat_size, int_tuple_arg, show_shape
from cnnstudio.core.catalogue.spec import (
    Category, LayerType, NoTorchEquivalent, Resolved, Shape,
)
from cnnstudio.core.source_text import py_literal
from cnnstudio.core.catalogue.torch_common import pad_module, size_text
from cnnstudio.core.shape_math import AXIS_NAMES, PlainArithmetic, ShapeError


def _flatten_output(shape: Shape, a: Resolved):
    size = flat_size(shape)
    dims = shape[1:]
    if len(dims) == 1:
        return shape, None
    factors = "*".join("None" if d is None else str(d) for d in dims)
    return (shape[0], size), [PlainArithmetic("size", f"{factors} = {size}")]


def _reshape_output(shape: Shape, a: Resolved):
    target = a["target_shape"]
    size = flat_size(shape)
    known = prod(d for d in target if d != -1)
    if size is None:
        out = tuple(None if d == -1 else d for d in target)
        return (shape[0], *out), None
    wanted = "x".join(str(d) for d in target)
    if -1 in target:
        if known == 0 or size % known:
            raise ShapeError(
                f"Reshape to ({wanted}) cannot work out its -1: the input "
                f"{show_shape(shape)} holds {size} values per sample, which is not a "
                f"multiple of {known}. Choose non-zero sizes whose product divides {size}.")
        out = tuple(size // known if d == -1 else d for d in target)
    else:
        if known != size:
            raise ShapeError(
                f"Reshape to ({wanted}) needs {known} values per sample but its input "
                f"{show_shape(shape)} holds {size}. Choose sizes whose product is {size}, "
                f"or put -1 for one size to let it be worked out.")
        out = target
    return (shape[0], *out), None


def _padding_output(sign: int, name: str, layer: str):
    def rule(shape: Shape, a: Resolved):
        out = [shape[0]]
        steps = []
        for axis, n, (before, after) in zip(AXIS_NAMES[2], shape[1:3], a[name]):
            if n is None:
                out.append(None)
                continue
            size = n + sign * (before + after)
            op = "+" if sign > 0 else "-"
            steps.append(PlainArithmetic(axis, f"{n} {op} {before} {op} {after} = {size}"))
            if size <= 0:
                raise ShapeError(
                    f"{layer} removes {before + after} rows/columns from a {axis} of {n}: "
                    f"{n} - {before} - {after} = {size}. Crop less, or crop before the "
                    f"layers that shrink the image.")
            out.append(size)
        return (*out, shape[3]), steps
    return rule


def _upsampling_output(shape: Shape, a: Resolved):
    out = [shape[0]]
    steps = []
    for axis, n, k in zip(AXIS_NAMES[2], shape[1:3], a["size"]):
        out.append(None if n is None else n * k)
        if n is not None:
            steps.append(PlainArithmetic(axis, f"{n}*{k} = {n * k}"))
    return (*out, shape[3]), steps


def _flatten_torch(shape: Shape, a: Resolved) -> list[str]:
    """`KerasFlatten` moves the channels last before flattening, as Keras orders them."""
    return ["KerasFlatten()"]


def _reshape_torch(shape: Shape, a: Resolved) -> list[str]:
    return [f"KerasReshape({py_literal(tuple(a['target_shape']))})"]


def _zero_padding_torch(shape: Shape, a: Resolved) -> list[str]:
    return [pad_module(list(a["padding"]))]


def _cropping_torch(shape: Shape, a: Resolved) -> list[str]:
    (top, bottom), (left, right) = a["cropping"]
    return [f"Crop({(top, bottom)}, {(left, right)})"]


_TORCH_MODES = {"nearest": 'mode="nearest"', "bilinear": 'mode="bilinear", align_corners=False'}
"""Keras's interpolations PyTorch computes alike: TF's bilinear resize uses half-pixel
centres (align_corners=False); its bicubic uses another kernel than PyTorch's."""


def _upsampling_torch(shape: Shape, a: Resolved) -> list[str]:
    mode = _TORCH_MODES.get(a["interpolation"])
    if mode is None:
        raise NoTorchEquivalent(f"interpolation={a['interpolation']!r} is computed "
                                f"differently by PyTorch; use 'nearest' or 'bilinear'")
    return [f"nn.Upsample(scale_factor={size_text(a['size'])}, {mode})"]


_IMAGE_HINT = "needs images (height, width, channels); put it before Flatten."

FLATTEN = LayerType(
    name="Flatten", category=Category.RESHAPING,
    summary="Lays every value of a sample out in one long vector (height x width x "
            "channels values) so Dense layers can follow. It has no weights; its output "
            "changes during training only because the layers before it learn.",
    args=(), output=_flatten_output, torch=_flatten_torch,
)

RESHAPE = LayerType(
    name="Reshape", category=Category.RESHAPING,
    summary="Rearranges the same values into a new shape; the number of values per "
            "sample must stay the same.",
    args=(Arg("target_shape", Kind.SHAPE, REQUIRED,
              "New shape per sample, without the batch axis; one size may be -1 to be "
              "worked out from the others.", initial=[-1], key=True),),
    output=_reshape_output, torch=_reshape_torch,
)

ZERO_PADDING2D = LayerType(
    name="ZeroPadding2D", category=Category.RESHAPING,
    summary="Adds rows and columns of zeros around the image, e.g. to keep a border "
            "before a 'valid' convolution.",
    args=(Arg("padding", Kind.PAIR_OF_PAIRS, 1,
              "Zeros added: an integer for all sides, [height, width], or "
              "[[top, bottom], [left, right]].", key=True),),
    output=_padding_output(1, "padding", "ZeroPadding2D"), ranks=(4,),
    rank_hint="ZeroPadding2D " + _IMAGE_HINT, torch=_zero_padding_torch,
)

CROPPING2D = LayerType(
    name="Cropping2D", category=Category.RESHAPING,
    summary="Removes rows and columns at the image borders.",
    args=(Arg("cropping", Kind.PAIR_OF_PAIRS, 0,
              "Rows/columns removed: an integer for all sides, [height, width], or "
              "[[top, bottom], [left, right]].", key=True),),
    output=_padding_output(-1, "cropping", "Cropping2D"), ranks=(4,),
    rank_hint="Cropping2D " + _IMAGE_HINT, torch=_cropping_torch,
)

UP_SAMPLING2D = LayerType(
    name="UpSampling2D", category=Category.RESHAPING,
    summary="Enlarges the image by repeating (or interpolating) rows and columns; no "
            "weights, unlike Conv2DTranspose.",
    args=(int_tuple_arg("size", 2, 2, "Factors for height and width.", key=True),
          Arg("interpolation", Kind.CHOICE, "nearest", "How new pixels are filled.",
              choices=("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"))),
    output=_upsampling_output, ranks=(4,),
    rank_hint="UpSampling2D " + _IMAGE_HINT, torch=_upsampling_torch,
)

LAYERS = (FLATTEN, RESHAPE, ZERO_PADDING2D, CROPPING2D, UP_SAMPLING2D)
