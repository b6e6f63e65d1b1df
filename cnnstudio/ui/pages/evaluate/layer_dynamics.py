"""Layer dynamics: how much each layer's weights moved per epoch, and its gradient norm.

One line per layer with weights. A frozen layer lies at exactly zero; layers
before Flatten move too, which is backpropagation reaching them. pyqtgraph is
imported here, so this module loads only when the Evaluate page needs it.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")

NOTE = ("Backpropagation sends the loss gradient through every layer, Flatten included "
        "(it only reshapes), so every trainable layer before it changes too. A frozen layer "
        "(trainable off) keeps its weights exactly: its line stays at 0.")


class LayerDynamicsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.change_plot = pg.PlotWidget(background="w", title="Relative weight change per "
                                         "epoch (|W_e - W_e-1| / |W_e-1|)")
        self.grad_plot = pg.PlotWidget(background="w", title="Gradient norm on a fixed batch")
        for plot in (self.change_plot, self.grad_plot):
            plot.setLabel("bottom", "epoch")
            plot.addLegend(offset=(-10, 10), labelTextColor="#222")
        self.note = QLabel(NOTE)
        self.note.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.change_plot, 1)
        layout.addWidget(self.grad_plot, 1)
        layout.addWidget(self.note)
        self.curves: dict[str, list[pg.PlotDataItem]] = {}

    def show_dynamics(self, dynamics: dict | None, frozen: set[str] = frozenset()) -> None:
        for plot in (self.change_plot, self.grad_plot):
            plot.clear()
            plot.addLegend(offset=(-10, 10), labelTextColor="#222").clear()
        self.curves = {}
        if not dynamics or not dynamics.get("weight_change"):
            self.summary.setText("No layer dynamics for this run: train with 'Capture layer "
                                 "dynamics' on (the default).")
            return
        epochs = dynamics["epochs"]
        for i, name in enumerate(dynamics["layers"]):
            pen = pg.mkPen(COLOURS[i % len(COLOURS)], width=2,
                           style=pg.QtCore.Qt.DashLine if name in frozen else
                           pg.QtCore.Qt.SolidLine)
            label = f"{name} (frozen)" if name in frozen else name
            change = [row[i] for row in dynamics["weight_change"]]
            grads = [row[i] for row in dynamics["gradient_norm"]]
            self.curves[name] = [
                self.change_plot.plot(epochs, change, pen=pen, symbol="o", symbolSize=5,
                                      symbolBrush=COLOURS[i % len(COLOURS)], name=label),
                self.grad_plot.plot(epochs, grads, pen=pen, symbol="o", symbolSize=5,
                                    symbolBrush=COLOURS[i % len(COLOURS)], name=label)]
        for plot, rows in ((self.change_plot, dynamics["weight_change"]),
                           (self.grad_plot, dynamics["gradient_norm"])):
            top = max((v for row in rows for v in row), default=0) or 1
            plot.setYRange(0, top * 1.1)  # from 0: a frozen layer's line sits on the axis
            plot.getAxis("bottom").setTicks([[(e, str(e)) for e in epochs]])
        still = [n for i, n in enumerate(dynamics["layers"])
                 if all(row[i] == 0 for row in dynamics["weight_change"])]
        moving = [n for n in dynamics["layers"] if n not in still]
        text = f"Changed: {', '.join(moving) or 'none'}."
        if still:
            text += f" Exactly unchanged: {', '.join(still)}."
        self.summary.setText(text)
