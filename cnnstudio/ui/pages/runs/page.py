"""The Runs page: every recorded run in a table, curves overlaid, what changed between two;
and, on its Sweep tab, hyperparameter sweeps (ui/pages/runs/sweep_panel.py).

Select runs to overlay their per-epoch curves; select exactly two to see which
layers and settings differ. A run's metrics export as CSV and its trained
model as `.keras`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QTabWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from cnnstudio.ui.common.layouts import select_row
from cnnstudio.ui.common.save_png import add_save_png_action, window_status
from cnnstudio.core.runs import best_epoch, describe_ending, metrics_csv, run_changes
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.common.model_saving import ask_model_path, start_model_save
from cnnstudio.ui.pages.runs.cells import number_cell
from cnnstudio.ui.pages.runs.sweep_panel import SweepPanel

COLUMNS = ("Run", "Started", "Ended", "Epochs", "Best epoch", "Best val_loss",
           "val_accuracy", "Time", "Optimizer", "Batch", "Continued from", "Sweep", "Message")


def run_row(run: dict) -> list[str]:
    """The table's cells for one run (missing fields show as –)."""
    from cnnstudio.ui.pages.train.page import format_duration

    epochs = run.get("epochs", [])
    monitor = run.get("monitor", "val_loss")
    best = run.get("best_epoch") or best_epoch(epochs, monitor)
    best_entry = next((e for e in epochs if e.get("epoch") == best), {})
    last = epochs[-1] if epochs else {}
    settings = run.get("settings", {})
    return [run.get("id", "?"), run.get("started", "").replace("T", " "),
            run.get("ended", "?"), str(len(epochs)), number_cell(best, "d") if best else "–",
            number_cell(best_entry.get("val_loss")), number_cell(last.get("val_accuracy"), ".1%")
            if last.get("val_accuracy") is not None else "–",
            format_duration(run.get("seconds")),
            f"{settings.get('optimizer', '?')} {settings.get('learning_rate', '')}",
            str(settings.get("batch_size", "–")), run.get("continued_from") or "",
            _sweep_values(run), run.get("message", "")]


def _sweep_values(run: dict) -> str:
    """A sweep's trial: its values ('learning_rate=0.01, filters=8')."""
    sweep = run.get("sweep")
    return str(sweep.get("describe", "")) if isinstance(sweep, dict) else ""


