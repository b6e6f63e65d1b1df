"""Where a project's own files are, and which paths a project file may name.

A project names files that it owns: imported start weights and each run's
weights and layer outputs. Those paths are relative to the project file and
stay inside its folder, so a shared project can never make CNN Studio read,
move or overwrite a file elsewhere (`/home/me/.ssh/id_rsa`, `../../x`). The
one exception is a project CNN Studio itself holds in memory or in a
recovery copy before its first save: its files are in CNN Studio's own
temporary folders (`TEMP_PREFIX`), and saving moves them beside the project.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from cnnstudio.core.errors import ProjectError, show_value

TEMP_PREFIX = "cnnstudio-"
"""Temporary folders CNN Studio makes for an unsaved project's files (an import's
weights, a run's weights) start with this; nothing else is ever moved."""

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def project_stem(project_file: str | Path) -> str:
    """`mnist` for `mnist.cnnstudio.json`: how the files a project owns begin
    (`mnist-runs/`, `mnist-imported.weights.h5`)."""
    return Path(project_file).name.removesuffix(".json").removesuffix(".cnnstudio")


def stored_path(text: str | None, project_file: str | Path | None) -> Path | None:
    """A path from a run record as a usable path (relative ones start at the project)."""
    if not text:
        return None
    path = Path(text)
    if not path.is_absolute() and project_file is not None:
        path = Path(project_file).resolve().parent / path
    return path


def path_to_store(path: Path | None, project_file: str | Path | None) -> str | None:
    """A path as a run record keeps it: relative to the project's folder when inside it,
    so a project folder can be moved or shared with its runs."""
    if path is None:
        return None
    if project_file is not None:
        try:
            return path.relative_to(Path(project_file).resolve().parent).as_posix()
        except ValueError:
            pass
    return str(path)


def is_own_temp_path(path: str | Path) -> bool:
    """Whether `path` lies in one of CNN Studio's temporary folders (one level below the
    system's temporary folder, named TEMP_PREFIX...), after resolving `..` and links."""
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    temp = Path(tempfile.gettempdir()).resolve()
    parents = resolved.parents
    return (len(parents) >= 2 and parents[1] == temp
            and parents[0].name.startswith(TEMP_PREFIX))


def check_stored_path(value: object, where: str, temp_ok: bool = False) -> str:
    """A path a project file may carry: relative, inside the project's folder, no `..`.

    `temp_ok` also admits CNN Studio's own temporary files (a recovery copy of a
    project that was never saved). The message says how to mend a file that
    breaks the rule, since the rule is what keeps a shared project harmless.
    """
    if not isinstance(value, str) or not value.strip():
        raise ProjectError(where, f"got {show_value(value)}, expected a file's path "
                           "relative to the project file, e.g. \"NAME-runs/run-1/last.weights.h5\".")
    if "\x00" in value:
        raise ProjectError(where, "the path holds a NUL character; give a plain relative path.")
    absolute = (PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute()
                or value.startswith(("\\", "/")) or bool(_WINDOWS_DRIVE.match(value)))
    if absolute and temp_ok and is_own_temp_path(value):
        return value
    parts = re.split(r"[\\/]+", value)
    if absolute or ".." in parts:
        raise ProjectError(where, f"got {show_value(value)}: a project names only files in "
                           "its own folder, by a path relative to the project file without "
                           "'..'. Move the file beside the project and give its relative "
                           "path, or remove this field.")
    return value
