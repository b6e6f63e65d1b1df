"""Build a `keras.Model` from a project: the one place layers become Keras objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.core.inference import infer
from cnnstudio.core.project import INPUT_NAME, LayerSpec, Project, model_name
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


def make_keras_layer(spec: LayerSpec, name: str, input_shape: tuple | None = None,
                     project_file: str | Path | None = None):
    """One Keras layer object for a spec (not yet called on a tensor).

    A pre-trained base is a whole keras.applications model, built for its input
    shape (batch axis first) with the weights of its local file."""
    if spec.layer_type.opaque:
        from cnnstudio.engine.applications import build_base

        layer = build_base(spec.resolved, input_shape[1:], name, project_file)
    else:
        layer = getattr(keras.layers, spec.type)(name=name, **keras_kwargs(spec))
    if not spec.trainable:
        layer.trainable = False
    return layer


def build_keras_model(project: Project, project_file: str | Path | None = None):
    """An uncompiled functional model with the project's layers, names and connections.

    The stack is checked by the shape engine first, so an invalid stack fails
    with the same learner-friendly message the editor shows. A pre-trained
    base not measured yet is measured here (this thread may wait for Keras).
    `project_file` locates relative weights files.
    """
    measure_bases(project)
    report = infer(project, known_figures()).raise_if_invalid()
    inputs = keras.Input(shape=project.input_shape, name=INPUT_NAME)
    tensors = {MODEL_INPUT: inputs}
    pixel_scale = dataset_config(project.dataset).pixel_scale("uint8")
    for spec, result in zip(project.layers, report.layers):
        layer = make_keras_layer(spec, result.name, result.input_shape, project_file)
        taken = [tensors[source] for source in result.inputs]
        x = taken if spec.layer_type.merge is not None else taken[0]
        if spec.layer_type.opaque and spec.resolved["weights"]:
            if result.inputs == (MODEL_INPUT,):  # the images, as its weights were trained
                from cnnstudio.engine.applications import preprocessed

                x = preprocessed(x, spec.resolved, pixel_scale)
            # Keras's transfer-learning guide: a pre-trained base's BatchNormalization
            # keeps its ImageNet statistics even once unfrozen for fine-tuning
            tensors[result.name] = layer(x, training=False)
        else:
            tensors[result.name] = layer(x)
    x = tensors[report.layers[-1].name] if report.layers else inputs
    model = keras.Model(inputs, x, name=model_name(project))
    if tuple(model.output.shape) != report.output_shape:  # pragma: no cover - parity guard
        raise RuntimeError(f"Keras built {show_shape(tuple(model.output.shape))} where the "
                           f"shape engine expected {show_shape(report.output_shape)}.")
    return model


def measure_bases(project: Project) -> int:
    """Measure every pre-trained base the shape engine is waiting for, in order (a
    second base's input is known only once the first is measured); returns how many."""
    from cnnstudio.engine.applications import measure

    count = 0
    while (pending := infer(project, known_figures()).pending) is not None:
        spec = project.layers[pending.index]
        measure(pending.input_shape, spec.resolved)
        count += 1
    return count
