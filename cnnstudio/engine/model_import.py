"""Importing a Keras model file (`.keras`, or a legacy `.h5`) as an editable project.

A project can only be a single chain of catalogue layers from one input to one
output, so that is what is imported: a Sequential model, or a functional model
in which each layer takes the previous layer's output. The file's own model
description is read first, without Keras building anything, so a branching
model or a layer CNN Studio lacks is refused with its name before Keras could
fail on it with a message about its internals.

Each layer keeps its name, its `trainable` flag and the arguments the catalogue
declares, and only those that differ from what Keras does when they are left
out, so the project reads like a hand-written one. Anything that would make
the project a different model from the file is refused, never dropped silently:
the last check is that the project infers, layer by layer, the output shapes
and parameter counts that Keras reports for the loaded model.

The imported weights are written beside the project
(`NAME-imported.weights.h5`) and recorded in its `start_weights` field, with the
layers as they were; the Trainer starts a new run from them while the layers are
unchanged (see `cnnstudio.core.project_file`). Without a project file yet, they
wait in a temporary folder until `carry_files` moves them beside the
project when it is first saved.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

from cnnstudio.core.arguments import Arg, Kind
from cnnstudio.core.catalogue import LAYER_TYPES, LayerType, Shape, get_layer_type
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.catalogue.spec import to_snake_case
from cnnstudio.core.errors import CnnStudioError, ProjectError, show_value
from cnnstudio.core.inference import infer
from cnnstudio.core.project import LayerSpec, Project, check_input_shape
from cnnstudio.core.project_file import (
    IMPORT_FOLDER_PREFIX, start_weights_entry, with_start_weights,
)
from cnnstudio.core.run_files import path_to_store
from cnnstudio.core.training_config import LOSSES, METRICS, OPTIMIZERS, training_config
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()

from cnnstudio.engine.builder import build_keras_model  # noqa: E402

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
WEIGHTS_SUFFIX = ".weights.h5"
_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_MODEL_CLASSES = ("Sequential", "Functional", "Model")
_SAVE_AGAIN = "In Keras, save the model again with model.save('model.keras') and import that."
_DROPPED_SUFFIXES = {
    "_initializer": "a new run starts from the imported weights, and from Keras's default "
                    "initialiser only once the layers change",
    "_regularizer": "training does not add its penalty to the loss",
    "_constraint": "training does not constrain the weights",
}


class ModelImportError(CnnStudioError):
    """A model file that cannot become a project: the file, what stops it, what to do."""

    def __init__(self, file: str | os.PathLike[str], problem: str) -> None:
        self.file = str(file)
        self.problem = problem
        super().__init__(f"{file}: {problem}")


@dataclass(frozen=True)
class ImportedModel:
    """What an import gives: the project, its start weights file (None when the model
    has no weights) and notes for the user on what was left behind."""

    project: Project
    weights: Path | None
    notes: list[str] = field(default_factory=list)


def import_model(path: str | Path, project_file: str | Path | None = None) -> ImportedModel:
    """Read a Keras model file as a project whose next training run starts from its weights.

    `project_file` is where the project will be saved: the weights are written
    beside it (`NAME-imported.weights.h5`) and recorded relative to it. Without
    one they go to a temporary folder; `carry_files` moves them when the
    project is saved. Every failure is a ModelImportError naming the file, what
    stops the import and what to do.
    """
    path = Path(path)
    _check_path(path)
    document, compile_config = read_model_config(path)
    chain = linear_chain(document, path)
    check_layer_types(chain, path)
    model = _load(path)
    layers = _loaded_layers(model, chain, path)
    notes: list[str] = []
    specs = [_layer_spec(layer, path, notes) for layer in layers]
    try:
        project = Project(_input_shape(model, path), tuple(specs),
                          name=_project_name(model.name, path),
                          training=_training(compile_config, notes))
    except ProjectError as error:
        raise ModelImportError(path, f"{error} Change this in Keras and save the model "
                                     "again.") from None
    _check_same_model(project, layers, path)
    weights = _write_weights(project, layers, path, project_file)
    if weights is not None:
        entry = start_weights_entry(project, path_to_store(weights, project_file),
                                    str(path.resolve()))
        project = with_start_weights(project, entry)
    return ImportedModel(project, weights, notes)


# the file -------------------------------------------------------------------------

def _check_path(path: Path) -> None:
    if not path.exists():
        raise ModelImportError(path, "file not found. Check the path; a Keras model is "
                                     "saved with model.save('model.keras').")
    if path.is_dir():
        raise ModelImportError(path, "is a folder, not a model file (a TensorFlow "
                                     f"SavedModel?). Load it in Keras and save it as a "
                                     f".keras file: {_SAVE_AGAIN}")
    if not path.is_file():  # a device or a pipe would be read forever or block
        raise ModelImportError(path, "is not a regular file (a device, pipe or socket); "
                                     "choose a .keras or .h5 model file.")
    name = path.name.lower()
    if name.endswith(WEIGHTS_SUFFIX):
        raise ModelImportError(path, _weights_only())
    if name.endswith(".cnnstudio.json"):
        raise ModelImportError(path, "is a CNN Studio project, not a Keras model: open it "
                                     "instead of importing it.")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelImportError(path, f"is not a Keras model file: CNN Studio imports "
                                     f".keras files and legacy .h5 model files. {_SAVE_AGAIN}")


def _weights_only() -> str:
    return ("holds only weights (saved with save_weights), with no architecture to import. "
            "Import the model file saved with model.save('model.keras') instead.")


def read_model_config(path: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The file's model description and compile settings, read without building a model.

    Reading the JSON ourselves lets a damaged file, a weights-only file or an
    unsupported layer be named plainly instead of through a Keras traceback.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise ModelImportError(path, f"cannot be read ({error.strerror}).") from None
    if not head:
        raise ModelImportError(path, f"is empty. {_SAVE_AGAIN}")
    is_keras = path.suffix.lower() == ".keras"
    if head.startswith(_HDF5_MAGIC):
        document, compile_config = _read_h5(path)
        if is_keras:
            raise ModelImportError(path, "is an HDF5 (.h5) model file named .keras: rename "
                                         "it to .h5 and import it again.")
        return document, compile_config
    if head.startswith(_ZIP_MAGIC):
        document = _read_keras_archive(path)
        if not is_keras:
            raise ModelImportError(path, "is a .keras archive with another extension: rename "
                                         "it to .keras and import it again.")
        return document, document.get("compile_config")
    kind = "a .keras archive" if is_keras else "an HDF5 model file"
    raise ModelImportError(path, f"is damaged or not a Keras model: it is not {kind}. "
                                 f"{_SAVE_AGAIN}")


def _read_keras_archive(path: Path) -> dict[str, Any]:
    damaged = f"is damaged (a truncated or corrupt .keras archive). {_SAVE_AGAIN}"
    try:
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ModelImportError(path, "is a zip archive but not a Keras model (it has "
                                             f"no config.json). {_SAVE_AGAIN}")
            size = archive.getinfo("config.json").file_size
            if size > MAX_CONFIG_BYTES:
                raise ModelImportError(path, _too_large("config.json", size))
            with archive.open("config.json") as member:  # the stated size may lie
                text = member.read(MAX_CONFIG_BYTES + 1)
            if len(text) > MAX_CONFIG_BYTES:
                raise ModelImportError(path, _too_large("config.json", len(text)))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise ModelImportError(path, damaged) from None
    return _json_object(text, path, damaged)


def _read_h5(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    import h5py

    damaged = f"is damaged (a truncated or corrupt HDF5 file). {_SAVE_AGAIN}"
    try:
        with h5py.File(path, "r") as handle:
            for name in ("model_config", "training_config"):
                if name in handle.attrs:
                    size = handle.attrs.get_id(name).get_storage_size()
                    if size > MAX_CONFIG_BYTES:
                        raise ModelImportError(path, _too_large(name, size))
            raw = handle.attrs.get("model_config")
            training = handle.attrs.get("training_config")
            weights_like = ("layer_names" in handle.attrs
                            or any(key in handle for key in ("layers", "vars", "model_weights")))
    except (OSError, ValueError):
        raise ModelImportError(path, damaged) from None
    if raw is None:
        if weights_like:
            raise ModelImportError(path, _weights_only())
        raise ModelImportError(path, "is an HDF5 file but not a Keras model (it holds no "
                                     f"model_config). {_SAVE_AGAIN}")
    document = _json_object(raw, path, damaged)
    compile_config = None
    if training is not None:
        try:
            compile_config = _json_object(training, path, damaged)
        except ModelImportError:
            compile_config = None  # settings are optional; the model is what matters
    return document, compile_config


MAX_CONFIG_BYTES = 64 * 1024 ** 2
"""The largest model description read (ResNet152's is under 1 MB): the size is checked
before reading, so a small file that inflates to gigabytes costs nothing."""


def _too_large(name: str, size: int) -> str:
    return (f"its {name} is {size:,} bytes, more than the {MAX_CONFIG_BYTES:,} a model "
            "description may have; the file is damaged or not a Keras model.")


def _json_object(raw: Any, path: Path, damaged: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting, huge numbers
        raise ModelImportError(path, damaged) from None
    if not isinstance(value, dict):
        raise ModelImportError(path, damaged)
    return value


# the structure --------------------------------------------------------------------

def linear_chain(document: dict[str, Any], path: str | Path) -> list[dict[str, Any]]:
    """The model's layers from input to output (input layer left out), as described in
    the file; refuses anything but one chain, naming the first layer that branches."""
    try:
        kind = document.get("class_name")
        config = document.get("config")
        if kind == "Sequential":
            items = config.get("layers") if isinstance(config, dict) else config
            return [item for item in items if item.get("class_name") != "InputLayer"]
        if kind in ("Functional", "Model"):
            return _functional_chain(config, Path(path))
    except (AttributeError, KeyError, TypeError, IndexError):
        kind = None
    if not isinstance(kind, str):
        raise ModelImportError(path, "its model description is not in a form CNN Studio "
                                     f"knows (written by another Keras?). {_SAVE_AGAIN}")
    raise ModelImportError(path, f"holds a {kind}, not a Sequential or functional model (a "
                                 "subclassed keras.Model, whose layers are wired in Python "
                                 "code?). CNN Studio imports Sequential models and functional "
                                 "models that are a single chain of layers; rebuild it with "
                                 "keras.Sequential and save it again.")


def _name_of(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or entry["config"]["name"])


def _functional_chain(config: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    entries = config["layers"]
    names = [_name_of(entry) for entry in entries]
    kinds = dict(zip(names, (str(entry.get("class_name")) for entry in entries)))
    inputs = _tensor_refs(config["input_layers"])
    outputs = _tensor_refs(config["output_layers"])
    for what, refs in (("inputs", inputs), ("outputs", outputs)):
        if len(refs) != 1:
            raise ModelImportError(path, f"the model has {len(refs)} {what} "
                                         f"({', '.join(refs)}); a CNN Studio model has one "
                                         "input and one output.")
    sources: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {name: [] for name in names}
    for entry, name in zip(entries, names):
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise ModelImportError(path, f"layer {name!r} is called {len(nodes)} times (a "
                                         "shared layer), so the model is not a single chain; "
                                         "CNN Studio imports models in which each layer is "
                                         "used once.")
        sources[name] = _node_sources(nodes[0]) if nodes else []
        for source in sources[name]:
            consumers.setdefault(source, []).append(name)
    for name in names:  # the file lists layers in order, so this finds the first branch
        if len(sources[name]) > 1:
            raise ModelImportError(path, _branch_message(
                f"layer {name!r} ({kinds[name]}) takes {len(sources[name])} inputs "
                f"({', '.join(sources[name])})"))
        if len(consumers[name]) > 1:
            raise ModelImportError(path, _branch_message(
                f"the output of layer {name!r} goes to {len(consumers[name])} layers "
                f"({', '.join(consumers[name])})"))
    chain, current = [], inputs[0]
    while consumers.get(current) and len(chain) <= len(names):  # a damaged file may loop
        current = consumers[current][0]
        chain.append(current)
    stray = [n for n in names if n not in chain and n != inputs[0]]
    if current != outputs[0] or stray:
        raise ModelImportError(path, f"layers {', '.join(stray) or current!s} are not on the "
                                     "path from the input to the output; CNN Studio imports "
                                     "a single chain of layers.")
    by_name = dict(zip(names, entries))
    return [by_name[name] for name in chain]


def _branch_message(where: str) -> str:
    return (f"the model branches: {where}. CNN Studio imports single chains, where each "
            "layer takes the previous layer's output; models with skip connections, merges "
            "or several heads cannot be edited as a stack.")


def _tensor_refs(value: Any) -> list[str]:
    """Layer names in `input_layers` / `output_layers`: `[name, 0, 0]`, a list of those,
    or a dict of those."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value[0]]
    return [str(item[0]) for item in value]


def _node_sources(node: Any) -> list[str]:
    """The layers whose outputs a call takes: Keras 3 keeps `keras_history` on each
    tensor; older files list `[layer, node, tensor, kwargs]`."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "keras_history" in value:
                found.append(str(value["keras_history"][0]))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            if (len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int)
                    and isinstance(value[2], int)):
                found.append(value[0])
                return
            for item in value:
                walk(item)

    walk(node)
    return found


def check_layer_types(chain: list[dict[str, Any]], path: str | Path) -> None:
    """Refuse the first layer whose Keras class the catalogue does not declare."""
    for entry in chain:
        kind, name = str(entry.get("class_name")), _name_of(entry)
        if kind in _MODEL_CLASSES:
            what = " (a pre-trained keras.applications base?)" if kind == "Functional" else ""
            raise ModelImportError(path, f"layer {name!r} is a whole {kind} model{what} inside "
                                         "the model; CNN Studio imports flat stacks. In Keras, "
                                         "list the inner model's layers one by one in the outer "
                                         "model and save it again.")
        if get_layer_type(kind) is None or not hasattr(keras.layers, kind):
            known = ", ".join(n for n in LAYER_TYPES if hasattr(keras.layers, n))
            raise ModelImportError(path, f"layer {name!r} is of type {kind}, which CNN Studio "
                                         f"does not have. Its layer types are: {known}. "
                                         "Replace or remove that layer in Keras and save the "
                                         "model again.")


# the loaded model -----------------------------------------------------------------

def _load(path: Path):
    try:
        return keras.models.load_model(str(path), compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds on a bad file
        first = (str(error).strip() or type(error).__name__).splitlines()[0][:300]
        raise ModelImportError(path, f"Keras could not load it ({first}). If the file is "
                                     f"damaged, {_SAVE_AGAIN[0].lower()}{_SAVE_AGAIN[1:]}"
                               ) from None


def _loaded_layers(model, chain: list[dict[str, Any]], path: Path) -> list:
    layers = []
    for entry in chain:
        try:
            layers.append(model.get_layer(_name_of(entry)))
        except ValueError:
            break
    else:
        return layers
    # names changed when loading (an old file): the loaded model's own order
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(layers) != len(chain):
        raise ModelImportError(path, f"Keras loaded {len(layers)} layers where the file "
                                     f"describes {len(chain)}. {_SAVE_AGAIN}")
    return layers


def _input_shape(model, path: Path) -> tuple:
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        raise ModelImportError(path, "the model has no input shape (it was never built). In "
                                     "Keras, start it with keras.Input(shape=...) and save it "
                                     "again.") from None
    if isinstance(shape, list):
        raise ModelImportError(path, f"the model has {len(shape)} inputs; a CNN Studio model "
                                     "has one.")
    try:
        return check_input_shape(list(shape[1:]))
    except ProjectError as error:
        raise ModelImportError(path, f"its input {show_shape(tuple(shape))} cannot be a CNN "
                                     f"Studio input: {error.problem}") from None


def _project_name(model_name: str, path: Path) -> str:
    """The model's own name, unless it is one Keras made up (`sequential_3`)."""
    if re.fullmatch(r"(sequential|functional|model)(_\d+)?", model_name or ""):
        return path.stem
    return model_name


# layers ---------------------------------------------------------------------------

def _layer_spec(layer, path: Path, notes: list[str]) -> LayerSpec:
    kind, name = type(layer).__name__, layer.name
    layer_type = get_layer_type(kind)
    if layer_type is None:  # checked on the file already; a loaded class may differ
        raise ModelImportError(path, f"layer {name!r} is of type {kind}, which CNN Studio "
                                     "does not have.")
    config = layer.get_config()
    params = minimal_params(type(layer), layer_type, config)
    _check_other_args(type(layer), layer_type, config, params, name, path, notes)
    try:
        return LayerSpec(kind, params, name, bool(layer.trainable))
    except ProjectError as error:
        raise ModelImportError(path, f"layer {name!r} ({kind}): {error.field}: "
                                     f"{error.problem} CNN Studio cannot take this value; "
                                     "change it in Keras and save the model again.") from None


def minimal_params(layer_class: type, layer_type: LayerType, config: dict[str, Any]
                   ) -> dict[str, Any]:
    """The declared arguments of a layer's config that Keras would not give by itself,
    in the project's JSON form.

    Keras is asked rather than the catalogue's defaults, since some defaults
    depend on other arguments (a pooling layer's strides default to its pool
    size): an argument is left out when the layer made without it has the same
    config. Arguments are tried one by one, each given those already left out.
    """
    declared = [arg for arg in layer_type.args if arg.name in config]
    target = {arg.name: _json_value(arg, config[arg.name]) for arg in declared}
    kwargs = {arg.name: config[arg.name] for arg in declared}
    for arg in declared:
        if arg.required:
            continue
        trial = {k: v for k, v in kwargs.items() if k != arg.name}
        made = _probe(layer_class, trial)
        if made is not None and all(_json_value(a, made.get(a.name)) == target[a.name]
                                    for a in declared):
            kwargs = trial
    return {arg.name: target[arg.name] for arg in declared if arg.name in kwargs}


def _json_value(arg: Arg, value: Any) -> Any:
    """A config value as the project writes it. A built LayerNormalization reports its
    `axis` as a list ([-1]) where the catalogue, like the constructor, takes an int."""
    value = _plain(value)
    if arg.kind is Kind.INT and isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _probe(layer_class: type, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """A fresh layer's config, or None where Keras refuses the arguments."""
    try:
        return layer_class(name="cnnstudio_probe", **kwargs).get_config()
    except Exception:  # noqa: BLE001 - any refusal means "not the same layer"
        return None


def _check_other_args(layer_class: type, layer_type: LayerType, config: dict[str, Any],
                      params: dict[str, Any], name: str, path: Path,
                      notes: list[str]) -> None:
    """Arguments the catalogue does not declare must be Keras's defaults; initialisers,
    regularisers and constraints are dropped with a note (they do not change what the
    model computes), anything else is refused (it would)."""
    declared = {arg.name for arg in layer_type.args}
    reference = (_probe(layer_class, params)
                 or _probe(layer_class, {k: v for k, v in config.items() if k in declared})
                 or {})
    kind = layer_type.name
    for key, value in config.items():
        if key in declared or key in ("name", "trainable"):
            continue
        if key == "dtype":
            policy = _dtype_name(value)
            if policy not in (None, "float32"):
                notes.append(f"Layer {name!r} computed in {policy}; CNN Studio builds it in "
                             "float32.")
            continue
        if _plain(value) == _plain(reference.get(key)):
            continue
        why = next((text for suffix, text in _DROPPED_SUFFIXES.items()
                    if key.endswith(suffix)), None)
        if why is not None or key == "synchronized":
            notes.append(f"Layer {name!r} ({kind}): {key} {_describe(value)} was not imported "
                         f"(CNN Studio uses Keras's default){'; ' + why if why else ''}.")
            continue
        raise ModelImportError(path, f"layer {name!r} ({kind}) sets {key}="
                                     f"{show_value(_plain(value))}, which a CNN Studio {kind} "
                                     f"cannot express. Set it back to Keras's default "
                                     f"({show_value(_plain(reference.get(key)))}) in Keras and "
                                     "save the model again.")


def _dtype_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
    return None


def _describe(value: Any) -> str:
    """`L2(l2=0.01)` for a serialised Keras object, else the JSON value."""
    if isinstance(value, dict) and "class_name" in value:
        inner = value.get("config") or {}
        args = ", ".join(f"{k}={_plain(v)!r}" for k, v in inner.items()
                         if v is not None and not isinstance(v, dict)) \
            if isinstance(inner, dict) else ""
        return f"{value['class_name']}({args})"
    return show_value(_plain(value))


def _plain(value: Any) -> Any:
    """A config value in the project's JSON form: tuples as lists, numpy scalars as
    Python numbers."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def _count(weights) -> int:
    return int(sum(prod(w.shape) for w in weights))


def _check_same_model(project: Project, layers: list, path: Path) -> None:
    """The project must be the loaded model: the same shape and parameter counts at
    every layer, or the import stops rather than hand over a different model."""
    report = infer(project).raise_if_invalid(
        lambda problem: ModelImportError(path, f"{problem} The import was stopped."),
        "in CNN Studio, ")
    shape: Shape = report.input_shape
    for result, layer in zip(report.layers, layers):
        shape = _keras_output_shape(layer, shape)
        trainable, frozen = _count(layer.trainable_weights), _count(layer.non_trainable_weights)
        if (result.output_shape, result.trainable_params, result.non_trainable_params) != \
                (shape, trainable, frozen):
            raise ModelImportError(path, (
                f"layer {result.name!r} ({result.type}) gives {show_shape(shape)} with "
                f"{trainable:,} trainable and {frozen:,} non-trainable parameters in Keras, "
                f"but {show_shape(result.output_shape)} with {result.trainable_params:,} and "
                f"{result.non_trainable_params:,} as a CNN Studio layer. The import was "
                "stopped rather than give you a different model; please report this with the "
                "model file."))


def _keras_output_shape(layer, input_shape: Shape) -> Shape:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer never called symbolically
        return tuple(layer.compute_output_shape(input_shape))


# weights --------------------------------------------------------------------------

def imported_weights_path(model_path: str | Path, project_file: str | Path | None) -> Path:
    """Beside the project (`NAME-imported.weights.h5`), else in a new temporary folder
    that `carry_files` empties when the project is saved."""
    if project_file is not None:
        project_file = Path(project_file).resolve()
        stem = project_file.name.removesuffix(".json").removesuffix(".cnnstudio")
        return project_file.parent / f"{stem}-imported{WEIGHTS_SUFFIX}"
    folder = Path(tempfile.mkdtemp(prefix=IMPORT_FOLDER_PREFIX))
    return folder / f"{Path(model_path).stem}-imported{WEIGHTS_SUFFIX}"


def _write_weights(project: Project, layers: list, path: Path,
                   project_file: str | Path | None) -> Path | None:
    """The loaded weights, saved as the project's own model saves them, so the Trainer
    loads them into `build_keras_model(project)` as they are."""
    if not any(layer.weights for layer in layers):
        return None
    model = build_keras_model(project)
    for spec, layer in zip(project.layers, layers):
        try:
            model.get_layer(spec.name).set_weights(layer.get_weights())
        except ValueError as error:
            raise ModelImportError(path, f"the weights of layer {spec.name!r} do not fit its "
                                         f"CNN Studio layer ({error}). {_SAVE_AGAIN}") from None
    target = imported_weights_path(path, project_file)
    partial = target.with_name(f".{target.name.removesuffix(WEIGHTS_SUFFIX)}.partial"
                               f"{WEIGHTS_SUFFIX}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(str(partial))
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ModelImportError(target, f"the imported weights cannot be written here "
                                       f"({error.strerror or error}); choose a folder you can "
                                       "write to, or free some disk space.") from None
    return target


# compile settings -----------------------------------------------------------------

_LOSS_ALIASES = {"mse": "mean_squared_error", "crossentropy": "categorical_crossentropy"}
_METRIC_ALIASES = {"acc": "accuracy"}


def _training(compile_config: Any, notes: list[str]) -> dict[str, Any]:
    """The project's training section from the file's compile settings, where CNN Studio
    offers the same choice; what it does not offer is noted and left at its default."""
    if not isinstance(compile_config, dict):
        return {}
    section: dict[str, Any] = {}
    _optimizer(compile_config.get("optimizer", compile_config.get("optimizer_config")),
               section, notes)
    loss = _keras_name(compile_config.get("loss"), "loss")
    if loss is not None:
        loss = _LOSS_ALIASES.get(loss, loss)
        if loss in LOSSES and not _from_logits(compile_config.get("loss")):
            section["loss"] = loss
        else:
            notes.append(f"The model was compiled with the loss {loss}"
                         f"{' (from logits)' if _from_logits(compile_config.get('loss')) else ''}"
                         ", which CNN Studio does not offer; training picks the loss from the "
                         "labels (auto).")
    metrics, dropped = [], []
    for item in _flat(compile_config.get("metrics")):
        name = _keras_name(item, "metric")
        if name is None:
            continue
        name = _METRIC_ALIASES.get(name, name)
        (metrics if name in METRICS else dropped).append(name)
    if metrics:
        section["metrics"] = list(dict.fromkeys(metrics))
    if dropped:
        notes.append(f"The metrics {', '.join(dropped)} were not imported; CNN Studio offers "
                     f"{', '.join(METRICS)}.")
    try:
        training_config(section)
    except ProjectError as error:
        notes.append(f"The compile settings were not imported ({error}).")
        return {}
    return section


def _optimizer(value: Any, section: dict[str, Any], notes: list[str]) -> None:
    if isinstance(value, str):
        name, config = value, {}
    elif isinstance(value, dict):
        name, config = str(value.get("class_name", "")), value.get("config") or {}
    else:
        return
    key = name.lower()
    if key not in OPTIMIZERS:
        notes.append(f"The model was compiled with the {name} optimizer, which CNN Studio "
                     "does not offer; training uses Adam.")
        return
    section["optimizer"] = key
    rate = config.get("learning_rate")
    if _is_number(rate):
        section["learning_rate"] = float(f"{rate:.6g}")
    elif rate is not None:
        notes.append("The learning-rate schedule was not imported; training uses a fixed "
                     "rate (0.001 unless you change it).")
    for setting, optimizer in (("momentum", "sgd"), ("weight_decay", "adamw")):
        if key == optimizer and _is_number(config.get(setting)):
            section[setting] = float(f"{config[setting]:.6g}")


def _keras_name(value: Any, what: str) -> str | None:
    """`"accuracy"`, or a serialised Keras object's name (`SparseCategoricalCrossentropy`
    -> `sparse_categorical_crossentropy`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("config")
        if what == "metric" and isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
        if isinstance(value.get("class_name"), str):
            return to_snake_case(value["class_name"])
    return None


def _from_logits(value: Any) -> bool:
    return isinstance(value, dict) and bool((value.get("config") or {}).get("from_logits"))


def _flat(value: Any) -> list:
    """Metrics as Keras keeps them (a list, per-output lists or dicts) as one list."""
    if isinstance(value, dict) and "class_name" not in value:
        value = list(value.values())
    if not isinstance(value, list):
        return [] if value is None else [value]
    return [metric for item in value for metric in _flat(item)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


__all__ = ["ImportedModel", "ModelImportError", "check_layer_types", "import_model",
           "imported_weights_path", "linear_chain", "minimal_params", "read_model_config"]
