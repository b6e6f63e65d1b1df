"""The look every CNN Studio plot shares: white, grey axes with plain numbers, no
pyqtgraph buttons or context menu (our own actions replace them)."""

from __future__ import annotations

import pyqtgraph as pg

TITLE_COLOUR = "#222222"


def new_plot(title: str | None = None) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    item = plot.getPlotItem()
    if title:
        item.setTitle(title, color=TITLE_COLOUR, size="11pt")
    item.hideButtons()
    item.setMenuEnabled(False)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen("#888888")
        axis.setTextPen("#333333")
        axis.enableAutoSIPrefix(False)  # no "loss (x0.001)": the numbers as they are
    return plot
