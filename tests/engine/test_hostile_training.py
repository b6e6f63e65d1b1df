"""Headless training that is killed, stopped by signals or loses its output (issue 19).

These run `cnnstudio train` in a subprocess, since a signal or a closed pipe is what
they are about; the project is tiny so each takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnstudio.core import load_project, save_project
from cnnstudio.core.run_store import EPOCH_WEIGHTS, RECORD_FILE, recover_interrupted
from tests.training_projects import tiny_project

pytestmark = pytest.mark.slow


def start(project_file: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "cnnstudio", "train", str(project_file),
                             "--json", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def long_project(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.cnnstudio.json"
    save_project(tiny_project(count=96, epochs=200, capture=False), path)
    return path


def epoch_lines(process: subprocess.Popen, count: int) -> list[str]:
    lines = []
    while len(lines) < count:
        line = process.stdout.readline()
        assert line, process.stderr.read()
        lines.append(line)
    return lines


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_after_the_batch_and_record(tmp_path, name):
    project_file = long_project(tmp_path)
    process = start(project_file)
    epoch_lines(process, 1)
    process.send_signal(getattr(signal, name))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    (run,) = load_project(project_file).runs
    assert run["ended"] == "stopped" and run["epochs"]
    assert '"final": true' in out and "Traceback" not in err
    folder = project_file.parent / "tiny-runs" / run["id"]
    assert (folder / "last.weights.h5").is_file()
    assert not (folder / RECORD_FILE).exists() and not (folder / EPOCH_WEIGHTS).exists()


def test_a_hard_kill_loses_at_most_one_epoch(tmp_path):
    from cnnstudio.engine.run_model import model_for_run

    project_file = long_project(tmp_path)
    process = start(project_file)
    epoch_lines(process, 3)
    time.sleep(0.5)  # the third epoch's checkpoint is written off the training thread
    process.kill()
    process.wait(timeout=30)
    assert load_project(project_file).runs == ()
    (run_id,) = recover_interrupted(project_file)
    (run,) = load_project(project_file).runs
    assert run["id"] == run_id and run["ended"] == "interrupted"
    assert len(run["epochs"]) >= 2
    model = model_for_run(run, project_file)  # the epoch checkpoint loads
    assert model.count_params() > 0


def test_a_closed_output_stops_the_run_records_it_and_exits_non_zero(tmp_path):
    project_file = long_project(tmp_path)
    process = start(project_file)
    epoch_lines(process, 1)
    process.stdout.close()  # `| head -1`
    process.wait(timeout=60)
    err = process.stderr.read()
    assert process.returncode != 0
    assert "output was closed" in err and "Traceback" not in err
    (run,) = load_project(project_file).runs
    assert run["ended"] == "stopped"


def test_ctrl_c_while_tensorflow_loads_ends_quietly(tmp_path):
    project_file = long_project(tmp_path)
    process = start(project_file)
    time.sleep(1.5)  # importing TensorFlow takes seconds here
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert load_project(project_file).runs == ()
