"""The Sweep dialog and tab on the Runs page, with a scripted sweep in place of Ray Tune.

tests/scripted_sweep.ScriptedSweep has SweepRun's interface and records real
runs in the project's file, from a worker thread as SweepRun does, without Ray
or TensorFlow; a real sweep through this tab runs in tests/cluster/test_ray.py.
"""

from __future__ import annotations

import sys
import types

import pytest
from PySide6.QtWidgets import QDialog

from cnnstudio.core import load_project, save_project
from cnnstudio.ui.common.layouts import select_row
from tests.scripted_sweep import ScriptedSweep, val_loss
from tests.training_projects import tiny_project
from tests.ui.conftest import save_screenshot

TIMEOUT_MS = 10_000


@pytest.fixture
def scripted(monkeypatch):
    ScriptedSweep.hold = False
    ScriptedSweep.started = []
    ScriptedSweep.fail_with = None
    monkeypatch.setitem(sys.modules, "cnnstudio.engine.ray_sweep",
                        types.SimpleNamespace(SweepRun=ScriptedSweep))
    from cnnstudio.ui.pages.runs import sweep_dialog

    monkeypatch.setattr(sweep_dialog, "ray_installed", lambda: True)
    return ScriptedSweep


def saved_window(make_window, tmp_path, project=None):
    path = tmp_path / "tiny.cnnstudio.json"
    save_project(project or tiny_project(), path)
    window = make_window(load_project(path), path)
    window.show_page("Runs", "Sweep")
    return window, window.runs_page.sweep, path


def fill_dialog(dialog, settings: dict[str, str]) -> None:
    """Choose each setting in a row and type its values, as a user does."""
    rows = list(dialog.rows)
    for index, (key, values) in enumerate(settings.items()):
        row = rows[index] if index < len(rows) else dialog.add_setting()
        row.set_key(key)
        row.values.setText(values)


def run_dialog(monkeypatch, settings: dict[str, str], **options):
    """Have the next SweepDialog filled in and accepted; returns the dialogs seen."""
    from cnnstudio.ui.pages.runs.sweep_dialog import SweepDialog

    seen = []

    def exec_(dialog) -> int:
        fill_dialog(dialog, settings)
        for name, value in options.items():
            getattr(dialog, name).setValue(value)
        seen.append(dialog)
        if not dialog.start_button.isEnabled():
            return QDialog.Rejected
        dialog.start_button.click()
        return dialog.result()
    monkeypatch.setattr(SweepDialog, "exec", exec_)
    return seen


def test_the_dialog_counts_trials_estimates_time_and_names_invalid_ones(qtbot, scripted):
    from cnnstudio.core import edits
    from cnnstudio.core.sweep_choices import sweep_seconds
    from cnnstudio.ui.pages.runs.sweep_dialog import SweepDialog
    from cnnstudio.ui.pages.train.page import format_duration

    project = edits.add_run(tiny_project(epochs=3), {
        "id": "run-1", "seconds": 6.0, "epochs": [{"epoch": e} for e in (1, 2, 3)],
        "input": {"shape": [12, 12, 1]},
        "layers": [layer.to_dict(ui=False) for layer in tiny_project().layers]})
    dialog = SweepDialog(project, saved=True)
    qtbot.addWidget(dialog)
    first = dialog.rows[0]
    assert first.key.currentData() == "training.learning_rate"
    assert first.values.text() == "0.0003,0.001,0.003" and first.now.text() == "now 0.001"
    assert dialog.epochs.value() == 3 and not dialog.samples.isEnabled()
    row = dialog.add_setting()
    row.set_key("layers.conv2d.params.filters")
    assert row.values.text() == "4,6" and row.now.text() == "now 4"
    row.values.setText("2,4")
    dialog.parallel.setValue(2)
    monkeypatch_cpu(dialog, 2)
    assert "6 trials" in dialog.summary.text()
    expected = format_duration(sweep_seconds(6, 3, 2.0, 2, 2, start_ray=True))
    assert f"about {expected}" in dialog.summary.text()
    assert "run-1 took 2 s an epoch" in dialog.summary.text()
    assert dialog.start_button.isEnabled() and dialog.problem.text() == ""
    row.values.setText("2,30")  # a kernel of 3 on 12x12 is fine; 30 filters too
    row.set_key("layers.conv2d.params.kernel_size")
    row.values.setText("3,20")
    assert "3 of 6 trials would train nothing" in dialog.problem.text()
    assert "kernel_size=20" in dialog.problem.text()
    assert dialog.start_button.isEnabled()  # reported and skipped, as the command does
    first.values.setText("1e-4..1e-1")
    assert dialog.samples.isEnabled() and "8 trials</b> (4 drawn" in dialog.summary.text()
    first.values.setText("0.1,0.1")
    assert "lists a value twice" in dialog.problem.text()
    assert not dialog.start_button.isEnabled()
    first.values.setText("0.01..0.001")
    assert "the lower first" in dialog.problem.text() and not dialog.start_button.isEnabled()
    first.values.setText("0.01")
    dialog.where.setCurrentIndex(1)
    dialog.address.setText("no address")
    assert "is not a Ray address" in dialog.problem.text()
    dialog.address.setText("ray://head:10001")
    assert dialog.start_button.isEnabled() and "on the cluster" in dialog.summary.text()
    dialog.start_button.click()
    request = dialog.request
    assert request.address == "ray://head:10001" and request.epochs == 3
    assert request.plan.keys == ["training.learning_rate", "layers.conv2d.params.kernel_size"]


