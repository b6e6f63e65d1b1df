"""The imported weights, written as the project's own model saves them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cnnstudio.core.project import Project
from cnnstudio.core.project_file import IMPORT_FOLDER_PREFIX
from cnnstudio.core.run_files import project_stem

from cnnstudio.engine.builder import build_keras_model  # noqa: E402
from cnnstudio.engine.model_import.common import SAVE_AGAIN, WEIGHTS_SUFFIX, ModelImportError


def imported_weights_path(model_path: str | Path, project_file: str | Path | None) -> Path:
    """Beside the project (`NAME-imported.weights.h5`), else in a new temporary folder
    that `carry_files` empties when the project is saved."""
    if project_file is not None:
        project_file = Path(project_file).resolve()
        return project_file.parent / f"{project_stem(project_file)}-imported{WEIGHTS_SUFFIX}"
    folder = Path(tempfile.mkdtemp(prefix=IMPORT_FOLDER_PREFIX))
    return folder / f"{Path(model_path).stem}-imported{WEIGHTS_SUFFIX}"


def write_weights(project: Project, layers: list, path: Path,
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
                                         f"CNN Studio layer ({error}). {SAVE_AGAIN}") from None
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
