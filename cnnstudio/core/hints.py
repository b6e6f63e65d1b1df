"""Architecture hints: rules of thumb a learner needs, each saying why.

Hints never block anything: a stack with hints is still valid (Keras would
build it). Each hint names its layer and, where the remedy is clear, carries
a one-click fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from cnnstudio.core import edits
from cnnstudio.core.catalogue.regularization import noise_shape_problem
from cnnstudio.core.catalogue.spec import Category
from cnnstudio.core.fixes import Fix
from cnnstudio.core.inference import ShapeReport
from cnnstudio.core.project import LayerSpec, Project

BIG_DENSE_INPUT = 16_384
HUGE_FLATTEN = 10_000


@dataclass(frozen=True)
class Hint:
    index: int
    title: str
    why: str
    fix: Fix | None = None

    def text(self) -> str:
        return f"{self.title}. {self.why}"


def architecture_hints(project: Project, report: ShapeReport,
                       class_count: int | None = None) -> list[Hint]:
    """Every hint for the valid part of the stack, in layer order. Their fixes are tried
    on the shape engine where they are offered (fixes.sound_fixes), not here: this
    runs at every edit."""
    hints: list[Hint] = []
    layers = project.layers
    last_dense = max((i for i, s in enumerate(layers) if s.type == "Dense"), default=None)
    for i, (spec, result) in enumerate(zip(layers, report.layers)):
        if result.output_shape is None:
            continue  # no input to judge it by
        a = spec.resolved
        kernel = a.get("kernel_size")
        if spec.layer_type.category is Category.CONVOLUTION and any(k % 2 == 0 and k > 1
                                                                    for k in kernel):
            odd = _odd_kernel(kernel, result.input_shape)
            hints.append(Hint(i, f"Even kernel size {'x'.join(map(str, kernel))}",
                              "An even kernel has no centre pixel, so each output is shifted "
                              "half a pixel against its input and 'same' padding is uneven; "
                              "odd sizes (3, 5, 7) are the convention.",
                              Fix(f"Use kernel_size {'x'.join(map(str, odd))}",
                                  lambda p, i=i, odd=odd: edits.set_param(
                                      p, i, "kernel_size", odd[0] if len(set(odd)) == 1
                                      else odd))))
        if spec.type == "Dropout" and a["rate"] > 0.5:
            hints.append(Hint(i, f"Dropout rate {a['rate']:g} is above 0.5",
                              "Dropping more than half of the values each step removes most "
                              "of the signal; the network learns slowly or not at all. "
                              "0.2 to 0.5 is the usual range.",
                              Fix("Set rate to 0.5",
                                  lambda p, i=i: edits.set_param(p, i, "rate", 0.5))))
        if spec.type == "Dropout":
            problem = noise_shape_problem(result.input_shape, a["noise_shape"])
            if problem:
                hints.append(Hint(i, "noise_shape does not fit", problem))
        if spec.layer_type.augments and len(result.input_shape) != 4:
            hints.append(Hint(i, f"{spec.type} on a tensor that is not an image",
                              f"Keras builds it, but in training it fails or treats the whole "
                              f"batch as one picture: augmentation layers need images "
                              f"(height, width, channels), and this input is "
                              f"{len(result.input_shape) - 1}-D per sample. Put it right after "
                              f"an image input."))
        if spec.type == "Dense":
            hints.extend(_dense_hints(project, report, i, i == last_dense, class_count))
        if spec.type == "Flatten" and len(result.input_shape) == 4:
            hints.extend(_flatten_hints(project, report, i))
    return sorted(hints, key=lambda h: h.index)


def _dense_hints(project: Project, report: ShapeReport, i: int, is_output: bool,
                 class_count: int | None) -> list[Hint]:
    spec, result = project.layers[i], report.layers[i]
    a = spec.resolved
    found = []
    inputs = result.input_shape[-1]
    if inputs is not None and inputs > BIG_DENSE_INPUT:
        share = result.params / max(report.total_params, 1)
        found.append(Hint(i, f"Dense on {inputs:,} values",
                          f"This layer alone holds {result.params:,} weights ({share:.0%} of "
                          f"the model): it is slow, memory-hungry and overfits. Pool or "
                          f"stride more before Flatten, or use GlobalAveragePooling2D."))
    if not is_output:
        return found
    if len(result.output_shape) > 2:
        found.append(Hint(i, "The output layer gets a multi-axis tensor",
                          f"Dense acts on the last axis only, so it gives one prediction per "
                          f"position: {tuple(result.output_shape)}. Flatten (or pool) first "
                          f"to get one prediction per sample.",
                          Fix("Insert Flatten before this layer",
                              lambda p: edits.insert_between(
                                  p, i, p.layer_inputs()[i][0], LayerSpec("Flatten")))))
    units, activation = a["units"], a["activation"]
    if activation == "softmax" and units == 1:
        found.append(Hint(i, "softmax over one unit",
                          "softmax makes the outputs sum to 1, so a single unit always "
                          "outputs 1.0 and nothing is learned. For two classes use one "
                          "sigmoid unit; for N classes, N softmax units.",
                          Fix("Use sigmoid",
                              lambda p: edits.set_param(p, i, "activation", "sigmoid"))))
    if activation == "sigmoid" and units > 1:
        found.append(Hint(i, f"sigmoid with {units} units",
                          "sigmoid scores each unit on its own (several labels per sample). "
                          "For exactly one class per sample use softmax, so the "
                          "probabilities compete and sum to 1.",
                          Fix("Use softmax",
                              lambda p: edits.set_param(p, i, "activation", "softmax"))))
    if class_count is not None and units != class_count and not (class_count == 2
                                                                 and units == 1):
        found.append(Hint(i, f"{units} output units for {class_count} classes",
                          "The last layer needs one unit per class of the data set.",
                          Fix(f"Set units to {class_count}",
                              lambda p: edits.set_param(p, i, "units", class_count))))
    return found


def _flatten_hints(project: Project, report: ShapeReport, i: int) -> list[Hint]:
    shape = report.layers[i].input_shape
    size = prod(d for d in shape[1:] if d is not None)
    found = []
    if size > HUGE_FLATTEN and shape[1:3] == report.input_shape[1:3]:
        found.append(Hint(i, "No down-sampling before Flatten",
                          f"The image reaches Flatten at full size {shape[1]}x{shape[2]}, so "
                          f"the next Dense layer gets {size:,} inputs. Add MaxPooling2D or "
                          f"strides above to shrink it first."))
    if size > BIG_DENSE_INPUT:
        found.append(Hint(i, f"Flatten gives {size:,} values",
                          "GlobalAveragePooling2D keeps one value per channel instead, "
                          "with far fewer weights in the Dense layer after it.",
                          Fix("Replace with GlobalAveragePooling2D",
                              lambda p: edits.replace_layer(
                                  p, i, LayerSpec("GlobalAveragePooling2D")))))
    return found


def _odd_kernel(kernel: tuple[int, ...], input_shape) -> list[int]:
    """The nearest odd sizes: one up where the input leaves room, else one down."""
    dims = list(input_shape[1:-1]) if input_shape is not None else [None] * len(kernel)
    return [k if k % 2 or k <= 1 else (k + 1 if d is None or k + 1 <= d else k - 1)
            for k, d in zip(kernel, dims)]
