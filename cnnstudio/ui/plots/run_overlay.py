"""Recorded runs compared on the training plots: per-epoch curves, one colour per run."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from cnnstudio.ui.plots.series import (
    EPOCHS, ITERATIONS, RUN_COLOURS, X_LABELS, accuracy_key, as_float,
)



class RunOverlay:
    """TrainingPlots' comparison of recorded runs (the Runs page): a part of TrainingPlots,
    drawing on its plots, kept apart from the live run's code."""

    def show_runs(self, runs: Sequence[Mapping[str, Any]]) -> None:
        """Compare recorded runs: per-epoch loss and accuracy (solid: training, dashed:
        validation) and learning rate, one colour per run, the legend naming run ids."""
        self._timer.stop()
        self._leave_runs()
        self.mode = "runs"
        self._readout_hint()  # nothing read off the curves shown before
        self._runs = [dict(run) for run in runs]
        for curve in self.curves.values():
            curve.hide()
        for lines in self.epoch_lines.values():
            lines.setVisible(False)
        for item in [self.overfitting_region, self.overfitting_line, *self.continued_lines,
                     *self.phase_lines]:
            item.hide()
        self.empty_text.hide()
        self._draw_runs()

    def _run_unit(self) -> str:
        """Iterations only when every run says how many iterations its epochs had."""
        if self.unit == ITERATIONS and all(as_float(r.get("iterations_per_epoch")) > 0
                                           for r in self._runs):
            return ITERATIONS
        return EPOCHS

    def _shown_unit(self) -> str:
        return self._run_unit() if self.mode == "runs" else self.unit

    def _draw_runs(self) -> None:
        self._remove_run_curves()
        for legend in self.legends.values():
            legend.clear()
        unit = self._run_unit()
        for plot in self.plots.values():
            plot.setLabel("bottom", X_LABELS[unit])
        if not self._runs:
            self._show_empty("Choose runs to compare")
            return
        self.empty_text.hide()
        for name, legend in self.legends.items():
            for label, style in (("training", Qt.SolidLine), ("validation", Qt.DashLine)):
                legend.addItem(pg.PlotDataItem(pen=pg.mkPen("#555555", width=2, style=style)),
                               label)
        acc = accuracy_key(k for run in self._runs for e in run.get("epochs", []) for k in e)
        metrics = [("loss", "loss", Qt.SolidLine), ("val_loss", "loss", Qt.DashLine),
                   ("learning_rate", "learning_rate", Qt.SolidLine)]
        if acc:
            metrics += [(acc, "accuracy", Qt.SolidLine), (f"val_{acc}", "accuracy", Qt.DashLine)]
        for i, run in enumerate(self._runs):
            run_id = str(run.get("id", f"run {i + 1}"))
            colour = RUN_COLOURS[i % len(RUN_COLOURS)]
            x = self._run_x(run, unit)
            curves: dict[str, pg.PlotDataItem] = {}
            xy: list[tuple[str, str, np.ndarray, np.ndarray]] = []
            for metric, plot, style in metrics:
                y = np.array([as_float(e.get(metric)) for e in run.get("epochs", [])])
                keep = np.isfinite(y) & np.isfinite(x)
                if not keep.any():
                    continue
                curve = pg.PlotDataItem(
                    x[keep], y[keep], pen=pg.mkPen(colour, width=2, style=style),
                    symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None,
                    antialias=True)
                self.plots[plot].addItem(curve)
                self._run_items.append((plot, curve))
                curves[metric] = curve
                xy.append((metric, plot, x[keep], y[keep]))
                if style == Qt.SolidLine and plot in self.legends:
                    self.legends[plot].addItem(curve, run_id)
            self.run_curves[run_id] = curves
            self._run_xy.append((run_id, xy))
        for plot in self.plots.values():
            plot.getPlotItem().enableAutoRange()
        self._frame_rates([y for _, points in self._run_xy
                           for _, plot, _, y in points if plot == "learning_rate"])

    def _frame_rates(self, rates: Sequence[np.ndarray]) -> None:
        """The rates' own range: auto-ranging framed a constant 0.001 as -0.4 to 0.4, where
        it read as 0 (the hidden live curves count in its bounds)."""
        values = np.concatenate(rates) if rates else np.array([])
        if not len(values):
            return
        low, high = float(values.min()), float(values.max())
        pad = (high - low) * 0.1 or abs(high) * 0.05 or 1e-6
        self.plots["learning_rate"].setYRange(low - pad, high + pad, padding=0)

    @staticmethod
    def _run_x(run: Mapping[str, Any], unit: str) -> np.ndarray:
        epochs = run.get("epochs", [])
        numbers = [as_float(e.get("epoch", i + 1)) for i, e in enumerate(epochs)]
        per_epoch = as_float(run.get("iterations_per_epoch", 0)) or 1.0
        done = [as_float(e.get("iterations", per_epoch)) for e in epochs]  # fewer if stopped
        if unit == EPOCHS:  # a partial epoch at the share of it that was done
            return np.array([n - 1 + d / per_epoch for n, d in zip(numbers, done)], dtype=float)
        return np.array([(n - 1) * per_epoch + d for n, d in zip(numbers, done)], dtype=float)

    def _remove_run_curves(self) -> None:
        for plot, curve in self._run_items:
            self.plots[plot].removeItem(curve)
        self._run_items = []
        self.run_curves = {}
        self._run_xy = []

    def _leave_runs(self) -> None:
        if self.mode != "runs":
            return
        self._remove_run_curves()
        self._runs = []
        self._fill_live_legends()
        self.mode = "empty"
        for plot in self.plots.values():
            plot.setLabel("bottom", X_LABELS[self.unit])
