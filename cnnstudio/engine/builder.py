"""Build a `keras.Model` from a project: the one place layers become Keras objects."""

from __future__ import annotations

import re
from typing import Any

from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.inference import infer
from cnnstudio.core.project import INPUT_NAME, LayerSpec, Project
from cnnstudio.core.shape_math import ShapeError
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()


def keras_kwargs(spec: LayerSpec) -> dict[str, Any]:
    """The constructor arguments as the user wrote them, lists turned into tuples.

    Arguments left out are not passed, so Keras applies its own defaults, exactly
    as in a hand-written script.
    """
    return {key: _tuples(value) for key, value in spec.params.items()}


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def make_keras_layer(spec: LayerSpec, name: str):
    """One Keras layer object for a spec (not yet called on a tensor)."""
    layer_class = getattr(keras.layers, spec.type)
    layer = layer_class(name=name, **keras_kwargs(spec))
    if not spec.trainable:
        layer.trainable = False
    return layer


def model_name(project: Project) -> str:
    """A Keras-safe model name from the project's name."""
    name = re.sub(r"[^0-9A-Za-z_.-]+", "_", project.name).strip("_")
    return name or "model"


def build_keras_model(project: Project):
    """An uncompiled functional model with the project's layers and names.

    The stack is checked by the shape engine first, so an invalid stack fails
    with the same learner-friendly message the editor shows.
    """
    report = infer(project)
    if not report.valid:
        bad = report.layers[report.error_index]
        raise ShapeError(f"layers[{bad.index}] ({bad.name}): {bad.error}")
    inputs = keras.Input(shape=project.input_shape, name=INPUT_NAME)
    x = inputs
    for spec, result in zip(project.layers, report.layers):
        x = make_keras_layer(spec, result.name)(x)
    model = keras.Model(inputs, x, name=model_name(project))
    if tuple(model.output.shape) != report.output_shape:  # pragma: no cover - parity guard
        raise RuntimeError(f"Keras built {show_shape(tuple(model.output.shape))} where the "
                           f"shape engine expected {show_shape(report.output_shape)}.")
    return model
