"""Reading and writing project documents (`.cnnstudio.json`).

Reading never crashes on bad input: every problem becomes a ProjectError that
names the file, the field (``layers[3].params.kernel_size``) and what was
expected. Writing is atomic, so a crash mid-save never leaves half a file.

A project may carry `start_weights`: weights a new training run starts from
(an imported Keras model's), kept only while the layers are the ones they were
made for. The file records where they are and that architecture; the helpers
at the end of this module read and compare it; carried_files moves it.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.project import (
    FORMAT, VERSION, LayerSpec, Project, check_input_shape, layer_from_dict, layer_names,
)
from cnnstudio.core.run_files import TEMP_PREFIX, check_stored_path
from cnnstudio.core.runs import check_runs
from cnnstudio.core.training_config import training_config

_KNOWN_KEYS = {"format", "version", "name", "input", "layers", "dataset", "training", "runs"}

# version N -> function turning a version-N document into version N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: lambda doc: doc,  # a version 1 file is a chain, which version 2 writes the same way
}


MAX_PROJECT_BYTES = 64 * 1024 ** 2
"""The largest project file read: a project with hundreds of runs is a few MB, and a
device or a huge file must not be read into memory whole."""


def project_from_dict(doc: Any, temp_ok: bool = False) -> Project:
    """Validate a parsed JSON document and build the Project it describes.

    `temp_ok` admits paths into CNN Studio's own temporary folders, which only a
    project CNN Studio itself wrote (a recovery copy) may name; see run_files.
    """
    if not isinstance(doc, dict):
        raise ProjectError("", f"expected a JSON object (a project), got {_kind(doc)}.")
    doc = _migrate(doc)
    input_section = doc.get("input")
    if input_section is None:
        raise ProjectError("input", 'missing; a project needs an input shape, e.g. '
                           '"input": {"shape": [28, 28, 1]}.')
    if not isinstance(input_section, dict) or "shape" not in input_section:
        raise ProjectError("input", f'got {show_value(input_section)}, expected an object '
                           f'such as {{"shape": [28, 28, 1]}}.')
    layers = doc.get("layers", [])
    if not isinstance(layers, list):
        raise ProjectError("layers", f"got {_kind(layers)}, expected a list of layers.")
    name = doc.get("name", "Untitled")
    if not isinstance(name, str):
        raise ProjectError("name", f"got {show_value(name)}, expected a text.")
    sections = {}
    for key, kind in (("dataset", dict), ("training", dict), ("runs", list)):
        value = doc.get(key, kind())
        if not isinstance(value, kind):
            raise ProjectError(key, f"got {_kind(value)}, expected "
                               f"{'an object' if kind is dict else 'a list'}.")
        sections[key] = value
    dataset_config(sections["dataset"])  # refuse a bad data set now, naming its field
    training_config(sections["training"])  # ...and bad settings, before any training
    check_runs(sections["runs"], temp_ok)
    if START_WEIGHTS in doc:  # kept in `extra` as written; checked here, once
        start_weights_from_dict(doc[START_WEIGHTS], temp_ok=temp_ok)
    specs = tuple(layer_from_dict(item, f"layers[{i}]") for i, item in enumerate(layers))
    return Project(
        input_shape=check_input_shape(input_section["shape"]),
        layers=specs,
        name=name,
        dataset=sections["dataset"] or {"source": "shapes"},
        training=sections["training"],
        runs=tuple(sections["runs"]),
        extra={k: v for k, v in doc.items() if k not in _KNOWN_KEYS},
    )


def _migrate(doc: dict[str, Any]) -> dict[str, Any]:
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise ProjectError("format", f"got {show_value(fmt)}, expected \"{FORMAT}\"; this "
                           "is not a CNN Studio project.")
    version = doc.get("version", VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError("version", f"got {show_value(version)}, expected a whole "
                           "number >= 1.")
    if version > VERSION:
        raise ProjectError("version", f"the file is version {version}, written by a newer "
                           f"CNN Studio; this one reads up to version {VERSION}. Update CNN "
                           f"Studio to open it (the file was not changed).")
    while version < VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
    return doc


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def load_project(path: str | os.PathLike[str], temp_ok: bool = False) -> Project:
    """Read a project file; every failure is a ProjectError naming the file.

    `temp_ok` is for CNN Studio's own recovery copies (see project_from_dict).
    """
    path = Path(path)
    raw = _read_project_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProjectError("", f"is not UTF-8 text (byte {error.start}); is it really a "
                           "project file?", str(path)) from None
    doc = parse_json(text, lambda problem: ProjectError("", problem, str(path)))
    try:
        return project_from_dict(doc, temp_ok)
    except ProjectError as error:
        raise error.in_file(str(path)) from None


def _read_project_bytes(path: Path, limit: int = MAX_PROJECT_BYTES,
                        what: str = "project file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else a ProjectError.

    A device (`/dev/zero`) would be read forever and a FIFO would block, so only a
    regular file is opened, and never more than `limit` bytes are read.
    """
    def fail(problem: str) -> ProjectError:
        return ProjectError("", problem, str(path))

    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise fail("file not found.") from None
    except (OSError, ValueError) as err:
        raise fail(f"cannot be read ({getattr(err, 'strerror', None) or err}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail(f"is a folder, not a {what}.")
    if not stat.S_ISREG(info.st_mode):
        raise fail(f"is not a regular file (a device, pipe or socket); choose a {what}.")
    if info.st_size > limit:
        raise fail(f"is {info.st_size:,} bytes, more than the {limit:,} a {what} may have.")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as err:
        raise fail(f"cannot be read ({err.strerror or err}).") from None
    if len(raw) > limit:
        raise fail(f"grew past the {limit:,} bytes a {what} may have while it was read.")
    return raw


def parse_json(text: str, error: Callable[[str], Exception]) -> Any:
    """JSON text as Python values; any unreadable text becomes `error(problem)`.

    Python's parser raises RecursionError for deep nesting and ValueError for an
    integer of thousands of digits: both are unreadable files, not crashes.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f"is not valid JSON: {err.msg} at line {err.lineno}, column "
                    f"{err.colno}.") from None
    except RecursionError:
        raise error("is not a readable JSON document: it is nested too deeply.") from None
    except ValueError as err:
        raise error(f"is not a readable JSON document ({err}).") from None


def project_to_json(project: Project) -> str:
    return json.dumps(project.to_dict(), indent=2, ensure_ascii=False) + "\n"


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write atomically: a temporary file beside the target, then a rename."""
    write_text_atomic(Path(path), project_to_json(project))


# Starting weights ------------------------------------------------------------------

START_WEIGHTS = "start_weights"
"""The top-level field: weights a new run starts from, and the layers they fit.

    "start_weights": {
      "path": "mnist-imported.weights.h5",        # relative to the project file
      "source": "/home/me/models/mnist.keras",    # where they came from (optional)
      "input": {"shape": [28, 28, 1]},
      "layers": [{"type": "Conv2D", "name": "conv2d", "params": {...}}, ...]
    }
"""
_START_WEIGHTS_KEYS = ("path", "source", "input", "layers")


def start_weights_from_dict(value: Any, where: str = START_WEIGHTS, temp_ok: bool = False
                            ) -> dict[str, Any]:
    """Validate a `start_weights` entry; a ProjectError names the field that is wrong.

    Its layers are checked like the project's own, so comparing them with the
    project's later cannot fail on a malformed record.
    """
    if not isinstance(value, dict):
        raise ProjectError(where, f"got {_kind(value)}, expected an object with the fields "
                           "path, input and layers (or leave start_weights out).")
    unknown = sorted(set(value) - set(_START_WEIGHTS_KEYS))
    if unknown:
        raise ProjectError(f"{where}.{unknown[0]}", "not a start_weights field; it has "
                           + ", ".join(_START_WEIGHTS_KEYS) + ".")
    check_stored_path(value.get("path"), f"{where}.path", temp_ok)
    source = value.get("source")
    if source is not None and not isinstance(source, str):
        raise ProjectError(f"{where}.source", f"got {show_value(source)}, expected the path "
                           "of the model file the weights came from, or null.")
    section = value.get("input")
    if not isinstance(section, dict) or "shape" not in section:
        raise ProjectError(f"{where}.input", f"got {show_value(section)}, expected the input "
                           'the weights were made for, e.g. {"shape": [28, 28, 1]}.')
    check_input_shape(section["shape"], f"{where}.input.shape")
    layers = value.get("layers")
    if not isinstance(layers, list):
        raise ProjectError(f"{where}.layers", f"got {_kind(layers)}, expected the list of "
                           "layers the weights were made for.")
    for i, item in enumerate(layers):
        layer_from_dict(item, f"{where}.layers[{i}]")
    return dict(value)


def start_weights_of(project: Project) -> dict[str, Any] | None:
    """The project's `start_weights` entry, or None when it has none."""
    entry = project.extra.get(START_WEIGHTS)
    return dict(entry) if isinstance(entry, Mapping) else None


def with_start_weights(project: Project, entry: Mapping[str, Any] | None) -> Project:
    """The project with this `start_weights` entry (validated), or without one (None)."""
    extra = {k: v for k, v in project.extra.items() if k != START_WEIGHTS}
    if entry is not None:
        extra[START_WEIGHTS] = start_weights_from_dict(dict(entry), temp_ok=True)
    return replace(project, extra=extra)


def start_weights_entry(project: Project, path: str, source: str | None = None
                        ) -> dict[str, Any]:
    """A `start_weights` entry for weights that fit the project's layers as they are now.

    Layers are recorded with their names filled in, as run records keep them, so
    a generated name that would change after an edit counts as a change.
    """
    names = layer_names(project.layers)
    entry: dict[str, Any] = {"path": path}
    if source is not None:
        entry["source"] = source
    entry["input"] = {"shape": list(project.input_shape)}
    entry["layers"] = [{**spec.to_dict(ui=False), "name": name}
                       for spec, name in zip(project.layers, names)]
    return entry


def start_weights_change(project: Project, entry: Mapping[str, Any]) -> str | None:
    """None when the start weights still fit the project, else what changed, in words.

    The weights fit while the input and every layer's type, name and arguments
    are the recorded ones. Freezing or unfreezing a layer does not count: the
    weights are the same shape, and freezing is how an imported model is fine-tuned.
    """
    before = tuple(entry["input"]["shape"])
    if tuple(project.input_shape) != before:
        return (f"the input changed from {list(before)} to {list(project.input_shape)} "
                "since the weights were imported")
    recorded = [layer_from_dict(item, f"{START_WEIGHTS}.layers[{i}]")
                for i, item in enumerate(entry["layers"])]
    if len(recorded) != len(project.layers):
        return (f"the model had {len(recorded)} layers when its weights were imported and "
                f"has {len(project.layers)} now")
    for i, (old, new, old_name, new_name) in enumerate(zip(
            recorded, project.layers, layer_names(recorded), layer_names(project.layers))):
        change = _layer_change(old, new, old_name, new_name)
        if change:
            return f"layers[{i}] ({new_name}) {change} since the weights were imported"
    return None


def _layer_change(old: LayerSpec, new: LayerSpec, old_name: str, new_name: str) -> str:
    if old.type != new.type:
        return f"became a {new.type} (was a {old.type})"
    if old_name != new_name:
        return f"was renamed (was {old_name!r})"
    for key, value in old.resolved.items():
        if new.resolved.get(key) != value:
            return (f"changed {key} from {show_value(_plain(value))} to "
                    f"{show_value(_plain(new.resolved.get(key)))}")
    return ""


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


IMPORT_FOLDER_PREFIX = TEMP_PREFIX + "import-"
"""Temporary folders that hold an import's weights until the project is saved."""
