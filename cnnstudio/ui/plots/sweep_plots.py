"""A sweep's two plots: every trial's loss curve on one plot, and the trials' settings
against their result as parallel coordinates.

Both take a list of Trials (core.sweep_trials) and draw them again whole: a
sweep has tens of trials, not thousands, so a full redraw on each change is
cheap and keeps one code path for live and recorded sweeps.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnnstudio.core.parallel_axes import layout
from cnnstudio.core.sweep_plan import describe_values
from cnnstudio.core.sweep_trials import Trial
from cnnstudio.ui.plots.plot_style import new_plot
from cnnstudio.ui.plots.series import as_float, run_colour

RESULT = "best_val_loss"
LEGEND_MAX = 6
"""More trials than this and the legend would cover the curves: the table names them."""
NO_RESULT = "#b0b0b0"
BEST_TO_WORST = pg.ColorMap([0.0, 0.5, 1.0], ["#1a9850", "#fee08b", "#d73027"])


def _result(trial: Trial) -> float | None:
    """The trial's best value where a line can be drawn to it (not NaN or infinite)."""
    value = as_float(trial.best_value())
    return value if math.isfinite(value) else None


class TrialCurves(QWidget):
    """One curve per trial: its validation loss (training loss without validation) per
    epoch, growing as the trial trains; the chosen trial drawn thick."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = new_plot("Loss of every trial")
        self.plot.setLabel("left", "validation loss")
        self.plot.setLabel("bottom", "epoch")
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor="#222222",
                                          brush=pg.mkBrush(255, 255, 255, 210))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.highlighted: str | None = None
        self.empty = pg.TextItem("Each trial's loss appears here as it trains.",
                                 color="#777777", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty, ignoreBounds=True)
        self.empty.setPos(0.5, 0.5)
        QVBoxLayout(self).addWidget(self.plot)
        self.layout().setContentsMargins(0, 0, 0, 0)

    def show_trials(self, trials: Sequence[Trial]) -> None:
        """Each trial in the colour of its place in `trials` (the table shows the same)."""
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.curves.clear()
        self.legend.clear()
        drawn = [t for t in trials if t.epochs]
        self.empty.setVisible(not drawn)
        monitors = {t.monitor for t in drawn}
        self.plot.setLabel("left", "validation loss" if monitors == {"val_loss"} else "loss")
        for index, trial in enumerate(trials):
            if not trial.epochs:
                continue
            x = np.array([float(e.get("epoch", i + 1)) for i, e in enumerate(trial.epochs)])
            y = np.array([as_float(e.get(trial.monitor)) for e in trial.epochs])
            thick = trial.trial_id == self.highlighted
            colour = run_colour(index)
            curve = pg.PlotDataItem(x, y, pen=pg.mkPen(colour, width=4 if thick else 2),
                                    symbol="o", symbolSize=6, symbolBrush=pg.mkBrush(colour),
                                    symbolPen=pg.mkPen("w", width=1), connect="finite")
            curve.setZValue(2 if thick else 1)
            self.plot.addItem(curve)
            self.curves[trial.trial_id] = curve
            if len(drawn) <= LEGEND_MAX:
                self.legend.addItem(curve, describe_values(trial.values) or trial.trial_id)
        longest = max((len(t.epochs) for t in drawn), default=0)
        # whole epochs: ticks at 1, 2, 3 rather than 1.0, 1.2, 1.4
        self.plot.getAxis("bottom").setTickSpacing(*((1, 1) if 0 < longest <= 20 else ()))
        if drawn:
            self.plot.enableAutoRange()



class ParallelCoordinates(QWidget):
    """One vertical axis per varied setting and a last one for the best validation loss;
    each trial a line through its values, coloured from green (best) to red (worst).
    Lines that meet low on the last axis show which values the good trials share."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = new_plot("Settings against the result")
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        self.plot.setMouseEnabled(False, False)
        self.lines: dict[str, pg.PlotDataItem] = {}
        self.labels: list[pg.GraphicsObject] = []
        self.axes = []
        self.highlighted: str | None = None
        QVBoxLayout(self).addWidget(self.plot)
        self.layout().setContentsMargins(0, 0, 0, 0)

    def show_trials(self, trials: Sequence[Trial], keys: Sequence[str],
                    titles: Mapping[str, str]) -> None:
        self.plot.clear()
        self.lines.clear()
        self.labels = []
        rows = [{**trial.values, RESULT: _result(trial)} for trial in trials]
        result_title = ("best val_loss" if all(t.monitor == "val_loss" for t in trials
                                               if t.epochs) else "best loss")
        self.axes, positions = layout(rows, [*keys, RESULT], {**titles, RESULT: result_title})
        count = len(self.axes)
        for x, axis in enumerate(self.axes):
            line = pg.PlotDataItem([x, x], [0, 1], pen=pg.mkPen("#888888", width=1))
            self.plot.addItem(line)
            self._text(axis.title + (" (log)" if axis.log else ""), x, 1.08, bold=True)
            for y, text in axis.ticks:
                self._text(text, x, y, anchor=(-0.08, 0.5), colour="#444444")
        results = [r[RESULT] for r in rows if r[RESULT] is not None]
        low, high = (min(results), max(results)) if results else (0.0, 0.0)
        ordered = sorted(zip(trials, positions),  # the best drawn last, on top
                         key=lambda tp: -(_result(tp[0]) or math.inf))
        for trial, ys in ordered:
            value = _result(trial)
            if value is None:
                colour = NO_RESULT
            else:
                share = 0.0 if high == low else (value - low) / (high - low)
                colour = BEST_TO_WORST.map(share, mode="qcolor")
            thick = trial.trial_id == self.highlighted
            style = Qt.SolidLine if trial.status != "running" else Qt.DashLine
            y = np.array([math.nan if v is None else v for v in ys], dtype=float)
            curve = pg.PlotDataItem(np.arange(count, dtype=float), y, connect="finite",
                                    pen=pg.mkPen(colour, width=4 if thick else 2, style=style),
                                    symbol="o", symbolSize=5, symbolBrush=pg.mkBrush(colour),
                                    symbolPen=None)
            curve.setZValue(3 if thick else 1)
            self.plot.addItem(curve)
            self.lines[trial.trial_id] = curve
        self.plot.setXRange(-0.55, max(count - 1, 1) + 0.55, padding=0)
        self.plot.setYRange(-0.08, 1.14, padding=0)

    def _text(self, text: str, x: float, y: float, anchor=(0.5, 0.5), colour: str = "#222222",
              bold: bool = False) -> None:
        item = pg.TextItem(text, color=colour, anchor=anchor,
                           fill=pg.mkBrush(255, 255, 255, 200))
        if bold:
            font = item.textItem.font()
            font.setBold(True)
            item.setFont(font)
        item.setPos(x, y)
        self.plot.addItem(item)
        self.labels.append(item)
