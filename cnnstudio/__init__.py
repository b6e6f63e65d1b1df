"""CNN Studio: design, train and look inside convolutional networks.

The scripting API (DESIGN.md section 4). Importing this package does not import
TensorFlow; `build_keras_model` loads it when first called.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core import Project, ProjectError, infer, load_project, project_from_dict

if TYPE_CHECKING:  # pragma: no cover
    import keras

__version__ = "0.1.0"


def _as_project(project: Project | dict[str, Any] | str | os.PathLike[str]) -> Project:
    if isinstance(project, Project):
        return project
    if isinstance(project, dict):
        return project_from_dict(project)
    return load_project(project)


def infer_shapes(project: Project | dict[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    """What ``cnnstudio shapes --json`` prints: every layer's shape and counts."""
    return infer(_as_project(project), known_figures()).to_json()


def build_keras_model(project: Project | dict[str, Any] | str | os.PathLike[str]) -> "keras.Model":
    """An uncompiled ``keras.Model`` whose summary equals `infer_shapes`."""
    from cnnstudio.engine.builder import build_keras_model as build

    return build(_as_project(project))


__all__ = ["Project", "ProjectError", "build_keras_model", "infer_shapes", "load_project"]
