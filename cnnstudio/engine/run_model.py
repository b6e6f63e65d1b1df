"""A recorded run's model: its architecture as it was, with the weights it saved."""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import VERSION, Project
from cnnstudio.core.project_file import project_from_dict
from cnnstudio.core.run_files import stored_path
from cnnstudio.engine.builder import build_keras_model


def run_project(run: dict, name: str = "model") -> Project:
    """The project as it was when the run started (input, layers, data, settings)."""
    return project_from_dict({"format": "cnnstudio", "version": VERSION, "name": name,
                              "input": run.get("input", {}), "layers": run.get("layers", []),
                              "dataset": run.get("dataset", {})})


def weights_path(run: dict, project_file: str | Path | None, best: bool = False) -> Path:
    text = run.get("best_weights" if best else "weights")
    if not text:
        raise CnnStudioError(f"{run.get('id', 'The run')} saved no "
                             f"{'best ' if best else ''}weights; train it again to get them.")
    path = stored_path(text, project_file)
    if not path.is_file():
        raise CnnStudioError(f"The weights of {run.get('id')} are missing: {path} does not "
                             "exist (moved or deleted?).")
    return path


def model_for_run(run: dict, project_file: str | Path | None, best: bool = False):
    """An uncompiled Keras model with the run's last (or best) weights."""
    model = build_keras_model(run_project(run), project_file)
    load_weights(model, weights_path(run, project_file, best))
    return model


def load_weights(model, path: Path) -> None:
    """Keras's `.weights.h5`, or the `.npz` weight list an interrupted run kept at its
    last epoch end (see core.run_store)."""
    if path.suffix == ".npz":
        from cnnstudio.engine.probe_file import load_weight_list

        model.set_weights(load_weight_list(path))
    else:
        model.load_weights(str(path))


def save_run_model(run: dict, project_file: str | Path | None, out: str | Path,
                   best: bool = False) -> Path:
    """The run's trained model as a `.keras` file that `keras.models.load_model` reads."""
    out = Path(out)
    if out.suffix != ".keras":
        raise CnnStudioError(f"{out}: Keras saves whole models as .keras files; use that "
                             "extension.")
    model_for_run(run, project_file, best).save(str(out))
    return out
