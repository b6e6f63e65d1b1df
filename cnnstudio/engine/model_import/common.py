"""What every step of a model import shares: its error and result, the file kinds."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project


MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
WEIGHTS_SUFFIX = ".weights.h5"
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MODEL_CLASSES = ("Sequential", "Functional", "Model")
SAVE_AGAIN = "In Keras, save the model again with model.save('model.keras') and import that."
DROPPED_SUFFIXES = {
    "_initializer": "a new run starts from the imported weights, and from Keras's default "
                    "initialiser only once the layers change",
    "_regularizer": "training does not add its penalty to the loss",
    "_constraint": "training does not constrain the weights",
}


class ModelImportError(CnnStudioError):
    """A model file that cannot become a project: the file, what stops it, what to do."""

    def __init__(self, file: str | os.PathLike[str], problem: str) -> None:
        self.file = str(file)
        self.problem = problem
        super().__init__(f"{file}: {problem}")


@dataclass(frozen=True)
class ImportedModel:
    """What an import gives: the project, its start weights file (None when the model
    has no weights) and notes for the user on what was left behind."""

    project: Project
    weights: Path | None
    notes: list[str] = field(default_factory=list)
