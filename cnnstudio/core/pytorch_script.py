"""Export a project as a standalone PyTorch script (`cnnstudio export --to pytorch-script`).

The script rebuilds the project's network with PyTorch modules, one named child
per Keras layer, so that a learner can compare the two frameworks line by line
and carry weights over. What each layer becomes is declared with the layer, in
the catalogue (`LayerType.torch`, helpers in catalogue/torch_common.py); this
module only assembles the text, so it imports neither torch, TensorFlow nor Qt.

Layers with no PyTorch equivalent are never guessed. A training-only
augmentation (Random*) does nothing at inference, so it becomes ``nn.Identity()``
with a comment; any other makes `build_model()` raise NotImplementedError naming
it. Both are listed in `ScriptExport.unsupported`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.catalogue import get_layer_type
from cnnstudio.core.catalogue.spec import NoTorchEquivalent, Shape
from cnnstudio.core.catalogue.torch_common import TorchHelper, helpers_used
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.core.inference import LayerResult, ShapeReport, infer
from cnnstudio.core.project import LayerSpec, Project
from cnnstudio.core.source_text import (
    comment_text, docstring_text, identifier, py_literal, py_string,
)

INDENT = " " * 8  # the layer list inside build_model()


@dataclass(frozen=True)
class ScriptExport:
    """The script's text, and one sentence per layer it could not translate."""

    text: str
    unsupported: list[str]


@dataclass(frozen=True)
class _Layer:
    """One Keras layer as it appears in build_model(): comment lines and its module."""

    comments: tuple[str, ...]
    name: str
    module: str | None  # the module expression; None where nothing is written
    problem: str | None = None  # the sentence for ScriptExport.unsupported
    blocks: bool = False  # build_model() raises at this layer
    frozen: bool = False

    @property
    def code(self) -> str:
        """The ("name", module) entry of a chain's layer list."""
        return "" if self.module is None else f"({py_string(self.name)}, {self.module}),"


def pytorch_script(project: Project) -> ScriptExport:
    """The PyTorch script for a project, and the layers it had to leave out.

    Raises ShapeError, naming the layer, for a stack Keras itself would refuse:
    the script is written from each layer's input shape, which must be known.
    """
    report = infer(project, known_figures())
    _check(report)
    layers = [_layer(index, spec, result)
              for index, (spec, result) in enumerate(zip(project.layers, report.layers))]
    helpers = helpers_used(layer.code for layer in layers)
    model = (_graph_model(layers, report) if project.is_graph else _build_model(layers))
    text = "\n".join([
        _header(project, layers),
        _imports(helpers),
        _input_constants(project.input_shape),
        *_helper_sources(helpers),
        model,
        _support(layers, project.is_graph),
        _MAIN,
    ])
    return ScriptExport(text, [layer.problem for layer in layers if layer.problem])


def _check(report: ShapeReport) -> None:
    """Refuse an invalid stack, except where the bad layer is one PyTorch cannot build
    anyway while it is still being measured (a pre-trained base): the script then
    raises at that layer and the layers after it are not written."""
    if report.valid:
        return
    bad = report.layers[report.error_index]
    pending = getattr(bad, "pending", False)  # LayerResult.pending: a base being measured
    spec_type = get_layer_type(bad.type)
    if not (pending and spec_type is not None and spec_type.torch is None
            and not spec_type.augments):
        report.raise_if_invalid()


# One layer -----------------------------------------------------------------------------

