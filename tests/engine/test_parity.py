"""The shape engine equals Keras, layer by layer, for random stacks of the catalogue.

For each drawn stack: our engine's output shapes and trainable / non-trainable
counts must equal what Keras computes, and the first invalid layer (an argument
Keras refuses, or a shape Keras refuses) must be the same layer.
"""

from __future__ import annotations

from math import prod

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from cnnstudio.core import ProjectError, infer, project_from_dict
from cnnstudio.core.project import layer_names
from cnnstudio.core.project import layer_from_dict
from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.core.inference import Unconnected
from tests.strategies import graphs, stacks

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


def first_refused_argument(layers) -> int | None:
    """The first layer whose arguments (or inputs) the project refuses, if any."""
    for i, layer in enumerate(layers):
        try:
            layer_from_dict(layer, f"layers[{i}]")
        except ProjectError:
            return i
    return None


def assert_figures_equal(report, expected, layers) -> None:
    """Each layer Keras built: our shape and counts are its."""
    for result, (shape, trainable, frozen) in zip(report.layers, expected):
        assert result.output_shape == shape, (result, layers)
        assert (result.trainable_params, result.non_trainable_params) == (trainable, frozen), (
            result, layers)


def engine_verdict(input_shape, layers):
    """Our first invalid layer: a refused argument, or a shape error before it."""
    arg_error = first_refused_argument(layers)
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
    assert_figures_equal(report, expected, layers)


def keras_graph_reference(input_shape, layers):
    """Keras's functional API on the same graph: per layer (shape, trainable,
    non_trainable) in list order, and the first layer Keras refuses."""
    results = []
    tensors = {"input": keras.Input(shape=tuple(input_shape))}
    for i, layer in enumerate(layers):
        kwargs = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v)
                  if isinstance(v, list) else v for k, v in layer["params"].items()}
        try:
            keras_layer = getattr(keras.layers, layer["type"])(name=layer["name"], **kwargs)
            if layer.get("trainable") is False:
                keras_layer.trainable = False
            taken = [tensors[source] for source in layer["inputs"]]
            merge = LAYER_TYPES[layer["type"]].merge is not None
            tensors[layer["name"]] = keras_layer(taken if merge else taken[0])
        except Exception:  # Keras raises many types here; any of them is "invalid"
            return results, i
        results.append((tuple(tensors[layer["name"]].shape),
                        _count(keras_layer.trainable_weights),
                        _count(keras_layer.non_trainable_weights)))
    return results, None


def graph_verdict(input_shape, layers):
    """Our first invalid layer, a refused argument or a shape Keras would refuse. A layer
    whose output goes nowhere is our error alone (Keras drops such a layer silently)."""
    arg_error = first_refused_argument(layers)
    usable = layers if arg_error is None else layers[:arg_error]
    report = infer(project_from_dict({"version": 2, "input": {"shape": input_shape},
                                      "layers": usable}))
    shape_errors = [r.index for r in report.layers
                    if r.error is not None and not isinstance(r.problem, Unconnected)]
    return report, (shape_errors[0] if shape_errors else arg_error)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_engine_equals_keras_functional_api_on_branching_networks(graph):
    input_shape, layers = graph
    expected, keras_error = keras_graph_reference(input_shape, layers)
    report, our_error = graph_verdict(input_shape, layers)
    assert our_error == keras_error, (
        f"first invalid layer: engine {our_error}, Keras {keras_error}\n"
        f"input {input_shape}\nlayers {layers}\nengine message: "
        f"{report.layers[our_error].error if our_error is not None and our_error < len(report.layers) else '-'}")
    event("valid graph" if our_error is None else "invalid graph")
    merges = [r for r in report.layers if LAYER_TYPES[r.type].merge is not None]
    event(f"merges checked: {min(len(merges), 4)}+")
    if our_error is not None and our_error < len(report.layers):
        event(f"first error at a {report.layers[our_error].type}")
    assert_figures_equal(report, expected, layers)


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


merge_shapes = st.lists(st.lists(st.sampled_from([None, 1, 2, 3]), min_size=1, max_size=3),
                        min_size=1, max_size=4)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(n for n, t in LAYER_TYPES.items() if t.merge is not None)),
       merge_shapes, st.sampled_from([-1, -1, 1, 2, -2, 3]))
def test_merge_rules_equal_keras_on_unequal_ranks_unknown_and_size_one_axes(kind, shapes, axis):
    """Each merge on 1 to 4 inputs of rank 2 to 4 with sizes None, 1, 2 or 3: the same
    output shape as Keras, or refused where Keras refuses."""
    params = {"axis": axis} if kind == "Concatenate" else {}
    if kind == "Concatenate" and len(shapes) > 1 and \
            axis % (len(shapes[0]) + 1) == 0 and len({len(s) for s in shapes}) == 1:
        return  # the batch axis: Keras stacks samples, CNN Studio refuses it on purpose
    names = [f"in{i}" for i in range(len(shapes))]
    try:
        expected = tuple(getattr(keras.layers, kind)(**params)(
            [keras.Input(shape=tuple(s)) for s in shapes]).shape)
    except Exception:  # Keras raises several kinds; any of them is "refused"
        expected = None
    from cnnstudio.core.shape_math import ShapeError
    layer_type = LAYER_TYPES[kind]
    try:
        got, _ = layer_type.merge([(None, *s) for s in shapes],
                                  layer_type.arg_index and {"axis": axis} or {}, names)
    except ShapeError:
        got = None
    event("refused" if expected is None else "merged")
    assert got == expected, (kind, shapes, axis)
