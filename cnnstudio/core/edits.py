"""Edits of a project, as pure functions: old project in, new project out.

Each is small and total: bad values raise ProjectError (naming the argument)
and leave nothing half-changed, because projects are immutable. The undo
commands in `cnnstudio.core.commands` are built from these.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Sequence

from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.errors import ProjectError
from cnnstudio.core.training_config import training_config
from cnnstudio.core import graph
from cnnstudio.core.project import (
    LayerSpec, Project, check_input_shape, check_layer_name, layer_names,
)


def insert_layers(project: Project, index: int, specs: Sequence[LayerSpec]) -> Project:
    """Insert `specs` before position `index` (clamped to the stack)."""
    index = max(0, min(index, len(project.layers)))
    layers = list(project.layers)
    layers[index:index] = _unclash_names(project.layers, specs)
    return project.with_layers(layers)


def insert_after(project: Project, index: int, spec: LayerSpec) -> Project:
    """Put a layer right after the layer at `index`: it takes that layer, and what took
    that layer takes it instead (in a chain, a plain insert)."""
    old = project.layer_names()[index]
    inserted = insert_layers(project, index + 1, [replace(spec, inputs=(old,))])
    new = inserted.layer_names()[index + 1]
    layers = list(inserted.layers)
    for i, sources in enumerate(inserted.layer_inputs()):
        if i != index + 1 and old in sources:
            layers[i] = replace(layers[i], inputs=tuple(new if s == old else s
                                                        for s in sources))
    return inserted.with_layers(layers)


def insert_between(project: Project, index: int, source: str, spec: LayerSpec) -> Project:
    """Put a layer on one input of the layer at `index`: it takes `source` and the layer
    takes it in `source`'s place (a projection on a shortcut, for instance)."""
    inserted = insert_layers(project, index, [replace(spec, inputs=(source,))])
    name = inserted.layer_names()[index]
    inputs = [name if s == source else s for s in inserted.layer_inputs()[index + 1]]
    return set_inputs(inserted, index + 1, inputs)


def chain_segment(project: Project, rows: Sequence[int]) -> tuple[list[int], str]:
    """The selected layers as one run of a chain (each takes the one before it), and what
    the first one takes; a ProjectError saying why not otherwise."""
    rows = sorted(set(rows))
    names, inputs = project.layer_names(), project.layer_inputs()
    if not rows:
        raise ProjectError("layers", "select the layers to wrap first.")
    if len(inputs[rows[0]]) != 1:
        raise ProjectError("layers", f"{names[rows[0]]} takes {len(inputs[rows[0]])} inputs; "
                                     "select layers that start from one input.")
    for before, row in zip(rows, rows[1:]):
        if inputs[row] != (names[before],):
            raise ProjectError("layers", f"{names[row]} does not take {names[before]}; select "
                                         "layers that follow one another (a single path).")
    return rows, inputs[rows[0]][0]


def wrap_in_residual(project: Project, rows: Sequence[int]) -> Project:
    """A residual block around the selected layers: an Add after the last of them takes
    its output and, as the shortcut, what the first of them takes."""
    rows, source = chain_segment(project, rows)
    wrapped = insert_after(project, rows[-1], LayerSpec("Add"))
    last = wrapped.layer_names()[rows[-1]]
    return set_inputs(wrapped, rows[-1] + 1, [last, source])


def add_branch(project: Project, rows: Sequence[int]) -> Project:
    """A copy of the selected layers side by side with them, from the same input, the two
    joined by a Concatenate (an inception-style block)."""
    rows, source = chain_segment(project, rows)
    copies = [replace(project.layers[r], name=None, inputs=None, ui=None) for r in rows]
    copies[0] = replace(copies[0], inputs=(source,))
    last = project.layer_names()[rows[-1]]
    joined = insert_after(project, rows[-1], LayerSpec("Concatenate"))
    at = rows[-1] + 1
    branched = insert_layers(joined, at, copies)
    names = branched.layer_names()
    return set_inputs(branched, at + len(copies), [last, names[at + len(copies) - 1]])


def paste_layers(project: Project, at: int, specs: Sequence[LayerSpec]) -> Project:
    """Pasted layers before position `at`, wired among themselves as they were copied; an
    input from outside the pasted layers becomes the layer before them (a chain paste)."""
    copied = [spec.name for spec in specs]
    inserted = insert_layers(project, at, [replace(spec, inputs=None, ui=None)
                                           for spec in specs])
    names = inserted.layer_names()
    renamed = {old: new for old, new in zip(copied, names[at:at + len(specs)]) if old}
    before = names[at - 1] if at else graph.MODEL_INPUT
    layers = list(inserted.layers)
    for i, spec in enumerate(specs):
        if spec.inputs is None:
            continue
        sources = tuple(renamed.get(s, before) for s in spec.inputs)
        layers[at + i] = replace(layers[at + i], inputs=sources)
    return inserted.with_layers(layers)


def remove_layers(project: Project, indices: Iterable[int]) -> Project:
    """The project without those layers. In a graph, a layer that took a removed one
    takes what that one took, so a branch stays joined (a chain needs nothing: each
    layer takes the one before it)."""
    drop = set(indices)
    if project.is_graph:
        return project.with_layers(graph.without(project.layers, project.layer_names(), drop))
    return project.with_layers(l for i, l in enumerate(project.layers) if i not in drop)


