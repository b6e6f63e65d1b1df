"""Hostile and broken projects (issue 19): no file moved or overwritten, no traceback.

Each test names the numbered point it holds. Project loading is also fed arbitrary
JSON values and bytes (Hypothesis): a Project or a ProjectError, nothing else.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cnnstudio.cli import main
from cnnstudio.core import Project, ProjectError, infer, load_project, project_from_dict, save_project
from cnnstudio.core.carried_files import carry_files
from cnnstudio.core.keras_script import keras_script
from cnnstudio.core.project_file import (
    IMPORT_FOLDER_PREFIX, start_weights_entry, start_weights_of, with_start_weights,
)
from cnnstudio.core.pytorch_script import pytorch_script
from cnnstudio.core.run_store import (
    ACTIVE_FILE, EPOCH_WEIGHTS, RECORD_FILE, ActiveRun, record_run, recover_interrupted,
    reserve_run, runs_folder,
)

DOC = {"name": "net", "input": {"shape": [8, 8, 1]},
       "layers": [{"type": "Flatten"}, {"type": "Dense", "params": {"units": 2}}]}


def write(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def field_of(doc, tmp_path: Path) -> str:
    with pytest.raises(ProjectError) as caught:
        load_project(write(tmp_path / "p.cnnstudio.json", doc))
    return caught.value.field


# 1. A project names only files in its own folder ------------------------------------

@pytest.mark.parametrize("path", ["/home/me/.ssh/id_rsa", "../../secret.h5",
                                  "weights/../../x.h5", "C:\\\\Users\\\\me\\\\w.h5",
                                  "a\\..\\..\\w.h5"])
def test_start_weights_and_run_files_outside_the_project_are_refused(tmp_path, path):
    entry = {"path": path, "input": DOC["input"], "layers": DOC["layers"]}
    assert field_of({**DOC, "start_weights": entry}, tmp_path) == "start_weights.path"
    run = {"id": "run-1", "weights": path}
    assert field_of({**DOC, "runs": [run]}, tmp_path) == "runs[0].weights"
    assert field_of({**DOC, "runs": [{"id": "run-1", "probe": path}]}, tmp_path) == \
        "runs[0].probe"


def test_saving_never_moves_a_file_the_project_merely_names(tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_bytes(b"private")
    project = project_from_dict(DOC)
    with pytest.raises(ProjectError):  # not even a project in memory may name it...
        with_start_weights(project, start_weights_entry(project, str(secret)))
    # ...and were one to, saving would leave it where it is.
    project = replace(project, extra={"start_weights": start_weights_entry(project,
                                                                           str(secret))})
    target = tmp_path / "shared" / "net.cnnstudio.json"
    target.parent.mkdir()
    assert carry_files(project, target) == project
    assert secret.read_bytes() == b"private"
    assert not (target.parent / "net-imported.weights.h5").exists()


def test_a_same_named_file_beside_the_project_is_never_overwritten(tmp_path):
    temp = Path(tempfile.mkdtemp(prefix=IMPORT_FOLDER_PREFIX))
    (temp / "w.weights.h5").write_bytes(b"imported")
    target = tmp_path / "net.cnnstudio.json"
    (tmp_path / "net-imported.weights.h5").write_bytes(b"someone else's")
    project = project_from_dict(DOC)
    project = with_start_weights(project, start_weights_entry(project,
                                                              str(temp / "w.weights.h5")))
    placed = carry_files(project, target)
    assert start_weights_of(placed)["path"] == "net-imported-2.weights.h5"
    assert (tmp_path / "net-imported.weights.h5").read_bytes() == b"someone else's"
    assert (tmp_path / "net-imported-2.weights.h5").read_bytes() == b"imported"


# 2. Exports never destroy the project or an existing file --------------------------

def test_export_refuses_the_project_its_run_files_and_existing_files(tmp_path, capsys):
    project_file = tmp_path / "net.cnnstudio.json"
    weights = tmp_path / "net-runs" / "run-1" / "last.weights.h5"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"trained")
    write(project_file, {**DOC, "runs": [{"id": "run-1",
                                          "weights": "net-runs/run-1/last.weights.h5"}]})
    before = project_file.read_bytes()
    assert main(["export", str(project_file), "--to", "keras-script", str(project_file),
                 "--force"]) == 2
    assert "the project file" in capsys.readouterr().err
    assert main(["export", str(project_file), "--to", "pytorch-script", str(weights),
                 "--force"]) == 2
    assert project_file.read_bytes() == before and weights.read_bytes() == b"trained"
    other = tmp_path / "mine.py"
    other.write_text("# my own script\n")
    assert main(["export", str(project_file), "--to", "pytorch-script", str(other)]) == 2
    assert "--force" in capsys.readouterr().err
    assert other.read_text() == "# my own script\n"
    assert main(["export", str(project_file), "--to", "pytorch-script", str(other),
                 "--force"]) == 0
    assert "import torch" in other.read_text()


# 4. Layer names TensorFlow accepts ---------------------------------------------------

@pytest.mark.parametrize("name", ["x" * 100_000, "two words", "emoji\U0001F600", "back\\slash",
                                  "nul\x00", "slash/name", ""])
def test_layer_names_tensorflow_refuses_are_refused_at_load(tmp_path, name):
    layers = [{"type": "Flatten", "name": name}, DOC["layers"][1]]
    assert field_of({**DOC, "layers": layers}, tmp_path) == "layers[0].name"


# 6. Saving keeps the file's mode and writes through a symbolic link -------------------

def test_save_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.cnnstudio.json"
    save_project(project_from_dict(DOC), real)
    os.chmod(real, 0o644)
    link = tmp_path / "link.cnnstudio.json"
    link.symlink_to(real)
    save_project(project_from_dict({**DOC, "name": "renamed"}), link)
    assert link.is_symlink()
    assert load_project(real).name == "renamed"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o644
    os.chmod(real, 0o640)
    save_project(project_from_dict(DOC), real)
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# 7. Two trainings of one file keep both runs -----------------------------------------

def test_concurrent_runs_get_distinct_ids_and_are_both_recorded(tmp_path):
    project_file = tmp_path / "net.cnnstudio.json"
    save_project(project_from_dict(DOC), project_file)
    stale = load_project(project_file)  # both trainers read the file before either records
    ids: list[str] = []

    def train() -> None:
        run_id, folder = reserve_run(project_file, stale.runs)
        assert folder.is_dir()
        ids.append(run_id)
        record_run(project_file, {"id": run_id, "ended": "completed", "epochs": []})

    threads = [threading.Thread(target=train) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == ["run-1", "run-2", "run-3", "run-4"]
    assert sorted(r["id"] for r in load_project(project_file).runs) == sorted(ids)


# 5. A killed run is recorded as interrupted the next time the project opens -----------

def test_a_run_left_by_a_dead_process_is_recovered_as_interrupted(tmp_path):
    project_file = tmp_path / "net.cnnstudio.json"
    save_project(project_from_dict(DOC), project_file)
    dead_id, dead = reserve_run(project_file)
    live_id, live = reserve_run(project_file)
    epochs = [{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}]
    for folder in (dead, live):
        (folder / RECORD_FILE).write_text(json.dumps({"id": folder.name, "epochs": epochs,
                                                      "weights": "/etc/passwd"}))
    (dead / EPOCH_WEIGHTS).write_bytes(b"npz")
    ActiveRun(dead).release()  # the dead process's lock is gone with it
    holder = ActiveRun(live)  # this one still trains
    try:
        assert recover_interrupted(project_file) == [dead_id]
    finally:
        holder.release()
    (run,) = load_project(project_file).runs
    assert run["id"] == dead_id and run["ended"] == "interrupted"
    assert run["epochs"] == epochs
    assert run["weights"] == f"net-runs/{dead_id}/{EPOCH_WEIGHTS}"  # never the record's own
    assert "2 epochs" in run["message"]
    assert not (dead / RECORD_FILE).exists() and (live / RECORD_FILE).exists()
    assert recover_interrupted(project_file) == [live_id]  # once its process is gone too
    assert not (runs_folder(project_file) / live_id / ACTIVE_FILE).exists()


# 8. Save As into another folder keeps the imported start weights ----------------------

def test_save_as_into_another_folder_carries_the_start_weights(tmp_path):
    old = tmp_path / "a" / "net.cnnstudio.json"
    old.parent.mkdir()
    (old.parent / "net-imported.weights.h5").write_bytes(b"imported")
    project = project_from_dict(DOC)
    project = with_start_weights(project, start_weights_entry(project,
                                                              "net-imported.weights.h5"))
    save_project(project, old)
    new = tmp_path / "b" / "copy.cnnstudio.json"
    new.parent.mkdir()
    moved = carry_files(load_project(old), new, previous_file=old)
    save_project(moved, new)
    path = new.parent / start_weights_of(load_project(new))["path"]
    assert path.read_bytes() == b"imported"
    assert (old.parent / "net-imported.weights.h5").read_bytes() == b"imported"  # kept


# 10. Tensors too large for TensorFlow -------------------------------------------------

def test_a_tensor_past_tensorflows_limit_is_refused_with_the_arithmetic():
    project = project_from_dict({**DOC, "input": {"shape": [28, 28, 1]}, "layers": [
        {"type": "ZeroPadding2D", "params": {"padding": 1_000_000_000}}, {"type": "Flatten"}]})
    report = infer(project)
    assert not report.valid and report.error_index == 0
    error = report.layers[0].error
    assert "2,000,000,028 x 2,000,000,028 x 1" in error and "2,147,483,647" in error
    with pytest.raises(ProjectError, match="input.shape"):
        project_from_dict({**DOC, "input": {"shape": [100_000, 100_000, 3]}})


# 12, 13. Files that are not projects: exit 2, one sentence -----------------------------

def test_devices_pipes_deep_nesting_and_huge_numbers_are_unreadable_files(tmp_path, capsys):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    nested = write(tmp_path / "nested.json", "[" * 100_000 + "]" * 100_000)
    huge = write(tmp_path / "huge.json", '{"input": {"shape": [' + "9" * 5000 + "]}}")
    for path in ("/dev/zero", fifo, nested, huge):
        assert main(["shapes", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("cnnstudio: ") and err.count("\n") == 1 and "Traceback" not in err


# 14. Run records are checked at load ----------------------------------------------------

def test_malformed_runs_are_refused_at_load(tmp_path):
    assert field_of({**DOC, "runs": [1, "x", None]}, tmp_path) == "runs[0]"
    assert field_of({**DOC, "runs": [{"id": "run-1", "epochs": [{"loss": "low"}]}]},
                    tmp_path) == "runs[0].epochs[0].loss"
    assert field_of({**DOC, "runs": [{"id": 3}]}, tmp_path) == "runs[0].id"
    assert field_of({**DOC, "runs": [{"id": "run-1"}, {"id": "run-1"}]},
                    tmp_path) == "runs[1].id"


# 15. User text in generated scripts -------------------------------------------------------

HOSTILE = ['C:\\Users\\me\\data', 'x"""y', "x'''y\n# z", 'end\\', "\r\nprint('owned')",
           "line\u2028sep", "nul\x00", "{name}"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_and_paths_make_scripts_that_compile(tmp_path, text):
    folder = tmp_path / 'we\\ird"""'
    folder.mkdir()
    project = project_from_dict({**DOC, "name": text, "dataset": {
        "source": "npz", "path": text.replace("\x00", "") + ".npz"}})
    for script in (keras_script(project, folder / "p.cnnstudio.json"),
                   pytorch_script(project).text):
        code = compile(script, "export.py", "exec")
        assert "owned" not in code.co_names


