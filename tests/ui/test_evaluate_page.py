"""The Evaluate page after a real (tiny) run: matrix, per-class figures, filtered cases, PNG."""

from __future__ import annotations

import pytest

import numpy as np
from PySide6.QtCore import Qt

from tests.training_projects import tiny_project
from tests.ui.conftest import save_screenshot, save_through_action


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_evaluate_a_run_and_filter_by_a_confusion_cell(make_window, qtbot, tmp_path,
                                                       monkeypatch):
    from cnnstudio.engine.trainer import Trainer

    project_file = tmp_path / "tiny.cnnstudio.json"
    project = tiny_project(count=300, epochs=2)
    finished = Trainer(project, project_file=project_file).run()
    from cnnstudio.core import edits, save_project

    project = edits.add_run(project, finished.run)
    save_project(project, project_file)
    window = make_window(project, project_file)
    window.page_actions[3].trigger()
    page = window.evaluate_page
    assert page.run_choice.currentData() == "run-1"
    with qtbot.waitSignal(page.evaluated, timeout=60_000) as blocker:
        page.evaluate_button.click()
    result = blocker.args[0]
    assert result.part == "test" and len(result.y_true) == 30
    matrix = np.array([[int(page.matrix.item(i, j).text()) for j in range(6)]
                       for i in range(6)])
    assert matrix.sum() == 30 and (matrix == result.confusion).all()
    assert page.per_class.rowCount() == 6 and page.per_class.item(0, 0).text() == "circle"
    assert f"{result.accuracy:.1%}" in page.summary.text()
    shown = page.grid.count() // 2
    assert shown == 30
    cell = np.unravel_index(np.argmax(result.confusion - np.diag(np.diag(result.confusion))
                                      + np.eye(6, dtype=int) * -1), (6, 6))
    page.choose_cell(int(cell[0]), int(cell[1]))
    expected = int(result.confusion[cell])
    assert page.grid.count() // 2 == expected
    assert str(expected) in page.filter_label.text()
    page.mistakes_only.setChecked(True)
    page.clear_filter()
    assert page.grid.count() // 2 == len(result.cases(mistakes_only=True))
    save_through_action(page.save_actions["confusion"], page.matrix,
                        tmp_path / "confusion.png", monkeypatch)
    assert f"Saved {tmp_path / 'confusion.png'}" in page.status.text()
    save_screenshot(window, "evaluate_page.png")

    page.tabs.setCurrentWidget(page.feature_maps)
    maps = page.feature_maps
    assert maps.epochs() == [0, 1, 2]
    maps.layer.setCurrentText("conv2d")
    assert maps.tiles_shown == 4  # one tile per channel
    maps.layer.setCurrentText("flatten")
    first = maps.picture.pixmap().toImage()
    maps.epoch.setValue(1)
    assert maps.picture.pixmap().toImage() != first  # Flatten's output changed while training
    assert "Prediction" in maps.prediction.text()
    save_screenshot(window, "evaluate_feature_maps.png")
    save_through_action(page.save_actions["feature_maps"], maps, tmp_path / "maps.png",
                        monkeypatch)

    # any evaluated image: click it, see its maps with the final weights, then go back
    page.mistakes_only.setChecked(False)
    page.clear_filter()
    thumbnail = page.grid.itemAtPosition(0, 1).widget()
    with qtbot.waitSignal(page.sample_maps_shown, timeout=60_000) as shown:
        qtbot.mouseClick(thumbnail, Qt.LeftButton)
    assert shown.args == [thumbnail.index] and page.tabs.currentWidget() is maps
    assert maps.epochs() == [2] and maps.epoch.isHidden()
    assert f"image #{thumbnail.index + 1}" in maps.source.text()
    assert maps.layer.currentText() == "flatten"  # the chosen layer stays
    maps.layer.setCurrentText("conv2d")
    assert maps.tiles_shown == 4
    assert "after epoch 2" in maps.prediction.text()
    expected_name = result.class_names[result.y_pred[thumbnail.index]]
    assert expected_name in maps.prediction.text()  # the same model, the same prediction
    assert f"image #{thumbnail.index + 1}" in maps.source.text()  # said on its own tab,
    assert "image #" not in page.status.text()  # not in the line every tab shares
    save_screenshot(window, "evaluate_sample_maps.png")
    qtbot.mouseClick(maps.back, Qt.LeftButton)
    assert maps.epochs() == [0, 1, 2] and maps.back.isHidden()

    page.tabs.setCurrentWidget(page.dynamics_host)
    assert set(page.dynamics.curves) == {"conv2d", "dense"}
    assert "Changed: conv2d, dense" in page.dynamics.summary.text()
    save_screenshot(window, "evaluate_dynamics.png")
    save_through_action(page.save_actions["layer_dynamics"], page.dynamics_host,
                        tmp_path / "dynamics.png", monkeypatch)

    page.tabs.setCurrentWidget(page.dropout)
    assert page.dropout.layer.count() == 0 and "no Dropout layer" in page.dropout.text.text()

    page.tabs.setCurrentWidget(page.report)
    assert "Validation loss was best at epoch" in page.report.text.text()
    run = window.editor.project.runs[-1]
    x, y = page.report.curves["validation"].getData()
    assert list(x) == [e["epoch"] for e in run["epochs"]]
    assert list(y) == pytest.approx([e["val_loss"] for e in run["epochs"]])
    assert page.report.best_line.value() == min(run["epochs"], key=lambda e: e["val_loss"])[
        "epoch"]
    save_through_action(page.save_actions["overfitting"], page.report,
                        tmp_path / "report.png", monkeypatch)


