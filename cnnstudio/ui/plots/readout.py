"""Reading values off the training plots: the value of every curve under the mouse."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF

from cnnstudio.ui.plots.series import EPOCHS, ITERATIONS, X_LABELS, number


class Readout:
    """TrainingPlots' read-out line, for a live run and for recorded runs alike: a part of
    TrainingPlots, reading its series and run curves."""

    def _mouse_moved(self, plot: str, pos: QPointF) -> None:
        view = self.plots[plot].getPlotItem().vb
        if self.mode == "empty" or not view.sceneBoundingRect().contains(pos):
            for line in self.cursors.values():
                line.hide()
            self._readout_hint()
            return
        x = view.mapSceneToView(pos).x()
        for line in self.cursors.values():
            line.setValue(x)
            line.show()
        self.readout.setText(self.readout_text(plot, x))

    def _readout_hint(self) -> None:
        self.readout.setText("Point at a plot to read its values. Drag or scroll to zoom, "
                             "double-click to see it all again.")

    def readout_text(self, plot: str, x: float) -> str:
        """The values of `plot` ("loss", "accuracy", "learning_rate") nearest to `x`."""
        if self.mode == "runs":
            return self._runs_readout(plot, x)
        parts = []
        batch = self.series["accuracy_batch" if plot == "accuracy" else "loss_batch"]
        i = batch.nearest(x, self.unit)
        if i is not None:
            where = (f"iteration {int(batch.x(ITERATIONS)[i]):,} "
                     f"(epoch {batch.x(EPOCHS)[i]:.2f})")
            if plot != "learning_rate":
                name = "accuracy" if plot == "accuracy" else "loss"
                where += (f": batch {name} {number(batch.values[i])}, "
                          f"smoothed {number(batch.smooth[i])}")
            parts.append(where)
        keys = {"loss": [("loss", "loss_epoch"), ("val_loss", "val_loss")],
                "accuracy": [("accuracy", "accuracy_epoch"), ("val_accuracy", "val_accuracy")],
                "learning_rate": [("learning rate", "learning_rate")]}[plot]
        first = self.series[keys[0][1]]
        j = first.nearest(x, self.unit)
        if j is not None:
            epoch_x = first.x(self.unit)[j]
            epoch = int(first.x(EPOCHS)[j])
            values = []
            for label, key in keys:
                series = self.series[key]
                k = series.nearest(epoch_x, self.unit)
                if k is not None and series.x(self.unit)[k] == epoch_x:
                    values.append(f"{label} {number(series.values[k])}")
            parts.append(f"epoch {epoch}: " + ", ".join(values))
        return "  |  ".join(parts) if parts else "No values yet."

    def _runs_readout(self, plot: str, x: float) -> str:
        parts = []
        for run_id, xy in self._run_xy:
            values = []
            for metric, in_plot, xs, ys in xy:
                if in_plot != plot:
                    continue
                i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
                if i > 0 and x - xs[i - 1] < xs[i] - x:
                    i -= 1
                values.append(f"{metric.replace('_', ' ')} {number(ys[i])}")
            if values:
                parts.append(f"{run_id}: " + ", ".join(values))
        unit = X_LABELS[self._run_unit()]
        return f"{unit} {x:,.4g}  |  " + "  |  ".join(parts) if parts else "No values."