def monkeypatch_cpu(dialog, cores: int) -> None:
    import os

    original = os.cpu_count
    os.cpu_count = lambda: cores
    try:
        dialog._update()
    finally:
        os.cpu_count = original


def test_without_ray_the_dialog_says_how_to_install_it(qtbot, monkeypatch):
    from cnnstudio.ui.pages.runs import sweep_dialog

    monkeypatch.setattr(sweep_dialog, "ray_installed", lambda: False)
    dialog = sweep_dialog.SweepDialog(tiny_project(), saved=True)
    qtbot.addWidget(dialog)
    assert "pip install 'cnnstudio[ray]'" in dialog.problem.text()
    assert not dialog.start_button.isEnabled()


def test_a_sweep_shows_its_trials_live_and_records_each_as_a_run(make_window, tmp_path,
                                                                  qtbot, monkeypatch, scripted):
    window, panel, path = saved_window(make_window, tmp_path)
    assert panel.empty.isVisible() and "No sweep yet" in panel.empty.text()
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.01",
                             "layers.conv2d.params.filters": "4,8"}, epochs=3)
    changes = []
    shown = panel._trial_changed

    def trial_changed(trial) -> None:
        shown(trial)
        changes.append((trial.trial_id, len(trial.epochs), panel.table.rowCount()))
    monkeypatch.setattr(panel, "_trial_changed", trial_changed)
    window.runs_page.sweep_button.click()
    assert panel.running and not panel.new_button.isEnabled()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    assert scripted.started == [{"address": "local", "parallel": 2, "asha": False,
                                 "epochs": 3, "seed": 0}]
    assert len(changes) == 4 * 4  # 3 epochs and the end of each of 4 trials
    assert changes[0][2] == 1  # the table showed the first trial at its first epoch
    # ranked, best first: rate 0.01 with 8 filters
    table = panel.table
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert header == ["Trial", "learning_rate", "conv2d filters", "Status", "Epochs",
                      "Best val_loss", "val_accuracy", "Run", "Message"]
    assert [table.item(r, 1).text() for r in range(4)] == ["0.01", "0.01", "0.001", "0.001"]
    assert [table.item(0, c).text() for c in (2, 3, 4)] == ["8", "completed", "3"]
    assert table.item(0, 0).font().bold()
    assert table.item(0, 5).text() == format(val_loss(
        {"training.learning_rate": 0.01, "layers.conv2d.params.filters": 8}, 3), ".4g")
    # every trial recorded in the file and, through the watch, in the open project
    runs = load_project(path).runs
    assert len(runs) == 4 and all(r["sweep"]["id"] == panel.sweep_id for r in runs)
    qtbot.waitUntil(lambda: len(window.editor.project.runs) == 4, timeout=TIMEOUT_MS)
    runs_table = window.runs_page.table
    assert runs_table.rowCount() == 4
    sweep_column = [runs_table.horizontalHeaderItem(c).text()
                    for c in range(runs_table.columnCount())].index("Sweep")
    assert runs_table.item(0, sweep_column).text() == "learning_rate=0.001, filters=4"
    assert "4 trials recorded" in panel.status.text()
    # one loss curve per trial, the parallel coordinates with an axis per setting + result
    assert set(panel.curves.curves) == set(panel.trials)
    assert [a.title for a in panel.coordinates.axes] == ["learning_rate", "conv2d filters",
                                                        "best val_loss"]
    for row in range(4):  # each row's swatch is its curve's colour
        trial_id = table.item(row, 0).data(0x0100)
        swatch = table.item(row, 0).data(1)  # Qt.DecorationRole
        assert swatch.name() == panel.curves.curves[trial_id].opts["pen"].color().name()
    best_line = panel.coordinates.lines["abc_00003"]
    assert best_line.yData[-1] == pytest.approx(0.0)  # the lowest loss, at the bottom
    select_row(table, 2)
    assert panel.curves.highlighted == table.item(2, 0).data(0x0100)
    window.resize(1024, 680)
    save_screenshot(window, "runs_sweep.png")


