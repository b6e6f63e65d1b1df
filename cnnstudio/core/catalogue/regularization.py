"""Regularization layers: noise during training only, identity at inference."""

from __future__ import annotations

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue.common import same_shape, show_shape
from cnnstudio.core.catalogue.spec import (
    Category, LayerType, NoTorchEquivalent, Resolved, Shape,
)
from cnnstudio.core.source_text import py_literal


def _rate(initial: float) -> Arg:
    return Arg("rate", Kind.FLOAT, REQUIRED,
               "Fraction of values set to zero during training; the rest are scaled by "
               "1/(1 - rate) so the expected sum is unchanged.",
               minimum=0.0, maximum=1.0, initial=initial, key=True)


SEED = Arg("seed", Kind.INT, None, "Seed of the random numbers, for repeatable runs.")


def noise_shape_problem(shape: Shape, noise: tuple | None) -> str | None:
    """Why a Dropout noise_shape will fail once training runs, or None.

    Keras does not check noise_shape when the model is built, only when it
    trains, so this is a warning for the editor, not a shape error.
    """
    if noise is None:
        return None
    if len(noise) != len(shape):
        return (f"Dropout noise_shape {list(noise)} has {len(noise)} entries but its input "
                f"{show_shape(shape)} has {len(shape)} axes (batch included); training "
                f"will fail. Give one entry per axis, null to take the input's size.")
    for want, have in zip(noise, shape):
        if want is not None and have is not None and want not in (1, have):
            return (f"Dropout noise_shape {list(noise)} cannot be broadcast to its input "
                    f"{show_shape(shape)}; training will fail. Each entry must be 1, null "
                    f"or the input's size.")
    return None


def _dropout_torch(shape: Shape, a: Resolved) -> list[str]:
    """nn.Dropout; a noise_shape becomes the `MaskDropout` helper, axes moved."""
    noise = a["noise_shape"]
    if noise is None:
        return [f"nn.Dropout({py_literal(a['rate'])})"]
    problem = noise_shape_problem(shape, noise)
    if problem is not None:
        raise NoTorchEquivalent(problem)
    if len(noise) > 2:
        noise = (noise[0], noise[-1], *noise[1:-1])  # channels to axis 1
    return [f"MaskDropout({py_literal(a['rate'])}, {py_literal(tuple(noise))})"]


def _spatial_dropout_torch(shape: Shape, a: Resolved) -> list[str]:
    """nn.Dropout2d also zeroes whole channels of an (N, C, H, W) tensor."""
    return [f"nn.Dropout2d({py_literal(a['rate'])})"]


def _gaussian_noise_torch(shape: Shape, a: Resolved) -> list[str]:
    return [f"GaussianNoise({py_literal(a['stddev'])})"]


DROPOUT = LayerType(
    name="Dropout", category=Category.REGULARIZATION,
    summary="During training, zeroes a random fraction `rate` of the values coming from "
            "the layer before and scales the rest by 1/(1 - rate); at inference it passes "
            "values unchanged. It has no weights.",
    args=(_rate(0.5),
          Arg("noise_shape", Kind.NOISE_SHAPE, None,
              "Shape of the random mask, one entry per axis with the batch; 1 shares one "
              "decision along that axis (e.g. [null, 1, 1, null] drops whole channels).",
              nullable=True),
          SEED),
    output=same_shape, torch=_dropout_torch, drops=True, regularizes=True,
)

SPATIAL_DROPOUT2D = LayerType(
    name="SpatialDropout2D", category=Category.REGULARIZATION,
    summary="Drops whole feature maps (channels) instead of single values, because "
            "neighbouring pixels are strongly correlated.",
    args=(_rate(0.2), SEED), output=same_shape, ranks=(4,), torch=_spatial_dropout_torch,
    drops=True, regularizes=True,
    rank_hint="SpatialDropout2D needs images (height, width, channels); use Dropout "
              "after Flatten.",
)

GAUSSIAN_NOISE = LayerType(
    name="GaussianNoise", category=Category.REGULARIZATION,
    summary="Adds zero-mean Gaussian noise during training only; a mild regularizer "
            "and a form of data augmentation.",
    args=(Arg("stddev", Kind.FLOAT, REQUIRED, "Standard deviation of the added noise.",
              minimum=0.0, maximum=1.0, initial=0.1, key=True), SEED),
    output=same_shape, torch=_gaussian_noise_torch, regularizes=True,
)

LAYERS = (DROPOUT, SPATIAL_DROPOUT2D, GAUSSIAN_NOISE)
