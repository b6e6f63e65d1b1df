"""The dashed epoch boundaries of one plot, drawn as one item."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

BOUNDARY = "#a0a0a0"


class EpochLines:
    """Dashed vertical lines at the epoch boundaries of one plot, drawn as one item.

    One path of short segments rather than an InfiniteLine per epoch: a hundred
    InfiniteLines take longer to paint than a 100,000-point curve. Each segment
    spans the view's y range, kept up to date as the range changes.
    """

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.view = plot.getPlotItem().vb
        self.item = pg.PlotCurveItem(pen=pg.mkPen(BOUNDARY, width=1, style=Qt.DashLine),
                                     connect="pairs", antialias=False)
        self.item.setZValue(-10)
        self.view.addItem(self.item, ignoreBounds=True)
        self.positions: list[float] = []
        self.view.sigYRangeChanged.connect(self._redraw)

    def set_positions(self, positions: Sequence[float]) -> None:
        positions = [float(x) for x in positions]
        if positions != self.positions:
            self.positions = positions
            self._redraw()

    def _redraw(self, *_) -> None:
        low, high = self.view.viewRange()[1]
        count = len(self.positions)
        self.item.setData(np.repeat(self.positions, 2), np.tile([low, high], count))

    def setVisible(self, visible: bool) -> None:
        self.item.setVisible(visible)

    def isVisible(self) -> bool:
        return self.item.isVisible()