def test_apply_best_settings_is_one_undoable_edit(make_window, tmp_path, qtbot, monkeypatch,
                                                 scripted):
    window, panel, _path = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.01",
                             "layers.conv2d.params.filters": "4,8"})
    panel.open_dialog()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    before = window.editor.project
    steps = window.editor.undo_stack.count()
    panel.apply_button.click()
    after = window.editor.project
    assert after.training["learning_rate"] == 0.01
    assert after.layers[0].params["filters"] == 8
    assert after.layers[1:] == before.layers[1:] and after.dataset == before.dataset
    assert window.editor.undo_stack.count() == steps + 1
    assert "Apply the best sweep settings" in window.editor.undo_stack.undoText()
    window.editor.undo_stack.undo()
    assert window.editor.project.training == before.training
    assert window.editor.project.layers == before.layers
    assert "Undo (Ctrl+Z)" in panel.status.text()


def test_stop_ends_the_sweep_and_keeps_the_trials_that_ended(make_window, tmp_path, qtbot,
                                                            monkeypatch, scripted):
    scripted.hold = True
    window, panel, path = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.002,0.003"})
    panel.open_dialog()
    qtbot.waitUntil(lambda: len(panel.trials) == 3, timeout=TIMEOUT_MS)
    panel.stop_button.click()
    assert "Stopping" in panel.status.text()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    assert "stopped: 3 trials recorded" in panel.status.text()
    assert sorted(r["ended"] for r in load_project(path).runs) == [
        "completed", "completed", "stopped"]
    assert panel.new_button.isEnabled() and not panel.stop_button.isEnabled()


def test_a_recorded_sweep_shows_again_when_the_project_is_reopened(make_window, tmp_path,
                                                                  qtbot, monkeypatch,
                                                                  scripted):
    window, panel, path = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.01"})
    panel.open_dialog()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    window.close()
    again, panel, _ = saved_window(make_window, tmp_path, load_project(path))
    assert panel.table.rowCount() == 2 and panel.apply_button.isEnabled()
    assert panel.table.item(0, 1).text() == "0.01"
    assert "2 trials recorded" in panel.status.text()


def test_an_unsaved_project_is_saved_before_the_sweep(make_window, tmp_path, qtbot,
                                                     monkeypatch, scripted):
    from PySide6.QtWidgets import QFileDialog

    window = make_window(tiny_project())
    window.show_page("Runs", "Sweep")
    panel = window.runs_page.sweep
    seen = run_dialog(monkeypatch, {"training.learning_rate": "0.001"})
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    panel.open_dialog()  # the save dialog is cancelled: no sweep
    assert seen[0].start_button.text() == "Save and start sweep"
    assert panel.session is None and "save the project first" in panel.status.text()
    target = tmp_path / "saved.cnnstudio.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.open_dialog()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    assert window.path == target and len(load_project(target).runs) == 1


