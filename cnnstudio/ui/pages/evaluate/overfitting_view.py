"""The Overfitting tab: a run's training and validation loss by epoch, the best epoch
and the gap marked, above the report's sentences (what happened, what could help)."""

from __future__ import annotations

import math
from typing import Any, Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cnnstudio.core.runs import best_epoch, overfitting, overfitting_report

TRAIN_COLOUR, VALIDATION_COLOUR, GAP_COLOUR = "#1f5a96", "#e6730f", (214, 39, 40, 40)


def loss_points(run: Mapping[str, Any]) -> tuple[list[float], list[float], list[float]]:
    """Epoch numbers and the training and validation losses of the run's whole epochs (a
    partial last epoch is no epoch here)."""
    epochs = [e for e in run.get("epochs", []) if not e.get("partial")]
    number = [float(e.get("epoch", i + 1)) for i, e in enumerate(epochs)]
    loss = [float(e.get("loss", math.nan)) for e in epochs]
    val = [float(e.get("val_loss", math.nan)) for e in epochs]
    return number, loss, val


class OverfittingView(QWidget):
    """Made on the first look (pyqtgraph stays off start-up)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.RichText)
        self.text.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.plot = None
        layout = QVBoxLayout(self)
        self.plot_slot = layout
        layout.addWidget(self.text)

    def _ensure_plot(self):
        if self.plot is None:
            import pyqtgraph as pg

            self.plot = pg.PlotWidget(background="w")
            self.plot.setMinimumHeight(220)
            self.plot.setLabel("bottom", "epoch")
            self.plot.setLabel("left", "loss")
            self.plot.showGrid(x=True, y=True, alpha=0.15)
            self.plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
            self.plot_slot.insertWidget(0, self.plot, 1)
        return self.plot

    def show_run(self, run: Mapping[str, Any]) -> None:
        import pyqtgraph as pg

        lines = overfitting_report(run)
        self.text.setText(f"<h3>{run['id']}: overfitting report</h3><p>{lines[0]}</p>"
                          + "".join(f"<p>{line}</p>" for line in lines[1:]))
        plot = self._ensure_plot()
        plot.clear()
        plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
        number, loss, val = loss_points(run)
        self.curves = {}
        if not number:
            return
        self.curves["training"] = plot.plot(number, loss, name="training loss",
                                            pen=pg.mkPen(TRAIN_COLOUR, width=2), symbol="o",
                                            symbolSize=5, symbolBrush=TRAIN_COLOUR)
        if any(math.isfinite(v) for v in val):
            self.curves["validation"] = plot.plot(
                number, val, name="validation loss", pen=pg.mkPen(VALIDATION_COLOUR, width=2),
                symbol="o", symbolSize=5, symbolBrush=VALIDATION_COLOUR)
        epochs = [e for e in run.get("epochs", []) if not e.get("partial")]
        best = best_epoch(epochs, "val_loss")
        self.best_line = None
        if best is not None:
            self.best_line = pg.InfiniteLine(
                best, angle=90, pen=pg.mkPen("#2e7d32", width=1.5, style=Qt.DashLine),
                label=f"best epoch {best}", labelOpts={"position": 0.92, "color": "#2e7d32"})
            plot.addItem(self.best_line)
        self.gap = None
        found = overfitting(epochs)
        if found is not None:  # validation rises while training falls: the gap, shaded
            self.gap = pg.LinearRegionItem((found.epoch, number[-1]), movable=False,
                                           brush=pg.mkBrush(*GAP_COLOUR))
            self.gap.setZValue(-10)
            plot.addItem(self.gap)
        plot.enableAutoRange()
