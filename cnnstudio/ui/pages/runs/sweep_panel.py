"""The Runs page's Sweep tab: start a sweep, watch its trials, apply the best settings.

A running sweep shows its trials as they change (SweepSession); otherwise the
tab shows the project's latest recorded sweep, rebuilt from its runs, so the
comparison is there again after the project is reopened. "Apply best settings"
sets the best trial's values in the design as one undoable edit.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QTimer, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from cnnstudio.core.sweep_plan import apply_values, describe_values, show_setting
from cnnstudio.core.sweep_trials import ENDED, Trial, rank, recorded_trials, sweep_ids
from cnnstudio.ui.common.layouts import select_row
from cnnstudio.ui.common.status_line import StatusLine
from cnnstudio.ui.common.workflow_page import saved_file
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.pages.runs.cells import number_cell
from cnnstudio.ui.plots.series import run_colour
from cnnstudio.ui.pages.runs.sweep_session import SweepOutcome, SweepRequest, SweepSession

BEST_BACKGROUND = "#e3f4e1"
STATUS_COLOURS = {"invalid": "#a4262c", "error": "#a4262c", "nan": "#a4262c",
                  "stopped": "#8a5a00", "running": "#1f5fa8"}
FIXED_COLUMNS = ("Status", "Epochs", "Best val_loss", "val_accuracy", "Run", "Message")
CLOCK_MS = 1000
QUIET = ("completed", "early_stopping", "running")
"""Statuses whose message the table leaves to the tooltip: the numbers already say it."""


def _title(key: str) -> str:
    """A setting's column title: its last part (learning_rate, filters), with its layer
    for a layer's argument (dense units)."""
    parts = key.split(".")
    if parts[0] in ("layers", "dataset") and len(parts) >= 3:
        return f"{parts[-3] if parts[-2] == 'params' else parts[-2]} {parts[-1]}"
    return parts[-1]