def test_closing_the_window_stops_the_sweep_and_keeps_its_trials(make_window, tmp_path,
                                                                 qtbot, monkeypatch, scripted,
                                                                 dialog_answers):
    from PySide6.QtWidgets import QMessageBox

    scripted.hold = True
    window, panel, path = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.002"})
    panel.open_dialog()
    qtbot.waitUntil(lambda: len(panel.trials) == 2, timeout=TIMEOUT_MS)
    dialog_answers.extend([QMessageBox.No])  # keep it running
    assert not window.close() and panel.running
    dialog_answers.extend([QMessageBox.Yes, QMessageBox.Discard])  # stop it; don't save
    assert window.close()
    assert not panel.running and not panel.session.task.thread.isRunning()
    assert sorted(r["ended"] for r in load_project(path).runs) == ["completed", "stopped"]


def test_a_sweep_that_cannot_start_says_why(make_window, tmp_path, qtbot, monkeypatch,
                                            scripted):
    from cnnstudio.engine.ray_cluster import ClusterError

    scripted.fail_with = ClusterError("cannot reach the Ray cluster at head:6379 "
                                      "(Connection refused).")
    window, panel, path = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.01"})
    panel.open_dialog()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    assert "0 trials recorded" in panel.status.text()
    assert "It failed: cannot reach the Ray cluster at head:6379" in panel.status.text()
    assert panel.new_button.isEnabled() and load_project(path).runs == ()


def test_while_a_sweep_runs_the_chosen_trial_stays_chosen_and_nothing_else_opens(
        make_window, tmp_path, qtbot, monkeypatch, scripted):
    from cnnstudio.core import edits

    scripted.hold = True
    window, panel, path = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"training.learning_rate": "0.001,0.002,0.01"})
    panel.open_dialog()
    qtbot.waitUntil(lambda: len(panel.trials) == 3, timeout=TIMEOUT_MS)
    assert not panel.apply_button.isEnabled()  # a trial in its first epochs may lead
    select_row(panel.table, 2)  # the last one started: rate 0.01, best when ranked
    chosen = panel.table.item(2, 0).data(0x0100)
    other = tmp_path / "other.cnnstudio.json"
    save_project(edits.set_training(tiny_project(), {"epochs": 9}), other)
    assert not window.open_path(other)  # the sweep records its runs in this project
    assert window.path == path
    panel.stop()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    rows = {index.row() for index in panel.table.selectionModel().selectedRows()}
    assert len(rows) == 1 and panel.table.item(rows.pop(), 0).data(0x0100) == chosen
    assert panel.curves.highlighted == chosen
    assert panel.apply_button.isEnabled()


def test_apply_refuses_with_a_sentence_when_the_design_changed(make_window, tmp_path, qtbot,
                                                               monkeypatch, scripted):
    from cnnstudio.core import edits

    window, panel, _ = saved_window(make_window, tmp_path)
    run_dialog(monkeypatch, {"layers.conv2d.params.filters": "4,8"})
    panel.open_dialog()
    with qtbot.waitSignal(panel.session.finished, timeout=TIMEOUT_MS):
        pass
    window.editor.edit("remove", edits.remove_layers, [0])
    steps = window.editor.undo_stack.count()
    panel.apply_button.click()
    assert window.editor.undo_stack.count() == steps
    assert "design changed since the sweep" in panel.status.text()
    assert "no layer 'conv2d'" in panel.status.text()


def test_the_dialog_names_a_rows_problem_in_its_own_words(qtbot, scripted):
    from cnnstudio.ui.pages.runs.sweep_dialog import SweepDialog

    dialog = SweepDialog(tiny_project(), saved=True)
    qtbot.addWidget(dialog)
    first = dialog.rows[0]
    first.values.setText("")
    assert dialog.problem.text() == ("Give Learning rate the values to compare, e.g. "
                                     "0.0003,0.001,0.003.")
    first.values.setText("0.01")
    second = dialog.add_setting("training.learning_rate")
    assert "Learning rate is chosen twice" in dialog.problem.text()
    second.set_key("training.batch_size")
    second.values.setText("16,,32")
    assert dialog.problem.text().startswith("Batch size: has an empty value")
    assert "--set" not in dialog.problem.text()
    assert not dialog.start_button.isEnabled()
