"""Facts derived from a shape report: receptive fields, memory, FLOPs.

The summary bar and the explanation panel show these; they are estimates of
the usual kind (float32 values, multiply-add = 2 FLOPs), stated as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from cnnstudio.core.catalogue import Category
from cnnstudio.core.catalogue.common import flat_size
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.core.inference import LayerResult, ShapeReport
from cnnstudio.core.project import Project

BYTES_PER_VALUE = 4  # float32


@dataclass(frozen=True)
class ModelSummary:
    total_params: int
    trainable_params: int
    non_trainable_params: int
    size_bytes: int
    activation_mb_per_batch: float
    flops_per_sample: int
    batch_size: int
    flops_left_out: tuple[str, ...] = ()  # pre-trained bases: their FLOPs are not counted


def activation_bytes(result: LayerResult) -> int | None:
    """Memory for one sample's output of this layer."""
    if result.output_shape is None:
        return None
    count = flat_size(result.output_shape)
    return None if count is None else count * BYTES_PER_VALUE


def layer_flops(project: Project, report: ShapeReport, index: int) -> int:
    result = report.layers[index]
    layer_type = project.layers[index].layer_type
    if layer_type.macs is None or result.output_shape is None:
        return 0
    return 2 * layer_type.macs(result.input_shape, result.output_shape,
                               project.layers[index].resolved)


def summarize(project: Project, report: ShapeReport, batch_size: int) -> ModelSummary:
    activations = sum(activation_bytes(r) or 0 for r in report.layers)
    activations += (flat_size(report.input_shape) or 0) * BYTES_PER_VALUE
    return ModelSummary(
        total_params=report.total_params,
        trainable_params=report.trainable_params,
        non_trainable_params=report.non_trainable_params,
        size_bytes=report.total_params * BYTES_PER_VALUE,
        activation_mb_per_batch=activations * batch_size / 1024 ** 2,
        flops_per_sample=sum(layer_flops(project, report, i) for i in range(len(report.layers))),
        batch_size=batch_size,
        flops_left_out=tuple(r.name for spec, r in zip(project.layers, report.layers)
                             if spec.layer_type.category is Category.PRETRAINED),
    )


def receptive_fields(project: Project, report: ShapeReport) -> list[int | None]:
    """How many input pixels (along one axis) each layer's output value sees.

    Grows by (kernel - 1) * jump at each window layer, where jump is the product
    of the strides on the way; a merge sees what its widest input sees (the
    maximum over the paths into it). None once the spatial layout is gone.
    """
    seen: dict[str, tuple[int, int] | None] = {MODEL_INPUT: (1, 1)}  # (field, jump)
    out: list[int | None] = []
    for spec, result in zip(project.layers, report.layers):
        inputs = [seen.get(source) for source in result.inputs]
        if result.output_shape is None or spec.layer_type.opaque or None in inputs \
                or not inputs:  # no output, or hundreds of layers inside a base
            seen[result.name] = None
            out.append(None)
            continue
        field, jump = max(inputs)
        if spec.layer_type.window is not None:
            kernel, strides, dilation = spec.layer_type.window(spec.resolved)
            effective = max(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
            field += (effective - 1) * jump
            jump *= max(strides)
        if len(result.output_shape) < 3:
            seen[result.name] = None
            out.append(None)
            continue
        seen[result.name] = (field, jump)
        out.append(field)
    return out


def format_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.2f} {unit}"
        count /= 1024
    return ""


def format_count(n: float) -> str:
    """12_345_678 -> '12.3 M' for the summary bar."""
    for value, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= value:
            return f"{n / value:.1f} {suffix}"
    return f"{n:.0f}"
