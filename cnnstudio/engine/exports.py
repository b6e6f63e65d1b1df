"""Every export of a project, for the `export` command and the File menu alike.

Scripts are text made in core (no TensorFlow needed to write them); models are
built by Keras here: the newest run whose weights fit the project as it is now,
else the untrained model, and the result says which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cnnstudio.core.errors import ExportError
from cnnstudio.core.export_targets import EXPORT_TARGETS
from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.project import Project
from cnnstudio.core.runs import latest_trained_run

ONNX_HINT = ("ONNX export uses tf2onnx, an optional extra: pip install 'cnnstudio[onnx]' "
             "(or pip install tf2onnx), then export again.")


@dataclass(frozen=True)
class Exported:
    path: Path
    notes: list[str] = field(default_factory=list)  # what the user should know (untrained...)


def _model(project: Project, project_file: str | Path | None, run_id: str | None):
    """(Keras model, note): a run's trained model, else the untrained one."""
    from cnnstudio.engine.builder import build_keras_model
    from cnnstudio.engine.run_model import model_for_run

    if run_id is not None:
        run = next((r for r in project.runs if r.get("id") == run_id), None)
        if run is None:
            ids = ", ".join(r["id"] for r in project.runs) or "none yet"
            raise ExportError(f"The project has no run {run_id!r} (its runs: {ids}).")
        return model_for_run(run, project_file), f"with the weights of {run_id}"
    run = latest_trained_run(project)
    if run is not None:
        return model_for_run(run, project_file), f"with the weights of {run['id']}"
    return (build_keras_model(project, project_file),
            "untrained: no run's weights fit the model as it is now")


def keras_model(project: Project, project_file: str | Path | None, out: Path,
                run_id: str | None = None) -> Exported:
    """A `.keras` file that `keras.models.load_model` reads in a fresh process."""
    if out.suffix != ".keras":
        raise ExportError(f"{out}: Keras saves whole models as .keras files; use that "
                          "extension.")
    model, note = _model(project, project_file, run_id)
    model.save(str(out))
    return Exported(out, [f"The model is {note}."])


def onnx_model(project: Project, project_file: str | Path | None, out: Path,
               run_id: str | None = None) -> Exported:
    """An ONNX file through tf2onnx, when that optional extra is installed."""
    try:
        import tf2onnx  # noqa: F401 - an optional extra
    except ImportError:
        raise ExportError(ONNX_HINT) from None
    import tensorflow as tf

    model, note = _model(project, project_file, run_id)
    spec = (tf.TensorSpec((None, *project.input_shape), tf.float32, name="input"),)
    try:
        tf2onnx.convert.from_keras(model, input_signature=spec, output_path=str(out))
    except Exception as error:  # noqa: BLE001 - tf2onnx raises many kinds
        raise ExportError(f"tf2onnx could not convert the model: {error}") from None
    return Exported(out, [f"The model is {note}."])


def keras_script(project: Project, project_file: str | Path | None, out: Path,
                 run_id: str | None = None) -> Exported:
    """A standalone, commented Keras script that builds, compiles and trains the model."""
    from cnnstudio.core.keras_script import write_keras_script

    write_keras_script(project, out, project_file)
    return Exported(out, [f"Run it with: python {out.name}   (--summary-json prints the "
                          "layers' shapes and counts; --epochs N trains N epochs)"])


def pytorch_script(project: Project, project_file: str | Path | None, out: Path,
                   run_id: str | None = None) -> Exported:
    """An nn.Sequential with the same layers in channels-first order, and the same counts;
    layers PyTorch has no equivalent for are named, never guessed."""
    from cnnstudio.core.pytorch_script import pytorch_script as write_text

    script = write_text(project)
    write_text_atomic(out, script.text)  # a failed export leaves no half-written file
    notes = [f"Run it with: python {out.name}   (needs PyTorch: pip install torch; "
             "--summary-json prints the layers' shapes and counts)"]
    if script.unsupported:
        notes.append("Not translated:")
        notes += [f"- {line}" for line in script.unsupported]
    return Exported(out, notes)


def check_output(project: Project, project_file: str | Path | None, out: Path,
                 force: bool) -> None:
    """Refuse to write over the project, its run files, or (without `force`) any file."""
    from cnnstudio.core.carried_files import carried_paths
    from cnnstudio.core.run_files import stored_path

    if not out.exists() and not out.is_symlink():
        return
    own = [Path(project_file)] if project_file is not None else []
    own += [stored_path(text, project_file) for text in carried_paths(project)]
    for path in own:
        if path is not None and _same_file(path, out):
            what = "the project file" if path == own[0] and project_file else "a file the project uses"
            raise ExportError(f"Cannot write {out}: it is {what}, which the export would "
                              "destroy. Choose another output file.")
    if not out.is_file():
        raise ExportError(f"Cannot write {out}: it exists and is not a regular file.")
    if not force:
        raise ExportError(f"{out} already exists; choose another name, or add --force to "
                          "replace it.")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


EXPORTERS: dict[str, Callable[..., Exported]] = {
    target.key: globals()[target.writer] for target in EXPORT_TARGETS}


def export(project: Project, project_file: str | Path | None, target: str, out: str | Path,
           run_id: str | None = None, force: bool = False) -> Exported:
    """Write `project` as `target` to `out`; ExportError says what went wrong.

    An existing `out` is replaced only with `force` (the GUI's save dialog asks
    first), and never when it is the project file or a file the project names.
    """
    exporter = EXPORTERS.get(target)
    if exporter is None:
        raise ExportError(f"Unknown export {target!r}; use one of {', '.join(EXPORTERS)}.")
    out = Path(out)
    if not out.parent.is_dir():
        raise ExportError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    check_output(project, project_file, out, force)
    from cnnstudio.engine.builder import measure_bases

    measure_bases(project)  # scripts give a pre-trained base's shape and counts too
    try:
        return exporter(project, project_file, out, run_id)
    except OSError as error:
        raise ExportError(f"Cannot write {out}: {error.strerror or error}.") from None
