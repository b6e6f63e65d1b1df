"""Importing a Keras model file (`.keras`, or a legacy `.h5`) as an editable project.

A project is catalogue layers from one input to one output, a chain or a graph
with branches and merges, so that is what is imported: a Sequential model, or a
functional model whose layers are each called once. The file's own model
description is read first, without Keras building anything, so a nested model,
a shared layer or a layer CNN Studio lacks is refused with its name before
Keras could fail on it with a message about its internals.

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

from pathlib import Path

from cnnstudio.core.errors import ProjectError
from cnnstudio.core.project import Project
from cnnstudio.core.project_file import start_weights_entry, with_start_weights
from cnnstudio.core.run_files import path_to_store
from cnnstudio.engine.model_import.common import (
    MODEL_SUFFIXES, WEIGHTS_SUFFIX, ImportedModel, ModelImportError,
)
from cnnstudio.engine.model_import.compile_settings import training_section
from cnnstudio.engine.model_import.layers import (
    check_same_model, layer_spec, load_keras_model, loaded_layers, minimal_params,
    model_input_shape, project_name,
)
from cnnstudio.engine.model_import.model_file import (
    MAX_CONFIG_BYTES, check_path, read_model_config,
)
from cnnstudio.engine.model_import.structure import check_layer_types, model_layers
from cnnstudio.engine.model_import.weights import imported_weights_path, write_weights

__all__ = ['ImportedModel', 'MAX_CONFIG_BYTES', 'MODEL_SUFFIXES', 'ModelImportError', 'WEIGHTS_SUFFIX', 'check_layer_types', 'import_model', 'imported_weights_path', 'model_layers', 'minimal_params', 'read_model_config']


def import_model(path: str | Path, project_file: str | Path | None = None) -> ImportedModel:
    """Read a Keras model file as a project whose next training run starts from its weights.

    `project_file` is where the project will be saved: the weights are written
    beside it (`NAME-imported.weights.h5`) and recorded relative to it. Without
    one they go to a temporary folder; `carry_files` moves them when the
    project is saved. Every failure is a ModelImportError naming the file, what
    stops the import and what to do.
    """
    path = Path(path)
    check_path(path)
    document, compile_config = read_model_config(path)
    described = model_layers(document, path)
    check_layer_types(described, path)
    model = load_keras_model(path)
    layers = loaded_layers(model, described, path)
    notes: list[str] = []
    specs = [layer_spec(layer, inputs, path, notes)
             for layer, (_, inputs) in zip(layers, described)]
    try:
        project = Project(model_input_shape(model, path), tuple(specs),
                          name=project_name(model.name, path),
                          training=training_section(compile_config, notes))
    except ProjectError as error:
        raise ModelImportError(path, f"{error} Change this in Keras and save the model "
                                     "again.") from None
    check_same_model(project, layers, path)
    weights = write_weights(project, layers, path, project_file)
    if weights is not None:
        entry = start_weights_entry(project, path_to_store(weights, project_file),
                                    str(path.resolve()))
        project = with_start_weights(project, entry)
    return ImportedModel(project, weights, notes)
