"""Python's cyclic garbage collector, run only in the GUI thread.

Automatic collection runs in whichever thread happens to allocate; when that
is a worker, it may destroy Qt objects that belong to the GUI thread, and
PySide6 crashes. So automatic collection is switched off and a timer in the
GUI thread collects instead (pyqtgraph's GarbageCollector does the same).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000
FULL_EVERY_TICKS = 60
_installed: "_Collector | None" = None


class _Collector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.ticks = 0
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(INTERVAL_MS)

    def check(self) -> None:
        """Collect the young generations past their thresholds; the old one rarely.

        A full collection walks every object (TensorFlow brings millions), so it
        runs at most once a minute, as Python's own heuristic would space it.
        """
        counts = gc.get_count()
        self.ticks += 1
        if counts[2] > self.thresholds[2] and self.ticks >= FULL_EVERY_TICKS:
            self.ticks = 0
            gc.collect(2)
        elif counts[1] > self.thresholds[1]:
            gc.collect(1)
        elif counts[0] > self.thresholds[0]:
            gc.collect(0)


def install(app: QObject) -> None:
    """Collect garbage in the thread of `app` only; once per process."""
    global _installed
    if _installed is None:
        _installed = _Collector(app)