def move_layers(project: Project, rows: Sequence[int], target: int) -> Project:
    """Move the given layers, kept in their order, to sit before position `target`."""
    chosen = sorted(set(rows))
    moving = [project.layers[r] for r in chosen]
    rest = [layer for i, layer in enumerate(project.layers) if i not in set(chosen)]
    at = target - sum(1 for r in chosen if r < target)
    rest[at:at] = moving
    return project.with_layers(rest)


def moved_rows(rows: Sequence[int], target: int) -> list[int]:
    """Where `move_layers(rows, target)` puts the moved layers."""
    chosen = sorted(set(rows))
    at = target - sum(1 for r in chosen if r < target)
    return list(range(at, at + len(chosen)))


def duplicate_layers(project: Project, indices: Sequence[int]) -> tuple[Project, list[int]]:
    """Copies of the selected layers, placed after the last of them.

    Returns the new project and the positions of the copies, so the view can
    select them.
    """
    chosen = sorted(set(indices))
    if not chosen:
        return project, []
    copies = [replace(project.layers[i], name=None, inputs=None, ui=None) for i in chosen]
    at = chosen[-1] + 1
    return insert_layers(project, at, copies), list(range(at, at + len(copies)))


def set_param(project: Project, index: int, name: str, value: Any) -> Project:
    """Set one constructor argument; None removes it so Keras's default applies."""
    layer = project.layers[index]
    params = dict(layer.params)
    if value is None and not (name in layer.layer_type.arg_index
                              and layer.layer_type.arg_index[name].nullable):
        params.pop(name, None)
    else:
        params[name] = value
    return replace_layer(project, index, replace(layer, params=params))


def reset_param(project: Project, index: int, name: str) -> Project:
    """Leave the argument out, so it takes Keras's default."""
    layer = project.layers[index]
    params = {k: v for k, v in layer.params.items() if k != name}
    return replace_layer(project, index, replace(layer, params=params))


def set_trainable(project: Project, index: int, trainable: bool) -> Project:
    return replace_layer(project, index, replace(project.layers[index], trainable=trainable))


def rename_layer(project: Project, index: int, name: str | None) -> Project:
    """A new name (None: a generated one); the layers that take it follow the rename."""
    name = (name or "").strip() or None
    if name is not None:
        check_layer_name(name)
    old = project.layer_names()[index]
    layers = list(project.layers)
    layers[index] = replace(layers[index], name=name)
    new = layer_names(layers)[index]
    return project.with_layers(graph.renamed(layers, old, new))


def set_inputs(project: Project, index: int, inputs: Sequence[str] | None) -> Project:
    """Connect a layer to the layers it takes (None: the one before it)."""
    inputs = None if inputs is None else tuple(inputs)
    return replace_layer(project, index, replace(project.layers[index], inputs=inputs))


def set_position(project: Project, index: int, x: float, y: float) -> Project:
    """Keep a block where the user put it on the diagram (the layer's `ui` field)."""
    layer = project.layers[index]
    ui = {**(layer.ui or {}), "x": round(float(x), 1), "y": round(float(y), 1)}
    return replace_layer(project, index, replace(layer, ui=ui))


def clear_positions(project: Project) -> Project:
    """Every block back to the automatic layout."""
    return project.with_layers(
        replace(layer, ui={k: v for k, v in layer.ui.items() if k not in ("x", "y")} or None)
        if layer.ui else layer for layer in project.layers)


def set_input_shape(project: Project, shape: Sequence[int | None]) -> Project:
    return replace(project, input_shape=check_input_shape(list(shape)))


def replace_layer(project: Project, index: int, layer: LayerSpec) -> Project:
    layers = list(project.layers)
    layers[index] = layer
    return project.with_layers(layers)


def _unclash_names(existing: Sequence[LayerSpec], specs: Sequence[LayerSpec]) -> list[LayerSpec]:
    """Pasted or inserted layers keep their names unless the name is taken."""
    taken = {layer.name for layer in existing if layer.name}
    out = []
    for spec in specs:
        if spec.name and spec.name in taken:
            spec = replace(spec, name=None)
        if spec.name:
            taken.add(spec.name)
        out.append(spec)
    return out


def set_dataset(project: Project, section: dict[str, Any]) -> Project:
    """Replace the `dataset` section; bad values are refused before they reach the project."""
    dataset_config(section)
    return replace(project, dataset=dict(section))


def set_training(project: Project, changes: dict[str, Any]) -> Project:
    """Change some `training` settings, keeping the others; bad values are refused here."""
    training = {**project.training, **changes}
    training_config(training)
    return replace(project, training=training)


def add_run(project: Project, run: dict[str, Any]) -> Project:
    """Record a finished or stopped training run."""
    return replace(project, runs=(*project.runs, run))


def remove_runs(project: Project, run_ids: Sequence[str]) -> Project:
    """Forget runs (their weight files stay on disk, so undo brings them back whole)."""
    return replace(project, runs=tuple(r for r in project.runs if r.get("id") not in run_ids))
