"""Pure-Python heart of CNN Studio: catalogue, shapes, project files.

Imports neither Qt nor TensorFlow (a test checks `sys.modules`), so the GUI
and the command line can use it instantly.
"""

from cnnstudio.core.catalogue import LAYER_TYPES, Category, LayerType, get_layer_type
from cnnstudio.core.errors import ArgumentError, CnnStudioError, ProjectError
from cnnstudio.core.inference import LayerResult, ShapeReport, infer
from cnnstudio.core.project import LayerSpec, Project, layer_names
from cnnstudio.core.project_file import (
    load_project, project_from_dict, project_to_json, save_project,
)
from cnnstudio.core.shape_math import ShapeError

__all__ = [
    "LAYER_TYPES", "ArgumentError", "Category", "CnnStudioError", "LayerResult", "LayerSpec",
    "LayerType", "Project", "ProjectError", "ShapeError", "ShapeReport", "get_layer_type",
    "infer", "layer_names", "load_project", "project_from_dict", "project_to_json",
    "save_project",
]