def _layer(index: int, spec: LayerSpec, result: LayerResult) -> _Layer:
    """The code for one layer: its torch rule's modules, or why there are none."""
    where = f"layer {index + 1} {result.name!r} ({spec.type})"
    layer_type = spec.layer_type
    if result.input_shape is None:
        return _Layer((f"{comment_text(where)}: not written; it comes after a layer PyTorch "
                       f"cannot build.",), result.name, None)
    if layer_type.torch is None and layer_type.augments:
        problem = f"{where}: no PyTorch equivalent; left out (it acts only in training)"
        note = "acts only in training and has no PyTorch equivalent: left out (identity)"
        return _Layer(_describe(spec, result, note), result.name, _module(["nn.Identity()"]),
                      problem)
    try:
        if layer_type.torch is None:
            raise NoTorchEquivalent("no PyTorch equivalent")
        modules = layer_type.torch(result.input_shape, spec.resolved)
    except NoTorchEquivalent as error:
        problem = f"{where}: {error}"
        return _Layer(_describe(spec, result, "has no PyTorch equivalent"), result.name,
                      f"unsupported({py_string(problem)})",
                      f"{problem}; build_model() raises NotImplementedError", blocks=True)
    if not spec.trainable:
        return _Layer(_describe(spec, result, "trainable=False: its weights are frozen"),
                      result.name, _module(modules, frozen=True), frozen=True)
    return _Layer(_describe(spec, result), result.name, _module(modules))


def _module(modules: list[str], frozen: bool = False) -> str:
    """One module expression; several modules are grouped in an nn.Sequential."""
    if not modules:
        module = "nn.Identity()"
    elif len(modules) == 1:
        module = modules[0]
    else:
        inner = "".join(f"{INDENT}    {m},\n" for m in modules)
        module = f"nn.Sequential(\n{inner}{INDENT})"
    if frozen:
        module = f"frozen({module})"
    return module


def _describe(spec: LayerSpec, result: LayerResult, note: str = "") -> tuple[str, ...]:
    """The comment above a layer: the Keras layer it stands for and its output shape."""
    call = ", ".join(f"{key}={value!r}" for key, value in spec.params.items())
    first = f"{result.name}: Keras {spec.type}({call})"
    if note:
        first += f"; {note}"
    if result.output_shape is None:
        return (comment_text(first),)
    params = f"{result.params:,} params"
    if result.non_trainable_params:
        params += f" ({result.non_trainable_params:,} non-trainable)"
    second = (f"  Keras output {_shape(result.output_shape)} -> here "
              f"{_shape(torch_shape(result.output_shape), batch='N')}; {params}")
    return comment_text(first), second


def torch_shape(shape: Shape) -> Shape:
    """A channels-last shape in PyTorch's channels-first order: (N, C, *spatial)."""
    if len(shape) <= 2:
        return shape
    return (shape[0], shape[-1], *shape[1:-1])


def _shape(shape: Shape, batch: str = "None") -> str:
    sizes = [batch] + ["None" if d is None else str(d) for d in shape[1:]]
    return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"




# The script's parts ----------------------------------------------------------------------

def _header(project: Project, layers: list[_Layer]) -> str:
    problems = [layer.problem for layer in layers if layer.problem]
    lines = [
        f'"""PyTorch version of the CNN Studio project "{docstring_text(comment_text(project.name))}".',
        "",
        "Written by CNN Studio from the project's Keras layers: build_model() returns an",
        "nn.Sequential with one child per Keras layer, named as in Keras, each commented",
        "with the Keras layer it stands for and that layer's Keras output shape.",
        "",
        "Tensors here are channels-first, (N, C, H, W), as PyTorch expects, while Keras",
        "(and CNN Studio) is channels-last, (N, H, W, C). The input "
        f"{_shape((None, *project.input_shape))}",
        f"in Keras is {_shape(torch_shape((None, *project.input_shape)), batch='N')} here. "
        "Flatten and Reshape lay values out in Keras's",
        "order, so weights trained in Keras can be carried over (Keras kernels must be",
        "transposed to PyTorch's (out, in, *kernel) layout).",
    ]
    if problems:
        lines += ["", "Layers with no PyTorch equivalent:"]
        lines += [f"- {docstring_text(comment_text(p))}" for p in problems]
    lines += [
        "",
        "Run it to print a summary (layer, output shape, parameters); --summary-json",
        "prints the same as JSON, one object per Keras layer.",
        '"""',
    ]
    return "\n".join(lines) + "\n"


_IMPORTS = '''from __future__ import annotations

import argparse
import json
{math}
import torch
{functional}from torch import nn
'''


def _imports(helpers: list[TorchHelper]) -> str:
    """The imports, `math` and `F` only where a helper uses them."""
    source = "".join(helper.source for helper in helpers)
    return _IMPORTS.format(math="import math\n" if "math." in source else "",
                           functional="import torch.nn.functional as F\n" if "F." in source
                           else "")


