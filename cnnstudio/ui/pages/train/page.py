"""The Train page: settings, Train / Pause / Stop, progress, and the live curves.

A run trains the project as it was when Train was pressed: the Trainer holds
that immutable project, so editing the design meanwhile never touches the
running model (the page says so). The finished or stopped run is recorded in
the project as an undoable edit.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton,
    QVBoxLayout, QWidget,
)

from cnnstudio.core import CnnStudioError, ProjectError, edits
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.runs import (
    format_metrics, same_architecture,
)
from cnnstudio.core.training_config import training_config
from cnnstudio.core.training_events import BatchEnd, EpochEnd, Finished, Started
from cnnstudio.ui.common.save_png import add_save_png_action
from cnnstudio.ui.common.loaded_data import LoadedData
from cnnstudio.ui.common.workflow_page import WorkflowPage
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.common.model_saving import ask_model_path, start_model_save
from cnnstudio.ui.common.status_line import StatusLine
from cnnstudio.ui.pages.train.cluster_box import ClusterBox, ClusterTarget
from cnnstudio.ui.pages.train.settings import TrainSettingsForm
from cnnstudio.ui.pages.train.session import TrainingSession
from cnnstudio.ui.common.worker import Task
from cnnstudio.ui.common.layouts import scrolled

DETAIL_LINES = 15


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainPage(WorkflowPage):
    run_recorded = Signal(dict)

    def __init__(self, editor: ProjectEditor, loaded_data: LoadedData | None = None,
                 path_provider=lambda: None, parent: QWidget | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__(editor, loaded_data, path_provider, parent)
        self.settings = settings
        self.session: TrainingSession | None = None
        self.cluster_run: ClusterTarget | None = None  # where the run under way trains
        self.save_task: Task | None = None
        self.plots = None  # made when first shown: pyqtgraph stays off start-up
        self.started: Started | None = None
        self._build()
        editor.changed.connect(self.refresh)
        self.refresh()

    # layout -----------------------------------------------------------------------
    def _build(self) -> None:
        self.form = TrainSettingsForm(self.editor)
        self.arithmetic = QLabel()
        self.arithmetic.setWordWrap(True)
        self.arithmetic.setTextFormat(Qt.RichText)
        settings = QWidget()
        column = QVBoxLayout(settings)
        column.addWidget(self.form)
        numbers = QGroupBox("Epochs, iterations, batches")
        QVBoxLayout(numbers).addWidget(self.arithmetic)
        column.addWidget(numbers)
        column.addStretch(1)
        scroll = scrolled(settings)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(380)
        scroll.setMaximumWidth(460)

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(lambda: self.train())
        self.continue_button = QPushButton("Continue training")
        self.continue_button.clicked.connect(self.continue_training)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.save_button = QPushButton("Save model…")
        self.save_button.clicked.connect(self.save_model)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.continue_button, self.pause_button,
                       self.stop_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        # these change at every drain and every epoch: StatusLine, not QLabel (see there)
        self.status = StatusLine("Not trained yet.")
        self.message = StatusLine(lines=2)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #8a5a00;")
        self.notice.hide()
        self.mismatch = QLabel()  # the data's classes against the output layer's units
        self.mismatch.setWordWrap(True)
        self.mismatch.setStyleSheet("color: #a4262c;")
        self.mismatch_fix = QPushButton()
        self.mismatch_fix.clicked.connect(self._fit_units)
        mismatch_row = QHBoxLayout()
        mismatch_row.addWidget(self.mismatch, 1)
        mismatch_row.addWidget(self.mismatch_fix, 0, Qt.AlignTop)
        self.mismatch.hide()
        self.mismatch_fix.hide()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("background: #fff4e5; border: 1px solid #f0c36d; padding: 6px;")
        self.hint.hide()
        self.where = ClusterBox(self.settings)
        self.where.changed.connect(self.refresh)
        right = QVBoxLayout()
        right.addLayout(buttons)
        right.addWidget(self.where)
        right.addLayout(mismatch_row)
        right.addWidget(self.progress)
        right.addWidget(self.status)
        right.addWidget(self.message)
        right.addWidget(self.notice)
        right.addWidget(self.hint)
        self.plot_slot = right
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

    def ensure_plots(self):
        if self.plots is None:
            from cnnstudio.ui.plots.training_plots import TrainingPlots

            self.plots = TrainingPlots()
            self.save_plots_action = add_save_png_action(
                self.plots, "training", lambda text, _error: self.message.setText(text))
            self.plot_slot.insertWidget(self.plot_slot.count() - 1, self.plots, 1)
            self.plot_slot.takeAt(self.plot_slot.count() - 1)  # the stretch: plots fill
        return self.plots

    def showEvent(self, event) -> None:
        self.ensure_plots()
        super().showEvent(event)

    # state ----------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self.session is not None and self.session.result is None

    def last_run(self) -> dict | None:
        runs = self.editor.project.runs
        return runs[-1] if runs else None

    def refresh(self) -> None:
        training = self.training
        self.form.setEnabled(not training)
        self.where.setEnabled(not training)
        self.train_button.setEnabled(not training)
        self.pause_button.setEnabled(training and self.cluster_run is None)
        self.stop_button.setEnabled(training)
        run = self.last_run()
        can_continue = (not training and run is not None and bool(run.get("weights"))
                        and same_architecture(run, self.editor.project))
        on_cluster = self.where.on_cluster
        self.continue_button.setEnabled(can_continue and not on_cluster)
        if can_continue and on_cluster:
            tip = "Continue training runs on this machine: choose Train on This machine."
        elif can_continue:
            tip = f"Train {run['id']}'s weights further"
        else:
            tip = "Needs a finished run whose layers match the design as it is now."
        self.continue_button.setToolTip(tip)
        self.save_button.setEnabled(not training and run is not None and bool(run.get("weights")))
        if training:
            changed = self.editor.project.layers != self.session.project.layers or \
                self.editor.project.input_shape != self.session.project.input_shape
            self.notice.setText("The design changed since this run started. The run goes on "
                                "with the layers it started with; train again to use the "
                                "new ones.")
            self.notice.setVisible(changed)
        self._show_arithmetic()
        self._check_units()

    def class_count(self) -> int | None:
        """The data's classes: as loaded, else as the data set's settings say."""
        if self.editor.class_count is not None:
            return self.editor.class_count
        try:
            return dataset_config(self.editor.project.dataset).known_classes()
        except ProjectError:
            return None

    def output_units(self) -> tuple[int, int] | None:
        """The output layer's index and units, when it is a Dense layer giving (None, N)."""
        project, report = self.editor.project, self.editor.report
        if not project.layers or project.layers[-1].type != "Dense" or not report.valid:
            return None
        return len(project.layers) - 1, report.output_shape[-1]

    def _check_units(self) -> None:
        """Say so before training when the data's classes and the output units differ, with
        the fix one click away."""
        classes, output = self.class_count(), self.output_units()
        fits = classes is None or output is None or output[1] == classes or \
            (classes == 2 and output[1] == 1)
        self.mismatch.setVisible(not fits)
        self.mismatch_fix.setVisible(not fits)
        if fits:
            return
        units = output[1]
        effect = ("training would stop at once: labels up to " f"{classes - 1} need {classes} "
                  "outputs" if units < classes else
                  f"{units - classes} of its outputs stand for no class, and the predictions "
                  "can name a class that does not exist")
        name = self.editor.report.layers[output[0]].name
        self.mismatch.setText(f"The data has {classes} classes but the output layer {name} has "
                              f"{units} units: {effect}.")
        self.mismatch_fix.setText(f"Set units to {classes}")

    def _fit_units(self) -> None:
        classes, output = self.class_count(), self.output_units()
        if classes is not None and output is not None:
            self.editor.edit(f"Set units to {classes}", edits.set_param, output[0], "units",
                             classes)

    def _show_arithmetic(self) -> None:
        try:
            config = training_config(self.editor.project.training)
        except ProjectError as error:
            self.arithmetic.setText(str(error))
            return
        try:
            found = self.loaded_data.split(self.editor.project.dataset,
                                           self.editor.project.training)
        except (ProjectError, ValueError) as error:
            self.arithmetic.setText(str(error))
            return
        if found is None:
            self.arithmetic.setText("Load the data on the Data page to see the numbers.")
            return
        _, text, it = found
        text = f"{text}.<br>{it.explain()}."
        tune = config.fine_tune
        if tune.enabled:
            text += (f"<br>Then fine-tuning: {tune.epochs} more epoch{'s' * (tune.epochs != 1)} "
                     f"x {it.per_epoch:,} = {tune.epochs * it.per_epoch:,} iterations, the "
                     f"top {tune.unfreeze_top} layers of the base at rate "
                     f"{tune.learning_rate:g}.")
        self.arithmetic.setText(text)

    # actions --------------------------------------------------------------------------
    def train(self, continue_from: dict | None = None) -> None:
        if self.training:
            return
        try:
            training_config(self.editor.project.training)
            config = dataset_config(self.editor.project.dataset)
        except ProjectError as error:
            self._set_message(str(error), error=True)
            return
        cluster = None if continue_from is not None else self.where.target()
        if cluster is not None and not self._can_use_cluster():
            return
        data = None if cluster is not None else self.loaded_data.data_for(config)
        self.hint.hide()
        self.cluster_run = cluster
        self.session = TrainingSession(self.editor.project, data, self.path_provider(),
                                       continue_from, self, cluster=cluster)
        self.session.started.connect(self._started)
        self.session.batches.connect(self._batches)
        self.session.epoch_ended.connect(self._epoch_ended)
        self.session.phase_started.connect(self._phase_started)
        self.session.finished.connect(self._finished)
        # not Qt's busy bar (range 0, 0): its animation repaints the window 60 times a
        # second, half a second of the GUI thread's CPU (and the GIL) while TensorFlow
        # loads and the model is built
        self.started = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("preparing…")
        self.status.setText(
            f"Preparing: starting Ray and {cluster.workers} worker"
            f"{'s' * (cluster.workers != 1)} (TensorFlow loads in each)…" if cluster
            else "Preparing: loading data and building the model…")
        self._set_message("")
        self.pause_button.setText("Pause")
        self.session.start()
        self.refresh()

    def _can_use_cluster(self) -> bool:
        """A cluster run needs a saved project (its weights go beside the file, and the
        workers read the data from the file's settings) and an address."""
        problem = self.where.problem()
        if problem is None and self.saved_file() is None:
            problem = ("Save the project before training on a cluster: the run's weights "
                       "are written beside the project file.")
        if problem is not None:
            self._set_message(problem, error=True)
        return problem is None

    def continue_training(self) -> None:
        run = self.last_run()
        if run is not None:
            self.train(continue_from=run)

    def toggle_pause(self) -> None:
        if not self.training:
            return
        if self.session.paused:
            self.session.resume()
            self.ensure_plots().pace_again()
            self.pause_button.setText("Pause")
            self.status.setText(self.status.text().removesuffix(" · paused"))
        else:
            self.session.pause()
            self.ensure_plots().redraw_soon()
            self.pause_button.setText("Resume")
            self.status.setText(self.status.text() + " · paused")

    def stop(self) -> None:
        if self.training:
            self.session.stop()
            self.ensure_plots().redraw_soon()
            self.status.setText("Stopping after this batch…")

    def shutdown(self, wait_ms: int = 10_000) -> bool:
        """Stop a running run and wait for its thread; True when nothing is left running."""
        if self.save_task is not None:
            self.save_task.wait()
        if self.session is None:
            return True
        if self.session.result is None:
            self.session.stop()
        if not self.session.wait(wait_ms):
            return False
        self.session.deliver_now()  # the stopped run is recorded before the window goes
        return True

    # events -------------------------------------------------------------------------
    def _started(self, event: Started) -> None:
        self.started = event
        total = (event.epochs - event.initial_epoch) * event.steps_per_epoch
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m iterations")
        plots = self.ensure_plots()
        plots.start(event)
        project = self.session.project
        plots.set_advice_context([layer.to_dict() for layer in project.layers],
                                 project.training, project.dataset)
        where = f" with {self.cluster_run.describe()}" if self.cluster_run else ""
        self.status.setText(f"Training on {event.train_samples:,} images, validating on "
                            f"{event.validation_samples:,}{where}…")

    def _batches(self, events: list[BatchEnd]) -> None:
        last = events[-1]
        started = self.started
        done = last.iteration - started.initial_epoch * started.steps_per_epoch
        # QProgressBar.setValue repaints at once, outside the window's next paint:
        # with updates off it is painted with the rest of the window instead
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(done)
        self.progress.setUpdatesEnabled(True)
        text = (f"Epoch {last.epoch}/{started.epochs} · iteration {last.step}/"
                f"{started.steps_per_epoch} ({done:,} of {self.progress.maximum():,}) · "
                f"{last.samples_per_second:,.0f} samples/s · ETA "
                f"{format_duration(last.eta_seconds)}")
        if self.session is not None and self.session.paused:
            text += " · paused"
        self.status.setText(text)
        self.ensure_plots().add_batches(events)

    def _epoch_ended(self, event: EpochEnd) -> None:
        if self.cluster_run is not None and self.started is not None:
            self._cluster_progress(event)
        plots = self.ensure_plots()
        plots.add_epoch(event)
        self._show_overfitting(plots)
        shown = format_metrics(event.logs, ("loss", "accuracy", "val_loss", "val_accuracy"))
        self._set_message(f"Epoch {event.epoch}: {shown} ({event.seconds:.1f} s)")

    def _cluster_progress(self, event: EpochEnd) -> None:
        """A cluster run reports epochs, not batches: the bar moves an epoch at a time."""
        started = self.started
        self.progress.setValue(event.iteration - started.initial_epoch * started.steps_per_epoch)
        self.status.setText(f"Epoch {event.epoch}/{started.epochs} done with "
                            f"{self.cluster_run.describe()} · {event.seconds:.1f} s an epoch")

    def _phase_started(self, event) -> None:
        self.ensure_plots().mark_phase(event)
        self._set_message(f"After epoch {event.epoch}: {event.message}")

    def _record_in_file(self, run: dict) -> None:
        """A saved project gets the run in its file at once, as `cnnstudio train` does, so
        no run is lost when the window closes without saving (see core.run_store)."""
        path = self.saved_file()
        if path is None:
            return
        from cnnstudio.core.run_store import record_run

        try:
            record_run(path, run)
        except (OSError, CnnStudioError) as error:
            self._set_message(f"{run['id']} could not be written to {path}: {error} Save "
                              "the project to keep it.", error=True)

    def _finished(self, event: Finished) -> None:
        self.ensure_plots().flush()
        run = event.run or None  # a cluster run that failed ends with an empty record
        if run is not None:
            self._record_in_file(run)
            self.editor.edit(f"Record {run['id']}", edits.add_run, run)
            self.run_recorded.emit(run)
        if self.session is not None:
            self.session.release()
        self.progress.setRange(0, max(self.progress.maximum(), 1))
        if self.started is None:  # it failed before its first epoch
            self.progress.setFormat("not started")
        if event.reason in ("completed", "early_stopping"):
            self.progress.setValue(self.progress.maximum())
        self.status.setText(f"{run['id'] + ': ' if run else ''}{event.message}")
        if event.reason == "nan":
            self._set_message(event.message, error=True)
            QMessageBox.warning(self, "Training stopped", event.message)
        elif event.reason == "error":
            self._set_message(event.message, error=True)
            details = "\n".join(event.details.strip().splitlines()[-DETAIL_LINES:])
            QMessageBox.critical(self, "Training failed",
                                 f"{event.message}\n\nDetails:\n{details}")
        else:
            self._set_message("")  # the status line says how it ended
        self.refresh()

    def _show_overfitting(self, plots) -> None:
        """The hint under the progress bar: the plots' finding over the run's epochs,
        with their advice for the running project (set_advice_context in _started)."""
        found = plots.overfitting
        if found is None:
            return
        text = (f"<b>Overfitting?</b> {found.headline()}<ul>"
                + "".join(f"<li>{line}</li>" for line in plots.overfitting_advice) + "</ul>")
        if text != self.hint.text():  # a new text lays the page out again
            self.hint.setText(text)
        self.hint.show()

    def _set_message(self, text: str, error: bool = False) -> None:
        self.message.set_error(error)
        self.message.setText(text)

    # saving -------------------------------------------------------------------------
    def save_model(self) -> None:
        run = self.last_run()
        if run is None or self.save_task is not None:
            return
        path = ask_model_path(self, self.editor.project.name)
        if path:
            self.save_to(run, path)

    def save_to(self, run: dict, path: str) -> None:
        self.save_task = start_model_save(self, run, self.path_provider(), path, self._saved)
        self.status.setText(f"Saving {run['id']} to {path}…")

    def _saved(self, text: str, error: bool = False) -> None:
        self.save_task = None
        self.status.setText(text)
        if error:
            self._set_message(text, error=True)
