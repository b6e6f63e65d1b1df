"""A pre-trained base: a keras.applications network used as a feature extractor.

One entry stands for a whole network (include_top=False): its output shape and
weight counts are measured by building it once (see cnnstudio.core.base_figures),
and its weights come from a local file only, since CNN Studio never downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.base_figures import BaseFigures, PendingShape, figures_key
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape
from cnnstudio.core.errors import ArgumentError
from cnnstudio.core.shape_math import ShapeError

KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"


TF_STYLE = "pixels 0..255 mapped to -1..1 (x / 127.5 - 1), as its weights were trained"
CAFFE_STYLE = ("channels reordered RGB to BGR and ImageNet's mean pixel (103.9, 116.8, 123.7) "
               "subtracted from 0..255 pixels, as its weights were trained (Caffe style)")


@dataclass(frozen=True)
class Application:
    """What CNN Studio tells a user about one keras.applications network."""

    name: str  # the keras.applications function
    weights_file: str  # the 'notop' file Keras would download
    weights_url: str
    min_size: int  # Keras refuses smaller images
    default_size: int  # the size its weights were trained at
    preprocess: str | None  # the keras.applications module whose preprocess_input applies
    preprocessing: str  # what it does, for the layer's panel


APPLICATIONS = {app.name: app for app in (
    Application("MobileNetV2", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                KERAS_WEIGHTS + "mobilenet_v2/", 32, 224, "mobilenet_v2", TF_STYLE),
    Application("ResNet50", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                KERAS_WEIGHTS + "resnet/", 32, 224, "resnet50", CAFFE_STYLE),
    Application("VGG16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                KERAS_WEIGHTS + "vgg16/", 32, 224, "vgg16", CAFFE_STYLE),
    Application("InceptionV3", "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                KERAS_WEIGHTS + "inception_v3/", 75, 299, "inception_v3", TF_STYLE),
    Application("EfficientNetB0", "efficientnetb0_notop.h5",
                "https://storage.googleapis.com/keras-applications/", 32, 224, None,
                "none outside the network: EfficientNet rescales its own input"),
)}


def _measured(shape: Shape, a: Resolved, known: Mapping[str, BaseFigures]
              ) -> tuple[Shape, int, int]:
    """The base's output shape and (trainable, non-trainable) counts, from the figures
    Keras measured (`known`, passed to the shape engine); pending until they are known."""
    app = APPLICATIONS[a["application"]]
    small = [size for size in shape[1:3] if size is not None and size < app.min_size]
    if small:
        raise ShapeError(f"{app.name} needs images of at least {app.min_size}x{app.min_size}, "
                         f"but receives {shape[1]}x{shape[2]}. Make the input larger (its "
                         f"weights were trained at {app.default_size}x{app.default_size}).")
    figures = known.get(figures_key(shape, a))
    if figures is None:
        raise PendingShape(f"Building {a['application']} to measure its output and weights "
                           "(a few seconds, once)…")
    if figures.error:
        raise ShapeError(figures.error)
    return figures.output_shape, figures.trainable, figures.non_trainable


def _output(shape: Shape, a: Resolved):
    """Only measuring says (see `_measured`): asked directly, the base is pending."""
    return _measured(shape, a, {})[0], None


def input_preprocessing(a: Resolved) -> str:
    """What happens to the images before a base, in words: its own preprocess_input when it
    has weights, else nothing."""
    app = APPLICATIONS[a["application"]]
    if not a["weights"]:
        return "none: without weights there is nothing to match (set a weights file)"
    return f"keras.applications.{app.preprocess}.preprocess_input: {app.preprocessing}" \
        if app.preprocess else app.preprocessing


def _formula(shape: Shape, a: Resolved) -> str:
    top = (f"only the top {a['trainable_top']} layers learn"
           if a["trainable_top"] else "all its layers learn unless the layer is frozen")
    return f"counted by building {a['application']} once ({top})"


def _check(a: Resolved, where: str) -> None:
    if a["cut"] and a["pooling"]:
        raise ArgumentError(f"{where}.pooling", a["pooling"],
                            "null when the base is cut at an inner layer (pooling applies to "
                            "the base's last output; add a GlobalAveragePooling2D after it)")


APPLICATION = LayerType(
    name="Application", category=Category.PRETRAINED, opaque=True,
    summary="A pre-trained keras.applications network (without its classifier top) "
            "used as a feature extractor: freeze it and train a small head on its output, "
            "then unfreeze its top layers to fine-tune. Weights come from a local file.",
    args=(Arg("application", Kind.CHOICE, REQUIRED, "The keras.applications network.",
              choices=tuple(APPLICATIONS), initial="MobileNetV2", key=True),
          Arg("weights", Kind.PATH, None,
              "A local weights file (.h5 or .weights.h5), such as the 'notop' file Keras "
              "would download; None: random initial weights. Nothing is ever downloaded."),
          Arg("cut", Kind.NAME, None,
              "Use this inner layer's output instead of the base's last one (e.g. 'mixed7' "
              "of InceptionV3).", key=True),
          Arg("pooling", Kind.CHOICE, None,
              "Global pooling of the base's last output: None keeps the feature maps.",
              choices=("avg", "max"), nullable=True),
          Arg("trainable_top", Kind.INT, None,
              "While the layer is trainable, only the top N layers of the base learn "
              "(fine-tuning); None: all of them.", minimum=1, nullable=True)),
    output=_output, ranks=(4,), measured=_measured,
    rank_hint="A pre-trained base takes images: (height, width, channels).",
    check=_check, formula=_formula,
)

LAYERS = (APPLICATION,)
