"""Reading and writing project documents (`.cnnstudio.json`).

Reading never crashes on bad input: every problem becomes a ProjectError that
names the file, the field (``layers[3].params.kernel_size``) and what was
expected. Writing is atomic, so a crash mid-save never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.project import (
    FORMAT, VERSION, Project, check_input_shape, layer_from_dict,
)

_KNOWN_KEYS = {"format", "version", "name", "input", "layers", "dataset", "training", "runs"}

# version N -> function turning a version-N document into version N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def project_from_dict(doc: Any) -> Project:
    """Validate a parsed JSON document and build the Project it describes."""
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


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file; every failure is a ProjectError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError("", "file not found.", str(path)) from None
    except IsADirectoryError:
        raise ProjectError("", "is a folder, not a project file.", str(path)) from None
    except OSError as error:
        raise ProjectError("", f"cannot be read ({error.strerror}).", str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProjectError("", f"is not UTF-8 text (byte {error.start}); is it really a "
                           "project file?", str(path)) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProjectError("", f"is not valid JSON: {error.msg} at line {error.lineno}, "
                           f"column {error.colno}.", str(path)) from None
    try:
        return project_from_dict(doc)
    except ProjectError as error:
        raise error.in_file(str(path)) from None


def project_to_json(project: Project) -> str:
    return json.dumps(project.to_dict(), indent=2, ensure_ascii=False) + "\n"


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write atomically: a temporary file beside the target, then a rename."""
    write_text_atomic(Path(path), project_to_json(project))


def write_text_atomic(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
