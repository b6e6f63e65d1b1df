"""Where CNN Studio's own files are (cnnstudio/resources/, package data: the same place in
a source checkout and in an installed wheel)."""

from __future__ import annotations

import os
from pathlib import Path

_RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def resources_dir() -> Path:
    return _RESOURCES


def templates_dir() -> Path:
    return resources_dir() / "templates"


def default_example() -> Path:
    """The project the GUI opens when there is no file and no last project."""
    return templates_dir() / "mnist_cnn.cnnstudio.json"


def user_cache_dir() -> Path:
    """Where CNN Studio keeps what it can work out again (XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnnstudio"
