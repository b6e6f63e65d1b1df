"""One-click fixes for invalid layers, where the fix is clear.

Each fix is a label and a pure edit (Project -> Project); the GUI offers the
ones that apply and pushes the chosen one as an undoable edit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from cnnstudio.core import edits
from cnnstudio.core.errors import ProjectError
from cnnstudio.core.inference import ShapeReport, infer
from cnnstudio.core.project import LayerSpec, Project
from cnnstudio.core.catalogue.merging import MergeMismatch
from cnnstudio.core.shape_math import WindowMisfit


@dataclass(frozen=True)
class Fix:
    label: str
    apply: Callable[[Project], Project]


def fixes_for(project: Project, report: ShapeReport, index: int,
              bases: Mapping[str, Any] | None = None) -> list[Fix]:
    """The fixes for the invalid layer at `index` that make it valid (may be none): each
    is tried on the shape engine first, so a button never leads to another error."""
    return [fix for fix in _candidate_fixes(project, report, index)
            if mends(project, fix, index, bases)]


def sound_fixes(project: Project, report: ShapeReport, fixes: list[Fix],
                bases: Mapping[str, Any] | None = None) -> list[Fix]:
    """The hints' fixes that leave the stack as valid as `report` finds it: no invalid
    layer earlier than before (none at all on a valid stack). Tried on the shape
    engine only where they are offered, since each try is an inference."""
    before = first_error(report)
    at = len(project.layers) if before is None else before
    return [fix for fix in fixes if mends(project, fix, at, bases)]


def mends(project: Project, fix: Fix, at: int, bases: Mapping[str, Any] | None = None
          ) -> bool:
    """Whether `fix` leaves no invalid layer up to index `at`. A base still being
    measured counts as valid here: it is not an error."""
    try:
        fixed = fix.apply(project)
    except ProjectError:
        return False
    after = first_error(infer(fixed, bases))
    return after is None or after > at


def first_error(report: ShapeReport) -> int | None:
    """The first layer Keras would refuse (a base being measured is not refused)."""
    return next((r.index for r in report.layers if r.error is not None and not r.pending),
                None)


def _candidate_fixes(project: Project, report: ShapeReport, index: int) -> list[Fix]:
    result = report.layers[index]
    if result.error is None:
        return []
    spec = project.layers[index]
    a = spec.resolved
    shape = result.input_shape
    found: list[Fix] = []
    if isinstance(result.problem, WindowMisfit):
        if a.get("padding") == "valid":
            found.append(Fix("Use padding='same'",
                             lambda p: edits.set_param(p, index, "padding", "same")))
        dims = [d for d in shape[1:-1] if d is not None]
        if "kernel_size" in a and dims and min(dims) >= 1:
            size = min(dims) - (min(dims) % 2 == 0)  # odd: an even kernel has a hint of its own
            found.append(Fix(f"Reduce kernel_size to {size}",
                             lambda p: _shrink_kernel(p, index, size)))
        if "pool_size" in a:
            found.append(Fix("Remove this pooling layer",
                             lambda p: edits.remove_layers(p, [index])))
    if spec.type == "Cropping2D":
        found.append(Fix("Crop nothing (cropping=0)",
                         lambda p: edits.set_param(p, index, "cropping", 0)))
    if isinstance(result.problem, MergeMismatch) and result.problem.projection:
        target, filters, strides = result.problem.projection
        found.append(Fix(f"Give {target} a 1x1 Conv2D ({filters} filters"
                         + (f", strides {strides})" if strides > 1 else ")"),
                         lambda p: edits.insert_between(p, index, target, LayerSpec(
                             "Conv2D", {"filters": filters, "kernel_size": 1,
                                        **({"strides": strides} if strides > 1 else {})}))))
    names = project.layer_names()
    source = names.index(result.inputs[0]) if result.inputs and result.inputs[0] in names \
        else None
    before = project.layers[source] if source is not None else None
    if (spec.type == "Dense" and before is not None and before.type == "Flatten"
            and report.layers[source].input_shape is not None
            and len(report.layers[source].input_shape) == 4):
        found.append(Fix("Replace Flatten with GlobalAveragePooling2D",
                         lambda p: edits.replace_layer(p, source, replace(
                             before, type="GlobalAveragePooling2D", params={},
                             name=before.name if p.is_graph else None))))
    if spec.type == "Reshape" and -1 not in a["target_shape"] and a["target_shape"]:
        target = [-1, *a["target_shape"][1:]]
        found.append(Fix(f"Let Keras work out the first size (target_shape={target})",
                         lambda p: edits.set_param(p, index, "target_shape", target)))
    return found


def _shrink_kernel(project: Project, index: int, size: int) -> Project:
    project = edits.set_param(project, index, "kernel_size", size)
    if project.layers[index].resolved.get("dilation_rate", (1,))[0] != 1:
        project = edits.reset_param(project, index, "dilation_rate")
    return project

