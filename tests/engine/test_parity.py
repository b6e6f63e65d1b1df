"""The shape engine equals Keras, layer by layer, for random stacks of the catalogue.

For each drawn stack: our engine's output shapes and trainable / non-trainable
counts must equal what Keras computes, and the first invalid layer (an argument
Keras refuses, or a shape Keras refuses) must be the same layer.
"""

from __future__ import annotations

from math import prod

import pytest
from hypothesis import HealthCheck, event, given, settings

from cnnstudio.core import ProjectError, infer, project_from_dict
from cnnstudio.core.project import layer_names
from cnnstudio.core.project import layer_from_dict
from tests.strategies import stacks

keras = pytest.importorskip("keras")
from cnnstudio.engine.builder import keras_kwargs  # noqa: E402


def _count(weights) -> int:
    return int(sum(prod(w.shape) for w in weights))


def keras_reference(input_shape, layers):
    """Keras's own verdict: per-layer (shape, trainable, non_trainable), first failing index."""
    results = []
    x = keras.Input(shape=tuple(input_shape))
    for i, layer in enumerate(layers):
        layer_class = getattr(keras.layers, layer["type"])
        kwargs = {k: tuple(map(lambda v: tuple(v) if isinstance(v, list) else v, v))
                  if isinstance(v, list) else v for k, v in layer["params"].items()}
        try:
            keras_layer = layer_class(name=f"l{i}", **kwargs)
            if layer.get("trainable") is False:
                keras_layer.trainable = False
            x = keras_layer(x)
        except Exception:  # Keras raises many types here; any of them is "invalid"
            return results, i
        results.append((tuple(x.shape), _count(keras_layer.trainable_weights),
                        _count(keras_layer.non_trainable_weights)))
    return results, None


def engine_verdict(input_shape, layers):
    """Our first invalid layer: a refused argument, or a shape error before it."""
    arg_error = None
    for i, layer in enumerate(layers):
        try:
            layer_from_dict(layer, f"layers[{i}]")
        except ProjectError:
            arg_error = i
            break
    usable = layers if arg_error is None else layers[:arg_error]
    report = infer(project_from_dict({"input": {"shape": input_shape}, "layers": usable}))
    if report.error_index is not None:
        return report, report.error_index
    return report, arg_error


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # profile's examples
@given(stacks())
def test_engine_equals_keras_layer_by_layer(stack):
    input_shape, layers = stack
    expected, keras_error = keras_reference(input_shape, layers)
    report, our_error = engine_verdict(input_shape, layers)
    assert our_error == keras_error, (
        f"first invalid layer: engine {our_error}, Keras {keras_error}\n"
        f"input {input_shape}\nlayers {layers}\n"
        f"engine message: {report.layers[our_error].error if report and our_error is not None else '-'}")
    event("valid stack" if our_error is None else "invalid stack")
    event(f"layers checked against Keras: {len(expected) // 4 * 4}+")
    if our_error is not None:
        event("first error is an argument" if report is None or our_error >= len(report.layers)
              else "first error is a shape")
    for result, (shape, trainable, frozen) in zip(report.layers, expected):
        assert result.output_shape == shape, (result, layers)
        assert (result.trainable_params, result.non_trainable_params) == (trainable, frozen), (
            result, layers)


def test_layer_names_match_keras_automatic_names():
    keras.backend.clear_session()
    types = ["Conv2D", "Conv2D", "MaxPooling2D", "BatchNormalization", "ReLU", "LeakyReLU",
             "UpSampling2D", "Conv2DTranspose", "GlobalAveragePooling2D", "Dense", "Dense"]
    project = project_from_dict({"input": {"shape": [8, 8, 3]}, "layers": [
        {"type": t, "params": make_minimal(t)} for t in types]})
    keras_names = []
    for spec in project.layers:
        layer = getattr(keras.layers, spec.type)(**keras_kwargs(spec))
        keras_names.append(layer.name)
    assert layer_names(project.layers) == keras_names


def make_minimal(type_name: str) -> dict:
    from cnnstudio.core.catalogue import LAYER_TYPES

    return LAYER_TYPES[type_name].initial_params()