class SweepPanel(QWidget):
    """The sweep's table and plots, and its buttons."""

    recorded = Signal()  # a trial was recorded in the project's file: read its runs

    def __init__(self, editor: ProjectEditor, path_provider: Callable[[], Path | None],
                 saver: Callable[[], bool] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.path_provider = path_provider
        self.saver = saver
        self.session: SweepSession | None = None
        self.trials: dict[str, Trial] = {}
        self.keys: list[str] = []
        self.sweep_id: str | None = None
        self.planned_epochs: int | None = None
        self.planned_trials: int | None = None
        self.started_at = 0.0
        self.outcome_text = ""
        self._shown_runs: tuple | None = None
        self.curves = None  # the plots are made when first shown: pyqtgraph stays off start-up
        self.coordinates = None
        self._build()
        self.clock = QTimer(self)
        self.clock.setInterval(CLOCK_MS)
        self.clock.timeout.connect(self._show_status)
        editor.changed.connect(self.refresh)
        self.refresh()

    # layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.new_button = QPushButton("New sweep…")
        self.new_button.setToolTip("Train the project once for each combination of settings "
                                   "and compare the results.")
        self.new_button.clicked.connect(self.open_dialog)
        self.stop_button = QPushButton("Stop sweep")
        self.stop_button.setToolTip("The running trials stop after their batch and are "
                                    "recorded; no new trial starts.")
        self.stop_button.clicked.connect(self.stop)
        self.apply_button = QPushButton("Apply best settings")
        self.apply_button.clicked.connect(self.apply_best)
        self.status = StatusLine("", lines=2)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.stop_button, self.apply_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status, 1)
        self.empty = QLabel("No sweep yet. A sweep trains this project once for each "
                            "combination of the settings you choose (learning rates, filters, "
                            "units…), records every trial as a run and ranks them. Start one "
                            "with New sweep…")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setStyleSheet("color: #666; padding: 24px;")
        self.table = QTableWidget(0, 0)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._draw_plots)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.empty)
        top_layout.addWidget(self.table, 1)
        self.bottom = QSplitter(Qt.Horizontal)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.bottom)
        self.splitter.setSizes([280, 420])
        QVBoxLayout(self).addWidget(self.splitter)
        self.layout().setContentsMargins(0, 0, 0, 0)
        self._show_all()

    def ensure_plots(self) -> None:
        if self.curves is None:
            from cnnstudio.ui.plots.sweep_plots import ParallelCoordinates, TrialCurves

            self.curves = TrialCurves()
            self.coordinates = ParallelCoordinates()
            self.bottom.addWidget(self.curves)
            self.bottom.addWidget(self.coordinates)
            self.bottom.setSizes([500, 500])
            self._draw_plots()

    def showEvent(self, event) -> None:
        self.ensure_plots()
        super().showEvent(event)

    # state --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    def ranked(self) -> list[Trial]:
        return rank(list(self.trials.values()))

    def best_trial(self) -> Trial | None:
        ranked = self.ranked()
        return ranked[0] if ranked and ranked[0].best() is not None else None

    def refresh(self) -> None:
        """Not sweeping: show the latest sweep the project recorded (or none)."""
        if self.running:
            return
        runs = self.editor.project.runs
        if runs is self._shown_runs:  # a design edit: nothing here changed
            return
        self._shown_runs = runs
        ids = sweep_ids(runs)
        if not ids:
            if self.session is None:
                self.trials, self.keys, self.sweep_id = {}, [], None
                self._show_all()
            return
        latest = ids[-1]
        trials = recorded_trials(runs, latest)
        if self.session is not None and latest == self.sweep_id:
            # the sweep this panel ran: keep its invalid trials, take the recorded runs
            for trial in trials:
                self.trials[trial.trial_id] = trial
        else:
            self.session = None
            self.sweep_id = latest
            self.trials = {t.trial_id: t for t in trials}
            self.keys = list(dict.fromkeys(k for t in trials for k in t.values))
            self.planned_trials = self.planned_epochs = None
            self.outcome_text = (f"{latest}: {len(trials)} trial"
                                 f"{'s' * (len(trials) != 1)} recorded.")
        self._show_all()

    # actions ------------------------------------------------------------------------
    def open_dialog(self) -> None:
        if self.running:
            return
        from cnnstudio.ui.pages.runs.sweep_dialog import SweepDialog

        saved = saved_file(self.path_provider) is not None
        dialog = SweepDialog(self.editor.project, saved, self)
        if dialog.exec() and dialog.request is not None:
            self.start(dialog.request)

    def start(self, request: SweepRequest) -> bool:
        """Start a sweep of the project as it is now; the project must be saved, as each
        trial is recorded in its file (the dialog offers to save it)."""
        if self.running:
            return False
        if self.session is not None:
            self.session.deleteLater()  # the last sweep's worker and trials
            self.session = None
        if saved_file(self.path_provider) is None and (self.saver is None or not self.saver()):
            self.status.set_error(True)
            self.status.setText("The sweep did not start: save the project first, as every "
                                "trial is recorded as a run in its file.")
            return False
        self.session = SweepSession(self.editor.project, saved_file(self.path_provider),
                                    request, self)
        self.session.trial_changed.connect(self._trial_changed)
        self.session.finished.connect(self._finished)
        self.sweep_id = self.session.sweep_id
        self.trials = {}
        self.keys = request.plan.keys
        self.planned_epochs = request.epochs
        self.planned_trials = request.plan.trial_count()
        self.outcome_text = ""
        self.started_at = time.monotonic()
        self.session.start()
        self.clock.start()
        self._show_all()
        return True

    def stop(self) -> None:
        if self.running:
            self.session.stop()
            self.outcome_text = "Stopping: the running trials finish their batch…"
            self._show_status()

    def apply_best(self) -> None:
        best = self.best_trial()
        if best is None:
            return
        text = f"Apply the best sweep settings ({describe_values(best.values)})"
        run = next((r for r in self.editor.project.runs if r.get("id") == best.run_id), None)
        layers = run.get("layers") if run is not None else None
        problem = self.editor.edit(text, apply_values, best.values, layers)
        self.outcome_text = (f"The project refused the settings: {problem}" if problem else
                             f"Applied {describe_values(best.values)} from "
                             f"{best.run_id or 'trial ' + best.trial_id}; Undo (Ctrl+Z) takes "
                             "them back.")
        self.status.set_error(problem is not None)
        self.status.setText(self.outcome_text)

    def shutdown(self, wait_ms: int = 60_000) -> bool:
        """Stop a running sweep and wait for it; True when nothing is left running."""
        self.clock.stop()
        if self.session is None:
            return True
        if self.session.running:
            self.session.stop()
        return self.session.wait(wait_ms)

    # the sweep's messages -------------------------------------------------------------
    def _trial_changed(self, trial: Trial) -> None:
        gc.collect(1)  # young garbage, here in the GUI thread: the worker keeps it off
        known = self.trials.get(trial.trial_id)
        self.trials[trial.trial_id] = trial
        if trial.run_id and (known is None or known.run_id != trial.run_id):
            self.recorded.emit()
        self._show_all()

    def _finished(self, outcome: SweepOutcome) -> None:
        self.clock.stop()
        for trial in outcome.trials:  # in place: each keeps its place, so its colour
            self.trials[trial.trial_id] = trial
        done = sum(1 for t in outcome.trials if t.run_id)
        invalid = sum(1 for t in outcome.trials if t.status == "invalid")
        cut_short = outcome.stopped and (
            any(t.status == "stopped" for t in outcome.trials)
            or len(outcome.trials) < (self.planned_trials or 0))
        text = (f"{outcome.sweep_id} {'stopped' if cut_short else 'ended'}: "
                f"{done} trial{'s' * (done != 1)} recorded")
        if invalid:
            text += f", {invalid} invalid"
        text += f", in {self._elapsed()}."
        if outcome.error:
            text += f" It failed: {outcome.error}"
        self.outcome_text = text
        self.status.set_error(bool(outcome.error) and done == 0)
        self.recorded.emit()
        self._show_all()

    # drawing --------------------------------------------------------------------------
    def _elapsed(self) -> str:
        from cnnstudio.ui.pages.train.page import format_duration

        return format_duration(time.monotonic() - self.started_at)

    def _show_all(self) -> None:
        has_sweep = bool(self.trials) or self.running
        self.empty.setVisible(not has_sweep)
        self.table.setVisible(has_sweep)
        self.bottom.setVisible(has_sweep)
        self.new_button.setEnabled(not self.running)
        self.stop_button.setEnabled(self.running)
        best = self.best_trial()
        self.apply_button.setEnabled(best is not None and not self.running)
        self.apply_button.setToolTip(
            "When the sweep has ended: a trial in its first epochs may lead now."
            if self.running else
            f"Set {describe_values(best.values)} in the design, as one undoable edit"
            if best else "Needs a trial with a result.")
        self._fill_table(best)
        self._draw_plots()
        self._show_status()

    def _show_status(self) -> None:
        if not self.running:
            if self.outcome_text:
                self.status.setText(self.outcome_text)
            return
        trials = list(self.trials.values())
        ended = sum(1 for t in trials if t.status != "running")
        running = len(trials) - ended
        planned = f" of {self.planned_trials}" if self.planned_trials else ""
        text = (f"{self.sweep_id}: {ended}{planned} trials ended · {running} running · "
                f"{self._elapsed()}")
        if not trials:
            text = (f"{self.sweep_id}: starting Ray and the first trials (TensorFlow loads "
                    f"in each)… {self._elapsed()}")
        if self.outcome_text:
            text += f" · {self.outcome_text}"
        self.status.set_error(False)
        self.status.setText(text)

    def _fill_table(self, best: Trial | None) -> None:
        columns = ["Trial", *[_title(k) for k in self.keys], *FIXED_COLUMNS]
        if self.table.columnCount() != len(columns):
            self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        for column, key in enumerate(self.keys, start=1):
            self.table.horizontalHeaderItem(column).setToolTip(key)
        ranked = self.ranked() if not self.running else list(self.trials.values())
        chosen = self._chosen_id()
        order = list(self.trials)  # the curves' colours follow it (TrialCurves)
        self.table.blockSignals(True)
        self.table.clearSelection()  # rows move when ranked: the chosen trial is found again
        self.table.setRowCount(len(ranked))
        for row, trial in enumerate(ranked):
            cells = self._cells(trial)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, trial.trial_id)
                if column == 0:  # its curve's colour, as the legend would show
                    item.setData(Qt.DecorationRole,
                                 QColor(run_colour(order.index(trial.trial_id))))
                if len(self.keys) + 1 < column < len(cells) - 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if column == len(self.keys) + 1:
                    colour = STATUS_COLOURS.get(trial.status)
                    if colour:
                        item.setForeground(QBrush(QColor(colour)))
                    item.setToolTip(trial.message)
                if column == len(cells) - 1:
                    item.setToolTip(trial.message)
                if best is not None and trial.trial_id == best.trial_id and not self.running:
                    item.setBackground(QBrush(QColor(BEST_BACKGROUND)))
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
            if trial.trial_id == chosen:
                select_row(self.table, row)
        self.table.blockSignals(False)

    def _cells(self, trial: Trial) -> list[str]:
        done = len(trial.epochs)
        epochs = f"{done}/{self.planned_epochs}" if self.planned_epochs and \
            trial.status == "running" else str(done)
        status = ENDED.get(trial.status, trial.status)
        values = [show_setting(trial.values.get(key)) for key in self.keys]
        accuracy = (trial.best() or {}).get("val_accuracy")
        return [_trial_number(trial.trial_id), *values, status, epochs,
                number_cell(trial.best_value()), number_cell(accuracy, ".1%"),
                trial.run_id or "", "" if trial.status in QUIET else trial.message]

    def _chosen_id(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.UserRole) if items else None

    def _draw_plots(self) -> None:
        if self.curves is None:
            return
        trials = list(self.trials.values())
        chosen = self._chosen_id()
        self.curves.highlighted = chosen
        self.coordinates.highlighted = chosen
        self.curves.show_trials(trials)
        self.coordinates.show_trials(trials, self.keys, {k: _title(k) for k in self.keys})


def _trial_number(trial_id: str) -> str:
    """Tune's trial id `1a2b3_00004` as the trial's number, 5."""
    suffix = trial_id.rsplit("_", 1)[-1]
    return str(int(suffix) + 1) if suffix.isdigit() else trial_id
