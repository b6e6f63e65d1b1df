"""The Train page as a user drives it: train, watch, pause, stop, NaN, close mid-run."""

from __future__ import annotations


import pytest
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core import edits
from tests.training_projects import exploding_project, tiny_project
from tests.ui.conftest import save_screenshot

RUN_TIMEOUT_MS = 60_000


def open_train_page(make_window, project):
    window = make_window(project)
    window.page_actions[2].trigger()
    return window, window.train_page


def train_to_end(qtbot, page):
    page.train_button.click()
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        pass
    return blocker.args[0]


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_train_shows_progress_curves_and_records_the_run(make_window, qtbot):
    window, page = open_train_page(make_window, tiny_project(count=240, epochs=3))
    batches = []
    page.train_button.click()
    page.session.batches.connect(batches.append)
    assert not page.train_button.isEnabled() and page.stop_button.isEnabled()
    assert not page.form.isEnabled()  # settings apply to the next run
    # while TensorFlow loads: no busy bar, whose animation repaints 60 times a second
    assert page.progress.maximum() > 0 and page.progress.format() == "preparing…"
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        pass
    finished = blocker.args[0]
    assert finished.reason == "completed"
    assert page.progress.format() == "%v / %m iterations"
    runs = window.editor.project.runs
    assert len(runs) == 1 and runs[0]["ended"] == "completed" and len(runs[0]["epochs"]) == 3
    assert page.progress.value() == page.progress.maximum() == 3 * 14  # ceil(216 / 16) = 14
    assert "run-1" in page.status.text()
    delivered = sum(len(b) for b in batches)
    assert delivered == 42 and len(batches) <= delivered  # coalesced into lists
    plots = page.plots
    plots.flush()
    assert len(plots.series["loss_batch"]) == 42 and len(plots.series["val_loss"]) == 3
    assert page.train_button.isEnabled() and page.continue_button.isEnabled()
    save_screenshot(window, "train_finished.png")
    window.editor.undo_stack.undo()  # recording a run is an undoable edit
    assert window.editor.project.runs == ()


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_pause_and_resume(make_window, qtbot):
    window, page = open_train_page(make_window, tiny_project(count=600, epochs=2))
    page.train_button.click()
    with qtbot.waitSignal(page.session.batches, timeout=RUN_TIMEOUT_MS):
        pass
    page.pause_button.click()
    assert page.pause_button.text() == "Resume" and "paused" in page.status.text()
    trainer = page.session._trainer
    qtbot.waitUntil(trainer.holding.is_set, timeout=RUN_TIMEOUT_MS)  # after its batch
    held_at = trainer.iteration
    qtbot.wait(200)
    assert trainer.holding.is_set() and trainer.iteration == held_at  # nothing trains
    page.pause_button.click()
    assert page.pause_button.text() == "Pause"
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0].reason == "completed"


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_stop_mid_epoch_records_a_stopped_run(make_window, qtbot):
    window, page = open_train_page(make_window, tiny_project(count=1200, epochs=4))
    page.train_button.click()
    with qtbot.waitSignal(page.session.batches, timeout=RUN_TIMEOUT_MS):
        pass
    at_click = page.session.iteration
    page.stop_button.click()
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0].reason == "stopped"
    run = window.editor.project.runs[-1]
    steps = run["iterations_per_epoch"]
    last = run["epochs"][-1]
    done = (len(run["epochs"]) - 1) * steps + last.get("iterations", steps)
    assert at_click <= done <= at_click + 1  # within one batch of the click
    assert run["ended"] == "stopped" and last.get("partial", False) == (done % steps != 0)
    assert f"Stopped after {len(run['epochs'])} epoch" in page.status.text()


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_nan_loss_stops_with_a_message(make_window, qtbot, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    window, page = open_train_page(make_window, exploding_project(epochs=5))
    finished = train_to_end(qtbot, page)
    assert finished.reason == "nan"
    assert warnings and "Lower the learning rate" in warnings[0]
    assert "NaN" in page.message.text()
    assert window.editor.project.runs[-1]["ended"] == "nan"


def test_a_failure_shows_details_and_the_app_keeps_running(make_window, qtbot, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: errors.append(args[2]))
    window, page = open_train_page(make_window, tiny_project())
    window.editor.edit("units", edits.set_param, 2, "units", 3)
    finished = train_to_end(qtbot, page)
    assert finished.reason == "error" and finished.run is None
    assert page.progress.format() == "not started"
    assert "6 classes but the last layer has 3 units" in errors[0]
    assert "Details:" in errors[0]
    assert window.editor.project.runs == ()
    assert page.train_button.isEnabled()


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_editing_the_design_during_a_run_leaves_the_run_alone(make_window, qtbot):
    window, page = open_train_page(make_window, tiny_project(count=600, epochs=2))
    page.train_button.click()
    with qtbot.waitSignal(page.session.batches, timeout=RUN_TIMEOUT_MS):
        pass
    window.editor.edit("filters", edits.set_param, 0, "filters", 8)
    assert not page.notice.isHidden() and "design changed" in page.notice.text()
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS):
        pass
    run = window.editor.project.runs[-1]
    assert run["ended"] == "completed"
    assert run["layers"][0]["params"]["filters"] == 4  # the architecture it started with
    assert window.editor.project.layers[0].params["filters"] == 8
    assert not page.continue_button.isEnabled()  # the weights no longer fit


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_closing_the_window_mid_run_stops_cleanly(make_window, qtbot, dialog_answers):
    window, page = open_train_page(make_window, tiny_project(count=1200, epochs=5))
    page.train_button.click()
    with qtbot.waitSignal(page.session.batches, timeout=RUN_TIMEOUT_MS):
        pass
    session = page.session
    dialog_answers.extend([QMessageBox.Yes, QMessageBox.Discard])  # stop; don't save
    assert window.close()
    assert not session.thread.isRunning()
    assert session.result is not None and session.result.reason == "stopped"


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_continue_training_and_save_the_model(make_window, qtbot, tmp_path):
    window, page = open_train_page(make_window, tiny_project(epochs=1))
    train_to_end(qtbot, page)
    assert page.continue_button.isEnabled()
    page.continue_button.click()
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS):
        pass
    second = window.editor.project.runs[-1]
    assert second["continued_from"] == "run-1" and [e["epoch"] for e in second["epochs"]] == \
        [1, 2]
    out = tmp_path / "tiny.keras"
    page.save_to(second, str(out))
    qtbot.waitUntil(lambda: page.save_task is None, timeout=RUN_TIMEOUT_MS)
    assert out.is_file() and "Saved run-2" in page.status.text()
    import keras

    model = keras.models.load_model(out)
    assert [layer.name for layer in model.layers][1:] == ["conv2d", "flatten", "dense"]


