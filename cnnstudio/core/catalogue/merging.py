"""Merge layers: where the branches of a network meet (residual shortcuts, inception
modules, dense blocks). Each takes two or more inputs; the shape rules are Keras's own
(keras/src/layers/merging/base_merge.py and concatenate.py), size-1 broadcasting and
unknown (None) sizes included."""

from __future__ import annotations

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape
from cnnstudio.core.catalogue.torch_common import torch_dim
from cnnstudio.core.shape_math import PlainArithmetic, ShapeError

ELEMENTWISE = {
    "Add": ("adds", "sum"), "Subtract": ("subtracts the second input from the first",
                                         "difference"),
    "Multiply": ("multiplies", "product"), "Average": ("averages", "mean"),
    "Maximum": ("takes the larger of", "maximum"), "Minimum": ("takes the smaller of",
                                                                "minimum"),
}


class MergeMismatch(ShapeError):
    """Two inputs an element-wise merge cannot combine. `projection` is the 1x1 Conv2D
    that would make them match, as (the input it goes on, filters, strides), or None:
    the one-click fix reads these, never the message."""

    def __init__(self, message: str, projection: tuple[str, int, int] | None) -> None:
        super().__init__(message)
        self.projection = projection


def merge_mismatch(kind: str, name_a: str, shape_a: Shape, name_b: str,
                   shape_b: Shape) -> MergeMismatch:
    """Why two inputs cannot be merged element by element, and the usual fix."""
    text = (f"{kind} needs equal shapes (or size 1 where one should be repeated): "
            f"{name_a} gives {show_shape(shape_a)} and {name_b} {show_shape(shape_b)}.")
    projection = _projection(name_a, shape_a, name_b, shape_b)
    if projection is None:
        return MergeMismatch(f"{text} Change one of them (units, filters, strides or "
                             "pooling) so both give the same shape.", None)
    target, filters, strides = projection
    how = f" and strides {strides} (a projection shortcut)" if strides > 1 else ""
    return MergeMismatch(f"{text} Give {target} a 1x1 Conv2D with {filters} filters{how}.",
                         projection)


def _projection(name_a: str, shape_a: Shape, name_b: str, shape_b: Shape
                ) -> tuple[str, int, int] | None:
    """A 1x1 Conv2D on one input makes image inputs match, as ResNet's projection
    shortcuts do: its filters set the channels, its strides shrink the larger one."""
    if len(shape_a) != 4 or len(shape_b) != 4 or None in shape_a[1:] + shape_b[1:]:
        return None
    (ha, wa, ca), (hb, wb, _) = shape_a[1:], shape_b[1:]
    if (ha, wa) == (hb, wb):
        return name_b, ca, 1
    for big, (h, w, _), (h2, w2, c2) in ((name_b, shape_b[1:], shape_a[1:]),
                                         (name_a, shape_a[1:], shape_b[1:])):
        if h % h2 == 0 and w % w2 == 0 and h // h2 == w // w2 and h > h2:
            return big, c2, h // h2
    return None


def _broadcast(shape_a: tuple, shape_b: tuple) -> tuple:
    """Two shapes without the batch axis, aligned from the right, as Keras merges them
    (`_compute_elemwise_op_output_shape`); raises ValueError where Keras does."""
    if len(shape_a) < len(shape_b):
        shape_a, shape_b = shape_b, shape_a
    if not shape_b:
        return shape_a
    out = list(shape_a[:-len(shape_b)])
    for i, j in zip(shape_a[-len(shape_b):], shape_b):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1:
            out.append(i)
        elif i != j:
            raise ValueError
        else:
            out.append(i)
    return tuple(out)


