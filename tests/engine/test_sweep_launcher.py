"""The sweep launcher's bookkeeping, fed the relayed messages by hand (no Ray): what it
records for a trial that finished, one that was invalid, and one that ASHA ended early
(its process gone before it could send a record); Ray Tune's side runs in
tests/cluster/test_ray.py."""

from __future__ import annotations

from cnnstudio.core import load_project, save_project
from cnnstudio.core.sweep_plan import make_plan
from cnnstudio.engine.ray_sweep import SweepRun
from tests.training_projects import tiny_project


def launcher(tmp_path, asha: bool):
    path = tmp_path / "tiny.cnnstudio.json"
    project = tiny_project(epochs=4)
    save_project(project, path)
    plan = make_plan(["training.learning_rate=0.001,0.01"], project)
    seen = []
    run = SweepRun(project, path, plan, asha=asha, on_trial=lambda t: seen.append(t.status))
    return run, path, seen


def epoch(n: int, loss: float) -> dict:
    return {"epoch": n, "loss": loss, "val_loss": loss + 0.1, "val_accuracy": 0.5}


def test_a_trial_asha_ended_is_recorded_from_its_last_epoch_without_weights(tmp_path):
    run, path, seen = launcher(tmp_path, asha=True)
    values = {"training.learning_rate": 0.01}
    snapshot = {"started": "2026-12-03T12:00:00", "settings": {"learning_rate": 0.01},
                "epochs": [], "weights": "/elsewhere/last.weights.h5", "dynamics": {"x": 1}}
    for n, loss in ((1, 1.0), (2, 0.9)):
        snapshot = {**snapshot, "epochs": [*snapshot["epochs"], epoch(n, loss)]}
        run._receive(("epoch", "t_00001", values, epoch(n, loss), snapshot))
    trial = run.trials["t_00001"]
    run._record_unfinished(trial)  # what _sweep does for a trial still running at the end
    assert trial.status == "stopped" and trial.run_id == "run-1"
    assert "Stopped by the ASHA scheduler after 2 epochs" in trial.message
    (record,) = load_project(path).runs
    assert record["ended"] == "stopped" and record["weights"] is None
    assert [e["epoch"] for e in record["epochs"]] == [1, 2] and "dynamics" not in record
    assert record["sweep"]["values"] == values and record["sweep"]["id"] == run.sweep_id
    assert seen == ["running", "running", "stopped"]


def test_finished_and_invalid_trials_are_kept_apart(tmp_path):
    run, path, _ = launcher(tmp_path, asha=False)
    values = {"training.learning_rate": 0.001}
    record = {"started": "2026-12-03T12:00:00", "ended": "completed", "seconds": 1.0,
              "epochs": [epoch(1, 1.0), epoch(2, 0.5)], "message": "Completed 2 epochs."}
    run._receive(("finished", "t_00000", values, record, {}, "completed",
                  "Completed 2 epochs."))
    run._receive(("invalid", "t_00001", {"training.learning_rate": -1},
                  "training.learning_rate: got -1, expected more than 0."))
    finished, invalid = run.trials["t_00000"], run.trials["t_00001"]
    assert finished.status == "completed" and finished.run_id == "run-1"
    assert invalid.status == "invalid" and invalid.run_id is None
    assert "expected more than 0" in invalid.message
    assert [r["id"] for r in load_project(path).runs] == ["run-1"]


def test_the_sweep_command_streams_ranks_and_writes_the_table(tmp_path, monkeypatch):
    """`cnnstudio sweep --json --csv` over a stand-in SweepRun (the real one, on Ray, runs
    in tests/cluster): a line per epoch and per trial's end, then the ranked table."""
    import csv
    import json
    import sys
    import types

    import pytest

    pytest.importorskip("ray")  # the command checks for it before anything else
    from tests.core.test_cli import cnnstudio
    from tests.scripted_sweep import ScriptedSweep

    ScriptedSweep.started, ScriptedSweep.hold, ScriptedSweep.fail_with = [], False, None
    monkeypatch.setitem(sys.modules, "cnnstudio.engine.ray_sweep",
                        types.SimpleNamespace(SweepRun=ScriptedSweep))
    path = tmp_path / "tiny.cnnstudio.json"
    save_project(tiny_project(epochs=2), path)
    table = tmp_path / "trials.csv"
    result = cnnstudio("sweep", path, "--set", "training.learning_rate=0.001,0.01",
                       "--set", "layers.conv2d.params.filters=4,8", "--parallel", "2",
                       "--json", "--csv", table)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    final = lines[-1]
    assert final["final"] and len(final["trials"]) == 4
    losses = [t["best_val_loss"] for t in final["trials"]]
    assert losses == sorted(losses)  # ranked, best first
    assert sum(1 for line in lines if "epoch" in line and "trial" in line) == 8
    assert sum(1 for line in lines if "ended" in line) == 4
    assert ScriptedSweep.started == [{"address": "local", "parallel": 2, "asha": False,
                                      "epochs": None, "seed": 0}]
    rows = list(csv.reader(table.open()))
    assert rows[0][:4] == ["rank", "run", "learning_rate", "filters"] and len(rows) == 5
    assert rows[1][1] == final["trials"][0]["run"] and rows[1][2:4] == ["0.01", "8"]
    assert len(load_project(path).runs) == 4


def test_one_job_at_a_time_holds_ray_in_a_process(monkeypatch):
    """A sweep and a cluster run started from one window must not share a Ray: the first
    to end would shut it down under the other."""
    import pytest

    from cnnstudio.engine import ray_cluster

    monkeypatch.setattr(ray_cluster, "_in_use", ["local"])
    with pytest.raises(ray_cluster.ClusterError, match="another job in this window already "
                       "uses Ray"):
        ray_cluster.connect("ray://head:10001")
