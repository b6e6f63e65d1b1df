"""The Train page's "Train on" setting, with a scripted ClusterRun in place of Ray.

A real cluster run from the command line is tested in tests/cluster/test_ray.py;
here the page must hand the choice to a ClusterRun, show its epochs, record its
run, and refuse what cannot work, with a sentence.
"""

from __future__ import annotations

import sys
import types

import pytest

from cnnstudio.core import load_project, save_project
from cnnstudio.core.training_events import EpochEnd, Finished, Started
from tests.training_projects import tiny_project
from tests.ui.conftest import save_screenshot

TIMEOUT_MS = 10_000
STEPS = 4


class ScriptedClusterRun:
    """ClusterRun's interface: two epochs at once, recorded as the chief's run."""

    made: list = []
    fail_with: Exception | None = None

    def __init__(self, project, project_file, address, workers, gpus_per_worker=0,
                 on_event=None, epochs=None, batch_size=None) -> None:
        self.project, self.project_file = project, project_file
        self.on_event = on_event
        ScriptedClusterRun.made.append({"address": address, "workers": workers,
                                        "gpus_per_worker": gpus_per_worker,
                                        "project_file": project_file})

    def stop(self) -> None: ...
    def close(self) -> None: ...

    def run(self) -> Finished:
        from cnnstudio.engine.ray_cluster import place_run

        if self.fail_with is not None:
            raise self.fail_with
        self.on_event(Started(2, 0, STEPS, 96, 12, 12, ("loss", "accuracy")))
        epochs = []
        for epoch in (1, 2):
            logs = {"loss": 1.0 / epoch, "accuracy": 0.5, "val_loss": 1.1 / epoch,
                    "val_accuracy": 0.5}
            epochs.append({"epoch": epoch, **logs})
            self.on_event(EpochEnd(epoch, epoch * STEPS, logs, 0.2))
        record = {"started": "2026-12-03T12:00:00", "ended": "completed", "seconds": 0.4,
                  "epochs": epochs, "message": "Completed 2 epochs.", "device": "cluster",
                  "cluster": {"address": "local", "workers": 3, "nodes": 1, "cpus": 2}}
        record = place_run(self.project_file, self.project.runs, record, {})
        finished = Finished(record, "completed", "Completed 2 epochs.")
        self.on_event(finished)
        return finished


@pytest.fixture
def scripted(monkeypatch):
    ScriptedClusterRun.made = []
    ScriptedClusterRun.fail_with = None
    monkeypatch.setitem(sys.modules, "cnnstudio.engine.ray_train",
                        types.SimpleNamespace(ClusterRun=ScriptedClusterRun))
    from cnnstudio.ui.pages.train import cluster_box

    monkeypatch.setattr(cluster_box, "ray_installed", lambda: True)
    return ScriptedClusterRun


def saved_train_page(make_window, tmp_path):
    path = tmp_path / "tiny.cnnstudio.json"
    save_project(tiny_project(), path)
    window = make_window(load_project(path), path)
    window.show_page("Train")
    return window, window.train_page, path


def choose_cluster(page, address: str = "local", workers: int = 3) -> None:
    page.where.choose(True)
    page.where.address.setText(address)
    page.where.workers.setValue(workers)


def test_train_on_a_cluster_shows_its_epochs_and_records_the_chiefs_run(
        make_window, tmp_path, qtbot, scripted):
    window, page, path = saved_train_page(make_window, tmp_path)
    assert not page.where.on_cluster and not page.where.details.isVisible()
    choose_cluster(page)
    assert page.where.details.isVisible()
    assert "3 workers on a Ray started on this machine" in page.where.note.text()
    window.resize(1024, 680)
    save_screenshot(window, "train_where_cluster.png")
    page.train_button.click()
    assert "starting Ray and 3 workers" in page.status.text()
    assert not page.pause_button.isEnabled() and page.stop_button.isEnabled()
    assert not page.where.isEnabled()
    seen = []
    page.session.epoch_ended.connect(lambda event: seen.append(
        (page.progress.value(), page.status.text())))
    with qtbot.waitSignal(page.session.finished, timeout=TIMEOUT_MS):
        pass
    assert scripted.made == [{"address": "local", "workers": 3, "gpus_per_worker": 0.0,
                              "project_file": path}]
    assert seen[-1][0] == 2 * STEPS == page.progress.maximum()
    assert "Epoch 2/2 done with 3 workers" in seen[-1][1]
    (run,) = window.editor.project.runs
    assert run["device"] == "cluster" and run["cluster"]["workers"] == 3
    assert [r["id"] for r in load_project(path).runs] == [run["id"]]  # in the file at once
    assert "Completed 2 epochs" in page.status.text()
    assert page.where.isEnabled() and page.train_button.isEnabled()