def test_without_runs_the_page_says_what_to_do(make_window):
    window = make_window(tiny_project())
    window.page_actions[3].trigger()
    page = window.evaluate_page
    assert not page.evaluate_button.isEnabled()
    assert "Train a run first" in page.status.text()


def test_a_512_channel_layer_pages_and_a_4096_unit_strip_renders(qtbot):
    from cnnstudio.ui.pages.evaluate.feature_maps import PAGE_TILES, FeatureMapView

    view = FeatureMapView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    outputs = {1: {"conv": rng.random((8, 8, 512), np.float32),
                   "base": rng.random((1, 1, 1280), np.float32),  # a pre-trained base's end
                   "dense": rng.random(4096, np.float32),
                   "out": np.eye(6, dtype=np.float32)[2]}}
    view.set_outputs(rng.random((8, 8, 1)), outputs, ["a", "b", "c", "d", "e", "f"])
    view.layer.setCurrentText("conv")
    assert view.tiles_shown == PAGE_TILES and view.page.maximum() == 512 // PAGE_TILES
    view.page.setValue(8)
    assert view.tiles_shown == PAGE_TILES and "channels 449 to 512" in view.caption.text()
    view.layer.setCurrentText("base")  # 1x1 maps: one strip, not 1,280 flat tiles
    assert view.tiles_shown == 1 and "1x1 maps, 1,280 channels" in view.caption.text()
    assert view.page.isHidden()
    view.layer.setCurrentText("dense")
    assert view.tiles_shown == 1 and "4,096 values" in view.caption.text()
    assert view.picture.pixmap().height() == 64 * 10  # 4096 / 64 rows of 10-pixel cells
    assert "c (100%)" in view.prediction.text()


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_dropout_view_shows_masks_and_the_scaling(make_window, qtbot, tmp_path):
    from cnnstudio.core import LayerSpec, edits, save_project
    from cnnstudio.engine.trainer import Trainer

    project = tiny_project(count=120, epochs=1)
    project = edits.insert_layers(project, 2, [LayerSpec("Dropout", {"rate": 0.5})])
    project_file = tmp_path / "d.cnnstudio.json"
    run = Trainer(project, project_file=project_file).run().run
    project = edits.add_run(project, run)
    save_project(project, project_file)
    window = make_window(project, project_file)
    window.page_actions[3].trigger()
    page = window.evaluate_page
    page.tabs.setCurrentWidget(page.dropout)
    assert page.dropout.layer.currentText() == "dropout"
    page.dropout.show_button.click()
    qtbot.waitUntil(lambda: page.dropout.sample is not None, timeout=60_000)
    sample = page.dropout.sample
    assert sample.previous == "flatten" and sample.scale == 2.0
    for masked in sample.training:
        kept = masked != 0
        assert np.allclose(masked[kept], sample.inference[kept] * 2.0, rtol=1e-5)
        assert 0 < kept.sum() < (sample.inference != 0).sum()
    assert not np.array_equal(sample.training[0], sample.training[1])  # a new mask each time
    for mask, masked in zip(sample.masks, sample.training):  # the mask itself is counted:
        assert np.array_equal(masked, np.where(mask, sample.inference * 2.0, 0.0))
        zeros_kept = (mask & (sample.inference == 0)).sum()  # a ReLU's zeros, kept
        assert zeros_kept > 0 and 0.3 < mask.mean() < 0.7
    kept_text = ", ".join(f"{int(mask.sum()):,}" for mask in sample.masks)
    assert f"(kept here: {kept_text})" in page.dropout.text.text()
    assert "1/(1 - 0.5) = 2" in page.dropout.text.text()
    save_screenshot(window, "evaluate_dropout.png")