def _elementwise(kind: str):
    def merge(shapes: list[Shape], a: Resolved, names: list[str]):
        if kind == "Subtract" and len(shapes) != 2:
            raise ShapeError(f"Subtract takes exactly 2 inputs (the first minus the second); "
                             f"it has {len(shapes)}. Connect two.")
        out = shapes[0][1:]
        for i in range(1, len(shapes)):
            try:
                out = _broadcast(out, shapes[i][1:])
            except ValueError:
                first = names[0] if i == 1 else f"the {i} inputs before {names[i]}"
                raise merge_mismatch(kind, first, (None, *out), names[i], shapes[i]) from None
        return (None, *out), None
    return merge


def _concatenate(shapes: list[Shape], a: Resolved, names: list[str]):
    axis = a["axis"]
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        listed = ", ".join(f"{n} {show_shape(s)}" for n, s in zip(names, shapes))
        raise ShapeError(f"Concatenate needs inputs with the same number of axes: {listed}. "
                         "Flatten or reshape the inputs so they match.")
    rank = ranks.pop()
    if len(shapes) == 1 and axis >= -rank:  # Keras passes one input through unchecked
        return shapes[0], None
    if not -rank <= axis < rank:
        raise ShapeError(f"Concatenate's axis {axis} does not exist in {rank - 1}-D inputs "
                         f"(with the batch axis, axes 0 to {rank - 1}, or -1 to -{rank}). Use "
                         "-1, the channels.")
    at = axis % rank
    if at == 0:
        raise ShapeError(f"Concatenate's axis {axis} is the batch axis: it would stack "
                         "images, not features. Use -1 to join the channels.")
    for i, shape in enumerate(shapes[1:], 1):
        for d in range(1, rank):
            if d == at:
                continue
            sizes = {s[d] for s in shapes[:i + 1] if s[d] is not None}
            if len(sizes) > 1:
                raise ShapeError(
                    f"Concatenate joins along axis {axis} and needs every other size equal: "
                    f"{names[0]} gives {show_shape(shapes[0])} and {names[i]} "
                    f"{show_shape(shape)}. Make their sizes match (same strides, padding "
                    "'same', or pooling), or crop the larger one.")
    parts = [s[at] for s in shapes]
    out = list(shapes[0])
    out[at] = None if None in parts else sum(parts)
    axis_name = "channels" if at == rank - 1 else f"axis {at}"
    formula = (" + ".join("?" if p is None else str(p) for p in parts)
               + f" = {'?' if out[at] is None else out[at]} {axis_name}")
    return tuple(out), [PlainArithmetic(axis_name, formula)]


def _never_alone(shape: Shape, a: Resolved):  # pragma: no cover - merges use `merge`
    raise ShapeError("a merge layer needs its inputs")


def _elementwise_type(kind: str) -> LayerType:
    verb, result = ELEMENTWISE[kind]
    exactly_two = kind == "Subtract"
    return LayerType(
        name=kind, category=Category.MERGE,
        summary=f"Merges branches: {verb} its inputs value by value, so all must have the "
                f"same shape (a size of 1 is repeated to match). The output is their "
                f"{result}, with that shape; no weights."
                + (" Residual (ResNet) blocks add the shortcut to the block's output."
                   if kind == "Add" else ""),
        args=(), output=_never_alone, merge=_elementwise(kind),
        torch=lambda shape, a, op=kind.lower(): [f'Merge("{op}")'],
        inputs_allowed=(2, 2) if exactly_two else (1, None))


CONCATENATE = LayerType(
    name="Concatenate", category=Category.MERGE,
    summary="Merges branches by joining them along one axis, the channels by default: "
            "32 + 64 + 96 channels give 192. All other sizes must match. Inception modules "
            "and DenseNet blocks concatenate; no weights.",
    args=(Arg("axis", Kind.INT, -1, "The axis the inputs are joined along; -1 is the last, "
              "the channels. Every other size must be equal.", key=True),),
    output=_never_alone, merge=_concatenate, inputs_allowed=(1, None),
    torch=lambda shape, a: [f'Merge("concatenate", dim={torch_dim(a["axis"], len(shape))})'])

LAYERS = tuple(_elementwise_type(kind) for kind in ELEMENTWISE) + (CONCATENATE,)
