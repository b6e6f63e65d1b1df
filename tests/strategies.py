"""Hypothesis strategies that draw layer stacks from the whole catalogue.

Values are drawn from each argument's declaration, mostly inside its valid range
and sometimes outside it, so tests cover valid stacks, stacks that Keras refuses
for their shapes, and arguments that Keras refuses outright.
"""

from __future__ import annotations

from hypothesis import strategies as st

from cnnstudio.core.arguments import REQUIRED, Arg, Kind
from cnnstudio.core.catalogue import LAYER_TYPES, LayerType
from cnnstudio.core.catalogue.applications import APPLICATION

SMALL = 6  # kernels, strides and the like: small enough to fit small inputs often


def _upper(arg: Arg, fallback: float) -> float:
    return arg.maximum if arg.maximum is not None else fallback


@st.composite
def valid_value(draw, arg: Arg):
    """A JSON value inside the argument's declared range."""
    kind = arg.kind
    lo = arg.minimum
    if kind is Kind.INT:
        if arg.name == "axis":
            return draw(st.sampled_from([-1, -1, -1, 1, 2, 3, -2, -3]))
        low = int(lo) if lo is not None else -3
        return draw(st.integers(low, low + (3 if arg.name in {"depth_multiplier"} else 40)))
    if kind is Kind.FLOAT:
        low = lo if lo is not None else -2.0
        high = _upper(arg, low + 3.0)
        value = draw(st.floats(low, high, allow_nan=False,
                               exclude_min=not arg.min_inclusive,
                               exclude_max=not arg.max_inclusive))
        return round(value, 3) if low <= round(value, 3) <= high else value
    if kind is Kind.BOOL:
        return draw(st.booleans())
    if kind is Kind.CHOICE:
        choice = draw(st.sampled_from(arg.choices))
        if arg.ignore_case and draw(st.integers(0, 5)) == 0:
            choice = choice.upper()
        return choice
    if kind is Kind.INT_TUPLE:
        low = int(lo)
        item = st.integers(low, SMALL if arg.name != "output_padding" else 2)
        if arg.length == 1 or draw(st.booleans()):
            return draw(item)
        return draw(st.lists(item, min_size=arg.length, max_size=arg.length))
    if kind is Kind.PAIR_OF_PAIRS:
        item = st.integers(0, 4)
        form = draw(st.integers(0, 3))
        if form == 0:
            return draw(item)
        if form == 1:
            return [draw(item), draw(item)]
        if form == 2:
            return [draw(item), [draw(item), draw(item)]]  # Keras takes mixed forms too
        return [[draw(item), draw(item)], [draw(item), draw(item)]]
    if kind is Kind.SHAPE:
        dims = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
        if draw(st.booleans()):
            dims[draw(st.integers(0, len(dims) - 1))] = -1
        return dims
    if kind is Kind.NOISE_SHAPE:
        return draw(st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=2, max_size=4))
    if kind is Kind.FACTOR:
        num = st.floats(-1.0, 1.0, allow_nan=False, exclude_min=not arg.min_inclusive)
        if draw(st.booleans()):
            return round(draw(num), 3) if arg.min_inclusive else draw(num)
        return [draw(num), draw(num)]  # in any order, as Keras takes them
    raise AssertionError(kind)


@st.composite
def invalid_value(draw, arg: Arg):
    """A value the declaration refuses (and so, the test checks, does Keras)."""
    kind = arg.kind
    if kind in (Kind.INT, Kind.INT_TUPLE) and arg.minimum is not None:
        bad = draw(st.integers(-3, int(arg.minimum) - 1))
        return bad if kind is Kind.INT or arg.length == 1 else [bad] * arg.length
    if kind is Kind.FLOAT and arg.maximum is not None:
        return arg.maximum + draw(st.floats(0.5, 3.0))
    if kind is Kind.FLOAT and arg.minimum is not None:
        return arg.minimum - draw(st.floats(0.5, 3.0))
    if kind is Kind.FACTOR:
        return draw(st.sampled_from([1.5, -1.5]))
    if kind is Kind.CHOICE and arg.name == "activation":
        return "no_such_activation"
    return None  # this kind has no value Keras is sure to refuse


@st.composite
def layer_dict(draw, layer_type: LayerType, allow_invalid: bool = True):
    params = {}
    for arg in layer_type.args:
        if not arg.required and draw(st.integers(0, 2)) == 0:
            continue  # left out: Keras's default
        value = None
        if allow_invalid and arg.keras_checks and draw(st.integers(0, 80)) == 0:
            value = draw(invalid_value(arg))
        if value is None:
            if arg.nullable and not arg.required and draw(st.integers(0, 4)) == 0:
                value = None
            else:
                value = draw(valid_value(arg))
        params[arg.name] = value
    layer = {"type": layer_type.name, "params": params}
    if draw(st.integers(0, 6)) == 0:
        layer["trainable"] = False
    return layer


def _accepts(layer_type: LayerType, rank: int) -> bool:
    return not layer_type.ranks or rank in layer_type.ranks


def _next_rank(layer: dict, rank: int) -> int:
    name = layer["type"]
    if name == "Flatten" or (name.startswith("Global") and not layer["params"].get("keepdims")):
        return 2
    if name == "Reshape":
        target = layer["params"].get("target_shape")
        return len(target) + 1 if isinstance(target, list) else rank
    return rank


