"""Pre-trained bases: a keras.applications network built, cut, loaded and unfrozen.

The catalogue entry (cnnstudio.core.catalogue.applications) says what the user
chose; this builds it. `measure` builds it without weights to learn its output
shape and weight counts for the shape engine; `build_base` builds it for
training, with the weights of a local file (never a download).
"""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.core.base_figures import BaseFigures, figures_key, remember
from cnnstudio.core.catalogue.applications import APPLICATIONS
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.shape_math import ShapeError
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()


class WeightsError(CnnStudioError):
    """A base's weights file is missing or does not fit it."""


def _network(a: dict[str, Any], input_shape: tuple[int, ...]):
    """The whole base without its top and without weights (never a download)."""
    make = getattr(keras.applications, a["application"], None)
    if make is None:  # the catalogue's choices are Keras's; an older Keras may lack one
        raise ShapeError(f"This Keras ({keras.__version__}) has no application "
                         f"{a['application']!r}; choose one of {', '.join(APPLICATIONS)}.")
    pooling = None if a["cut"] else a["pooling"]
    try:
        return make(include_top=False, weights=None, input_shape=tuple(input_shape),
                    pooling=pooling)
    except ValueError as error:
        raise ShapeError(f"Keras cannot build {a['application']} for "
                         f"{'x'.join(map(str, input_shape))} images: {error}") from None


def _cut(network, a: dict[str, Any], name: str):
    """The network up to the chosen inner layer, as one model named like the stack row."""
    if not a["cut"]:
        return keras.Model(network.input, network.output, name=name)
    names = [layer.name for layer in network.layers]
    if a["cut"] not in names:
        close = difflib.get_close_matches(a["cut"], names, n=5, cutoff=0.5)
        hint = f" Close names: {', '.join(close)}." if close else ""
        raise ShapeError(f"{a['application']} has no layer named {a['cut']!r}.{hint} "
                         f"Its layers run from {names[1]!r} to {names[-1]!r}.")
    return keras.Model(network.input, network.get_layer(a["cut"]).output, name=name)


def unfreeze_top(base, count: int | None) -> None:
    """The base learns, but only its top `count` layers (the usual second phase of
    fine-tuning); None: all of them."""
    base.trainable = True
    if count:
        for layer in base.layers[:-count]:
            layer.trainable = False


def count_weights(weights) -> int:
    """How many numbers a list of Keras variables holds."""
    return int(sum(np.prod(w.shape) for w in weights))


def measure(input_shape: tuple, a: dict[str, Any]) -> BaseFigures:
    """Build the base once without weights: its output shape and weight counts, or the
    reason Keras refuses it, remembered for the shape engine."""
    try:
        model = _cut(_network(a, input_shape[1:]), a, "base")
        unfreeze_top(model, a["trainable_top"])
        figures = BaseFigures((None, *tuple(model.output.shape)[1:]),
                              count_weights(model.trainable_weights),
                              count_weights(model.non_trainable_weights))
    except ShapeError as error:
        figures = BaseFigures(error=str(error))
    remember(figures_key(input_shape, a), figures)
    return figures


def weights_file(a: dict[str, Any], project_file: str | Path | None) -> Path | None:
    """The weights file, relative paths read from the project's folder; it must exist."""
    if not a["weights"]:
        return None
    path = Path(a["weights"]).expanduser()
    if not path.is_absolute() and project_file is not None:
        path = Path(project_file).resolve().parent / path
    if not path.is_file():
        app = APPLICATIONS[a["application"]]
        raise WeightsError(
            f"The {app.name} weights file {path} does not exist. CNN Studio never downloads: "
            f"get {app.weights_file} from {app.weights_url} on a computer with internet, "
            "copy it here and give its path, or clear 'weights' to start from random weights.")
    return path


def _load_weights(network, path: Path, application: str) -> None:
    """Load a weights file, refusing one that fits only in part: Keras 3 skips the
    layers of a .weights.h5 it cannot match with a warning and keeps their random
    values, which would train from a silently half-loaded base."""
    app = APPLICATIONS[application]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            network.load_weights(str(path))
            problem = next((str(w.message) for w in caught if "Skipping" in str(w.message)
                            or "mismatch" in str(w.message)), None)
        except (ValueError, OSError, KeyError) as error:
            problem = str(error)
    if problem:
        raise WeightsError(
            f"{path.name} does not fit {app.name} without its top (include_top=False): "
            f"{problem.splitlines()[0][:300]} Use {app.weights_file}, the file made for this "
            "network.")


def build_base(a: dict[str, Any], input_shape: tuple[int, ...], name: str,
               project_file: str | Path | None = None):
    """The base for training: built, weights loaded from the local file, cut, unfrozen."""
    network = _network(a, input_shape)
    path = weights_file(a, project_file)
    if path is not None:
        _load_weights(network, path, a["application"])
    model = _cut(network, a, name)
    unfreeze_top(model, a["trainable_top"])
    return model


def preprocessed(x, a: dict[str, Any], pixel_scale: float):
    """A base's input as its weights expect it: its own preprocess_input, on 0..255
    pixels (`x` holds pixels times `pixel_scale`, 1/255 when the data set normalizes).
    Keras operations, not layers: no weights, no extra layer in the model's summary."""
    app = APPLICATIONS[a["application"]]
    if not a["weights"] or app.preprocess is None:
        return x
    raw = x / pixel_scale if pixel_scale != 1.0 else x
    return getattr(keras.applications, app.preprocess).preprocess_input(raw)