def test_settings_form_edits_the_project(make_window, qtbot):
    window, page = open_train_page(make_window, tiny_project())
    form = page.form
    form.controls[("epochs",)].widget.setValue(7)
    assert window.editor.project.training["epochs"] == 7
    assert "7 epochs" in page.arithmetic.text()
    assert form.controls[("momentum",)].widget.isHidden()
    form.controls[("optimizer",)].widget.setCurrentText("sgd")
    assert window.editor.project.training["optimizer"] == "sgd"
    assert not form.controls[("momentum",)].widget.isHidden()
    patience = form.controls[("early_stopping", "patience")].widget
    assert not patience.isEnabled()
    form.controls[("early_stopping", "enabled")].widget.setChecked(True)
    assert patience.isEnabled()
    patience.setValue(5)
    assert window.editor.project.training["early_stopping"] == {"enabled": True, "patience": 5}
    tune = form.controls[("fine_tune", "enabled")].widget
    tune.setChecked(True)
    form.controls[("fine_tune", "unfreeze_top")].widget.setValue(12)
    assert window.editor.project.training["fine_tune"] == {"enabled": True, "unfreeze_top": 12}
    assert "Then fine-tuning: 3 more epochs" in page.arithmetic.text()
    assert "top 12 layers" in page.arithmetic.text()
    save_screenshot(window, "train_settings.png")


