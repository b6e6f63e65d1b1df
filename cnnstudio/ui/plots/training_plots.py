"""Live training curves, and recorded runs side by side.

TrainingPlots holds the plots and the live run; comparing recorded runs is in
run_overlay.py, the value read-out under the mouse in readout.py, the growing
series in series.py (no Qt), each a part of the one widget.

Loss and accuracy per batch (faint) with a smoothed line over them, per epoch
for training and validation (markers), the learning rate in a small plot below,
a dashed line at every epoch boundary and a red mark where validation loss
starts rising while training loss still falls.

This module imports pyqtgraph at the top, so it is imported only when the Train
or Runs page is first shown: starting the GUI does not load it.

Speed (STYLE.md, pyqtgraph): every curve is made once and fed with `setData`;
points go into numpy buffers that double when full; `add_*` only append and
mark curves dirty, and a single-shot 10 Hz timer redraws what changed, so the
redraw rate does not follow the batch rate. Batch curves are downsampled to one
(min, max) pair per pixel column and clipped to the view; the y ranges are kept
here, in steps, rather than by pyqtgraph's auto-range; titles and axes are cached
as pixmaps; epoch lines are one item. tests/benchmarks/bench_plot.py measures it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QGraphicsItem, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QSlider,
    QVBoxLayout, QWidget,
)

from cnnstudio.core.runs import Overfitting, overfitting, overfitting_advice
from cnnstudio.core.training_events import (
    BatchEnd, EpochEnd, EpochPace, PhaseStarted, Started,
)
from cnnstudio.ui.plots.epoch_lines import EpochLines
from cnnstudio.ui.plots.pacing import Pacer
from cnnstudio.ui.plots.plot_style import new_plot
from cnnstudio.ui.plots.readout import Readout
from cnnstudio.ui.plots.run_overlay import RunOverlay
from cnnstudio.ui.plots.series import (
    DEFAULT_SMOOTHING, EPOCHS, ITERATIONS, X_LABELS, Series, accuracy_key,
)


# Redraws take the GIL and a core from training, so while data arrives they are
# spaced to keep the GUI thread near 1 % of a core, between 10 a second and one
# every 2 s (plots/pacing.py); the progress bar and the labels above the plots move
# 4 times a second meanwhile (pages/train/session.py).
REDRAW_MS = 100
MAX_REDRAW_MS = 2000
REDRAW_CPU_BUDGET = 0.01
# Live y ranges: a margin around the data, more room on a side the data crossed,
# and a new range once the data fills less than Y_FILL of it. A new range costs a
# redraw of every curve in the plot and of its axis, so it moves rarely.
Y_MARGIN = 0.08
Y_LEAD = 0.25
Y_FILL = 0.65
LEGEND_ROOM = 0.36  # of the data's span, kept free above it for the legend's two rows
MARKED_EPOCHS = 40  # beyond this many epochs the markers blur into a line: lines only
EMPTY_TEXT = "Press Train to see the curves grow"
WAITING_TEXT = "Waiting for the first batch..."

TRAIN_FAINT = "#b3cde8"  # raw batch values: light, so the smoothed line reads on top
TRAIN = "#1f77b4"
TRAIN_EPOCH = "#0b3c6e"
VALIDATION = "#ff7f0e"
LEARNING_RATE = "#2ca02c"
WARNING = "#d62728"

# curve key -> (plot, legend name); the batch curves come first so they are drawn under the rest
LIVE_CURVES = {
    "loss_batch": ("loss", "train batch"),
    "loss_smooth": ("loss", "smoothed"),
    "loss_epoch": ("loss", "train epoch"),
    "val_loss": ("loss", "validation"),
    "accuracy_batch": ("accuracy", "train batch"),
    "accuracy_smooth": ("accuracy", "smoothed"),
    "accuracy_epoch": ("accuracy", "train epoch"),
    "val_accuracy": ("accuracy", "validation"),
    "learning_rate": ("learning_rate", None),
}
PLOT_SERIES = {"loss": ("loss_batch", "loss_epoch", "val_loss"),
               "accuracy": ("accuracy_batch", "accuracy_epoch", "val_accuracy"),
               "learning_rate": ("learning_rate",)}
# curve key -> (series key, which values)
SOURCES = {
    "loss_batch": ("loss_batch", "raw"), "loss_smooth": ("loss_batch", "smooth"),
    "loss_epoch": ("loss_epoch", "raw"), "val_loss": ("val_loss", "raw"),
    "accuracy_batch": ("accuracy_batch", "raw"),
    "accuracy_smooth": ("accuracy_batch", "smooth"),
    "accuracy_epoch": ("accuracy_epoch", "raw"), "val_accuracy": ("val_accuracy", "raw"),
    "learning_rate": ("learning_rate", "raw"),
}


class TrainingPlots(Readout, RunOverlay, QWidget):
    """Loss, accuracy and learning rate of a live run, or of recorded runs compared.

    Live: `start(Started)`, then `add_batches([BatchEnd, ...])` and
    `add_epoch(EpochEnd)` as events come (cheap: they only append), redrawn at
    most 10 times a second (`flush()` redraws now). `show_runs(runs)` switches
    to comparing recorded runs; `start` switches back.
    """

    overfitting_found = Signal(str)
    """The overfitting hint (explanation and advice) whenever it changes; "" when it went away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = "empty"  # empty, live or runs
        self.unit = ITERATIONS
        self.overfitting_text = ""
        self.overfitting: Overfitting | None = None  # what the epochs so far show
        self.overfitting_advice: list[str] = []  # for the run's project (set_advice_context)
        self._advice_context: tuple[list, dict, dict] | None = None
        self._started: Started | None = None
        self._accuracy: str | None = None
        self._epochs: list[dict[str, Any]] = []  # epoch entries, as a run record holds them
        self._epoch_ends: list[tuple[int, int]] = []  # (iteration, epoch) where each ended
        self._runs: list[dict[str, Any]] = []
        self._dirty: set[str] = set()
        self._follow = {"loss": True, "accuracy": True, "learning_rate": True}  # y follows data
        self._follow_x = True  # x widens when a run goes past its plan
        self._y_ranges: dict[str, tuple[float, float]] = {}
        self._x_frame: tuple[float, float] | None = None
        self._marks_dirty = False
        self._smoothing_changed = False
        self.series = {key: Series(smoothed=key.endswith("_batch"))
                       for key in {source for source, _ in SOURCES.values()}}
        self.run_curves: dict[str, dict[str, pg.PlotDataItem]] = {}  # run id -> metric -> curve
        self._run_items: list[tuple[str, pg.PlotDataItem]] = []
        # run id, then (metric, plot, x, y) of each curve drawn, for the read-out
        self._run_xy: list[tuple[str, list[tuple[str, str, np.ndarray, np.ndarray]]]] = []

        self.pacer = Pacer(REDRAW_CPU_BUDGET, REDRAW_MS, MAX_REDRAW_MS)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

        self._build()
        self._show_empty(EMPTY_TEXT)

    # ---- building -------------------------------------------------------------------

    def _build(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("x axis:"))
        self.x_axis_box = QComboBox()
        self.x_axis_box.addItem("iterations (batches)", ITERATIONS)
        self.x_axis_box.addItem("epochs", EPOCHS)
        self.x_axis_box.setToolTip("An iteration is one batch: one weight update. An epoch is "
                                   "one pass over the training images.")
        self.x_axis_box.currentIndexChanged.connect(
            lambda _: self.set_x_axis(self.x_axis_box.currentData()))
        controls.addWidget(self.x_axis_box)
        controls.addSpacing(16)
        controls.addWidget(QLabel("smoothing:"))
        self.smoothing_slider = QSlider(Qt.Horizontal)
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(round(DEFAULT_SMOOTHING * 100))
        self.smoothing_slider.setFixedWidth(140)
        self.smoothing_slider.setToolTip("How much the smoothed line averages the noisy "
                                         "per-batch values (0: not at all, 0.99: heavily).")
        self.smoothing_slider.valueChanged.connect(lambda v: self.set_smoothing(v / 100))
        controls.addWidget(self.smoothing_slider)
        self.smoothing_label = QLabel(f"{DEFAULT_SMOOTHING:.2f}")
        controls.addWidget(self.smoothing_label)
        controls.addStretch(1)

        self.loss_plot = self._plot("Loss", "loss")
        self.accuracy_plot = self._plot("Accuracy", "accuracy")
        self.lr_plot = self._plot(None, "learning rate")
        self.lr_plot.setMinimumHeight(90)
        self.lr_plot.setMaximumHeight(150)
        self.plots = {"loss": self.loss_plot, "accuracy": self.accuracy_plot,
                      "learning_rate": self.lr_plot}
        # the learning-rate plot is wider, and pyqtgraph links views pixel for pixel: it gets
        # the same x range by hand instead (_frame_x)
        self.accuracy_plot.setXLink(self.loss_plot)
        for plot in self.plots.values():
            plot.getAxis("left").setWidth(64)  # the x axes start at one place
        # two rows along the top, over a band the y range keeps free (LEGEND_ROOM): the
        # legend never covers a curve
        self.legends = {
            name: plot.addLegend(offset=(6, 2), labelTextSize="8pt", labelTextColor="#333333",
                                 colCount=2, verSpacing=-6)
            for name, plot in (("loss", self.loss_plot), ("accuracy", self.accuracy_plot))}
        for legend in self.legends.values():
            legend.setBrush(pg.mkBrush(255, 255, 255, 210))

        self.curves: dict[str, pg.PlotDataItem] = {}
        for key, (plot, _name) in LIVE_CURVES.items():
            curve = pg.PlotDataItem(x=np.empty(0), y=np.empty(0), **self._style(key))
            self.plots[plot].addItem(curve)  # takes the plot's peak downsampling, clip to view
            if key.endswith(("_batch", "_smooth")):
                # one (min, max) pair per pixel column draws the same picture as pyqtgraph's
                # default five, at a third of the painting time
                curve.opts["autoDownsampleFactor"] = 1.0
            if key.endswith("_smooth"):
                curve.setDownsampling(auto=True, method="subsample")  # smooth: one point will do
            self.curves[key] = curve
        self._fill_live_legends()
        self._cache_still_items()

        # in the view's own pixels, not in data coordinates: it stays centred whatever the range
        view = self.loss_plot.getPlotItem().vb
        self.empty_text = pg.TextItem("", color="#777777", anchor=(0.5, 0.5))
        self.empty_text.setParentItem(view)
        view.sigResized.connect(lambda v: self.empty_text.setPos(v.rect().center()))

        self.epoch_lines = {"loss": EpochLines(self.loss_plot),
                            "accuracy": EpochLines(self.accuracy_plot)}
        self.continued_lines = [self._vertical_line(plot, "#6a6a6a", Qt.DashDotLine)
                                for plot in (self.loss_plot, self.accuracy_plot)]
        self.line_labels = [
            pg.InfLineLabel(line, "continued", position=0.96, anchors=[(1.05, 0), (1.05, 0)],
                            color="#6a6a6a") for line in self.continued_lines]
        self.phase_lines = [self._vertical_line(plot, "#7b3294", Qt.DashLine, width=2)
                            for plot in (self.loss_plot, self.accuracy_plot, self.lr_plot)]
        self.line_labels += [
            pg.InfLineLabel(line, "fine-tuning", position=0.9, anchors=[(1.05, 0), (1.05, 0)],
                            color="#7b3294") for line in self.phase_lines[:2]]
        self._phase_start: tuple[int, int] | None = None  # (iteration, epoch)
        self.overfitting_region = pg.LinearRegionItem(
            orientation="vertical", movable=False, brush=pg.mkBrush(214, 39, 40, 36),
            pen=pg.mkPen(None))
        self.overfitting_region.setZValue(-20)
        self.overfitting_region.hide()
        self.loss_plot.addItem(self.overfitting_region, ignoreBounds=True)
        self.overfitting_line = self._vertical_line(self.loss_plot, WARNING, Qt.SolidLine,
                                                    width=2)
        self.overfitting_label = pg.InfLineLabel(
            self.overfitting_line, "overfitting?", position=0.02,  # its bottom: fits a short plot
            anchors=[(-0.06, 1), (-0.06, 1)], color=WARNING, fill=(255, 255, 255, 200))
        self.line_labels.append(self.overfitting_label)

        self.cursors = {name: self._vertical_line(plot, "#555555", Qt.DotLine)
                        for name, plot in self.plots.items()}
        for name, plot in self.plots.items():
            plot.scene().sigMouseMoved.connect(
                lambda pos, name=name: self._mouse_moved(name, pos))
            plot.scene().sigMouseClicked.connect(self._mouse_clicked)
            plot.getPlotItem().vb.sigRangeChangedManually.connect(
                lambda _enabled, name=name: self._stop_following(name))

        self.readout = QLabel()
        self.readout.setTextFormat(Qt.PlainText)
        self.readout.setStyleSheet("color: #333; padding: 2px 4px;")
        self.readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self._readout_hint()

        self.plot_area = QWidget()
        grid = QGridLayout(self.plot_area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        grid.addWidget(self.loss_plot, 0, 0)
        grid.addWidget(self.accuracy_plot, 0, 1)
        grid.addWidget(self.lr_plot, 1, 0, 1, 2)
        grid.addWidget(self.readout, 2, 0, 1, 2)
        grid.setRowStretch(0, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.plot_area, 1)

    def _plot(self, title: str | None, y_label: str) -> pg.PlotWidget:
        plot = new_plot(title)
        item = plot.getPlotItem()
        item.setLabel("left", y_label)
        item.setLabel("bottom", X_LABELS[self.unit])
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        return plot

    @staticmethod
    def _style(key: str) -> dict[str, Any]:
        if key.endswith("_batch"):
            return {"pen": pg.mkPen(TRAIN_FAINT, width=1), "antialias": False}
        if key.endswith("_smooth"):
            # 2 px without antialiasing: antialiased wide lines paint 20 times slower
            return {"pen": pg.mkPen(TRAIN, width=2), "antialias": False}
        colour = {"loss_epoch": TRAIN_EPOCH, "accuracy_epoch": TRAIN_EPOCH,
                  "val_loss": VALIDATION, "val_accuracy": VALIDATION}.get(key, LEARNING_RATE)
        # a QBrush, not the colour: pyqtgraph keys its cache of drawn symbols by the
        # brush object, and a colour becomes a new brush at each setData, so every
        # redraw drew the symbol again and grew the cache by one (ScatterPlotItem)
        return {"pen": pg.mkPen(colour, width=2), "antialias": True, "symbol": "o",
                "symbolSize": 7, "symbolBrush": pg.mkBrush(colour),
                "symbolPen": pg.mkPen("w", width=1)}

    def _vertical_line(self, plot: pg.PlotWidget, colour: str, style: Qt.PenStyle,
                       width: int = 1) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False,
                               pen=pg.mkPen(colour, width=width, style=style))
        line.hide()
        plot.addItem(line, ignoreBounds=True)
        return line

    def _fill_live_legends(self) -> None:
        for name, legend in self.legends.items():
            legend.clear()
            for key, (plot, label) in LIVE_CURVES.items():
                if plot == name and label:
                    legend.addItem(self.curves[key], label)

    def _cache_still_items(self) -> None:
        """Titles and axes change far less often than the curves: each is painted
        once into a pixmap and copied at the next redraws (Qt repaints the pixmap
        when the item itself changes, such as an axis whose range moved). Not the
        legends: their samples take the curves' looks without being told."""
        for plot in self.plots.values():
            item = plot.getPlotItem()
            still = [item.titleLabel, item.getAxis("left"), item.getAxis("bottom")]
            while still:
                graphic = still.pop()
                graphic.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
                still.extend(graphic.childItems())

    # ---- live run -------------------------------------------------------------------

    def start(self, started: Started) -> None:
        """A new run: empty every curve; a continued run's x axis goes on from its first epoch."""
        self._leave_runs()
        self.mode = "live"
        self._started = started
        self._readout_hint()  # a value read off the last run is not this run's
        self.pacer.reset()  # the first points show at once
        self._accuracy = accuracy_key(started.metrics)
        self._epochs = []
        self._epoch_ends = []
        self._phase_start = None
        for series in self.series.values():
            series.clear()
        for curve in self.curves.values():
            curve.show()
        self._set_overfitting(None)
        self._show_empty(WAITING_TEXT)
        self._dirty = set(self.curves)
        self._marks_dirty = True
        self.flush()
        self._frame_x()

    def add_batches(self, events: Sequence[BatchEnd]) -> None:
        """Append per-batch points; they are drawn at the next redraw."""
        if not events:
            return
        self._ensure_live()
        steps = self._steps_per_epoch(events[-1].step)
        if self._accuracy is None:
            self._accuracy = accuracy_key(events[0].logs)
        iterations = np.array([event.iteration for event in events], dtype=np.int64)
        epochs = np.array([event.epoch - 1 + event.step / steps for event in events])
        own = [event.batch for event in events]  # worked out at each read: once
        for key, metric in (("loss_batch", "loss"), ("accuracy_batch", self._accuracy)):
            if metric is None:
                continue
            values = np.array([values.get(metric, math.nan) for values in own], dtype=float)
            if key == "accuracy_batch":
                values = np.clip(values, 0.0, 1.0)  # worked back from means: may overshoot
            keep = np.isfinite(values)
            self.series[key].extend(iterations[keep], epochs[keep], values[keep])
        self._dirty.update(("loss_batch", "loss_smooth", "accuracy_batch", "accuracy_smooth"))
        if self.overfitting_epoch is not None:
            self._marks_dirty = True  # the red region grows with the run
        self._schedule()

    def _ensure_live(self) -> None:
        """Events without `start` (or after `show_runs`): draw them anyway."""
        if self.mode != "live":
            self._leave_runs()
            self.mode = "live"
            for curve in self.curves.values():
                curve.show()
            self._fill_live_legends()

    def _steps_per_epoch(self, step: int) -> int:
        if self._started is not None and self._started.steps_per_epoch > 0:
            return self._started.steps_per_epoch
        return max(step, 1)

    def add_epoch(self, event: EpochEnd) -> None:
        """Append the epoch's training and validation points; look for overfitting. A
        partial epoch (stopped mid-way) sits where its batches ended, not at a whole
        epoch, and counts for neither the epoch marks nor the overfitting check."""
        self._ensure_live()
        logs = event.logs
        epoch_x = event.iteration / self._steps_per_epoch(event.iteration) \
            if event.partial else event.epoch
        if self._accuracy is None:
            self._accuracy = accuracy_key(logs)
        keys = {"loss_epoch": "loss", "val_loss": "val_loss", "learning_rate": "learning_rate"}
        if self._accuracy:
            keys.update(accuracy_epoch=self._accuracy, val_accuracy=f"val_{self._accuracy}")
        for series_key, log_key in keys.items():
            value = logs.get(log_key)
            if value is not None and math.isfinite(value):
                self.series[series_key].append(event.iteration, epoch_x, float(value))
                self._dirty.add(series_key)
        if event.partial:
            self._schedule()
            return
        self._epochs.append({"epoch": event.epoch, **logs})
        self._epoch_ends.append((event.iteration, event.epoch))
        self._marks_dirty = True
        self._set_overfitting(overfitting(self._epochs))
        self._schedule()

    def mark_phase(self, event: PhaseStarted) -> None:
        """A dashed line where fine-tuning starts, on every plot, in either x unit."""
        self._phase_start = (event.iteration, event.epoch)
        self._marks_dirty = True
        self._schedule()

    @property
    def phase_start(self) -> tuple[int, int] | None:
        return self._phase_start

    def set_advice_context(self, layers: Sequence[Mapping[str, Any]],
                           settings: Mapping[str, Any], dataset: Mapping[str, Any]) -> None:
        """The run's layers, training settings and dataset section: the overfitting
        hint then adds advice that fits them (core.runs.overfitting_advice)."""
        self._advice_context = (list(layers), dict(settings), dict(dataset))

    @property
    def overfitting_epoch(self) -> int | None:
        """The last epoch before validation loss began to rise, if it did."""
        return None if self.overfitting is None else self.overfitting.epoch

    def _set_overfitting(self, found: Overfitting | None) -> None:
        text = ""
        self.overfitting_advice = []
        if found is not None:
            text = found.explain()
            if self._advice_context is not None:
                self.overfitting_advice = overfitting_advice(*self._advice_context)
                text += "\nWhat could help:\n" + "\n".join(
                    f"- {line}" for line in self.overfitting_advice)
        self.overfitting = found
        self._marks_dirty = True
        if text != self.overfitting_text:
            self.overfitting_text = text
            self.overfitting_found.emit(text)

    # ---- drawing --------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(int(self.pacer.interval_ms))

    def redraw_soon(self) -> None:
        """Paused or stopping: draw what is waiting, and what still arrives, at the
        shortest interval until `pace_again` (or the next run)."""
        self.pacer.hurry()
        if self._timer.isActive():
            self._timer.start(int(self.pacer.interval_ms))

    def pace_again(self) -> None:
        """Resumed: redraws are spaced by their cost again, measured afresh."""
        self.pacer.reset()

    def flush(self) -> None:
        """Draw what changed since the last redraw, now (the timer calls this)."""
        self._timer.stop()
        self.pacer.tick()
        if self._smoothing_changed:
            self._smoothing_changed = False
            weight = self.smoothing
            for key in ("loss_batch", "accuracy_batch"):
                self.series[key].set_smoothing(weight)
        if self.mode != "live":
            self._dirty.clear()
            return
        if self._dirty and any(len(self.series[SOURCES[key][0]]) for key in self._dirty):
            self.empty_text.hide()
        for key in self._dirty:
            series, part = SOURCES[key]
            data = self.series[series]
            curve = self.curves[key]
            if part == "raw" and not key.endswith("_batch"):
                symbol = "o" if len(data) <= MARKED_EPOCHS else None
                if curve.opts["symbol"] != symbol:
                    curve.setSymbol(symbol)
            curve.setData(data.x(self.unit), data.smooth if part == "smooth" else data.values)
        if self._dirty:
            self._fit_ranges()
        self._dirty.clear()
        if self._marks_dirty:
            self._marks_dirty = False
            self._place_marks()

    def _place_marks(self) -> None:
        """Epoch boundary lines, the continued-run line and the overfitting region."""
        at = 0 if self.unit == ITERATIONS else 1
        for lines in self.epoch_lines.values():
            lines.set_positions([end[at] for end in self._epoch_ends])
            lines.setVisible(True)
        started = self._started
        for line in self.continued_lines:
            if started is not None and started.initial_epoch > 0:
                line.setValue(self._first_x())
                line.show()
            else:
                line.hide()
        for line in self.phase_lines:
            line.setVisible(self._phase_start is not None)
            if self._phase_start is not None:
                line.setValue(self._phase_start[at])
        self._update_labels()
        ends = {end[1]: end[at] for end in self._epoch_ends}  # epoch -> x where it ended
        begin = ends.get(self.overfitting_epoch)
        if begin is None:
            self.overfitting_region.hide()
            self.overfitting_line.hide()
            return
        last = ends[self._epoch_ends[-1][1]]
        batches = self.series["loss_batch"]
        if len(batches):
            last = max(last, float(batches.x(self.unit)[-1]))
        self.overfitting_region.setRegion((begin, last))
        self.overfitting_line.setValue(begin)
        self.overfitting_region.show()
        self.overfitting_line.show()
        self._update_labels()

    def _update_labels(self) -> None:
        # a label skips updates while its line is hidden: bring it up to date once shown
        for label in self.line_labels:
            if label.isVisible():
                label.valueChanged()

    def _first_x(self) -> float:
        started = self._started
        if started is None:
            return 0.0
        if self.unit == EPOCHS:
            return float(started.initial_epoch)
        return float(started.initial_epoch * started.steps_per_epoch)

    def _frame_x(self) -> None:
        """Live: x spans the planned run, so the curves grow into it; y follows the data."""
        started = self._started
        if started is None:
            return
        first = self._first_x()
        last = float(started.epochs) if self.unit == EPOCHS else float(
            started.epochs * started.steps_per_epoch)
        self._x_frame = (first, max(last, first + 1))
        self._follow = dict.fromkeys(self._follow, True)
        self._follow_x = True
        self._y_ranges.clear()
        for plot in self.plots.values():
            plot.getPlotItem().disableAutoRange()
        self._set_x_frame()
        self._fit_ranges()

    def _set_x_frame(self) -> None:
        assert self._x_frame is not None
        for plot in (self.loss_plot, self.lr_plot):  # the accuracy plot is linked to loss
            plot.setXRange(*self._x_frame, padding=0.02)
        for plot in self.plots.values():
            plot.getPlotItem().vb.updateMatrix()

    def _fit_ranges(self) -> None:
        """Live: each plot's y range covers its points, kept here rather than by
        pyqtgraph's auto-range, which measures every curve again while painting and
        then paints a second time. The range moves in steps, with a margin, not at
        every new lowest loss: a new range makes every curve in the plot redo its
        clipping and downsampling. A plot the user zoomed or panned stays put."""
        if self._x_frame is not None and self._follow_x:
            batches = self.series["loss_batch"]
            end = float(batches.x(self.unit)[-1]) if len(batches) else -math.inf
            if end > self._x_frame[1]:  # more than the run planned: widen
                first = self._x_frame[0]
                self._x_frame = (first, first + (end - first) * 1.25)
                self._set_x_frame()
        for name, keys in PLOT_SERIES.items():
            series = [self.series[k] for k in keys if len(self.series[k])]
            if not self._follow[name] or not series:
                continue
            low, high = min(s.low for s in series), max(s.high for s in series)
            span = high - low
            if span <= 1e-9 * max(1.0, abs(high)):
                span = 2 * (abs(high) * 0.1 or 0.1)
                low, high = low - span / 4, high + span / 4
            shown = self._y_ranges.get(name)
            below = above = Y_MARGIN
            if shown:
                edge = 0.03 * (shown[1] - shown[0])  # no marker cut in half at the border
                fill = Y_FILL / (1 + LEGEND_ROOM) if name in self.legends else Y_FILL
                if shown[0] + edge <= low and high <= shown[1] - edge \
                        and span >= fill * (shown[1] - shown[0]):
                    continue  # still fits, and fills most of the plot
                # the data crossed an edge: it goes on that way (a loss falls, an accuracy
                # rises), so leave it room there and the range holds for longer
                below = Y_LEAD if low < shown[0] + edge else Y_MARGIN
                above = Y_LEAD if high > shown[1] - edge else Y_MARGIN
            if name in self.legends:
                above = max(above, LEGEND_ROOM)
            self._y_ranges[name] = (low - below * span, high + above * span)
            self.plots[name].setYRange(*self._y_ranges[name], padding=0)
            # apply it now, not while painting: a change made there paints twice
            self.plots[name].getPlotItem().vb.updateMatrix()

    def _stop_following(self, plot: str) -> None:
        """The user dragged or scrolled a plot: leave its range alone (double-click undoes)."""
        if self.mode == "live":
            self._follow[plot] = False
            self._follow_x = False

    def _mouse_clicked(self, event) -> None:
        if not event.double():
            return
        if self.mode == "live":
            self._frame_x()
        elif self.mode == "runs":
            for plot in self.plots.values():
                plot.getPlotItem().enableAutoRange()

    def _show_empty(self, message: str) -> None:
        self.empty_text.setText(message)
        self.empty_text.setPos(self.loss_plot.getPlotItem().vb.rect().center())
        self.empty_text.show()
        for plot in self.plots.values():
            plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def set_x_axis(self, unit: str) -> None:
        """Place points by "iterations" (batches) or by "epochs"."""
        if unit not in X_LABELS:
            raise ValueError(f"x axis must be 'iterations' or 'epochs', not {unit!r}")
        if unit != self.x_axis_box.currentData():
            self.x_axis_box.setCurrentIndex(self.x_axis_box.findData(unit))  # comes back here
            return
        if unit == self.unit:
            return
        self.unit = unit
        for plot in self.plots.values():
            plot.setLabel("bottom", X_LABELS[self._shown_unit()])
        if self.mode == "live":
            self._dirty = set(self.curves)
            self._marks_dirty = True
            self.flush()
            self._frame_x()
        elif self.mode == "runs":
            self._draw_runs()

    @property
    def x_axis(self) -> str:
        return self.unit

    @property
    def smoothing(self) -> float:
        return self.smoothing_slider.value() / 100

    def set_smoothing(self, weight: float) -> None:
        """TensorBoard-style smoothing of the batch curves, 0 (none) to 0.99."""
        value = round(min(0.99, max(0.0, weight)) * 100)
        if value != self.smoothing_slider.value():
            self.smoothing_slider.setValue(value)  # comes back here
            return
        self.smoothing_label.setText(f"{value / 100:.2f}")
        self._smoothing_changed = True
        self._dirty.update(("loss_smooth", "accuracy_smooth"))
        self._schedule()

    def clear(self) -> None:
        """Back to the empty state, as before any run."""
        self._leave_runs()
        self._started = None
        self._x_frame = None
        self.mode = "empty"
        for series in self.series.values():
            series.clear()
        self._epochs, self._epoch_ends = [], []
        self._phase_start = None
        for key, curve in self.curves.items():
            curve.setData(np.empty(0), np.empty(0))
        self._set_overfitting(None)
        self._place_marks()
        self._show_empty(EMPTY_TEXT)

    # ---- output ---------------------------------------------------------------------

    def save_png(self, path: str | Path) -> Path:
        """Save the three plots (and the read-out line) as a PNG image."""
        self.flush()
        path = Path(path)
        if not self.plot_area.grab().save(str(path), "PNG"):
            raise OSError(f"Could not write the image {path}.")
        return path


