"""Export a project as a standalone Keras script (`cnnstudio export --to keras-script`).

The script is what a Keras user could have written by hand: the same model
(`keras.Input` and the project's layers, with their names and only the
arguments the user set), compiled and trained with the project's settings, on
the same data prepared the same way. A learner can read how CNN Studio trains,
and anyone can reproduce a run without CNN Studio.

This module only writes text, so it imports neither TensorFlow nor Qt. The
project's own parts (settings, model, compile, callbacks, which data) are
written here; the fixed parts (data readers, the tf.data pipeline, `main`) are
copied from the module cnnstudio.export_runtime.script_parts, and the Shapes
generator from cnnstudio.export_runtime.shapes, which the engine uses too, so the
script draws the very same images. Both are read as source through the import
system, never imported here. A script holds only what it uses (`_needed`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.errors import ExportError
from cnnstudio.core.project import Project
from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.training_config import training_config
from cnnstudio.core.keras_script.assembly import assemble
from cnnstudio.core.keras_script.sections import (
    augmentation_layers, build_model, checked_report, compile_model, load_training_data,
    loss_and_note, make_callbacks, settings,
)
from cnnstudio.core.keras_script.units import PER_PROJECT, fixed_parts, module_source

__all__ = ["ExportError", "PER_PROJECT", "fixed_parts", "keras_script", "module_source",
           "write_keras_script"]


def keras_script(project: Project, project_file: str | Path | None = None,
                 script_name: str = "train.py") -> str:
    """The text of a standalone Python script that builds, compiles and trains the
    project's model with Keras on the project's data, as CNN Studio's Trainer does.

    `project_file` locates relative data paths (written absolute in the script);
    `script_name` is only used in the usage lines of the script's docstring.
    Raises ExportError (or the ProjectError of a bad setting) for a project that
    could not be trained.
    """
    report = checked_report(project)
    data = dataset_config(project.dataset)
    training = training_config(project.training)
    units = report.output_shape[-1]
    loss, loss_note = loss_and_note(training.loss, data.source, units, training.metrics)
    generated = {
        "settings": settings(project, report, data, training, units, loss, loss_note,
                              project_file),
        "model": [build_model(project, report, project_file), compile_model(training)],
        "data": [load_training_data(data), augmentation_layers(data)],
        "training": [make_callbacks(training, project_file)],
    }
    return assemble(project, report, data, project_file, script_name, generated)


def write_keras_script(project: Project, out: str | Path,
                       project_file: str | Path | None = None) -> Path:
    """Write the script to `out` (atomically, so a failed export leaves no half file).

    A name such as keras.py is refused: Python would import the script itself in
    place of Keras, and fail with a puzzling AttributeError.
    """
    out = Path(out)
    text = keras_script(project, project_file, script_name=out.name)
    if out.stem in imported_modules(text):
        raise ExportError(f"A script named {out.name} would import itself instead of the "
                          f"{out.stem} module it needs; choose another name, e.g. "
                          f"train_{out.stem}.py.")
    try:
        write_text_atomic(out, text)
    except OSError as error:
        raise ExportError(f"Cannot write {out}: {error.strerror or error}. Choose a folder "
                          f"you can write to.") from None
    return out


def imported_modules(text: str) -> set[str]:
    """The top-level modules a script imports."""
    modules = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules
