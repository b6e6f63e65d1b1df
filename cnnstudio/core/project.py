"""The project: an input shape and its layers (a chain, or a graph whose layers name their
inputs), plus data and training settings.

Projects and layer specs are immutable; an edit makes a new project. That keeps
undo simple (keep the old one) and lets a training run hold the architecture it
started with while the user edits on.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from cnnstudio.core import graph
from cnnstudio.core.catalogue import LAYER_TYPES, LayerType, Resolved, Shape
from cnnstudio.core.errors import ArgumentError, ProjectError, show_value

FORMAT = "cnnstudio"
VERSION = 2
CHAIN_VERSION = 1
"""A project whose every layer takes the one before it is written as version 1, which
older readers open; a graph is version 2."""
MAX_INPUT_RANK = 4
MAX_INPUT_VALUES = 2 ** 31 - 1  # as inference.MAX_TENSOR_ELEMENTS, which imports this module


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the user wrote it: Keras class name and constructor arguments.

    `params` keeps the user's JSON values (``kernel_size: 3`` stays 3, so a file
    round-trips unchanged); `resolved` holds every argument with Keras's
    defaults filled in, checked once here rather than on every inference.
    """

    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    trainable: bool = True
    inputs: tuple[str, ...] | None = None
    """The names of the layers it takes (`graph.MODEL_INPUT` for the model's input);
    None: the layer just before it."""
    ui: Mapping[str, Any] | None = None
    """How the Design page shows it ({"x": ..., "y": ...}: where the user put its block);
    no part of the model, so builders, exports and run records ignore it."""
    resolved: Resolved = field(init=False, repr=False, compare=False)
    layer_type: LayerType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        layer_type = LAYER_TYPES.get(self.type) if isinstance(self.type, str) else None
        if layer_type is None:
            raise ProjectError("type", f"unknown layer type {show_value(self.type)}. "
                               f"{_suggest_type(self.type)}")
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "resolved", resolve_params(layer_type, self.params))
        object.__setattr__(self, "layer_type", layer_type)
        if self.inputs is not None:
            object.__setattr__(self, "inputs", check_input_names(self.inputs, layer_type))
        if self.ui is not None:  # an empty one is none: the file leaves it out
            object.__setattr__(self, "ui", check_ui(self.ui) or None)

    def to_dict(self, ui: bool = True) -> dict[str, Any]:
        """The layer as the project file holds it; `ui=False` leaves out how it is shown
        (for run records and architecture comparisons)."""
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        if self.params:
            out["params"] = dict(self.params)
        if not self.trainable:
            out["trainable"] = False
        if self.inputs is not None:
            out["inputs"] = list(self.inputs)
        if ui and self.ui:
            out["ui"] = dict(self.ui)
        return out


def check_ui(ui: Any) -> dict[str, Any]:
    """A layer's `ui` object: where its block was put (finite x and y) and whatever else
    a later version keeps there, left as it is."""
    if not isinstance(ui, Mapping):
        raise ProjectError("ui", f"got {show_value(ui)}, expected an object such as "
                           '{"x": 120, "y": 340}.')
    for key in ("x", "y"):
        value = ui.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or value != value or abs(value) > 1e7):
            raise ProjectError(f"ui.{key}", f"got {show_value(value)}, expected a position "
                               "in pixels, such as 120.")
    return dict(ui)


def check_input_names(inputs: Any, layer_type: LayerType) -> tuple[str, ...]:
    """A layer's `inputs` as a tuple of names, as many as its type takes."""
    if isinstance(inputs, str) or not isinstance(inputs, (list, tuple)) or \
            not all(isinstance(name, str) and name for name in inputs):
        raise ProjectError("inputs", f"got {show_value(inputs)}, expected a list of layer "
                           'names such as ["conv_a", "shortcut"], or "input" for the '
                           "model's input.")
    least, most = layer_type.inputs_allowed
    if len(inputs) < least or (most is not None and len(inputs) > most):
        count = (f"exactly {least}" if least == most else
                 f"at least {least}" if most is None else f"{least} to {most}")
        kind = "merges branches" if layer_type.merge is not None else "takes one input"
        raise ProjectError("inputs", f"{layer_type.name} {kind}: it needs {count} "
                           f"input{'s' * (least != 1 or most != 1)}, got {len(inputs)}."
                           + ("" if layer_type.merge is not None else
                              " To join branches, add a merge layer such as Add or "
                              "Concatenate."))
    return tuple(inputs)


