"""The live training plots, fed events as the Trainer sends them and checked on what they draw."""

from __future__ import annotations

import pytest
import pyqtgraph as pg
from PySide6.QtCore import QPointF

from cnnstudio.core.training_events import BatchEnd, EpochEnd, EpochPace, Started
from cnnstudio.ui.plots.training_plots import LEGEND_ROOM, MARKED_EPOCHS, TrainingPlots
from tests.ui.conftest import assert_png_of, save_screenshot

STEPS = 20


def run_events(train_losses, val_losses, steps=STEPS, first_epoch=0):
    """Started, then per epoch a list of BatchEnd and its EpochEnd, with Keras-style running means.

    Batch i of epoch e has loss `train_loss + 0.1 * (i % 3)` and accuracy `(i % 5) / 5`; the
    events carry both the running means and the batch's own values, as the Trainer sends them.
    """
    epochs = first_epoch + len(train_losses)
    started = Started(epochs, first_epoch, steps, steps * 32, 64, 32, ("loss", "accuracy"))
    per_epoch = []
    for n, (loss, val_loss) in enumerate(zip(train_losses, val_losses)):
        epoch = first_epoch + n + 1
        batches, loss_sum, accuracy_sum, means = [], 0.0, 0.0, None
        pace = EpochPace(32, steps * 32, (epochs - epoch + 1) * steps)
        for step in range(1, steps + 1):
            own_loss, own_accuracy = loss + 0.1 * (step % 3), (step % 5) / 5
            loss_sum += own_loss
            accuracy_sum += own_accuracy
            previous, means = means, {"loss": loss_sum / step, "accuracy": accuracy_sum / step}
            batches.append(BatchEnd(epoch, step, (epoch - 1) * steps + step, means, previous,
                                    step * 0.032, pace))
        logs = {"loss": loss_sum / steps, "accuracy": accuracy_sum / steps,
                "val_loss": val_loss, "val_accuracy": 0.8 - val_loss / 10,
                "learning_rate": 0.001 / epoch}
        per_epoch.append((batches, EpochEnd(epoch, epoch * steps, logs, 2.0)))
    return started, per_epoch


OVERFITTING = ([1.0, 0.7, 0.5], [0.50, 0.55, 0.62])  # validation loss rises from epoch 2
HEALTHY = ([1.0, 0.7, 0.5], [0.9, 0.7, 0.6])


@pytest.fixture
def plots(qtbot):
    widget = TrainingPlots()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    return widget


def feed(plots, run, epochs=None):
    started, per_epoch = run
    plots.start(started)
    for batches, epoch_end in per_epoch[:epochs]:
        for i in range(0, len(batches), 7):  # in chunks, as the adapter coalesces them
            plots.add_batches(batches[i:i + 7])
        plots.add_epoch(epoch_end)
    plots.flush()


def data(curve):
    x, y = curve.getOriginalDataset()
    return list(x if x is not None else []), list(y if y is not None else [])


