"""How a project's layers connect: each layer's `inputs`, defaults resolved, checked and
kept in one canonical form (DESIGN.md section 3, "Graphs").

A layer without `inputs` takes the layer just before it (the model input for the
first), so a chain needs no `inputs` at all and is written as version 1. A layer may
name only layers above it, so the list is a topological order and no cycle can be
written. In a graph, every layer's name is pinned (generated names written out), so
that inserting a layer never renames one that another layer names as its input.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from cnnstudio.core.errors import ProjectError, show_value

MODEL_INPUT = "input"
"""What `inputs` calls the model's input; no layer may take this name."""


def default_input(index: int, names: Sequence[str]) -> str:
    return names[index - 1] if index else MODEL_INPUT


def resolved_inputs(layers: Sequence, names: Sequence[str]) -> list[tuple[str, ...]]:
    """Each layer's inputs by name, the default (the layer before) filled in."""
    return [layer.inputs if layer.inputs is not None else (default_input(i, names),)
            for i, layer in enumerate(layers)]


def check_inputs(layers: Sequence, names: Sequence[str]) -> None:
    """Every input names the model input or a layer above; a ProjectError otherwise."""
    earlier = {MODEL_INPUT}
    for i, (layer, name) in enumerate(zip(layers, names)):
        for j, source in enumerate(layer.inputs or ()):
            if source in earlier:
                continue
            if source == name:
                problem = ("is this layer itself; a layer cannot take its own output. Name a "
                           f'layer above it, or "{MODEL_INPUT}" for the model\'s input.')
            elif source in names[i:]:
                problem = ("is a layer below it; a layer can take only layers above it in "
                           f'the list (or "{MODEL_INPUT}"). Move this layer below {source}.')
            else:
                problem = (f'is no layer above it; name a layer above it, or "{MODEL_INPUT}" '
                           "for the model's input.")
            raise ProjectError(f"layers[{i}].inputs[{j}]", f"{show_value(source)} {problem}")
        earlier.add(name)


def canonical(layers: Sequence, names: Sequence[str]) -> tuple[list, bool]:
    """The layers with default inputs left out, and whether any other remain (a graph);
    in a graph every layer carries its name."""
    out = [replace(layer, inputs=None)
           if layer.inputs is not None and layer.inputs == (default_input(i, names),)
           else layer for i, layer in enumerate(layers)]
    graph = any(layer.inputs is not None for layer in out)
    if graph:
        out = [layer if layer.name is not None else replace(layer, name=name)
               for layer, name in zip(out, names)]
    return out, graph


def consumers(inputs: Sequence[tuple[str, ...]]) -> dict[str, list[int]]:
    """For each name, the indices of the layers that take it as an input."""
    taken: dict[str, list[int]] = {}
    for i, sources in enumerate(inputs):
        for source in sources:
            taken.setdefault(source, []).append(i)
    return taken


def without(layers: Sequence, names: Sequence[str], drop: set[int]) -> list:
    """The layers other than `drop`, each layer that took a dropped one reconnected to
    what the dropped one took (a merge keeps them all, another layer the first), so
    deleting a block from a branch keeps the branch joined."""
    inputs = resolved_inputs(layers, names)
    replacement: dict[str, tuple[str, ...]] = {}
    for i in sorted(drop):
        replacement[names[i]] = tuple(s for source in inputs[i]
                                      for s in replacement.get(source, (source,)))
    kept = []
    for i, layer in enumerate(layers):
        if i in drop:
            continue
        sources = tuple(dict.fromkeys(s for source in inputs[i]
                                      for s in replacement.get(source, (source,))))
        if layer.layer_type.merge is None:
            sources = sources[:1]
        kept.append(replace(layer, inputs=sources))
    return kept


def renamed(layers: Sequence, old: str, new: str) -> list:
    """The layers with every input named `old` now naming `new`."""
    return [layer if not layer.inputs or old not in layer.inputs else
            replace(layer, inputs=tuple(new if s == old else s for s in layer.inputs))
            for layer in layers]
