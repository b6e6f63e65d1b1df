"""Preprocessing and augmentation layers: part of the model, active as Keras says."""

from __future__ import annotations

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue.common import same_shape
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape
from cnnstudio.core.source_text import py_literal

SEED = Arg("seed", Kind.INT, None, "Seed of the random transformations.")
FILL_MODE = Arg("fill_mode", Kind.CHOICE, "reflect", "How pixels moved in from outside "
                "the image are filled.", choices=("reflect", "wrap", "constant", "nearest"))
INTERPOLATION = Arg("interpolation", Kind.CHOICE, "bilinear", "How pixels between grid "
                    "points are computed.", choices=("nearest", "bilinear"))
FILL_VALUE = Arg("fill_value", Kind.FLOAT, 0.0, "Value used when fill_mode is 'constant'.")

# Keras builds these on any rank and fails only when training feeds them a tensor
# that is not an image batch; the editor's hints warn about that case.


def _factor(name: str, required: bool, help: str, open_below: bool = False) -> Arg:
    """RandomZoom takes factors in (-1, 1], the others in [-1, 1] (Keras's checks)."""
    return Arg(name, Kind.FACTOR, REQUIRED if required else None, help,
               minimum=-1.0, maximum=1.0, min_inclusive=not open_below,
               nullable=not required, initial=0.1 if required else None, key=True)


def _rescaling_torch(shape: Shape, a: Resolved) -> list[str]:
    return [f"Rescaling({py_literal(a['scale'])}, {py_literal(a['offset'])})"]


# The Random* augmentations have no torch rule: PyTorch has no layer for them
# (torchvision's transforms work on data, not in the model). They act only in
# training, so the PyTorch export leaves them out and says so.

RESCALING = LayerType(
    name="Rescaling", category=Category.PREPROCESSING,
    summary="Multiplies every input value by `scale` and adds `offset`, e.g. 1/255 to "
            "bring pixels to 0..1 inside the model.",
    args=(Arg("scale", Kind.FLOAT, REQUIRED, "Factor applied to every value.",
              initial=1 / 255, key=True),
          Arg("offset", Kind.FLOAT, 0.0, "Added after scaling.")),
    output=same_shape, torch=_rescaling_torch,
)

RANDOM_FLIP = LayerType(
    name="RandomFlip", category=Category.PREPROCESSING, augments=True,
    summary="During training, flips each image at random; at inference it does nothing.",
    args=(Arg("mode", Kind.CHOICE, "horizontal_and_vertical", "Which flips may happen.",
              choices=("horizontal", "vertical", "horizontal_and_vertical"), key=True),
          SEED),
    output=same_shape,
)

RANDOM_ROTATION = LayerType(
    name="RandomRotation", category=Category.PREPROCESSING, augments=True,
    summary="During training, rotates each image by a random angle, a fraction of a "
            "full turn (0.1 = up to 36 degrees).",
    args=(_factor("factor", True, "Fraction of 2*pi: 0.1 rotates by up to +-36 degrees; "
                  "[lower, upper] for an uneven range."),
          FILL_MODE, INTERPOLATION, SEED, FILL_VALUE),
    output=same_shape,
)

RANDOM_ZOOM = LayerType(
    name="RandomZoom", category=Category.PREPROCESSING, augments=True,
    summary="During training, zooms each image in or out at random.",
    args=(_factor("height_factor", True, "Fraction of the height: positive zooms out, "
                  "negative zooms in; [lower, upper] for a range.", open_below=True),
          _factor("width_factor", False, "Like height_factor for the width; None keeps "
                  "the aspect ratio.", open_below=True),
          FILL_MODE, INTERPOLATION, SEED, FILL_VALUE),
    output=same_shape,
)

RANDOM_TRANSLATION = LayerType(
    name="RandomTranslation", category=Category.PREPROCESSING, augments=True,
    summary="During training, shifts each image by a random fraction of its size.",
    args=(_factor("height_factor", True, "Fraction of the height to shift up or down."),
          _factor("width_factor", True, "Fraction of the width to shift left or right."),
          FILL_MODE, INTERPOLATION, SEED, FILL_VALUE),
    output=same_shape,
)

LAYERS = (RESCALING, RANDOM_FLIP, RANDOM_ROTATION, RANDOM_ZOOM, RANDOM_TRANSLATION)