def _input_constants(input_shape: Shape) -> str:
    shape = torch_shape((None, *input_shape))[1:]
    return (f"INPUT_SHAPE = {py_literal(shape)}\n"
            '"""One sample, channels-first; None marks a size that may vary."""\n\n'
            "EXAMPLE_SIZES = (128, 160)\n"
            '"""Sizes the summary tries for a size that may vary (None)."""\n')


def _helper_sources(helpers: list[TorchHelper]) -> list[str]:
    """The catalogue's helper classes the layers use: Keras behaviours PyTorch has no
    module for, defined in the script so that it stands alone."""
    if not helpers:
        return []
    title = "\n# Keras behaviours PyTorch has no module for ---------------------------------\n"
    return [title] + ["\n" + helper.source for helper in helpers]


def _build_model(layers: list[_Layer]) -> str:
    lines = [
        "",
        "def build_model() -> nn.Sequential:",
        '    """The project\'s layers in order, one named child per Keras layer."""',
        "    return sequential([",
    ]
    lines += _layer_lines(layers, lambda layer: layer.code)
    lines.append("    ])")
    return "\n".join(lines) + "\n"


def _layer_lines(layers: list[_Layer], code) -> list[str]:
    """Each layer's comment lines, then `code(layer)` where the layer is written."""
    lines = []
    for layer in layers:
        lines += [f"{INDENT}# {text}" for text in layer.comments]
        if layer.module is not None:
            lines.append(f"{INDENT}{code(layer)}")
    return lines


def _graph_model(layers: list[_Layer], report: ShapeReport) -> str:
    """A graph as an nn.Module: one attribute per Keras layer, and a forward() that calls
    them along the graph's connections, a merge with every tensor it takes."""
    attributes = _attributes([layer.name for layer in layers])
    variables = {MODEL_INPUT: "x", **attributes}
    lines = [
        "",
        "class Network(nn.Module):",
        '    """The project\'s layers, one named child per Keras layer; forward() follows',
        '    the connections of the Keras model (branches, shortcuts and merges)."""',
        "",
        "    def __init__(self) -> None:",
        "        super().__init__()",
    ]
    lines += _layer_lines(layers, lambda layer: f"self.{attributes[layer.name]} = {layer.module}")
    lines += ["", "    def forward(self, x: torch.Tensor) -> torch.Tensor:"]
    written = [(layer, result) for layer, result in zip(layers, report.layers)
               if layer.module is not None]
    for layer, result in written:
        taken = ", ".join(variables[source] for source in result.inputs)
        lines.append(f"{INDENT}{variables[layer.name]} = self.{attributes[layer.name]}({taken})")
    lines.append(f"{INDENT}return {variables[written[-1][0].name] if written else 'x'}")
    lines += ["", "", "def build_model() -> nn.Module:",
              '    """The network, built layer by layer as in Keras."""',
              "    return Network()"]
    return "\n".join(lines) + "\n"


MODULE_NAMES = frozenset({"forward", "training", "train", "eval", "parameters", "children",
                          "modules", "state_dict", "to", "cuda", "cpu", "type", "float",
                          "double", "half", "apply", "zero_grad", "add_module", "x", "self",
                          "torch", "nn", "F", "math"})


def _attributes(names: list[str]) -> dict[str, str]:
    """A Python name for each layer (PyTorch refuses '.' in a child's name and a name
    nn.Module already has)."""
    taken = set(MODULE_NAMES)
    return {name: identifier(name, taken) for name in names}


def _support(layers: list[_Layer], graph: bool = False) -> str:
    """`sequential` for a chain, and `frozen` / `unsupported` where a layer uses them."""
    parts = [] if graph else [_SEQUENTIAL]
    if any(layer.frozen for layer in layers):
        parts.append(_FROZEN)
    if any(layer.blocks for layer in layers):
        parts.append(_UNSUPPORTED)
    return "\n".join(parts)