def test_views_scale_pixels_as_training_did_and_never_divide_floats_twice():
    """Feature maps and the dropout view feed the run's model an image as training did:
    0..255 whole-number pixels scaled to 0..1, float pixels (an .npz of 0..1 floats)
    left as they are (they had been divided by 255 a second time)."""
    import numpy as np

    from cnnstudio.ui.pages.evaluate.page import EvaluatePage

    run = {"dataset": {"source": "npz", "path": "d.npz", "normalize": True}}
    floats = np.full((4, 4, 1), 0.5, np.float32)
    assert np.array_equal(EvaluatePage._as_trained(run, floats), floats)
    whole = np.full((4, 4, 1), 255, np.uint8)
    assert np.allclose(EvaluatePage._as_trained(run, whole), 1.0)
    raw = {"dataset": {**run["dataset"], "normalize": False}}
    assert np.array_equal(EvaluatePage._as_trained(raw, whole), whole)


def test_the_page_follows_the_newest_run_unless_another_was_chosen(make_window):
    """It opens on the newest run, moves on to a run recorded later, and keeps a run the
    user chose (runs recorded by hand: no training needed to choose between them)."""
    from cnnstudio.core import edits

    def run(number: int) -> dict:
        return {"id": f"run-{number}", "ended": "completed", "weights": "w.weights.h5",
                "epochs": [{"epoch": 1, "loss": 1.0}]}

    project = edits.add_run(edits.add_run(tiny_project(), run(1)), run(2))
    window = make_window(project)
    page = window.evaluate_page
    page.refresh()
    assert page.run_choice.currentData() == "run-2"
    window.editor.edit("Record run-3", edits.add_run, run(3))
    page.refresh()
    assert page.run_choice.currentData() == "run-3"
    page.run_choice.setCurrentIndex(page.run_choice.findData("run-1"))
    window.editor.edit("Record run-4", edits.add_run, run(4))
    page.refresh()
    assert page.run_choice.currentData() == "run-1"


def test_the_overfitting_chart_shades_the_gap_and_leaves_a_partial_epoch_out(qtbot):
    from cnnstudio.ui.pages.evaluate.overfitting_view import OverfittingView

    view = OverfittingView()
    qtbot.addWidget(view)
    epochs = [{"epoch": e, "loss": 1.0 / e, "val_loss": v}
              for e, v in ((1, 0.8), (2, 0.5), (3, 0.6), (4, 0.7), (5, 0.8))]
    view.show_run({"id": "run-1", "epochs": epochs + [
        {"epoch": 6, "loss": 0.1, "val_loss": 2.0, "partial": True, "iterations": 3}]})
    assert list(view.curves["training"].getData()[0]) == [1, 2, 3, 4, 5]
    assert view.best_line.value() == 2
    assert view.gap is not None and view.gap.getRegion() == (2, 5)
    view.show_run({"id": "run-2", "epochs": epochs[:2]})  # no rise: no gap
    assert view.gap is None and view.best_line.value() == 2


def test_feature_maps_keep_one_scale_across_epochs_with_a_colour_bar(qtbot):
    from cnnstudio.ui.pages.evaluate.feature_maps import PAD, FeatureMapView, mosaic

    view = FeatureMapView()
    qtbot.addWidget(view)
    early = np.zeros((4, 4, 2), np.float32)
    early[0, 0] = 1.0  # a weak response in both channels
    late = early * 10  # the same pattern, ten times stronger after training
    view.set_outputs(None, {0: {"conv": early}, 1: {"conv": late}}, [])
    view.epoch.setValue(0)
    assert view.same_scale.isChecked()
    assert "over all epochs" in view.colour_bar_text.text() and view.colour_bar.pixmap()
    together = mosaic(early, columns=8, spans=view._spans("conv", 0, 2))[0]
    own = mosaic(early, columns=8)[0]
    assert together[PAD, PAD] < own[PAD, PAD] == 255  # weak beside the strong epoch
    view.same_scale.setChecked(False)
    assert "in this epoch" in view.colour_bar_text.text()
    view.set_outputs(None, {0: {"dense": np.arange(8.0)}, 1: {"dense": np.arange(8.0) * 3}}, [])
    view.same_scale.setChecked(True)
    view.epoch.setValue(0)
    assert view.colour_bar_text.text() == "0 to 21 (over all epochs)"