# 17. Bad settings: exit 2 at once, before TensorFlow ----------------------------------------

def test_bad_training_settings_exit_2_without_loading_tensorflow(tmp_path):
    bad = write(tmp_path / "bad.cnnstudio.json", {**DOC, "training": {"batch_size": -4}})
    code = ("import sys; from cnnstudio.cli import main; rc = main(['train', sys.argv[1]]); "
            "assert 'tensorflow' not in sys.modules; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "training.batch_size" in result.stderr and str(bad) in result.stderr


# 21. A command line that is not a GUI start never touches Qt ---------------------------------

def test_unknown_commands_get_the_usage_and_never_start_qt(tmp_path):
    code = ("import sys; from cnnstudio.cli import main; rc = main(sys.argv[1:]); "
            "assert 'PySide6' not in sys.modules; sys.exit(rc)")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                            "QT_QPA_PLATFORM")}
    for argv in (["improt", "a.keras", "b.json"], ["frobnicate"], ["a.json", "b.json"]):
        result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                                text=True, timeout=60, env=env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("usage: cnnstudio") and "Traceback" not in result.stderr
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.cnnstudio.json")],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1 and "no display" in result.stderr


# The property: loading arbitrary input gives a Project or a ProjectError -------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30)
project_keys = st.sampled_from(["format", "version", "name", "input", "layers", "dataset",
                                "training", "runs", "start_weights"])