def test_redraws_slow_down_when_they_cost_the_gui_thread_much():
    from cnnstudio.ui.plots.pacing import Pacer

    pacer = Pacer(0.01, 100, 3000)
    assert pacer.interval_ms == 100  # a run's first points show at once
    cpu = 10.0
    pacer.tick(cpu)
    cpu += 0.020  # a round of drawing costs 20 ms of the GUI thread's CPU
    pacer.tick(cpu)
    assert pacer.interval_ms == pytest.approx(0.020 / 0.01 * 1000)  # spaced at once
    for _ in range(12):
        cpu += 0.020
        pacer.tick(cpu)
    assert pacer.interval_ms == pytest.approx(0.020 / 0.01 * 1000, rel=0.01)
    for _ in range(12):  # 200 ms each (a slow machine): capped
        cpu += 0.200
        pacer.tick(cpu)
    assert pacer.interval_ms == 3000
    pacer.hurry()  # paused or stopping: at once, however costly a round
    assert pacer.interval_ms == 100
    for _ in range(3):
        cpu += 0.200
        pacer.tick(cpu)
    assert pacer.interval_ms == 100
    pacer.reset()  # resumed: paced again
    pacer.interval_ms = 3000
    pacer.tick(cpu)
    cpu += 0.0005  # cheap again: faster by halves, not at once
    pacer.tick(cpu)
    assert pacer.interval_ms == pytest.approx((3000 + 50) / 2)
    for _ in range(12):  # back to 10 a second
        cpu += 0.0005
        pacer.tick(cpu)
    assert pacer.interval_ms == 100


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_the_plots_pace_their_redraws_and_pause_draws_at_once(make_window, qtbot):
    from cnnstudio.ui.plots.training_plots import MAX_REDRAW_MS

    window, page = open_train_page(make_window, tiny_project(count=1200, epochs=4))
    page.train_button.click()
    with qtbot.waitSignal(page.session.batches, timeout=RUN_TIMEOUT_MS):
        pass
    plots = page.ensure_plots()
    plots.pacer.interval_ms = MAX_REDRAW_MS  # as if drawing had been costly
    page.pause_button.click()
    assert plots.pacer.interval_ms == plots.pacer.shortest_ms

    def drawn() -> int:
        xs = plots.curves["loss_batch"].xData  # all points set, before any downsampling
        return 0 if xs is None else len(xs)

    qtbot.waitUntil(lambda: drawn() > 0 and not plots._timer.isActive(), timeout=2000)
    assert drawn() == len(plots.series["loss_batch"])  # everything received is drawn
    qtbot.wait(600)  # batches that were in flight at the click arrive, and are drawn soon
    assert plots.pacer.interval_ms == plots.pacer.shortest_ms
    qtbot.waitUntil(lambda: not plots._timer.isActive(), timeout=1000)
    assert drawn() == len(plots.series["loss_batch"])
    page.pause_button.click()
    assert not plots.pacer.hurried  # resumed: paced again
    page.stop()
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0].reason == "stopped"


class ScriptedTrainer:
    """The Trainer's events for given validation losses, instantly, without TensorFlow:
    training loss falls every epoch, validation loss follows VAL_LOSSES."""

    VAL_LOSSES = [1.0, 0.8, 0.7, 0.75, 0.8, 0.9, 1.0]
    STEPS = 3

    def __init__(self, on_event=None, on_batch=None, **_kwargs) -> None:
        self.on_event = on_event
        self.on_batch = on_batch or on_event
        self.iteration = 0
        self.model = None

    def stop(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...

    def run(self):
        from cnnstudio.core.training_events import (
            BatchEnd, EpochEnd, EpochPace, Finished, Started,
        )

        epochs = len(self.VAL_LOSSES)
        self.on_event(Started(epochs, 0, self.STEPS, 48, 16, 16, ("loss", "accuracy")))
        for epoch, val_loss in enumerate(self.VAL_LOSSES, start=1):
            loss = 1.0 / epoch
            pace = EpochPace(16, 48, (epochs - epoch + 1) * self.STEPS)
            for step in range(1, self.STEPS + 1):
                self.iteration += 1
                values = {"loss": loss, "accuracy": 0.5}
                self.on_batch(BatchEnd(epoch, step, self.iteration, values, None, 0.1, pace))
            self.on_event(EpochEnd(epoch, self.iteration, {
                "loss": loss, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": 0.5,
                "learning_rate": 0.001}, 0.1))
        finished = Finished(None, "completed", f"Completed {epochs} epochs.")
        self.on_event(finished)
        return finished


def test_overfitting_hint_appears_with_advice_and_holds_its_text(make_window, qtbot,
                                                                 monkeypatch):
    """Validation loss rises from epoch 4 while training loss falls: the hint says so,
    with advice for this project (no Dropout in it), and keeps one text while the
    finding holds: a new text at every epoch re-laid out the whole page."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "cnnstudio.engine.trainer",
                        types.SimpleNamespace(Trainer=ScriptedTrainer))
    window, page = open_train_page(make_window, tiny_project(epochs=7))
    texts = []
    page.train_button.click()
    page.session.epoch_ended.connect(lambda event: texts.append(
        page.hint.text() if page.hint.isVisibleTo(page) else None))
    with qtbot.waitSignal(page.session.finished, timeout=RUN_TIMEOUT_MS):
        pass
    assert texts[:4] == [None] * 4  # falling, then one higher epoch: not yet
    assert texts[4] is not None  # two epochs above the best: overfitting
    assert texts[5] == texts[6] == texts[4]  # the losses change, the finding does not
    assert "Overfitting?" in texts[4] and "From epoch 4" in texts[4]
    assert "above its best, 0.7" in texts[4]
    assert "Dropout" in texts[4]  # advice that fits a project without it
    save_screenshot(window, "train_overfitting_hint.png")


def test_the_training_plots_save_as_png(make_window, tmp_path, monkeypatch):
    from tests.ui.conftest import save_through_action

    window = make_window()
    window.show_page("Train")
    page = window.train_page
    plots = page.ensure_plots()
    save_through_action(page.save_plots_action, plots, tmp_path / "training.png", monkeypatch)
    assert "Saved" in page.message.text()
