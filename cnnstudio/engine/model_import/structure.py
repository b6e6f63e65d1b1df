"""The model's structure as the file describes it: one chain of catalogue layers, or
the first layer that branches or that CNN Studio lacks, named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudio.core.catalogue import LAYER_TYPES, get_layer_type
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()

from cnnstudio.engine.model_import.common import (  # noqa: E402
    MODEL_CLASSES, SAVE_AGAIN, ModelImportError,
)


def linear_chain(document: dict[str, Any], path: str | Path) -> list[dict[str, Any]]:
    """The model's layers from input to output (input layer left out), as described in
    the file; refuses anything but one chain, naming the first layer that branches."""
    try:
        kind = document.get("class_name")
        config = document.get("config")
        if kind == "Sequential":
            items = config.get("layers") if isinstance(config, dict) else config
            return [item for item in items if item.get("class_name") != "InputLayer"]
        if kind in ("Functional", "Model"):
            return _functional_chain(config, Path(path))
    except (AttributeError, KeyError, TypeError, IndexError):
        kind = None
    if not isinstance(kind, str):
        raise ModelImportError(path, "its model description is not in a form CNN Studio "
                                     f"knows (written by another Keras?). {SAVE_AGAIN}")
    raise ModelImportError(path, f"holds a {kind}, not a Sequential or functional model (a "
                                 "subclassed keras.Model, whose layers are wired in Python "
                                 "code?). CNN Studio imports Sequential models and functional "
                                 "models that are a single chain of layers; rebuild it with "
                                 "keras.Sequential and save it again.")


def name_of(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or entry["config"]["name"])


def _functional_chain(config: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    entries = config["layers"]
    names = [name_of(entry) for entry in entries]
    kinds = dict(zip(names, (str(entry.get("class_name")) for entry in entries)))
    inputs = _tensor_refs(config["input_layers"])
    outputs = _tensor_refs(config["output_layers"])
    for what, refs in (("inputs", inputs), ("outputs", outputs)):
        if len(refs) != 1:
            raise ModelImportError(path, f"the model has {len(refs)} {what} "
                                         f"({', '.join(refs)}); a CNN Studio model has one "
                                         "input and one output.")
    sources: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {name: [] for name in names}
    for entry, name in zip(entries, names):
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise ModelImportError(path, f"layer {name!r} is called {len(nodes)} times (a "
                                         "shared layer), so the model is not a single chain; "
                                         "CNN Studio imports models in which each layer is "
                                         "used once.")
        sources[name] = _node_sources(nodes[0]) if nodes else []
        for source in sources[name]:
            consumers.setdefault(source, []).append(name)
    for name in names:  # the file lists layers in order, so this finds the first branch
        if len(sources[name]) > 1:
            raise ModelImportError(path, _branch_message(
                f"layer {name!r} ({kinds[name]}) takes {len(sources[name])} inputs "
                f"({', '.join(sources[name])})"))
        if len(consumers[name]) > 1:
            raise ModelImportError(path, _branch_message(
                f"the output of layer {name!r} goes to {len(consumers[name])} layers "
                f"({', '.join(consumers[name])})"))
    chain, current = [], inputs[0]
    while consumers.get(current) and len(chain) <= len(names):  # a damaged file may loop
        current = consumers[current][0]
        chain.append(current)
    stray = [n for n in names if n not in chain and n != inputs[0]]
    if current != outputs[0] or stray:
        raise ModelImportError(path, f"layers {', '.join(stray) or current!s} are not on the "
                                     "path from the input to the output; CNN Studio imports "
                                     "a single chain of layers.")
    by_name = dict(zip(names, entries))
    return [by_name[name] for name in chain]


def _branch_message(where: str) -> str:
    return (f"the model branches: {where}. CNN Studio imports single chains, where each "
            "layer takes the previous layer's output; models with skip connections, merges "
            "or several heads cannot be edited as a stack.")


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


def check_layer_types(chain: list[dict[str, Any]], path: str | Path) -> None:
    """Refuse the first layer whose Keras class the catalogue does not declare."""
    for entry in chain:
        kind, name = str(entry.get("class_name")), name_of(entry)
        if kind in MODEL_CLASSES:
            what = " (a pre-trained keras.applications base?)" if kind == "Functional" else ""
            raise ModelImportError(path, f"layer {name!r} is a whole {kind} model{what} inside "
                                         "the model; CNN Studio imports flat stacks. In Keras, "
                                         "list the inner model's layers one by one in the outer "
                                         "model and save it again.")
        if get_layer_type(kind) is None or not hasattr(keras.layers, kind):
            known = ", ".join(n for n in LAYER_TYPES if hasattr(keras.layers, n))
            raise ModelImportError(path, f"layer {name!r} is of type {kind}, which CNN Studio "
                                         f"does not have. Its layer types are: {known}. "
                                         "Replace or remove that layer in Keras and save the "
                                         "model again.")
