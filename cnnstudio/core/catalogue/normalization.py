"""Normalization layers: rescale activations to a steady range."""

from __future__ import annotations

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.catalogue.spec import (
    Category, LayerType, NoTorchEquivalent, Resolved, Shape,
)
from cnnstudio.core.source_text import py_literal
from cnnstudio.core.catalogue.torch_common import options, torch_axis
from cnnstudio.core.shape_math import ShapeError


def _axis_arg() -> Arg:
    return Arg("axis", Kind.INT, -1,
               "The axis that keeps its own statistics/weights; -1 is the channels axis.")


EPSILON = Arg("epsilon", Kind.FLOAT, 0.001, "Small number added to the variance to "
              "avoid dividing by zero.", minimum=0.0, keras_checks=False)
CENTER = Arg("center", Kind.BOOL, True, "Learn an offset (beta) per feature.")
SCALE = Arg("scale", Kind.BOOL, True, "Learn a scale (gamma) per feature.")


def _axis_size(layer: str, shape: Shape, axis: int, needed: bool = True) -> int | None:
    """The size of the normalised axis; `needed` when weights are made from it."""
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(
            f"{layer} axis {axis} does not exist in its input {show_shape(shape)}, which "
            f"has {len(shape)} axes with the batch. Use -1 for the channels axis.")
    size = shape[axis]
    if size is None and needed:
        batch = axis in (0, -len(shape))
        raise ShapeError(
            f"{layer} needs a known size on axis {axis}, but its input is "
            f"{show_shape(shape)}." + (" Axis 0 is the batch; use -1 for the channels axis."
                                        if batch else " Fix that size in the input."))
    return size


def _batchnorm_output(shape: Shape, a: Resolved):
    _axis_size("BatchNormalization", shape, a["axis"])
    return shape, None


def _batchnorm_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    size = shape[a["axis"]]
    return size * (int(a["center"]) + int(a["scale"])), 2 * size


def _layernorm_output(shape: Shape, a: Resolved):
    # Without gamma and beta, LayerNormalization makes no weights and needs no size.
    _axis_size("LayerNormalization", shape, a["axis"], needed=a["center"] or a["scale"])
    return shape, None


def _layernorm_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    if not (a["center"] or a["scale"]):
        return 0, 0
    return shape[a["axis"]] * (int(a["center"]) + int(a["scale"])), 0


def _batchnorm_formula(shape: Shape, a: Resolved) -> str:
    size = shape[a["axis"]]
    learned = int(a["center"]) + int(a["scale"])
    return (f"{learned}*{size} trainable (gamma, beta) + 2*{size} non-trainable "
            f"(moving mean, variance) = {learned * size + 2 * size:,}")


def _layernorm_formula(shape: Shape, a: Resolved) -> str:
    learned = int(a["center"]) + int(a["scale"])
    size = shape[a["axis"]] if learned else 0
    return f"{learned}*{size} (gamma, beta) = {_layernorm_weights(shape, a)[0]:,}"


_BATCHNORM_DIMS = {2: 1, 3: 1, 4: 2, 5: 3}  # input rank (batch included) -> BatchNormNd


def _batchnorm_torch(shape: Shape, a: Resolved) -> list[str]:
    """nn.BatchNormNd with Keras's epsilon, and its momentum turned around.

    Keras keeps `momentum` of the old running value, PyTorch takes `momentum` of
    the new batch value: torch momentum = 1 - Keras momentum. PyTorch's running
    mean and variance are buffers: Keras's two non-trainable weights.
    """
    if a["center"] != a["scale"]:
        raise NoTorchEquivalent(
            f"center={a['center']} with scale={a['scale']}: PyTorch's BatchNorm learns "
            f"both gamma and beta or neither")
    if len(shape) not in _BATCHNORM_DIMS:
        raise NoTorchEquivalent(f"PyTorch has no BatchNorm for {len(shape)}-axis tensors")
    momentum = round(1 - a["momentum"], 12)
    norm = (f"nn.BatchNorm{_BATCHNORM_DIMS[len(shape)]}d({shape[a['axis']]}, "
            f"eps={py_literal(a['epsilon'])}, momentum={py_literal(momentum)}"
            f"{options(affine=None if a['scale'] else False)})")
    axis = torch_axis(shape, a["axis"])
    return [norm if axis == 1 else f"AxisAsChannels({norm}, dim={axis})"]


def _layernorm_torch(shape: Shape, a: Resolved) -> list[str]:
    """nn.LayerNorm over the one Keras axis, moved last where it is not last here."""
    if a["center"] and not a["scale"]:
        raise NoTorchEquivalent("center=True with scale=False: PyTorch's LayerNorm has "
                                "no bias without a weight")
    size = shape[a["axis"]]
    if size is None:
        raise NoTorchEquivalent(f"nn.LayerNorm needs the size of axis {a['axis']}, "
                                f"which is unknown here")
    affine = options(elementwise_affine=None if a["scale"] else False,
                     bias=None if a["center"] or not a["scale"] else False)
    norm = f"nn.LayerNorm({size}, eps={py_literal(a['epsilon'])}{affine})"
    axis = torch_axis(shape, a["axis"])
    if axis == len(shape) - 1:
        return [norm]
    return [f"LastAxis({norm})" if axis == 1 else f"LastAxis({norm}, dim={axis})"]


BATCH_NORMALIZATION = LayerType(
    name="BatchNormalization", category=Category.NORMALIZATION,
    summary="Normalises each channel with the batch's mean and variance, then scales "
            "and shifts it (gamma, beta: trainable). The running mean and variance used "
            "at inference are updated, not trained: they count as non-trainable.",
    args=(_axis_arg(),
          Arg("momentum", Kind.FLOAT, 0.99, "How slowly the running mean and variance "
              "follow each batch.", minimum=0.0, maximum=1.0, keras_checks=False),
          EPSILON, CENTER, SCALE),
    output=_batchnorm_output, weights=_batchnorm_weights, formula=_batchnorm_formula,
    torch=_batchnorm_torch,
)

LAYER_NORMALIZATION = LayerType(
    name="LayerNormalization", category=Category.NORMALIZATION,
    summary="Normalises each sample on its own over the last axis (no batch statistics), "
            "then scales and shifts it.",
    args=(_axis_arg(), EPSILON, CENTER, SCALE),
    output=_layernorm_output, weights=_layernorm_weights, formula=_layernorm_formula,
    torch=_layernorm_torch,
)

LAYERS = (BATCH_NORMALIZATION, LAYER_NORMALIZATION)
