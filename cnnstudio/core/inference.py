"""Shape and parameter inference for a whole network, chain or graph, with exact Keras
parity.

Runs on every keystroke in the editor, so it does arithmetic only: arguments
were validated when the layer spec was made, and explanation texts are
formatted when someone asks for them. One pass in list order, which is a
topological order: a layer's inputs are always known before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cnnstudio.core.base_figures import PendingShape
from cnnstudio.core.catalogue import Shape
from cnnstudio.core.catalogue.common import rank_words, show_shape
from cnnstudio.core.graph import MODEL_INPUT, resolved_inputs
from cnnstudio.core.project import Project, layer_names
from cnnstudio.core.shape_math import Arithmetic, ShapeError


@dataclass(slots=True)
class LayerResult:
    """What Keras would report for one layer, or why Keras would refuse it.

    Treat it as read-only (not frozen only because frozen dataclasses are
    several times slower to make, and inference makes one per layer per keystroke).

    A layer downstream of an invalid one has no input to work from: its shape and
    counts are None and `error` is None (a branch that does not pass through the
    invalid layer is worked out as usual).
    """

    index: int
    name: str
    type: str
    input_shape: Shape | None
    output_shape: Shape | None
    trainable_params: int | None
    non_trainable_params: int | None
    error: str | None = None
    arithmetic: tuple[Arithmetic, ...] = ()
    pending: bool = False  # a pre-trained base still being measured: `error` says so
    problem: ShapeError | None = None  # the error itself, whose kind fixes read
    inputs: tuple[str, ...] = ()  # the names of the layers it takes ("input": the model's)
    input_shapes: tuple[Shape, ...] = ()  # theirs, for a merge; `input_shape` is the first

    @property
    def params(self) -> int | None:
        if self.trainable_params is None:
            return None
        return self.trainable_params + self.non_trainable_params

    @property
    def valid(self) -> bool:
        return self.output_shape is not None and self.error is None

    def arithmetic_lines(self) -> list[str]:
        """The sums behind the output size, one line per axis ("height: ... = 55")."""
        lines = [(a.axis, a.text()) for a in self.arithmetic]
        if len(lines) > 1 and len({text for _, text in lines}) == 1:
            return [f"{' and '.join(axis for axis, _ in lines)}: {lines[0][1]}"]
        return [f"{axis}: {text}" for axis, text in lines]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "inputs": list(self.inputs),
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "params": self.params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "error": self.error,
            **({"pending": True} if self.pending else {}),
        }


@dataclass(frozen=True, slots=True)
class ShapeReport:
    """Every layer's result, like ``model.summary()``, plus the first error."""

    input_shape: Shape
    layers: tuple[LayerResult, ...]
    error_index: int | None

    @property
    def valid(self) -> bool:
        return self.error_index is None

    @property
    def pending(self) -> LayerResult | None:
        """The layer whose figures are still being measured (a pre-trained base), if any."""
        if self.error_index is None or not self.layers[self.error_index].pending:
            return None
        return self.layers[self.error_index]

    def raise_if_invalid(self, error: Callable[[str], Exception] = ShapeError,
                         prefix: str = "") -> "ShapeReport":
        """The report, or `error("layers[3] (conv2d) is invalid: <why>")`: every step
        that needs a valid stack (build, train, export, import) refuses it in these words."""
        if self.error_index is not None:
            bad = self.layers[self.error_index]
            raise error(f"{prefix}layers[{bad.index}] ({bad.name}) is invalid: {bad.error}")
        return self

    @property
    def output_shape(self) -> Shape | None:
        if not self.valid:
            return None
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def trainable_params(self) -> int:
        return sum(r.trainable_params for r in self.layers if r.trainable_params is not None)

    @property
    def non_trainable_params(self) -> int:
        return sum(r.non_trainable_params for r in self.layers
                   if r.non_trainable_params is not None)

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    def to_json(self) -> dict[str, Any]:
        """The document ``cnnstudio shapes --json`` prints (DESIGN.md section 4)."""
        return {
            "valid": self.valid,
            "input_shape": list(self.input_shape),
            "layers": [r.to_json() for r in self.layers],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
        }


