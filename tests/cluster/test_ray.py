"""Training on a Ray cluster and sweeps through Ray Tune, on a local Ray of 2 CPUs.

One Ray session serves the module (starting Ray takes seconds), and `make test`
runs the module on its own, after the rest of the suite; the commands
run in this process and use it, as `--ray local` uses a session its process has
already started. The Ctrl+C case runs the command in a subprocess that joins
the same session with `--ray auto`, as a user joins a cluster `ray start` made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.core.test_cli import cnnstudio
from tests.training_projects import tiny_project

pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # `make test` runs these after the rest (see the Makefile)


@pytest.fixture(scope="module")
def ray_session():
    import ray

    from cnnstudio.engine.ray_cluster import WORKER_ENV

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False, runtime_env={"env_vars": dict(WORKER_ENV)})
    yield
    ray.shutdown()


def _project(tmp_path, **training):
    from cnnstudio.core import save_project

    path = tmp_path / "tiny.cnnstudio.json"
    save_project(tiny_project(**training), path)
    return path


def test_two_workers_train_and_record_the_chiefs_run(tmp_path, ray_session):
    from cnnstudio.core import load_project
    from cnnstudio.core.run_files import stored_path

    path = _project(tmp_path, epochs=2)
    result = cnnstudio("train", path, "--ray", "local", "--workers", "2", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["epoch"] for line in lines[:-1]] == [1, 2]
    assert lines[-1]["final"] and lines[-1]["ended"] == "completed"
    (run,) = load_project(path).runs
    assert run["id"] == lines[-1]["run"]
    # the chief's epochs, as they streamed: a global batch over 2 replicas
    assert [e["loss"] for e in run["epochs"]] == [line["loss"] for line in lines[:-1]]
    assert run["replicas"] == 2 and run["device"] == "cluster"
    assert run["cluster"]["workers"] == 2 and run["cluster"]["cpus"] == 2
    assert stored_path(run["weights"], path).is_file()
    assert stored_path(run["best_weights"], path).is_file()
    # the first epoch is the one a single process trains (tests/engine/test_custom_fit.py)
    assert run["epochs"][0]["loss"] == pytest.approx(1.82422, rel=1e-4)


def test_invalid_trials_are_reported_and_the_sweep_goes_on(tmp_path, ray_session):
    from cnnstudio.core import load_project

    path = _project(tmp_path, epochs=1)
    # one at a time: the second trial runs only if the first one's end kept the sweep going
    result = cnnstudio("sweep", path, "--set", "layers.conv2d.params.kernel_size=20,30",
                       "--parallel", "1")
    assert result.returncode == 1, result.stderr[-3000:]  # no trial trained
    for size in (20, 30):
        assert (f"invalid: kernel_size={size}: layers[0] (conv2d) is invalid: kernel "
                f"{size}x{size} does not fit") in result.stdout
    assert load_project(path).runs == ()


def test_ctrl_c_stops_a_sweep_and_keeps_the_trials_that_ended(tmp_path, ray_session):
    from cnnstudio.core import load_project

    path = _project(tmp_path, epochs=2)
    command = [sys.executable, "-m", "cnnstudio", "sweep", str(path), "--set",
               "training.learning_rate=0.001,0.002,0.003,0.004", "--parallel", "1",
               "--ray", "auto", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    ended = None
    for line in process.stdout:
        message = json.loads(line)
        if "ended" in message:
            ended = message
            break
    assert ended is not None, process.stderr.read()[-3000:]
    time.sleep(1.0)  # into the next trial
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err[-3000:]
    assert "stopped;" in err
    runs = load_project(path).runs
    assert 1 <= len(runs) < 4
    assert runs[0]["ended"] == "completed" and runs[0]["id"] == ended["run"]
    assert all(run["sweep"]["values"] for run in runs)


def test_an_unreachable_address_fails_in_seconds_with_one_sentence(tmp_path):
    path = _project(tmp_path)
    start = time.perf_counter()
    result = cnnstudio("train", path, "--ray", "127.0.0.1:1", "--workers", "2")
    assert time.perf_counter() - start < 10
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("cnnstudio: cannot reach the Ray cluster at 127.0.0.1:1")
    assert "ray start --head" in line


def test_a_four_trial_sweep_from_the_runs_page_records_each_trial_with_its_values(
        tmp_path, ray_session, qtbot, monkeypatch):
    """The Sweep tab with the real SweepRun, 4 trials 2 at a time: the request reaches Ray
    Tune from the GUI's worker thread, each trial shows as it trains, each is recorded
    as a run with its values, ranked, and the best settings apply to the design. (The
    command's output over the same launcher: tests/engine/test_sweep_launcher.py; the
    command on Ray: the Ctrl+C test below.)"""
    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QMessageBox

    from cnnstudio.core import load_project
    from cnnstudio.core.sweep_plan import make_plan
    from cnnstudio.ui.pages.runs.sweep_session import SweepRequest
    from cnnstudio.ui.window.main_window import MainWindow

    QStandardPaths.setTestModeEnabled(True)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    path = _project(tmp_path, epochs=2)
    window = MainWindow(load_project(path), path,
                        QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.show_page("Runs", "Sweep")
    panel = window.runs_page.sweep
    plan = make_plan(["training.learning_rate=0.001,0.01", "layers.conv2d.params.filters=2,4"],
                     window.editor.project)
    epochs_seen = []
    panel.start(SweepRequest(plan, epochs=2, parallel=2))
    panel.session.trial_changed.connect(lambda trial: epochs_seen.append(len(trial.epochs)))
    with qtbot.waitSignal(panel.session.finished, timeout=120_000) as blocker:
        pass
    outcome = blocker.args[0]
    assert outcome.error is None and not outcome.stopped
    assert [t.status for t in outcome.trials] == ["completed"] * 4
    assert 1 in epochs_seen  # a trial was shown before it ended
    losses = [t.best()["val_loss"] for t in outcome.trials]
    assert losses == sorted(losses)  # ranked, best first
    runs = load_project(path).runs
    assert len(runs) == 4 and len({r["sweep"]["id"] for r in runs}) == 1
    values = sorted((r["sweep"]["values"]["training.learning_rate"],
                     r["sweep"]["values"]["layers.conv2d.params.filters"]) for r in runs)
    assert values == [(0.001, 2), (0.001, 4), (0.01, 2), (0.01, 4)]
    for run in runs:
        assert run["settings"]["learning_rate"] == run["sweep"]["values"][
            "training.learning_rate"]
        assert run["layers"][0]["params"]["filters"] == run["sweep"]["values"][
            "layers.conv2d.params.filters"]
        assert run["ended"] == "completed" and len(run["epochs"]) == 2
    qtbot.waitUntil(lambda: len(window.editor.project.runs) == 4, timeout=10_000)
    assert panel.table.rowCount() == 4 and set(panel.curves.curves) == set(panel.trials)
    best = outcome.trials[0]
    panel.apply_button.click()
    assert window.editor.project.training["learning_rate"] == \
        best.values["training.learning_rate"]
    window.close()