def boundaries(plots, plot):
    """Where the dashed epoch lines are drawn: one vertical segment per epoch, across the view."""
    lines = plots.epoch_lines[plot]
    x, y = lines.item.getData()
    low, high = plots.plots[plot].getPlotItem().vb.viewRange()[1]
    assert lines.isVisible() and list(y) == [low, high] * (len(x) // 2)
    assert list(x[::2]) == list(x[1::2])
    return list(x[::2])


def legend_labels(legend):
    return [label.text for _sample, label in legend.items]


def test_empty_state_invites_to_train(plots):
    assert plots.empty_text.isVisible()
    assert plots.empty_text.toPlainText() == "Press Train to see the curves grow"
    assert all(len(data(curve)[0]) == 0 for curve in plots.curves.values())
    assert legend_labels(plots.legends["loss"]) == ["train batch", "smoothed",
                                                    "train epoch", "validation"]
    assert plots.loss_plot.getPlotItem().titleLabel.text == "Loss"
    assert plots.overfitting_text == ""


def test_batches_and_epochs_are_drawn_at_their_iterations(plots):
    run = run_events(*HEALTHY)
    feed(plots, run)
    x, y = data(plots.curves["loss_batch"])
    assert x == list(range(1, 61))
    assert y == pytest.approx([e.loss for batches, _ in run[1] for e in batches])
    x, y = data(plots.curves["accuracy_batch"])  # each batch's own accuracy
    assert x == list(range(1, 61)) and y == pytest.approx([(s % 5) / 5 for s in
                                                          list(range(1, 21)) * 3])
    raw, last, expected = data(plots.curves["loss_batch"])[1], 0.0, []
    for n, value in enumerate(raw, start=1):  # TensorBoard's smoothing at 0.9, debiased
        last = 0.9 * last + 0.1 * value
        expected.append(last / (1 - 0.9 ** n))
    assert plots.smoothing == 0.9
    assert data(plots.curves["loss_smooth"]) == (list(range(1, 61)), pytest.approx(expected))
    assert data(plots.curves["loss_epoch"]) == ([20, 40, 60],  # the epoch means
                                                pytest.approx([1.105, 0.805, 0.605]))
    assert data(plots.curves["val_loss"]) == ([20, 40, 60], [0.9, 0.7, 0.6])
    assert data(plots.curves["val_accuracy"])[1] == pytest.approx([0.71, 0.73, 0.74])
    assert data(plots.curves["learning_rate"])[1] == pytest.approx([0.001, 0.0005,
                                                                    0.001 / 3])
    for plot in ("loss", "accuracy"):
        assert boundaries(plots, plot) == [20, 40, 60]
    assert not plots.empty_text.isVisible()
    assert plots.loss_plot.getPlotItem().getAxis("bottom").labelText == "iteration"
    # the planned run fills the x axis, so the curves grow into it
    low, high = plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert low <= 0 and 60 <= high < 65


def test_epochs_axis_places_batches_at_epoch_fractions(plots, qtbot):
    feed(plots, run_events(*HEALTHY))
    plots.x_axis_box.setCurrentIndex(plots.x_axis_box.findData("epochs"))  # as a user would
    assert plots.x_axis == "epochs"
    x, _ = data(plots.curves["loss_batch"])
    assert x == pytest.approx([i / STEPS for i in range(1, 61)])
    assert data(plots.curves["loss_epoch"])[0] == [1, 2, 3]
    assert data(plots.curves["val_accuracy"])[0] == [1, 2, 3]
    assert boundaries(plots, "loss") == [1, 2, 3]
    assert plots.accuracy_plot.getPlotItem().getAxis("bottom").labelText == "epoch"
    low, high = plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert low <= 0 and 3 <= high < 3.3
    plots.set_x_axis("iterations")
    assert plots.x_axis_box.currentData() == "iterations"
    assert data(plots.curves["loss_epoch"])[0] == [20, 40, 60]
    with pytest.raises(ValueError):
        plots.set_x_axis("seconds")


def test_overfitting_is_marked_when_validation_loss_rises(plots, qtbot):
    started, per_epoch = run_events(*OVERFITTING)
    layers = [{"type": "Conv2D"}, {"type": "Flatten"}, {"type": "Dense"}]
    plots.set_advice_context(layers, {"epochs": 3}, {"source": "shapes"})
    plots.start(started)
    found = []
    plots.overfitting_found.connect(found.append)
    for batches, epoch_end in per_epoch[:2]:
        plots.add_batches(batches)
        plots.add_epoch(epoch_end)
    plots.flush()
    assert found == [] and plots.overfitting_text == ""
    assert not plots.overfitting_region.isVisible()
    batches, epoch_end = per_epoch[2]
    plots.add_batches(batches)
    with qtbot.waitSignal(plots.overfitting_found, timeout=1000) as signal:
        plots.add_epoch(epoch_end)
    text = signal.args[0]
    assert text.startswith("From epoch 2 validation loss rose from 0.5 to 0.62")
    assert "Add Dropout" in text and "augmentation" in text
    assert plots.overfitting_text == text and plots.overfitting_epoch == 1
    plots.flush()
    assert plots.overfitting_region.isVisible() and plots.overfitting_line.isVisible()
    assert plots.overfitting_region.getRegion() == (20, 60)  # from the end of epoch 1 on
    assert plots.overfitting_label.toPlainText() == "overfitting?"
    plots.set_x_axis("epochs")
    assert plots.overfitting_region.getRegion() == (1, 3)
    save_screenshot(plots, "training_plots_overfitting.png")
    # a new run clears the sign, and says so
    with qtbot.waitSignal(plots.overfitting_found, timeout=1000) as cleared:
        plots.start(started)
    assert cleared.args == [""] and plots.overfitting_text == ""
    assert not plots.overfitting_region.isVisible()


def test_healthy_run_shows_no_overfitting(plots, qtbot):
    with qtbot.assertNotEmitted(plots.overfitting_found):
        feed(plots, run_events(*HEALTHY))
    assert plots.overfitting_text == "" and plots.overfitting_epoch is None
    assert not plots.overfitting_region.isVisible()


def test_start_empties_curves_and_a_continued_run_goes_on_from_its_epoch(plots, qtbot):
    feed(plots, run_events(*OVERFITTING))
    curves = dict(plots.curves)
    started, per_epoch = run_events([0.45, 0.4], [0.7, 0.72], first_epoch=3)
    plots.start(started)
    assert plots.curves == curves  # the same curve objects, emptied
    assert all(len(data(curve)[0]) == 0 for curve in curves.values())
    assert boundaries(plots, "loss") == [] and boundaries(plots, "accuracy") == []
    low, high = plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert 58 < low <= 60 and 100 <= high < 103
    assert all(line.isVisible() and line.value() == 60 for line in plots.continued_lines)
    batches, epoch_end = per_epoch[0]
    plots.add_batches(batches)
    plots.add_epoch(epoch_end)
    plots.flush()
    assert data(plots.curves["loss_batch"])[0] == list(range(61, 81))
    assert data(plots.curves["accuracy_batch"])[1] == pytest.approx(
        [(s % 5) / 5 for s in range(1, 21)])
    assert data(plots.curves["loss_epoch"])[0] == [80]
    assert boundaries(plots, "accuracy") == [80]
    plots.set_x_axis("epochs")
    assert data(plots.curves["loss_batch"])[0][0] == pytest.approx(3.05)
    assert data(plots.curves["loss_epoch"])[0] == [4]
    assert plots.continued_lines[0].value() == 3


def test_batches_are_drawn_on_the_timer_not_on_every_call(plots, qtbot):
    started, per_epoch = run_events(*HEALTHY)
    plots.start(started)
    calls = []
    curve = plots.curves["loss_batch"]
    original = curve.setData
    curve.setData = lambda *a, **k: (calls.append(len(a[0])), original(*a, **k))[1]
    for event in per_epoch[0][0]:
        plots.add_batches([event])  # 20 calls, one event each
    assert calls == [] and plots._timer.isActive()
    qtbot.waitUntil(lambda: calls == [20], timeout=1000)
    assert not plots._timer.isActive()
    plots.flush()  # nothing new: nothing redrawn
    assert calls == [20]
    plots.add_epoch(per_epoch[0][1])
    plots.flush()
    assert calls == [20]  # an epoch redraws the epoch curves only


def test_smoothing_slider_recomputes_the_smoothed_line(plots):
    feed(plots, run_events(*HEALTHY))
    raw = data(plots.curves["loss_batch"])[1]
    plots.smoothing_slider.setValue(0)
    plots.flush()
    assert plots.smoothing == 0 and plots.smoothing_label.text() == "0.00"
    assert data(plots.curves["loss_smooth"])[1] == pytest.approx(raw)
    plots.set_smoothing(0.99)
    plots.flush()
    heavy = data(plots.curves["loss_smooth"])[1]
    assert plots.smoothing_slider.value() == 99
    assert max(heavy) - min(heavy) < max(raw) - min(raw)


def test_hover_reads_the_values_under_the_mouse(plots, qtbot):
    plots.show()
    qtbot.waitExposed(plots)
    feed(plots, run_events(*HEALTHY))
    view = plots.loss_plot.getPlotItem().vb
    scene_pos = view.mapViewToScene(QPointF(30.2, 0.8))
    plots.loss_plot.scene().sigMouseMoved.emit(scene_pos)
    text = plots.readout.text()
    assert text.startswith("iteration 30 (epoch 1.50): batch loss 0.8, smoothed ")
    assert text.endswith("  |  epoch 2: loss 0.805, val_loss 0.7")
    assert all(line.isVisible() and abs(line.value() - 30.2) < 0.5
               for line in plots.cursors.values())
    view = plots.lr_plot.getPlotItem().vb
    plots.lr_plot.scene().sigMouseMoved.emit(view.mapViewToScene(QPointF(58, 0.0005)))
    assert "epoch 3: learning rate 0.0003333" in plots.readout.text()
    plots.loss_plot.scene().sigMouseMoved.emit(QPointF(-50, -50))  # off the plot
    assert not plots.cursors["loss"].isVisible()


def recorded_run(run_id, scale):
    return {"id": run_id, "iterations_per_epoch": 10, "ended": "completed",
            "epochs": [{"epoch": e, "loss": scale / e, "accuracy": 1 - scale / (e + 1),
                        "val_loss": scale * 1.2 / e, "val_accuracy": 0.9 - scale / (e + 2),
                        "learning_rate": 0.001, "seconds": 1.0} for e in range(1, 5)]}


def test_show_runs_overlays_one_curve_per_run_and_metric(plots, qtbot):
    feed(plots, run_events(*OVERFITTING))
    plots.set_x_axis("epochs")
    plots.show_runs([recorded_run("run-1", 1.0), recorded_run("run-2", 0.5)])
    assert list(plots.run_curves) == ["run-1", "run-2"]
    metrics = ["loss", "val_loss", "learning_rate", "accuracy", "val_accuracy"]
    for run_id, scale in (("run-1", 1.0), ("run-2", 0.5)):
        assert sorted(plots.run_curves[run_id]) == sorted(metrics)
        x, y = data(plots.run_curves[run_id]["val_loss"])
        assert x == [1, 2, 3, 4] and y == pytest.approx([scale * 1.2 / e for e in (1, 2, 3, 4)])
    colours = {plots.run_curves[r]["loss"].opts["pen"].color().name() for r in plots.run_curves}
    assert len(colours) == 2
    assert legend_labels(plots.legends["loss"]) == ["training", "validation", "run-1", "run-2"]
    assert legend_labels(plots.legends["accuracy"])[-2:] == ["run-1", "run-2"]
    assert not any(curve.isVisible() for curve in plots.curves.values())
    assert not plots.overfitting_region.isVisible()
    in_loss_plot = [item for item in plots.loss_plot.getPlotItem().listDataItems()
                    if item.isVisible()]
    assert len(in_loss_plot) == 4  # loss and val_loss of each run
    assert plots.readout_text("loss", 2.1).startswith("epoch 2.1  |  run-1: loss 0.5, "
                                                      "val loss 0.6  |  run-2: loss 0.25")
    plots.set_x_axis("iterations")  # the runs say how many iterations an epoch had
    assert data(plots.run_curves["run-1"]["loss"])[0] == [10, 20, 30, 40]
    plots.show_runs([recorded_run("run-3", 0.3)])  # a new choice replaces the curves
    assert list(plots.run_curves) == ["run-3"]
    assert len(plots.loss_plot.getPlotItem().listDataItems()) == 4 + 2
    plots.start(run_events(*HEALTHY)[0])  # back to live
    assert plots.run_curves == {} and len(plots.loss_plot.getPlotItem().listDataItems()) == 4
    assert all(curve.isVisible() for curve in plots.curves.values())
    assert legend_labels(plots.legends["loss"])[0] == "train batch"


def test_save_png_writes_the_plots(plots, tmp_path):
    plots.show()
    feed(plots, run_events(*HEALTHY))
    path = plots.save_png(tmp_path / "curves.png")
    image = assert_png_of(path, plots.plot_area)
    assert image.width() > 900 and image.height() > 400
    with pytest.raises(OSError):
        plots.save_png(tmp_path / "missing" / "curves.png")


class DoubleClick:
    def double(self):
        return True


def test_y_follows_the_data_until_the_user_zooms(plots, qtbot):
    started, per_epoch = run_events(*HEALTHY)
    plots.start(started)
    plots.add_batches(per_epoch[0][0])
    plots.flush()
    view = plots.loss_plot.getPlotItem().vb
    low, high = view.viewRange()[1]
    legend_room = 1.2 + LEGEND_ROOM * 0.2  # losses 1.0 to 1.2, the legend's band above
    assert low < 1.0 and legend_room < high < legend_room + 0.02
    assert boundaries(plots, "loss") == []
    view.scaleBy((0.5, 0.5))  # as a mouse wheel would
    view.sigRangeChangedManually.emit([True, True])
    zoomed = view.viewRange()
    plots.add_batches(per_epoch[1][0])
    plots.add_epoch(per_epoch[1][1])
    plots.flush()
    assert view.viewRange() == zoomed  # left where the user put it
    accuracy = plots.accuracy_plot.getPlotItem().vb.viewRange()[1]
    assert accuracy[0] < 0 and accuracy[1] > 0.8  # the accuracy plot still follows in y
    plots.loss_plot.scene().sigMouseClicked.emit(DoubleClick())
    low, high = view.viewRange()[1]
    assert low < 0.7 and 1.2 < high < 1.2 + (LEGEND_ROOM + 0.02) * (1.2 - low)
    top_of_data = view.mapViewToScene(pg.Point(0, 1.2)).y()
    legend = plots.legends["loss"]
    assert legend.sceneBoundingRect().bottom() <= top_of_data + 1  # the legend covers none


def test_a_falling_loss_moves_the_y_range_in_few_steps_and_stays_in_view(plots):
    """A new y range redraws every curve and the axis: as the loss falls it should
    move now and then, with room ahead, not at every redraw, and never hide a point."""
    losses = [2.0 * 0.8 ** epoch + 0.1 for epoch in range(20)]
    started, per_epoch = run_events(losses, [loss + 0.05 for loss in losses])
    plots.start(started)
    view = plots.loss_plot.getPlotItem().vb
    ranges = []
    for batches, epoch_end in per_epoch:
        plots.add_batches(batches)
        plots.add_epoch(epoch_end)
        plots.flush()
        low, high = view.viewRange()[1]
        shown = [y for curve in plots.loss_plot.getPlotItem().listDataItems()
                 for y in data(curve)[1]]
        assert low < min(shown) and max(shown) < high, f"epoch {epoch_end.epoch}"
        if not ranges or ranges[-1] != (low, high):
            ranges.append((low, high))
    assert 2 <= len(ranges) <= 7  # in 20 redraws (an even 8 % margin: 11 ranges)
    low, high = ranges[-1]
    assert high - low < 1.6 * (max(shown) - min(shown))  # the data still fills the plot


def test_redraws_reuse_the_drawn_epoch_markers(plots):
    """pyqtgraph draws each marker style once and keeps it, keyed by the brush
    object: a colour given as text made a new brush, a new drawing and one more
    kept image at every redraw, so a long run's redraws grew slower."""
    started, per_epoch = run_events([1.0 - i / 50 for i in range(12)],
                                    [1.0 - i / 60 for i in range(12)], steps=4)
    plots.start(started)
    for batches, epoch_end in per_epoch:
        plots.add_batches(batches)
        plots.add_epoch(epoch_end)
        plots.flush()
    for key in ("loss_epoch", "val_loss", "accuracy_epoch", "val_accuracy", "learning_rate"):
        scatter = plots.curves[key].scatter
        assert len(scatter.data) == 12, key
        assert len(scatter.fragmentAtlas) == 1, key  # one style: one drawing, 12 redraws


def test_markers_give_way_to_lines_when_epochs_crowd(plots):
    count = MARKED_EPOCHS + 1
    started, per_epoch = run_events([1.0 - i / 50 for i in range(count)],
                                    [1.0 - i / 60 for i in range(count)], steps=2)
    plots.start(started)
    for n, (batches, epoch_end) in enumerate(per_epoch, start=1):
        plots.add_batches(batches)
        plots.add_epoch(epoch_end)
        if n in (count - 1, count):
            plots.flush()
            symbol = plots.curves["val_loss"].opts["symbol"]
            assert symbol == ("o" if n == count - 1 else None)
    assert len(data(plots.curves["val_loss"])[0]) == count
    assert boundaries(plots, "loss") == [2.0 * n for n in range(1, count + 1)]


def test_show_runs_reads_incomplete_records_without_failing(plots):
    odd = {"id": "run-7", "epochs": [{"epoch": 1, "loss": "oops", "val_loss": None},
                                     {"epoch": 2, "loss": 0.5}, {"loss": 0.4}]}
    plots.show_runs([recorded_run("run-1", 1.0), odd, {"id": "run-8"}])
    assert data(plots.run_curves["run-7"]["loss"]) == ([2, 3], [0.5, 0.4])
    assert set(plots.run_curves["run-7"]) == {"loss"} and plots.run_curves["run-8"] == {}
    # run-7 does not say how many iterations its epochs had: the x axis counts epochs
    assert plots.loss_plot.getPlotItem().getAxis("bottom").labelText == "epoch"
    assert data(plots.run_curves["run-1"]["loss"])[0] == [1, 2, 3, 4]
    plots.show_runs([])
    assert plots.empty_text.isVisible() and plots.empty_text.toPlainText() == (
        "Choose runs to compare")


def test_the_switch_to_fine_tuning_is_marked_in_both_x_units(plots):
    from cnnstudio.core.training_events import PhaseStarted

    run = run_events([1.0, 0.8, 0.6, 0.5], [0.9, 0.8, 0.7, 0.65])
    started, per_epoch = run
    plots.start(started)
    for n, (batches, epoch_end) in enumerate(per_epoch):
        if n == 2:
            plots.mark_phase(PhaseStarted(2, 2 * STEPS, "Fine-tuning: the top 30 layers"))
        plots.add_batches(batches)
        plots.add_epoch(epoch_end)
    plots.flush()
    assert plots.phase_start == (2 * STEPS, 2)
    assert all(line.isVisible() for line in plots.phase_lines)
    assert plots.phase_lines[0].value() == 2 * STEPS
    plots.set_x_axis("epochs")
    plots.flush()
    assert plots.phase_lines[0].value() == 2
    save_screenshot(plots, "training_plots_fine_tuning.png")
    plots.start(started)  # a new run: no mark
    plots.flush()
    assert not any(line.isVisible() for line in plots.phase_lines)


def test_batches_with_a_non_finite_loss_are_left_out_and_accuracy_stays_in_range(plots):
    started = Started(1, 0, 4, 128, 0, 32, ("loss", "accuracy"))
    values = [(2.0, 0.5), (float("nan"), 1.04), (float("inf"), -0.02), (1.5, 0.75)]
    pace = EpochPace(32, 128, 4)
    # no means before: each batch's own values are the ones given
    batches = [BatchEnd(1, step, step, {"loss": loss, "accuracy": accuracy}, None, 1.0, pace)
               for step, (loss, accuracy) in enumerate(values, start=1)]
    plots.start(started)
    plots.add_batches(batches[:3])
    plots.add_batches(batches[3:])
    plots.flush()
    assert data(plots.curves["loss_batch"]) == ([1, 4], [2.0, 1.5])
    # worked back from running means, a batch's accuracy can overshoot [0, 1]: drawn at the edge
    assert data(plots.curves["accuracy_batch"]) == ([1, 2, 3, 4], [0.5, 1.0, 0.0, 0.75])
    smooth = data(plots.curves["loss_smooth"])[1]
    assert smooth == pytest.approx([2.0, (0.9 * 0.1 * 2.0 + 0.1 * 1.5) / (1 - 0.9 ** 2)])
    series = plots.series["loss_batch"]
    assert (series.low, series.high) == (1.5, 2.0)


def test_a_partial_epoch_sits_where_its_batches_ended_and_is_no_whole_epoch(plots, qtbot):
    from dataclasses import replace as replaced

    started, per_epoch = run_events(*OVERFITTING)
    batches, last = per_epoch[2]
    stopped = batches[:STEPS // 2]  # stopped half-way through epoch 3
    partial = replaced(last, iteration=stopped[-1].iteration, partial=True)
    feed(plots, (started, per_epoch[:2] + [(stopped, partial)]))
    plots.set_x_axis("epochs")
    x, _ = data(plots.curves["loss_epoch"])
    assert x == pytest.approx([1, 2, 2.5])  # not at 3: the curve does not hook back
    assert boundaries(plots, "loss") == [1, 2]  # no epoch line for it
    assert not plots.overfitting_region.isVisible()  # two whole epochs judge nothing
    run = recorded_run("run-1", 1.0)
    run["epochs"][-1].update(partial=True, iterations=5)  # 5 of 10 iterations
    plots.show_runs([run])
    assert data(plots.run_curves["run-1"]["loss"])[0] == [1, 2, 3, 3.5]


def test_a_value_read_off_one_run_goes_when_another_is_shown(plots):
    feed(plots, run_events(*HEALTHY))
    plots.readout.setText(plots.readout_text("loss", 30))
    read = plots.readout.text()
    assert "loss" in read
    plots.show_runs([recorded_run("run-1", 1.0)])
    assert plots.readout.text() != read and "Point at a plot" in plots.readout.text()
    plots.readout.setText("epoch 2  |  run-1: loss 0.5")
    plots.start(run_events(*HEALTHY)[0])
    assert "Point at a plot" in plots.readout.text()


def test_the_learning_rate_shows_on_its_own_scale_and_in_the_read_out(plots):
    started, per_epoch = run_events(*HEALTHY)
    feed(plots, (started, per_epoch))
    low, high = plots.lr_plot.getPlotItem().vb.viewRange()[1]
    rates = [e.logs["learning_rate"] for _, e in per_epoch]  # 0.001, 0.0005, 0.00033
    assert low < min(rates) and max(rates) < high < 0.0015  # not a -0.4..0.4 axis
    assert "learning rate 0.001" in plots.readout_text("learning_rate", 20)
