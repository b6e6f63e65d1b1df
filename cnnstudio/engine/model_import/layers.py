"""The loaded Keras model's layers as layer specs: only the arguments that differ from
Keras's defaults, and nothing that would make the project another model."""

from __future__ import annotations

import json
import re
from math import prod
from pathlib import Path
from typing import Any

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue import LAYER_TYPES, LayerType, Shape, get_layer_type
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.inference import infer
from cnnstudio.core.project import LayerSpec, Project, check_input_shape
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()

from cnnstudio.engine.model_import.common import (  # noqa: E402
    DROPPED_SUFFIXES, SAVE_AGAIN, ModelImportError,
)
from cnnstudio.engine.model_import.structure import Layers, name_of  # noqa: E402


def load_keras_model(path: Path):
    try:
        return keras.models.load_model(str(path), compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds on a bad file
        first = (str(error).strip() or type(error).__name__).splitlines()[0][:300]
        raise ModelImportError(path, f"Keras could not load it ({first}). If the file is "
                                     f"damaged, {SAVE_AGAIN[0].lower()}{SAVE_AGAIN[1:]}"
                               ) from None


def loaded_layers(model, chain: Layers, path: Path) -> list:
    layers = []
    for entry, _ in chain:
        try:
            layers.append(model.get_layer(name_of(entry)))
        except ValueError:
            break
    else:
        return layers
    # names changed when loading (an old file): the loaded model's own order
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(layers) != len(chain):
        raise ModelImportError(path, f"Keras loaded {len(layers)} layers where the file "
                                     f"describes {len(chain)}. {SAVE_AGAIN}")
    return layers


def model_input_shape(model, path: Path) -> tuple:
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        raise ModelImportError(path, "the model has no input shape (it was never built). In "
                                     "Keras, start it with keras.Input(shape=...) and save it "
                                     "again.") from None
    if isinstance(shape, list):
        raise ModelImportError(path, f"the model has {len(shape)} inputs; a CNN Studio model "
                                     "has one.")
    try:
        return check_input_shape(list(shape[1:]))
    except ProjectError as error:
        raise ModelImportError(path, f"its input {show_shape(tuple(shape))} cannot be a CNN "
                                     f"Studio input: {error.problem}") from None


def project_name(model_name: str, path: Path) -> str:
    """The model's own name, unless it is one Keras made up (`sequential_3`)."""
    if re.fullmatch(r"(sequential|functional|model)(_\d+)?", model_name or ""):
        return path.stem
    return model_name


# layers ---------------------------------------------------------------------------

def layer_spec(layer, inputs: list[str], path: Path, notes: list[str]) -> LayerSpec:
    kind, name = type(layer).__name__, layer.name
    layer_type = get_layer_type(kind)
    if layer_type is None:  # checked on the file already; a loaded class may differ
        raise ModelImportError(path, f"layer {name!r} is of type {kind}, which CNN Studio "
                                     "does not have.")
    config = layer.get_config()
    params = minimal_params(type(layer), layer_type, config)
    _check_other_args(type(layer), layer_type, config, params, name, path, notes)
    try:
        return LayerSpec(kind, params, name, bool(layer.trainable), tuple(inputs))
    except ProjectError as error:
        raise ModelImportError(path, f"layer {name!r} ({kind}): {error.field}: "
                                     f"{error.problem} CNN Studio cannot take this value; "
                                     "change it in Keras and save the model again.") from None


def minimal_params(layer_class: type, layer_type: LayerType, config: dict[str, Any]
                   ) -> dict[str, Any]:
    """The declared arguments of a layer's config that Keras would not give by itself,
    in the project's JSON form.

    Keras is asked rather than the catalogue's defaults, since some defaults
    depend on other arguments (a pooling layer's strides default to its pool
    size): an argument is left out when the layer made without it has the same
    config. Arguments are tried one by one, each given those already left out.
    """
    declared = [arg for arg in layer_type.args if arg.name in config]
    target = {arg.name: _json_value(arg, config[arg.name]) for arg in declared}
    kwargs = {arg.name: config[arg.name] for arg in declared}
    for arg in declared:
        if arg.required:
            continue
        trial = {k: v for k, v in kwargs.items() if k != arg.name}
        made = _probe(layer_class, trial)
        if made is not None and all(_json_value(a, made.get(a.name)) == target[a.name]
                                    for a in declared):
            kwargs = trial
    return {arg.name: target[arg.name] for arg in declared if arg.name in kwargs}


def _json_value(arg: Arg, value: Any) -> Any:
    """A config value as the project writes it. A built LayerNormalization reports its
    `axis` as a list ([-1]) where the catalogue, like the constructor, takes an int."""
    value = _plain(value)
    if arg.kind is Kind.INT and isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _probe(layer_class: type, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """A fresh layer's config, or None where Keras refuses the arguments. Read-only: the
    same arguments give the same config, so each is asked of Keras once (DenseNet121's
    120 BatchNormalizations share one set; the import asked 1,702 times before)."""
    try:
        key = (layer_class, json.dumps(kwargs, sort_keys=True))
    except (TypeError, ValueError):  # a value JSON cannot write: ask Keras every time
        return _make_config(layer_class, kwargs)
    if key not in _configs:
        if len(_configs) >= PROBES_KEPT:
            _configs.clear()
        _configs[key] = _make_config(layer_class, kwargs)
    return _configs[key]


PROBES_KEPT = 4096
_configs: dict[tuple[type, str], dict[str, Any] | None] = {}


def _make_config(layer_class: type, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return layer_class(name="cnnstudio_probe", **kwargs).get_config()
    except Exception:  # noqa: BLE001 - any refusal means "not the same layer"
        return None


def _check_other_args(layer_class: type, layer_type: LayerType, config: dict[str, Any],
                      params: dict[str, Any], name: str, path: Path,
                      notes: list[str]) -> None:
    """Arguments the catalogue does not declare must be Keras's defaults; initialisers,
    regularisers and constraints are dropped with a note (they do not change what the
    model computes), anything else is refused (it would)."""
    declared = {arg.name for arg in layer_type.args}
    reference = (_probe(layer_class, params)
                 or _probe(layer_class, {k: v for k, v in config.items() if k in declared})
                 or {})
    kind = layer_type.name
    for key, value in config.items():
        if key in declared or key in ("name", "trainable"):
            continue
        if key == "dtype":
            policy = _dtype_name(value)
            if policy not in (None, "float32"):
                notes.append(f"Layer {name!r} computed in {policy}; CNN Studio builds it in "
                             "float32.")
            continue
        if _plain(value) == _plain(reference.get(key)):
            continue
        why = next((text for suffix, text in DROPPED_SUFFIXES.items()
                    if key.endswith(suffix)), None)
        if why is not None or key == "synchronized":
            notes.append(f"Layer {name!r} ({kind}): {key} {_describe(value)} was not imported "
                         f"(CNN Studio uses Keras's default){'; ' + why if why else ''}.")
            continue
        raise ModelImportError(path, f"layer {name!r} ({kind}) sets {key}="
                                     f"{show_value(_plain(value))}, which a CNN Studio {kind} "
                                     f"cannot express. Set it back to Keras's default "
                                     f"({show_value(_plain(reference.get(key)))}) in Keras and "
                                     "save the model again.")


def _dtype_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
    return None


def _describe(value: Any) -> str:
    """`L2(l2=0.01)` for a serialised Keras object, else the JSON value."""
    if isinstance(value, dict) and "class_name" in value:
        inner = value.get("config") or {}
        args = ", ".join(f"{k}={_plain(v)!r}" for k, v in inner.items()
                         if v is not None and not isinstance(v, dict)) \
            if isinstance(inner, dict) else ""
        return f"{value['class_name']}({args})"
    return show_value(_plain(value))


def _plain(value: Any) -> Any:
    """A config value in the project's JSON form: tuples as lists, numpy scalars as
    Python numbers."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def _count(weights) -> int:
    return int(sum(prod(w.shape) for w in weights))


def check_same_model(project: Project, layers: list, path: Path) -> None:
    """The project must be the loaded model: the same shape and parameter counts at
    every layer, or the import stops rather than hand over a different model."""
    report = infer(project, known_figures()).raise_if_invalid(
        lambda problem: ModelImportError(path, f"{problem} The import was stopped."),
        "in CNN Studio, ")
    for result, layer in zip(report.layers, layers):
        taken = list(result.input_shapes) if result.type in MERGES else result.input_shape
        shape = _keras_output_shape(layer, taken)
        trainable, frozen = _count(layer.trainable_weights), _count(layer.non_trainable_weights)
        if (result.output_shape, result.trainable_params, result.non_trainable_params) != \
                (shape, trainable, frozen):
            raise ModelImportError(path, (
                f"layer {result.name!r} ({result.type}) gives {show_shape(shape)} with "
                f"{trainable:,} trainable and {frozen:,} non-trainable parameters in Keras, "
                f"but {show_shape(result.output_shape)} with {result.trainable_params:,} and "
                f"{result.non_trainable_params:,} as a CNN Studio layer. The import was "
                "stopped rather than give you a different model; please report this with the "
                "model file."))


MERGES = {name for name, layer_type in LAYER_TYPES.items() if layer_type.merge is not None}


def _keras_output_shape(layer, input_shape: Shape | list[Shape]) -> Shape:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer never called symbolically
        return tuple(layer.compute_output_shape(input_shape))