class RunsPage(QWidget):
    def __init__(self, editor: ProjectEditor, path_provider=lambda: None,
                 saver: Callable[[], bool] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.path_provider = path_provider
        self.sweep = SweepPanel(editor, path_provider, saver)
        self.plots = None  # made when first shown: pyqtgraph stays off start-up
        self.save_task = None
        self._shown_runs: tuple | None = None
        self._build()
        editor.changed.connect(self.refresh)
        self.refresh()

    def _build(self) -> None:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty = QLabel("No runs yet. Train on the Train page: every finished or stopped "
                            "run appears here with its settings and curves.")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setStyleSheet("color: #666;")
        self.csv_button = QPushButton("Export metrics as CSV…")
        self.csv_button.clicked.connect(self.export_csv)
        self.model_button = QPushButton("Save model…")
        self.model_button.clicked.connect(self.save_model)
        self.delete_button = QPushButton("Delete run")
        self.delete_button.clicked.connect(self.delete_selected)
        self.sweep_button = QPushButton("Sweep…")
        self.sweep_button.setToolTip("Compare settings: train the project once for each "
                                     "combination of values (the Sweep tab)")
        self.sweep_button.clicked.connect(self.new_sweep)
        self.status = QLabel()
        buttons = QHBoxLayout()
        for button in (self.csv_button, self.model_button, self.delete_button,
                       self.sweep_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status, 1)
        self.diff = QTextBrowser()
        self.diff.setPlaceholderText("Select two runs to see what changed between them.")
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.empty)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        self.bottom = QSplitter(Qt.Horizontal)
        self.bottom.addWidget(self.diff)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.bottom)
        self.splitter.setSizes([260, 440])
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Runs")
        self.tabs.addTab(self.sweep, "Sweep")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)

    def ensure_plots(self):
        if self.plots is None:
            from cnnstudio.ui.plots.training_plots import TrainingPlots

            self.plots = TrainingPlots()
            self.save_action = add_save_png_action(self.plots, "runs", window_status(self))
            self.bottom.insertWidget(0, self.plots)
            self.bottom.setSizes([700, 300])
        return self.plots

    def showEvent(self, event) -> None:
        self.ensure_plots()
        self._selection_changed()
        super().showEvent(event)

    # state ----------------------------------------------------------------------------
    def runs(self) -> list[dict]:
        return list(self.editor.project.runs)

    def selected_runs(self) -> list[dict]:
        runs = self.runs()
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [runs[row] for row in rows if row < len(runs)]

    def refresh(self) -> None:
        runs = self.runs()
        if tuple(id(r) for r in runs) == self._shown_runs:
            return
        self._shown_runs = tuple(id(r) for r in runs)
        selected = {r.get("id") for r in self.selected_runs()}
        self.table.blockSignals(True)
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            for column, text in enumerate(run_row(run)):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setToolTip(f"{describe_ending(run)}. {run.get('message', '')}")
                if column in (3, 4, 5, 6, 7, 9):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.clearSelection()
        for row, run in enumerate(runs):
            if run.get("id") in selected:
                select_row(self.table, row)
        if runs and not self.table.selectionModel().hasSelection():
            select_row(self.table, len(runs) - 1)
        self.table.blockSignals(False)
        self.empty.setVisible(not runs)
        self.table.setVisible(bool(runs))
        self._selection_changed()

    def _selection_changed(self) -> None:
        chosen = self.selected_runs()
        one = len(chosen) == 1
        self.csv_button.setEnabled(one)
        self.model_button.setEnabled(one and bool(chosen[0].get("weights")))
        self.delete_button.setEnabled(bool(chosen))
        if self.plots is not None and self.isVisible():
            self.plots.show_runs(chosen)
        self.diff.setHtml(self._diff_html(chosen))

    @staticmethod
    def _diff_html(chosen: list[dict]) -> str:
        if len(chosen) != 2:
            return ""
        old, new = chosen
        changes = run_changes(old, new)
        title = f"<b>{old.get('id')} → {new.get('id')}</b>"
        if not changes:
            return f"{title}<br>Same layers, settings and data set."
        return title + "<ul>" + "".join(f"<li>{line}</li>" for line in changes) + "</ul>"

    # actions --------------------------------------------------------------------------
    def export_csv(self) -> None:
        chosen = self.selected_runs()
        if len(chosen) != 1:
            return
        run = chosen[0]
        name, _ = QFileDialog.getSaveFileName(self, "Export metrics",
                                              f"{run.get('id', 'run')}.csv", "CSV (*.csv)")
        if name:
            self.write_csv(run, Path(name))

    def write_csv(self, run: dict, path: Path) -> bool:
        try:
            path.write_text(metrics_csv(run), encoding="utf-8")
        except OSError as error:
            self.status.setText(f"Cannot write {path}: {error.strerror}.")
            return False
        self.status.setText(f"Wrote {len(run.get('epochs', []))} epochs to {path}.")
        return True

    def save_model(self) -> None:
        chosen = self.selected_runs()
        if len(chosen) != 1:
            return
        path = ask_model_path(self, chosen[0].get("id", "model"))
        if path:
            self.save_to(chosen[0], path)

    def save_to(self, run: dict, path: str) -> None:
        if self.save_task is not None:
            return
        self.save_task = start_model_save(self, run, self.path_provider(), path, self._saved)
        self.status.setText(f"Saving {run.get('id')}…")

    def _saved(self, text: str, _error: bool = False) -> None:
        self.save_task = None
        self.status.setText(text)

    def new_sweep(self) -> None:
        self.tabs.setCurrentWidget(self.sweep)
        self.sweep.open_dialog()

    def delete_selected(self) -> None:
        ids = [run.get("id") for run in self.selected_runs()]
        if ids:
            self.editor.remove_runs(ids)

    def shutdown(self) -> None:
        if self.save_task is not None:
            self.save_task.wait()
        self.sweep.shutdown()
