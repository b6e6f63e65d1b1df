"""Live training plots: redraw time with a long run on screen.

Run: make bench   (or QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_plot.py)
Target: with 100,000 batch points in the loss curve (plus its smoothed line, and the
accuracy curves beside it, 95 epochs of markers and boundary lines), appending 100
new points and redrawing takes under 16 ms (median and 90th percentile), in a
1000x600 window. A redraw is TrainingPlots.flush() (setData on the changed curves)
and then app.processEvents(), in which the scene's queued update repaints every
changed plot; an event filter checks that the loss plot was painted. (Calling
viewport().repaint() before processEvents() would paint the loss plot twice: once
forced, once more for the scene's queued update.)
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

POINTS = 100_000
APPEND = 100
REDRAWS = 50
STEPS = 1000  # iterations per epoch
TARGET_MS = 16.0


def events(count: int, first: int = 1):
    """BatchEnd events with a noisy falling loss and Keras-style running means, and the
    EpochEnd after each epoch's last batch."""
    from cnnstudio.core.training_events import BatchEnd, EpochEnd, EpochPace

    rng = random.Random(first)
    out = []
    loss_sum = accuracy_sum = 0.0
    pace, means = EpochPace(32, STEPS * 32, STEPS), None
    for iteration in range(first, first + count):
        epoch, step = (iteration - 1) // STEPS + 1, (iteration - 1) % STEPS + 1
        if step == 1:
            loss_sum = accuracy_sum = 0.0
            means = None
        loss = 2.3 * math.exp(-iteration / 20_000) + 0.1 + 0.3 * rng.random()
        accuracy = min(1.0, max(0.0, 1 - loss / 2.5 + 0.1 * rng.random()))
        loss_sum += loss
        accuracy_sum += accuracy
        previous, means = means, {"loss": loss_sum / step, "accuracy": accuracy_sum / step}
        out.append(BatchEnd(epoch, step, iteration, means, previous, step * 0.0064, pace))
        if step == STEPS:
            out.append(EpochEnd(epoch, iteration, {
                "loss": loss_sum / step, "accuracy": accuracy_sum / step,
                "val_loss": loss_sum / step + 0.05, "val_accuracy": accuracy_sum / step - 0.02,
                "learning_rate": 0.001}, 10.0))
    return out


def feed(plots, batch) -> None:
    from cnnstudio.core.training_events import BatchEnd

    pending = []
    for event in batch:
        if isinstance(event, BatchEnd):
            pending.append(event)
        else:
            plots.add_batches(pending)
            pending = []
            plots.add_epoch(event)
    plots.add_batches(pending)


def redraw_times() -> "Redraws":
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from cnnstudio.core.training_events import EpochEnd, Started
    from cnnstudio.ui.plots.training_plots import TrainingPlots

    class PaintCounter(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                self.count += 1
            return False

    app = QApplication.instance() or QApplication([])
    plots = TrainingPlots()
    plots.resize(1000, 600)
    plots.show()
    app.processEvents()
    plots.start(Started(POINTS // STEPS, 0, STEPS, STEPS * 32, 3200, 32, ("loss", "accuracy")))
    first = POINTS - APPEND * REDRAWS
    feed(plots, events(first))
    plots.flush()
    app.processEvents()
    viewport = plots.loss_plot.viewport()
    painted = PaintCounter()
    viewport.installEventFilter(painted)
    chunks = [events(APPEND, first + 1 + i * APPEND) for i in range(REDRAWS)]
    times, appends, parts, paints, with_epoch = [], [], [], [], []
    for chunk in chunks:
        start = time.perf_counter()
        feed(plots, chunk)
        appends.append(time.perf_counter() - start)
        with_epoch.append(any(isinstance(event, EpochEnd) for event in chunk))
        before = painted.count
        start, start_cpu = time.perf_counter(), time.process_time()
        plots.flush()
        flushed = time.perf_counter()
        app.processEvents()  # the scene's queued update: the plots repaint here
        end = time.perf_counter()
        times.append(end - start)
        parts.append((flushed - start, end - flushed, time.process_time() - start_cpu))
        paints.append(painted.count - before)
        assert paints[-1] >= 1, "the loss plot was not repainted"
        assert painted.count > before, "the loss plot was not repainted"
    points = len(plots.series["loss_batch"])
    assert points == POINTS, points
    assert len(plots.curves["loss_smooth"].getOriginalDataset()[0]) == POINTS
    plots.close()
    print(f"loss plot paints per redraw: {sorted(set(paints))}")
    return Redraws(times, appends, parts, with_epoch)


class Redraws(NamedTuple):
    times: list[float]  # flush + paint, seconds
    appends: list[float]  # add_batches / add_epoch of the new points, seconds
    parts: list[tuple[float, float, float]]  # flush, paint, CPU time
    with_epoch: list[bool]  # whether an epoch ended among the new points


def ms(values) -> list[float]:
    return sorted(v * 1e3 for v in values)


def p90(values: list[float]) -> float:
    return values[int(len(values) * 0.9)]


def main() -> None:
    runs = redraw_times()
    every = ms(runs.times)
    batches = ms(t for t, epoch in zip(runs.times, runs.with_epoch) if not epoch)
    epochs = ms(t for t, epoch in zip(runs.times, runs.with_epoch) if epoch)

    def verdict(value: float) -> str:
        return "PASS" if value < TARGET_MS else "FAIL"

    median = statistics.median(every)
    print(f"training plots, {POINTS:,}-point loss curve + smoothed line (and accuracy), "
          f"{len(every)} redraws of {APPEND} new points, flush + repaint: median {median:.2f} ms "
          f"{verdict(median)}, p90 {p90(every):.2f} ms {verdict(p90(every))} "
          f"(target {TARGET_MS:.0f} ms), max {every[-1]:.2f} ms")
    print(f"  {len(batches)} redraws of batches only: median {statistics.median(batches):.2f} ms, "
          f"p90 {p90(batches):.2f} ms; {len(epochs)} with an epoch's end (new epoch points, "
          f"lines, overfitting check): median {statistics.median(epochs):.2f} ms")
    flush, paint, cpu = (statistics.median(p[i] for p in runs.parts) * 1e3 for i in range(3))
    print(f"  medians: flush {flush:.2f} ms, painting {paint:.2f} ms, CPU time {cpu:.2f} ms; "
          f"appending {APPEND} points {statistics.median(ms(runs.appends)):.2f} ms")
    sys.stdout.flush()
    os._exit(0)  # skip PySide6's interpreter-shutdown clean-up, which can crash


if __name__ == "__main__":
    main()
