"""Where the files under `resources/` are, in a source checkout or an install."""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2] / "resources"
_INSTALLED = Path(__file__).resolve().parents[1] / "resources"


def resources_dir() -> Path:
    return _CHECKOUT if _CHECKOUT.is_dir() else _INSTALLED


def templates_dir() -> Path:
    return resources_dir() / "templates"


def default_example() -> Path:
    """The project the GUI opens when there is no file and no last project."""
    return templates_dir() / "mnist_cnn.cnnstudio.json"
