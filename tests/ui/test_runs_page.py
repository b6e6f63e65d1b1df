"""The Runs page: the table, overlaid curves, the diff of two runs, CSV and model export."""

from __future__ import annotations

import csv

from cnnstudio.core import edits
from cnnstudio.ui.common.layouts import select_row
from tests.training_projects import tiny_project
from tests.ui.conftest import save_screenshot


def recorded(epochs, **changes):
    run = {"id": changes.pop("id"), "started": "2026-11-23T12:00:00", "seconds": 12.5,
           "ended": "completed", "message": "Completed.",
           "settings": {"optimizer": "adam", "learning_rate": 0.001, "batch_size": 64},
           "dataset": {"source": "shapes"}, "input": {"shape": [12, 12, 1]},
           "layers": [{"type": "Conv2D", "name": "conv2d", "params": {"filters": 4}},
                      {"type": "Flatten", "name": "flatten"},
                      {"type": "Dense", "name": "dense", "params": {"units": 6}}],
           "epochs": [{"epoch": i + 1, "loss": l, "accuracy": 1 - l, "val_loss": v,
                       "val_accuracy": 1 - v} for i, (l, v) in enumerate(epochs)],
           "monitor": "val_loss"}
    run.update(changes)
    return run


def window_with_runs(make_window):
    first = recorded([(1.0, 1.1), (0.7, 0.8), (0.5, 0.7)], id="run-1")
    second = recorded([(0.9, 1.0), (0.6, 0.7)], id="run-2", ended="stopped",
                      settings={"optimizer": "sgd", "learning_rate": 0.01, "batch_size": 64})
    second["layers"][0]["params"]["filters"] = 8
    project = edits.add_run(edits.add_run(tiny_project(), first), second)
    window = make_window(project)
    window.page_actions[4].trigger()
    return window, window.runs_page


def test_table_lists_runs_and_selecting_two_shows_what_changed(make_window, qtbot):
    window, page = window_with_runs(make_window)
    table = page.table
    assert table.rowCount() == 2
    assert table.item(0, 0).text() == "run-1" and table.item(1, 2).text() == "stopped"
    assert table.item(0, 4).text() == "3"  # best epoch by val_loss
    assert table.item(0, 7).text() == "0:12"
    assert [r["id"] for r in page.selected_runs()] == ["run-2"]  # the newest, preselected
    table.selectAll()
    assert "layer conv2d: filters 4 -&gt; 8" in page.diff.toHtml() or \
        "filters 4 -> 8" in page.diff.toPlainText()
    assert "training: optimizer adam -> sgd" in page.diff.toPlainText()
    assert set(page.plots.run_curves) == {"run-1", "run-2"}  # overlaid
    save_screenshot(window, "runs_page.png")


def test_export_csv_and_delete_with_undo(make_window, qtbot, tmp_path):
    window, page = window_with_runs(make_window)
    page.table.clearSelection()
    select_row(page.table, 0)
    assert [r["id"] for r in page.selected_runs()] == ["run-1"]
    out = tmp_path / "run-1.csv"
    assert page.write_csv(page.selected_runs()[0], out)
    rows = list(csv.reader(out.open()))
    assert rows[0][:3] == ["epoch", "loss", "accuracy"] and len(rows) == 4
    assert "Wrote 3 epochs" in page.status.text()
    assert not page.write_csv(page.selected_runs()[0], tmp_path / "no" / "such" / "x.csv")
    assert "Cannot write" in page.status.text()
    page.delete_button.click()
    assert [r["id"] for r in window.editor.project.runs] == ["run-2"]
    assert page.table.rowCount() == 1
    window.editor.undo_stack.undo()
    assert page.table.rowCount() == 2


def test_empty_state(make_window):
    window = make_window(tiny_project())
    window.page_actions[4].trigger()
    page = window.runs_page
    assert not page.empty.isHidden() and page.table.isHidden()
    assert not page.csv_button.isEnabled()


def test_the_newest_run_is_chosen_even_while_a_modifier_is_down(make_window, qtbot):
    """A key event that left Shift or Ctrl down (a user's, or another test's) made the
    page's own choice of a row extend or toggle the selection, and no run was chosen."""
    from PySide6.QtCore import Qt

    holder = make_window()
    for key, modifier in ((Qt.Key_Control, Qt.ControlModifier),
                          (Qt.Key_Shift, Qt.ShiftModifier | Qt.ControlModifier)):
        qtbot.keyPress(holder, key, modifier)  # pressed, never released
    window, page = window_with_runs(make_window)
    assert [r["id"] for r in page.selected_runs()] == ["run-2"]
    page.table.clearSelection()
    select_row(page.table, 0)
    assert [r["id"] for r in page.selected_runs()] == ["run-1"]


def test_a_constant_learning_rate_is_framed_where_it_can_be_read(make_window, qtbot):
    run = recorded([(1.0, 1.1), (0.7, 0.8)], id="run-1")
    for entry in run["epochs"]:
        entry["learning_rate"] = 0.001
    window = make_window(edits.add_run(tiny_project(), run))
    window.page_actions[4].trigger()
    low, high = window.runs_page.plots.plots["learning_rate"].viewRange()[1]
    assert low < 0.001 < high and high - low < 0.001