def layer_from_dict(item: Any, where: str) -> LayerSpec:
    """One entry of `layers`, with errors located at `where` (``layers[3]``)."""
    if not isinstance(item, dict):
        raise ProjectError(where, f"got {show_value(item)}, expected an object such as "
                           f'{{"type": "Dense", "params": {{"units": 10}}}}.')
    unknown = set(item) - {"type", "name", "params", "trainable", "inputs", "ui"}
    if unknown:
        raise ProjectError(f"{where}.{sorted(unknown)[0]}", "not a layer field; a layer has "
                           "type, name, params, trainable, inputs and ui.")
    if "type" not in item:
        raise ProjectError(f"{where}.type", "missing; give the Keras class name, e.g. "
                           '"Conv2D".')
    params = item.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ProjectError(f"{where}.params", f"got {show_value(params)}, expected an "
                           "object of Keras arguments.")
    name = item.get("name")
    if name is not None:
        check_layer_name(name, f"{where}.name")
    trainable = item.get("trainable", True)
    if not isinstance(trainable, bool):
        raise ProjectError(f"{where}.trainable", f"got {show_value(trainable)}, expected "
                           "true or false.")
    try:
        return LayerSpec(item["type"], params, name, trainable, item.get("inputs"),
                         item.get("ui"))
    except ProjectError as error:
        raise ProjectError(f"{where}.{error.field}", error.problem) from None


def resolve_params(layer_type: LayerType, params: Mapping[str, Any]) -> Resolved:
    """Every constructor argument, validated, with Keras's defaults filled in."""
    resolved: Resolved = {}
    for key in params:
        if key not in layer_type.arg_index:
            known = ", ".join(a.name for a in layer_type.args) or "none"
            raise ProjectError(f"params.{key}", f"{layer_type.name} has no argument "
                               f"{key!r}; its arguments are: {known}.")
    for arg in layer_type.args:
        where = f"params.{arg.name}"
        if arg.name in params:
            resolved[arg.name] = arg.resolve(params[arg.name], where)
        elif arg.required:
            raise ProjectError(where, f"{layer_type.name} needs {arg.name!r} "
                               f"({arg.describe()}).")
        else:
            resolved[arg.name] = arg.resolved_default()
    if layer_type.check is not None:
        layer_type.check(resolved, "params")
    return resolved


def _suggest_type(name: Any) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(LAYER_TYPES), n=3)
    if close:
        return "Did you mean " + " or ".join(close) + "?"
    return "Known types: " + ", ".join(LAYER_TYPES) + "."


@dataclass(frozen=True)
class Project:
    """A whole project document. `dataset`, `training` and `runs` belong to the
    features that use them; unknown top-level keys are kept as they were."""

    input_shape: Shape  # without the batch axis, as keras.Input(shape=...) takes it
    layers: tuple[LayerSpec, ...] = ()
    name: str = "Untitled"
    dataset: Mapping[str, Any] = field(default_factory=lambda: {"source": "shapes"})
    training: Mapping[str, Any] = field(default_factory=dict)
    runs: tuple[Any, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    is_graph: bool = field(init=False, repr=False, compare=False)
    """Some layer takes another than the one before it (written as version 2)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", check_input_shape(self.input_shape))
        layers = tuple(self.layers)
        check_unique_names(layers)
        names = layer_names(layers)
        graph.check_inputs(layers, names)
        layers, is_graph = graph.canonical(layers, names)
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "is_graph", is_graph)

    @property
    def version(self) -> int:
        return VERSION if self.is_graph else CHAIN_VERSION

    def layer_inputs(self) -> list[tuple[str, ...]]:
        """Each layer's inputs by name, defaults resolved (`graph.MODEL_INPUT` for the
        model's input)."""
        return graph.resolved_inputs(self.layers, self.layer_names())

    def with_layers(self, layers: Iterable[LayerSpec]) -> "Project":
        return replace(self, layers=tuple(layers))

    def layer_names(self) -> list[str]:
        return layer_names(self.layers)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": FORMAT,
            "version": self.version,
            "name": self.name,
            "input": {"shape": list(self.input_shape)},
            "layers": [layer.to_dict() for layer in self.layers],
            "dataset": dict(self.dataset),
            "training": dict(self.training),
            "runs": list(self.runs),
        }
        out.update(self.extra)
        return out