def test_the_choice_is_kept_for_the_next_window(make_window, tmp_path, scripted):
    window, page, _ = saved_train_page(make_window, tmp_path)
    choose_cluster(page, "ray://head:10001", 4)
    page.where.gpus.setValue(1)
    window.close()
    again, page, _ = saved_train_page(make_window, tmp_path)
    target = page.where.target()
    assert (target.address, target.workers, target.gpus_per_worker) == (
        "ray://head:10001", 4, 1.0)


def test_what_cannot_run_on_a_cluster_is_refused_with_a_sentence(make_window, tmp_path,
                                                                  scripted):
    window = make_window(tiny_project())  # never saved
    window.show_page("Train")
    page = window.train_page
    choose_cluster(page)
    page.train_button.click()
    assert page.session is None and "Save the project before training on a cluster" in \
        page.message.text()
    window, page, _ = saved_train_page(make_window, tmp_path)
    choose_cluster(page, "head node")
    assert "is not a Ray address" in page.where.note.text()
    page.train_button.click()
    assert page.session is None and "is not a Ray address" in page.message.text()
    assert scripted.made == []


def test_an_unreachable_cluster_ends_the_run_with_its_sentence(make_window, tmp_path,
                                                                qtbot, scripted):
    from cnnstudio.engine.ray_cluster import ClusterError

    scripted.fail_with = ClusterError("cannot reach the Ray cluster at 10.0.0.1:6379 "
                                      "(Connection refused).")
    window, page, path = saved_train_page(make_window, tmp_path)
    choose_cluster(page, "10.0.0.1:6379")
    page.train_button.click()
    with qtbot.waitSignal(page.session.finished, timeout=TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0].reason == "error"
    assert "cannot reach the Ray cluster at 10.0.0.1:6379" in page.message.text()
    assert window.editor.project.runs == () and load_project(path).runs == ()


def test_continue_training_stays_on_this_machine(make_window, tmp_path, qtbot, scripted):
    window, page, _ = saved_train_page(make_window, tmp_path)
    choose_cluster(page)
    page.train_button.click()
    with qtbot.waitSignal(page.session.finished, timeout=TIMEOUT_MS):
        pass
    run = dict(window.editor.project.runs[0], weights="run.weights.h5",
               layers=[layer.to_dict(ui=False) for layer in window.editor.project.layers],
               input={"shape": list(window.editor.project.input_shape)})
    from cnnstudio.core import edits

    window.editor.edit("weights", edits.add_run, run)
    page.refresh()
    assert not page.continue_button.isEnabled()
    assert "choose Train on This machine" in page.continue_button.toolTip()
    page.where.choose(False)
    assert page.continue_button.isEnabled()


def test_the_session_hands_the_choice_to_the_real_cluster_run(qapp, tmp_path):
    """The scripted run above stands in for ClusterRun: this holds the real one to the
    same arguments (making it starts nothing; Ray is imported only when it runs)."""
    from cnnstudio.engine.ray_train import ClusterRun
    from cnnstudio.ui.pages.train.cluster_box import ClusterTarget
    from cnnstudio.ui.pages.train.session import TrainingSession

    session = TrainingSession(tiny_project(), project_file=tmp_path / "p.cnnstudio.json",
                              cluster=ClusterTarget("ray://head:10001", 3, 0.5))
    run = session.job._trainer()
    assert isinstance(run, ClusterRun)
    assert (run.address, run.workers, run.gpus_per_worker) == ("ray://head:10001", 3, 0.5)
    assert run.project_file == tmp_path / "p.cnnstudio.json"