_SEQUENTIAL = '''
def sequential(layers: list[tuple[str, nn.Module]]) -> nn.Sequential:
    """An nn.Sequential whose children carry the Keras layer names.

    PyTorch refuses a '.' in a child's name, and a name that is already an
    attribute of nn.Sequential (such as 'forward'): those get a '_' instead, or
    one added.
    """
    model = nn.Sequential()
    for name, module in layers:
        name = name.replace(".", "_")
        while hasattr(model, name):
            name += "_"
        model.add_module(name, module)
    return model
'''

_FROZEN = '''
def frozen(module: nn.Module) -> nn.Module:
    """A layer with trainable=False in Keras: its weights are not trained.

    (Keras also runs a frozen BatchNormalization in inference mode; here call
    .eval() on it after model.train() to do the same.)
    """
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module
'''

_UNSUPPORTED = '''
def unsupported(message: str) -> nn.Module:
    """A Keras layer PyTorch has no equivalent for: building the model stops here."""
    raise NotImplementedError(message)
'''

_MAIN = '''
# Summary ------------------------------------------------------------------------------


def count_params(module: nn.Module) -> tuple[int, int]:
    """(trainable, non-trainable) values, as Keras counts them: frozen parameters and
    buffers such as BatchNorm's running mean and variance are non-trainable
    (num_batches_tracked, which Keras does not have, is not counted)."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen_values = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for name, b in module.named_buffers()
                  if not name.endswith("num_batches_tracked"))
    return trainable, frozen_values + buffers


def output_shapes(model: nn.Module, fill: int) -> list[tuple[int, ...]]:
    """Each child's output shape (without the batch) for a dummy batch of two, in the
    order of the children (the Keras layers)."""
    x = torch.zeros(2, *(fill if n is None else n for n in INPUT_SHAPE))
    shapes = {}
    hooks = [module.register_forward_hook(
                 lambda module, args, out, name=name: shapes.__setitem__(name, out.shape[1:]))
             for name, module in model.named_children()]
    model.eval()
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return [tuple(shapes[name]) for name, _ in model.named_children()]


def summarize(model: nn.Module) -> list[dict]:
    """One row per Keras layer: name, output shape (channels-first, batch None), and
    the trainable and non-trainable parameter counts.

    Shapes are measured on a dummy batch. Where the input has a size that may
    vary, two sizes are tried and an output size that follows them is None, as
    Keras prints it.
    """
    sizes = EXAMPLE_SIZES if None in INPUT_SHAPE else EXAMPLE_SIZES[:1]
    runs = [output_shapes(model, fill) for fill in sizes]
    rows = []
    for index, (name, module) in enumerate(model.named_children()):
        per_run = list(zip(*(run[index] for run in runs)))
        shape = [None] + [dims[0] if len(set(dims)) == 1 else None for dims in per_run]
        trainable, non_trainable = count_params(module)
        rows.append({"name": name, "output_shape": shape, "trainable_params": trainable,
                     "non_trainable_params": non_trainable})
    return rows


def print_table(rows: list[dict]) -> None:
    """A table like Keras's model.summary(), with PyTorch's shapes."""
    def shape_text(shape: list) -> str:
        return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"

    print(f"{'Layer':<28} {'Output shape (N, C, ...)':<28} {'Params':>12}")
    print("-" * 70)
    for row in rows:
        params = row["trainable_params"] + row["non_trainable_params"]
        print(f"{row['name']:<28} {shape_text(row['output_shape']):<28} {params:>12,}")
    print("-" * 70)
    trainable = sum(row["trainable_params"] for row in rows)
    non_trainable = sum(row["non_trainable_params"] for row in rows)
    print(f"Total params: {trainable + non_trainable:,}")
    print(f"Trainable params: {trainable:,}")
    print(f"Non-trainable params: {non_trainable:,}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary-json", action="store_true",
                        help="print each layer's output shape and parameters as JSON")
    args = parser.parse_args(argv)
    try:
        model = build_model()
    except NotImplementedError as error:
        raise SystemExit(f"Cannot build the model: {error}") from None
    rows = summarize(model)
    if args.summary_json:
        print(json.dumps(rows))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
'''