def check_input_shape(shape: Any, where: str = "input.shape") -> Shape:
    """The input shape as a tuple, or a ProjectError naming what is wrong."""
    if not isinstance(shape, (list, tuple)) or not 1 <= len(shape) <= MAX_INPUT_RANK:
        raise ProjectError(where, f"got {show_value(shape)}, expected a list of 1 to "
                           f"{MAX_INPUT_RANK} sizes such as [28, 28, 1] (height, width, "
                           f"channels).")
    for i, dim in enumerate(shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ArgumentError(f"{where}[{i}]", dim, "a whole number >= 1, or null for "
                                "a size that may vary")
    count = 1
    for dim in shape:
        count *= dim or 1
    if count > MAX_INPUT_VALUES:
        raise ProjectError(where, f"{show_value(list(shape))} is {count:.3g} values per "
                           f"image, more than the {MAX_INPUT_VALUES:,} TensorFlow can hold in "
                           "one image's tensor; use a smaller image size.")
    return tuple(shape)


INPUT_NAME = "input_layer"  # the model's Input; no layer may take its name
MAX_NAME_LENGTH = 255
_NAME = re.compile(r"[A-Za-z0-9_.\-]+")


def check_layer_name(name: Any, where: str = "name") -> str:
    """A layer name TensorFlow accepts: letters, digits, `_`, `.` and `-`.

    TensorFlow builds its graph's node names from layer names and refuses
    others mid-training (spaces, accents and emoji, `/`, backslash, NUL), so
    they are refused here, before any work is done.
    """
    if not isinstance(name, str) or not name:
        raise ProjectError(where, f"got {show_value(name)}, expected a name such as "
                           '"conv_1", or no name to get one generated.')
    if len(name) > MAX_NAME_LENGTH:
        raise ProjectError(where, f"the name is {len(name):,} characters long; give a name "
                           f"of at most {MAX_NAME_LENGTH}.")
    if not _NAME.fullmatch(name):
        bad = next(c for c in name if not _NAME.fullmatch(c))
        raise ProjectError(where, f"{show_value(name)} contains {show_value(bad)}; TensorFlow "
                           "takes only letters A-Z and a-z, digits, '_', '.' and '-' in "
                           "layer names. Rename it, e.g. "
                           f"{show_value(_suggest_name(name))}.")
    return name


def _suggest_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("_")[:MAX_NAME_LENGTH] or "layer"


def check_unique_names(layers: Iterable[LayerSpec]) -> None:
    seen: dict[str, int] = {}
    for i, layer in enumerate(layers):
        if layer.name is None:
            continue
        if layer.name in (INPUT_NAME, graph.MODEL_INPUT):
            raise ProjectError(f"layers[{i}].name", f"{layer.name!r} is the name of the "
                               "model's input; choose another name.")
        if layer.name in seen:
            raise ProjectError(f"layers[{i}].name", f"{layer.name!r} is already the name of "
                               f"layers[{seen[layer.name]}]; Keras needs unique names. "
                               f"Rename one, or leave the name out to get one generated.")
        seen[layer.name] = i


def layer_names(layers: Iterable[LayerSpec]) -> list[str]:
    """Each layer's name: its own, or one generated as Keras does (conv2d, conv2d_1...).

    Generated names skip names the user has taken, so the model never has two
    layers of the same name.
    """
    layers = list(layers)
    taken = {layer.name for layer in layers if layer.name is not None} | {
        INPUT_NAME, graph.MODEL_INPUT}
    counters: dict[str, int] = {}
    names = []
    for layer in layers:
        if layer.name is not None:
            names.append(layer.name)
            continue
        prefix = layer.layer_type.snake_name
        while True:
            count = counters.get(prefix, 0)
            counters[prefix] = count + 1
            candidate = prefix if count == 0 else f"{prefix}_{count}"
            if candidate not in taken:
                break
        taken.add(candidate)
        names.append(candidate)
    return names


def model_name(project: Project) -> str:
    """A Keras-safe model name from the project's name (the builder's and the scripts')."""
    name = re.sub(r"[^0-9A-Za-z_.-]+", "_", project.name).strip("_")
    return name or "model"
