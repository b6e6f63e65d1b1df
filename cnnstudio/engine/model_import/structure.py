"""The model's structure as the file describes it: its catalogue layers in order, each
with the layers it takes (a chain or a graph with branches and merges), or what stops
the import (several inputs or outputs, a shared layer, a layer CNN Studio lacks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudio.core.catalogue import LAYER_TYPES, get_layer_type
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()

from cnnstudio.engine.model_import.common import (  # noqa: E402
    MODEL_CLASSES, SAVE_AGAIN, ModelImportError,
)


Layers = list[tuple[dict[str, Any], list[str]]]
"""Each layer's entry in the file and the names of the layers it takes, in an order where
every layer comes after those (the input is `graph.MODEL_INPUT`)."""


def model_layers(document: dict[str, Any], path: str | Path) -> Layers:
    """The model's layers from input to output (the input layer left out), with their
    inputs, as the file describes them; refuses what a project cannot hold, naming it."""
    try:
        kind = document.get("class_name")
        config = document.get("config")
        if kind == "Sequential":
            items = config.get("layers") if isinstance(config, dict) else config
            chain = [item for item in items if item.get("class_name") != "InputLayer"]
            names = [MODEL_INPUT, *(name_of(entry) for entry in chain)]
            return [(entry, [names[i]]) for i, entry in enumerate(chain)]
        if kind in ("Functional", "Model"):
            return _functional_layers(config, Path(path))
    except (AttributeError, KeyError, TypeError, IndexError):
        kind = None
    if not isinstance(kind, str):
        raise ModelImportError(path, "its model description is not in a form CNN Studio "
                                     f"knows (written by another Keras?). {SAVE_AGAIN}")
    raise ModelImportError(path, f"holds a {kind}, not a Sequential or functional model (a "
                                 "subclassed keras.Model, whose layers are wired in Python "
                                 "code?). CNN Studio imports Sequential and functional "
                                 "models; rebuild it with keras.Sequential or the functional "
                                 "API and save it again.")


def name_of(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or entry["config"]["name"])


def _functional_layers(config: dict[str, Any], path: Path) -> Layers:
    entries = config["layers"]
    names = [name_of(entry) for entry in entries]
    inputs = _tensor_refs(config["input_layers"])
    outputs = _tensor_refs(config["output_layers"])
    for what, refs in (("inputs", inputs), ("outputs", outputs)):
        if len(refs) != 1:
            raise ModelImportError(path, f"the model has {len(refs)} {what} "
                                         f"({', '.join(refs)}); a CNN Studio model has one "
                                         "input and one output.")
    layers, known = [], {inputs[0]}
    for entry, name in zip(entries, names):
        if name == inputs[0]:
            continue
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise ModelImportError(path, f"layer {name!r} is called {len(nodes)} times (a "
                                         "shared layer); CNN Studio imports models in which "
                                         "each layer is used once.")
        sources = _node_sources(nodes[0]) if nodes else []
        missing = [source for source in sources if source not in known]
        if not sources or missing:
            raise ModelImportError(path, f"layer {name!r} takes "
                                         f"{', '.join(missing) or 'nothing'}, which comes "
                                         "from no layer before it in the file. "
                                         f"{SAVE_AGAIN}")
        known.add(name)
        layers.append((entry, [MODEL_INPUT if s == inputs[0] else s for s in sources]))
    if not layers or name_of(layers[-1][0]) != outputs[0]:
        at = [i for i, (entry, _) in enumerate(layers) if name_of(entry) == outputs[0]]
        if not at:
            raise ModelImportError(path, f"its output {outputs[0]!r} is no layer of the "
                                         f"model. {SAVE_AGAIN}")
        layers.append(layers.pop(at[0]))  # the output is the last layer of a project
    return layers


def _tensor_refs(value: Any) -> list[str]:
    """Layer names in `input_layers` / `output_layers`: `[name, 0, 0]`, a list of those,
    or a dict of those."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value[0]]
    return [str(item[0]) for item in value]


def _node_sources(node: Any) -> list[str]:
    """The layers whose outputs a call takes: Keras 3 keeps `keras_history` on each
    tensor; older files list `[layer, node, tensor, kwargs]`."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "keras_history" in value:
                found.append(str(value["keras_history"][0]))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            if (len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int)
                    and isinstance(value[2], int)):
                found.append(value[0])
                return
            for item in value:
                walk(item)

    walk(node)
    return found


def check_layer_types(layers: Layers, path: str | Path) -> None:
    """Refuse the first layer whose Keras class the catalogue does not declare."""
    for entry, _ in layers:
        kind, name = str(entry.get("class_name")), name_of(entry)
        if kind in MODEL_CLASSES:
            what = " (a pre-trained keras.applications base?)" if kind == "Functional" else ""
            raise ModelImportError(path, f"layer {name!r} is a whole {kind} model{what} inside "
                                         "the model; CNN Studio imports flat models. In Keras, "
                                         "list the inner model's layers one by one in the outer "
                                         "model and save it again.")
        if get_layer_type(kind) is None or not hasattr(keras.layers, kind):
            known = ", ".join(n for n in LAYER_TYPES if hasattr(keras.layers, n))
            raise ModelImportError(path, f"layer {name!r} is of type {kind}, which CNN Studio "
                                         f"does not have. Its layer types are: {known}. "
                                         "Replace or remove that layer in Keras and save the "
                                         "model again.")