near_projects = st.fixed_dictionaries(
    {"input": st.one_of(st.just({"shape": [8, 8, 1]}), json_values),
     "layers": st.one_of(st.just(DOC["layers"]), json_values)},
    optional={key: json_values for key in ["name", "dataset", "training", "runs",
                                           "start_weights", "version"]})


def _outcome(path: Path) -> None:
    try:
        assert isinstance(load_project(path), Project)
    except ProjectError as error:
        assert str(path) in str(error)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(doc=st.one_of(json_values, near_projects,
                     st.dictionaries(project_keys, json_values, max_size=6)))
def test_any_json_value_loads_or_gives_a_project_error(tmp_path, doc):
    path = tmp_path / "p.cnnstudio.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    _outcome(path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(max_size=200))
def test_any_bytes_load_or_give_a_project_error(tmp_path, data):
    path = tmp_path / "p.cnnstudio.json"
    path.write_bytes(data)
    _outcome(path)


def test_saving_an_untitled_project_moves_its_runs_files_beside_it(tmp_path):
    """A run trained before the first save keeps its files in CNN Studio's temporary
    folder; Save moves them to NAME-runs/run-1/ and the record names them there."""
    temp = Path(tempfile.mkdtemp(prefix="cnnstudio-run-1-"))
    (temp / "last.weights.h5").write_bytes(b"last")
    (temp / "probe.npz").write_bytes(b"probe")
    run = {"id": "run-1", "ended": "completed", "epochs": [{"epoch": 1, "loss": 0.5}],
           "weights": str(temp / "last.weights.h5"), "probe": str(temp / "probe.npz")}
    project = replace(project_from_dict(DOC), runs=(run,))
    target = tmp_path / "net.cnnstudio.json"
    saved = carry_files(project, target)
    save_project(saved, target)
    (run,) = load_project(target).runs  # relative paths: the file loads
    assert run["weights"] == "net-runs/run-1/last.weights.h5"
    assert (tmp_path / run["weights"]).read_bytes() == b"last"
    assert (tmp_path / run["probe"]).read_bytes() == b"probe"
    assert not temp.exists()