if __name__ == "__main__":  # a quick look: python -m cnnstudio.ui.plots.training_plots
    import random

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    plots = TrainingPlots()
    plots.resize(1000, 640)
    plots.show()
    steps = 50
    plots.start(Started(8, 0, steps, steps * 32, 320, 32, ("loss", "accuracy")))
    events: list[Any] = []
    for epoch in range(1, 9):
        mean_loss = mean_acc = 0.0
        pace, previous = EpochPace(32, steps * 32, (9 - epoch) * steps), None
        for step in range(1, steps + 1):
            loss = 2.0 * math.exp(-(epoch - 1 + step / steps) / 2) + random.random() * 0.3
            acc = min(1.0, max(0.0, 1 - loss / 2.2 + random.random() * 0.1))
            mean_loss += (loss - mean_loss) / step
            mean_acc += (acc - mean_acc) / step
            means = {"loss": mean_loss, "accuracy": mean_acc}
            events.append(BatchEnd(epoch, step, (epoch - 1) * steps + step, means, previous,
                                   step * 0.01, pace))
            previous = means
        val = 0.6 + 0.05 * (epoch - 4) ** 2
        events.append(EpochEnd(epoch, epoch * steps,
                               {"loss": mean_loss, "accuracy": mean_acc, "val_loss": val,
                                "val_accuracy": 0.8 - 0.01 * epoch,
                                "learning_rate": 0.001 * 0.8 ** epoch}, 1.0))

    def feed() -> None:
        batch = []
        while events and isinstance(events[0], BatchEnd) and len(batch) < 5:
            batch.append(events.pop(0))
        plots.add_batches(batch)
        if events and isinstance(events[0], EpochEnd):
            plots.add_epoch(events.pop(0))
        if not events:
            timer.stop()

    timer = QTimer()
    timer.timeout.connect(feed)
    timer.start(10)
    plots.overfitting_found.connect(print)
    app.exec()
