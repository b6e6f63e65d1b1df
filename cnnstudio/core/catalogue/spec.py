"""The shape of one layer declaration: what every part of CNN Studio reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping

from cnnstudio.core.arguments import Arg
from cnnstudio.core.shape_math import Arithmetic

Shape = tuple[int | None, ...]
"""A tensor shape with the batch axis first (always None), as Keras prints it."""

Resolved = dict[str, Any]
"""A layer's arguments with defaults filled in and ints expanded to tuples."""

OutputRule = Callable[[Shape, Resolved], tuple[Shape, list[Arithmetic] | None]]
WeightRule = Callable[[Shape, Resolved], tuple[int, int]]
ArgsCheck = Callable[[Resolved, str], None]
FormulaRule = Callable[[Shape, Resolved], str]
MacsRule = Callable[[Shape, Shape, Resolved], int]
MergeRule = Callable[[list[Shape], Resolved, list[str]], tuple[Shape, list[Arithmetic] | None]]
"""For a merge layer: the output shape from every input's shape (their layers' names
for messages), as Keras's merge layers compute it."""
MeasuredRule = Callable[[Shape, Resolved, Mapping[str, Any]], tuple[Shape, int, int]]
"""For a layer whose figures Keras measures (a pre-trained base): the output shape and
(trainable, non-trainable) counts from the measured figures passed to the shape engine."""
WindowRule = Callable[[Resolved], tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]
"""A sliding window's (kernel, strides, dilation), for the receptive field."""
TorchRule = Callable[[Shape, Resolved], list[str]]
"""The PyTorch modules standing for one layer, as constructor expressions in text.

Called with the layer's channels-last input shape (batch None) and resolved
arguments; returns e.g. ``["nn.Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1),
padding=0)", "nn.ReLU()"]`` for a channels-first model. An empty list means the
layer does nothing PyTorch needs to do (``nn.Identity()``). Raises
`NoTorchEquivalent` for argument values PyTorch cannot express exactly.
"""


class NoTorchEquivalent(Exception):
    """A layer's arguments have no exact PyTorch counterpart; the message says which.

    Raised by a torch rule rather than writing code that would only look right:
    an export that guesses would give a model whose weights cannot be carried over.
    """


class Category(str, Enum):
    CONVOLUTION = "Convolution"
    POOLING = "Pooling"
    CORE = "Core"
    REGULARIZATION = "Regularization"
    NORMALIZATION = "Normalization"
    RESHAPING = "Reshaping"
    MERGE = "Merge"
    ACTIVATION = "Activation"
    PREPROCESSING = "Preprocessing/Augmentation"
    PRETRAINED = "Pre-trained"


def no_weights(shape: Shape, a: Resolved) -> tuple[int, int]:
    return 0, 0


@dataclass(frozen=True)
class LayerType:
    """Everything CNN Studio knows about one Keras layer class.

    `output` maps an input shape to the output shape (raising ShapeError where
    Keras raises); `weights` counts (trainable, non_trainable) parameters for
    a trainable layer; `ranks` lists the input ranks, batch axis included,
    that the layer accepts (empty: any rank of at least 2); `check` refuses
    argument combinations that Keras's constructor refuses; `formula` writes
    the parameter count out with the layer's numbers; `macs` counts the
    multiply-adds per sample (for FLOPs) where they are worth counting;
    `augments` marks the random augmentations that act only in training;
    `torch` writes the PyTorch modules for the layer (None: no equivalent,
    which the PyTorch export names instead of guessing).
    """

    name: str
    category: Category
    summary: str
    args: tuple[Arg, ...]
    output: OutputRule
    weights: WeightRule = no_weights
    ranks: tuple[int, ...] = ()
    rank_hint: str = ""
    check: ArgsCheck | None = None
    formula: FormulaRule | None = None
    macs: MacsRule | None = None
    augments: bool = False
    """A random image augmentation, active only in training; the Data page offers these."""
    torch: TorchRule | None = None
    """The PyTorch script export's code for this layer (see `TorchRule`)."""
    window: WindowRule | None = None
    """For a layer that slides a window over its input (convolution, pooling): how it
    widens the receptive field. None: it passes each value's field on unchanged."""
    drops: bool = False
    """Zeroes values at random during training (Dropout and kin): the Evaluate page's
    dropout view shows its mask, and the overfitting advice counts it."""
    regularizes: bool = False
    """Fights overfitting by noise in training (dropout, Gaussian noise)."""
    opaque: bool = False
    """A whole network in one layer (a pre-trained base): receptive fields are not
    followed through it, and it is built, trained and exported as a base."""
    measured: MeasuredRule | None = None
    """The layer's figures come from measuring it (see `MeasuredRule`), not arithmetic."""
    merge: MergeRule | None = None
    """A merge layer (Add, Concatenate, ...): it takes several inputs and `merge` computes
    its output from all of them; `output` is never called. Any other layer takes one."""
    inputs_allowed: tuple[int, int | None] = (1, 1)
    """How many inputs the layer takes, at least and at most (None: no limit)."""
    arg_index: dict[str, Arg] = field(init=False, repr=False, compare=False)
    snake_name: str = field(init=False, repr=False, compare=False)
    """The prefix Keras gives automatic names (``MaxPooling2D`` -> ``max_pooling2d``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "arg_index", {a.name: a for a in self.args})
        object.__setattr__(self, "snake_name", to_snake_case(self.name))

    @property
    def key_args(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.key)

    def initial_params(self) -> dict[str, Any]:
        """The params a palette inserts: every required argument, with a usable value."""
        return {a.name: a.initial_value() for a in self.args if a.required or a.initial is not None}


def sliding_window(a: Resolved) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The window of a convolution (`kernel_size`) or a pooling layer (`pool_size`, whose
    strides default to the pool size)."""
    kernel = a.get("kernel_size") or a["pool_size"]
    return kernel, a.get("strides") or kernel, a.get("dilation_rate") or (1,) * len(kernel)


def to_snake_case(name: str) -> str:
    """Keras's own rule (``keras/src/utils/naming.py``), so names match Keras's."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
