"""Reading a model file's description and compile settings without building a model:
a damaged file, a weights-only file or a huge one is named plainly, not through a Keras
traceback."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any

from cnnstudio.core.project_file import parse_json
from cnnstudio.engine.model_import.common import (
    HDF5_MAGIC, MODEL_SUFFIXES, SAVE_AGAIN, WEIGHTS_SUFFIX, ZIP_MAGIC, ModelImportError,
)


def check_path(path: Path) -> None:
    if not path.exists():
        raise ModelImportError(path, "file not found. Check the path; a Keras model is "
                                     "saved with model.save('model.keras').")
    if path.is_dir():
        raise ModelImportError(path, "is a folder, not a model file (a TensorFlow "
                                     f"SavedModel?). Load it in Keras and save it as a "
                                     f".keras file: {SAVE_AGAIN}")
    if not path.is_file():  # a device or a pipe would be read forever or block
        raise ModelImportError(path, "is not a regular file (a device, pipe or socket); "
                                     "choose a .keras or .h5 model file.")
    name = path.name.lower()
    if name.endswith(WEIGHTS_SUFFIX):
        raise ModelImportError(path, _weights_only())
    if name.endswith(".cnnstudio.json"):
        raise ModelImportError(path, "is a CNN Studio project, not a Keras model: open it "
                                     "instead of importing it.")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelImportError(path, f"is not a Keras model file: CNN Studio imports "
                                     f".keras files and legacy .h5 model files. {SAVE_AGAIN}")


def _weights_only() -> str:
    return ("holds only weights (saved with save_weights), with no architecture to import. "
            "Import the model file saved with model.save('model.keras') instead.")


def read_model_config(path: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The file's model description and compile settings, read without building a model.

    Reading the JSON ourselves lets a damaged file, a weights-only file or an
    unsupported layer be named plainly instead of through a Keras traceback.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise ModelImportError(path, f"cannot be read ({error.strerror}).") from None
    if not head:
        raise ModelImportError(path, f"is empty. {SAVE_AGAIN}")
    is_keras = path.suffix.lower() == ".keras"
    if head.startswith(HDF5_MAGIC):
        document, compile_config = _read_h5(path)
        if is_keras:
            raise ModelImportError(path, "is an HDF5 (.h5) model file named .keras: rename "
                                         "it to .h5 and import it again.")
        return document, compile_config
    if head.startswith(ZIP_MAGIC):
        document = _read_keras_archive(path)
        if not is_keras:
            raise ModelImportError(path, "is a .keras archive with another extension: rename "
                                         "it to .keras and import it again.")
        return document, document.get("compile_config")
    kind = "a .keras archive" if is_keras else "an HDF5 model file"
    raise ModelImportError(path, f"is damaged or not a Keras model: it is not {kind}. "
                                 f"{SAVE_AGAIN}")


def _read_keras_archive(path: Path) -> dict[str, Any]:
    damaged = f"is damaged (a truncated or corrupt .keras archive). {SAVE_AGAIN}"
    try:
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ModelImportError(path, "is a zip archive but not a Keras model (it has "
                                             f"no config.json). {SAVE_AGAIN}")
            size = archive.getinfo("config.json").file_size
            if size > MAX_CONFIG_BYTES:
                raise ModelImportError(path, _too_large("config.json", size))
            with archive.open("config.json") as member:  # the stated size may lie
                text = member.read(MAX_CONFIG_BYTES + 1)
            if len(text) > MAX_CONFIG_BYTES:
                raise ModelImportError(path, _too_large("config.json", len(text)))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise ModelImportError(path, damaged) from None
    return _json_object(text, path, damaged)


def _read_h5(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    import h5py

    damaged = f"is damaged (a truncated or corrupt HDF5 file). {SAVE_AGAIN}"
    try:
        with h5py.File(path, "r") as handle:
            for name in ("model_config", "training_config"):
                if name in handle.attrs:
                    size = handle.attrs.get_id(name).get_storage_size()
                    if size > MAX_CONFIG_BYTES:
                        raise ModelImportError(path, _too_large(name, size))
            raw = handle.attrs.get("model_config")
            training = handle.attrs.get("training_config")
            weights_like = ("layer_names" in handle.attrs
                            or any(key in handle for key in ("layers", "vars", "model_weights")))
    except (OSError, ValueError):
        raise ModelImportError(path, damaged) from None
    if raw is None:
        if weights_like:
            raise ModelImportError(path, _weights_only())
        raise ModelImportError(path, "is an HDF5 file but not a Keras model (it holds no "
                                     f"model_config). {SAVE_AGAIN}")
    document = _json_object(raw, path, damaged)
    compile_config = None
    if training is not None:
        try:
            compile_config = _json_object(training, path, damaged)
        except ModelImportError:
            compile_config = None  # settings are optional; the model is what matters
    return document, compile_config


MAX_CONFIG_BYTES = 64 * 1024 ** 2
"""The largest model description read (ResNet152's is under 1 MB): the size is checked
before reading, so a small file that inflates to gigabytes costs nothing."""


def _too_large(name: str, size: int) -> str:
    return (f"its {name} is {size:,} bytes, more than the {MAX_CONFIG_BYTES:,} a model "
            "description may have; the file is damaged or not a Keras model.")


def _json_object(raw: Any, path: Path, damaged: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)
    except UnicodeDecodeError:
        raise ModelImportError(path, damaged) from None
    value = parse_json(text, lambda _problem: ModelImportError(path, damaged))
    if not isinstance(value, dict):
        raise ModelImportError(path, damaged)
    return value