@st.composite
def stacks(draw, max_layers: int = 10, allow_invalid: bool = True):
    """(input_shape, layers): a project body, layer types chosen mostly to fit the rank."""
    rank = draw(st.sampled_from([2, 3, 4, 4, 4]))
    dim = st.one_of(st.integers(1, 12), st.integers(16, 64), st.integers(16, 64))
    input_shape = [draw(dim) for _ in range(rank - 1)]
    if draw(st.integers(0, 6)) == 0:
        input_shape[draw(st.integers(0, rank - 2))] = None
    names = sorted(n for n in LAYER_TYPES  # merges take several inputs: see `graphs`
                   if n != APPLICATION.name and LAYER_TYPES[n].merge is None)  # seconds to build each:
    layers = []  # tests/engine/test_applications.py checks pre-trained bases against Keras
    for _ in range(draw(st.integers(1, max_layers))):
        fitting = [n for n in names if _accepts(LAYER_TYPES[n], rank)]
        pool = fitting if fitting and draw(st.integers(0, 9)) else names
        layer = draw(layer_dict(LAYER_TYPES[draw(st.sampled_from(pool))], allow_invalid))
        layers.append(layer)
        rank = _next_rank(layer, rank)
    return input_shape, layers


# Graphs ------------------------------------------------------------------------------

BRANCH_TYPES = ("Conv2D", "Conv2D", "Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D",
                "AveragePooling2D", "DepthwiseConv2D", "SeparableConv2D", "Dropout",
                "ZeroPadding2D", "Cropping2D", "Activation")
ELEMENTWISE = ("Add", "Add", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


class _GraphDraw:
    """Layers of a graph as they are drawn: unique names, each naming its inputs."""

    def __init__(self, draw, allow_invalid: bool, width: int) -> None:
        self.draw, self.allow_invalid, self.layers = draw, allow_invalid, []
        self.width = width  # most convolutions keep the channels: many merges fit

    def add(self, layer: dict, inputs: list[str]) -> str:
        name = f"n{len(self.layers)}"
        self.layers.append({**layer, "name": name, "inputs": inputs})
        return name

    def branch_layer(self, source: str) -> str:
        draw = self.draw
        type_name = draw(st.sampled_from(BRANCH_TYPES))
        layer = draw(layer_dict(LAYER_TYPES[type_name], self.allow_invalid))
        if type_name in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "SeparableConv2D",
                         "DepthwiseConv2D") and draw(st.integers(0, 3)):
            layer["params"]["padding"] = "same"  # mostly shape-keeping, as real blocks are
            if draw(st.integers(0, 2)):
                layer["params"].pop("strides", None)
                layer["params"].pop("dilation_rate", None)
        if "filters" in layer["params"] and draw(st.integers(0, 2)):
            layer["params"]["filters"] = self.width
        return self.add(layer, [source])

    def branch(self, source: str, most: int = 3) -> str:
        for _ in range(self.draw(st.integers(0, most))):
            source = self.branch_layer(source)
        return source

    def projection(self, source: str) -> str:
        """A 1x1 Conv2D shortcut, its filters and strides drawn (a mismatch now and then)."""
        draw = self.draw
        params = {"filters": draw(st.sampled_from([self.width, draw(st.integers(1, 12))])),
                  "kernel_size": 1}
        if draw(st.booleans()):
            params["strides"] = draw(st.integers(1, 3))
        return self.add({"type": "Conv2D", "params": params}, [source])

    def merge(self, kind: str, sources: list[str]) -> str:
        params = {}
        if kind == "Concatenate" and self.draw(st.integers(0, 4)) == 0:
            params["axis"] = self.draw(st.sampled_from([1, 2, 3, -2, -3, 4]))
        return self.add({"type": kind, "params": params}, sources)


@st.composite
def graphs(draw, max_blocks: int = 3, allow_invalid: bool = True):
    """(input_shape, layers) of a branching network: residual blocks (identity or projection
    shortcuts, merged by Add or another element-wise merge), inception-like blocks (2 to 4
    branches concatenated) and dense-like blocks (each step concatenates all before it).
    Arguments are drawn from the catalogue, so merges of mismatched shapes come often."""
    size = st.one_of(st.integers(4, 12), st.integers(16, 32))
    width = draw(st.integers(1, 8))
    input_shape = [draw(size), draw(size), width]
    if draw(st.integers(0, 8)) == 0:
        input_shape[draw(st.integers(0, 1))] = None
    g = _GraphDraw(draw, allow_invalid and draw(st.integers(0, 2)) == 0, width)
    x = "input"
    if draw(st.booleans()):
        x = g.branch_layer(x)
    for _ in range(draw(st.integers(1, max_blocks))):
        block = draw(st.sampled_from(["residual", "inception", "dense"]))
        if block == "residual":
            body = g.branch(x)
            shortcut = g.projection(x) if draw(st.booleans()) else x
            sources = [body, shortcut] if draw(st.integers(0, 4)) else [shortcut, body]
            if len(set(sources)) == 1:
                sources = [x, g.branch_layer(x)]
            x = g.merge(draw(st.sampled_from(ELEMENTWISE)), sources)
        elif block == "inception":
            branches = [g.branch(x, 2) for _ in range(draw(st.integers(2, 4)))]
            x = g.merge("Concatenate", list(dict.fromkeys(branches)))
        else:
            taken = [x]
            for _ in range(draw(st.integers(1, 3))):
                grown = g.branch_layer(taken[0] if len(taken) == 1 else
                                       g.merge("Concatenate", list(taken)))
                taken.append(grown)
            x = g.merge("Concatenate", taken)
    if draw(st.booleans()):
        x = g.add({"type": "GlobalAveragePooling2D", "params": {}}, [x])
        g.add({"type": "Dense", "params": {"units": draw(st.integers(1, 10))}}, [x])
    return input_shape, g.layers


__all__ = ["REQUIRED", "graphs", "layer_dict", "stacks"]
