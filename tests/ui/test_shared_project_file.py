"""The window and another process recording runs in one project file (issue 19, point 7)."""

from __future__ import annotations

from cnnstudio.core import edits, load_project, save_project
from cnnstudio.core.run_store import record_run, reserve_run


def test_runs_recorded_by_another_process_appear_and_survive_a_save(make_window, qtbot,
                                                                    tmp_path):
    path = tmp_path / "net.cnnstudio.json"
    window = make_window()
    assert window.save_to(path)
    run_id, _folder = reserve_run(path)  # `cnnstudio train` in another terminal
    record_run(path, {"id": run_id, "ended": "completed", "epochs": [{"epoch": 1}]})
    qtbot.waitUntil(lambda: [r["id"] for r in window.editor.project.runs] == [run_id],
                    timeout=5000)
    window.editor.edit("Rename", edits.rename_layer, 0, "first")
    assert window.save_to(path)
    saved = load_project(path)
    assert saved.layers[0].name == "first" and [r["id"] for r in saved.runs] == [run_id]


def test_a_deleted_run_is_not_brought_back_by_a_save(make_window, tmp_path):
    path = tmp_path / "net.cnnstudio.json"
    window = make_window()
    assert window.save_to(path)
    record_run(path, {"id": "run-1", "ended": "completed", "epochs": []})
    window.reload_runs()
    window.editor.remove_runs(["run-1"])
    assert window.save_to(path)
    assert load_project(path).runs == ()


def test_save_as_of_an_untitled_project_gets_no_runs_of_the_file_it_replaces(make_window,
                                                                             tmp_path):
    other = tmp_path / "other.cnnstudio.json"
    save_project(make_window().editor.project, other)
    record_run(other, {"id": "run-1", "ended": "completed", "epochs": []})
    window = make_window()
    assert window.save_to(other)  # the user chose to replace it
    assert load_project(other).runs == ()