def infer(project: Project, bases: Mapping[str, Any] | None = None) -> ShapeReport:
    """Each layer's output shape and parameter counts, exactly as Keras computes them.

    `bases` holds the figures Keras measured for pre-trained bases (pass
    `base_figures.known_figures()`); a base not in it is reported as pending. The
    result depends on the arguments alone.
    """
    bases = bases if bases is not None else {}
    names = layer_names(project.layers)
    inputs = resolved_inputs(project.layers, names)
    outputs: dict[str, Shape | None] = {MODEL_INPUT: (None, *project.input_shape)}
    results = []
    first_error = None
    for index, (spec, name, sources) in enumerate(zip(project.layers, names, inputs)):
        shapes = [outputs[source] for source in sources]
        if any(shape is None for shape in shapes):  # downstream of an invalid layer
            results.append(LayerResult(index, name, spec.type, None, None, None, None,
                                       inputs=sources))
            outputs[name] = None
            continue
        result = _layer_result(index, name, spec, shapes, sources, bases)
        if result.error is not None and first_error is None:
            first_error = index
        outputs[name] = result.output_shape
        results.append(result)
    unused = _unused_layers(results, inputs)
    if unused and (first_error is None or unused[0] < first_error):
        first_error = unused[0]
    return ShapeReport((None, *project.input_shape), tuple(results), first_error)


def _layer_result(index: int, name: str, spec, shapes: list[Shape], sources: tuple[str, ...],
                  bases: Mapping[str, Any]) -> LayerResult:
    layer_type = spec.layer_type
    shape = shapes[0]
    try:
        if layer_type.merge is not None:
            out, steps = layer_type.merge(shapes, spec.resolved, list(sources))
            trainable, frozen = 0, 0
        elif layer_type.ranks and len(shape) not in layer_type.ranks:
            raise ShapeError(_rank_message(layer_type, shape))
        elif layer_type.measured is not None:
            out, trainable, frozen = layer_type.measured(shape, spec.resolved, bases)
            steps = None
        else:
            out, steps = layer_type.output(shape, spec.resolved)
            trainable, frozen = layer_type.weights(shape, spec.resolved)
        check_tensor_size(out, f"{spec.type} gives")
        if trainable + frozen > MAX_TENSOR_ELEMENTS:
            raise ShapeError(f"{spec.type} would have {trainable + frozen:,} weights, "
                             f"more than the {MAX_TENSOR_ELEMENTS:,} TensorFlow can hold "
                             "in one tensor. Use fewer units, filters or a smaller kernel.")
    except ShapeError as error:
        return LayerResult(index, name, spec.type, shape, None, None, None, str(error),
                           pending=isinstance(error, PendingShape), problem=error,
                           inputs=sources, input_shapes=tuple(shapes))
    if not spec.trainable:
        trainable, frozen = 0, trainable + frozen
    return LayerResult(index, name, spec.type, shape, out, trainable, frozen, None,
                       tuple(steps) if steps else (), inputs=sources,
                       input_shapes=tuple(shapes))


class Unconnected(ShapeError):
    """A layer whose output no later layer takes: Keras would leave it out of the model,
    which is never what the user drew."""


def _unused_layers(results: list[LayerResult], inputs: list[tuple[str, ...]]) -> list[int]:
    """Mark, with an Unconnected error, each layer before the last that no later layer
    takes; their indices. The last layer is the model's output."""
    taken = {source for sources in inputs for source in sources}
    unused = []
    for result in results[:-1]:
        if result.name in taken or result.output_shape is None or result.error is not None:
            continue
        output = results[-1].name
        result.problem = Unconnected(
            f"{result.name}'s output goes nowhere: no later layer takes it, and the model's "
            f"output is the last layer, {output}. Name {result.name} in a later layer's "
            "inputs (e.g. a merge such as Add or Concatenate), or delete it.")
        result.error = str(result.problem)
        unused.append(result.index)
    return unused


MAX_TENSOR_ELEMENTS = 2 ** 31 - 1
"""The most values one image's tensor may hold: TensorFlow's kernels index tensors with
32-bit integers, and a larger one aborts the process (SIGABRT) instead of raising."""


def check_tensor_size(shape: Shape, what: str) -> None:
    """A ShapeError, with the arithmetic, for a tensor too large for TensorFlow."""
    dims = [d for d in shape[1:] if d is not None]
    count = 1
    for d in dims:
        count *= d
    if count > MAX_TENSOR_ELEMENTS:
        sums = " x ".join(f"{d:,}" for d in dims)
        raise ShapeError(f"{what} {show_shape(shape)}: {sums} = {count:.3g} values per image, "
                         f"more than the {MAX_TENSOR_ELEMENTS:,} (2^31 - 1) TensorFlow can "
                         "hold in one image's tensor. Use smaller sizes (padding, input, "
                         "units or filters).")


def _rank_message(layer_type, shape: Shape) -> str:
    wanted = " or ".join(f"{r - 1}-D ({rank_words(r)})" for r in layer_type.ranks)
    return (f"{layer_type.name} expects a {wanted} input per sample, but receives "
            f"{show_shape(shape)}, which is {len(shape) - 1}-D. {layer_type.rank_hint}")
