"""TrainingSession: a fast trainer's events reach the GUI in order, coalesced, and the
ones that are not batches without waiting for the next round."""

from __future__ import annotations

import sys
import threading
import time
import types

from cnnstudio.core.templates import get_template
from cnnstudio.core.training_events import BatchEnd, EpochEnd, EpochPace, Finished, Started
from cnnstudio.ui.pages.train.session import DRAIN_INTERVAL_MS, TrainingSession

STEPS, EPOCHS = 100, 4
BATCH_SECONDS = 0.002  # 500 batches a second


class FastTrainer:
    """The Trainer's contract (on_event, on_batch, iteration), a batch every 2 ms."""

    def __init__(self, on_event=None, on_batch=None, **_kwargs) -> None:
        self.on_event, self.on_batch = on_event, on_batch or on_event
        self.iteration = 0
        self.model = None
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def pause(self) -> None: ...
    def resume(self) -> None: ...

    def run(self) -> Finished:
        self.on_event(Started(EPOCHS, 0, STEPS, STEPS * 8, 0, 8, ("loss",)))
        for epoch in range(1, EPOCHS + 1):
            pace, means = EpochPace(8, STEPS * 8, (EPOCHS - epoch + 1) * STEPS), None
            for step in range(1, STEPS + 1):
                time.sleep(BATCH_SECONDS)
                self.iteration += 1
                logs = {"loss": 1.0 / self.iteration}
                self.on_batch(BatchEnd(epoch, step, self.iteration, logs, means,
                                       step * BATCH_SECONDS, pace))
                means = logs
            self.on_event(EpochEnd(epoch, self.iteration, {"loss": 0.5}, 0.2))
        finished = Finished(None, "completed", "Completed.")
        self.on_event(finished)
        return finished


def test_fast_batches_arrive_in_order_and_in_few_deliveries(qtbot,
                                                                             monkeypatch):
    monkeypatch.setitem(sys.modules, "cnnstudio.engine.trainer",
                        types.SimpleNamespace(Trainer=FastTrainer))
    session = TrainingSession(get_template("dense_baseline").project)
    delivered: list = []  # ("batches", [iterations]) or ("epoch", n), in order
    session.batches.connect(lambda events: delivered.append(
        ("batches", [event.iteration for event in events])))
    session.epoch_ended.connect(lambda event: delivered.append(("epoch", event.epoch)))
    start = time.perf_counter()
    with qtbot.waitSignal(session.finished, timeout=20_000):
        session.start()
    seconds = time.perf_counter() - start

    iterations = [i for kind, items in delivered if kind == "batches" for i in items]
    assert iterations == list(range(1, STEPS * EPOCHS + 1))  # every batch, in order
    epochs_at = [n for n, (kind, _items) in enumerate(delivered) if kind == "epoch"]
    assert [delivered[n][1] for n in epochs_at] == [1, 2, 3, 4]
    for epoch, n in enumerate(epochs_at, start=1):  # each epoch after its own batches
        before = [i for kind, items in delivered[:n] if kind == "batches" for i in items]
        assert before[-1] == epoch * STEPS
    rounds = sum(kind == "batches" for kind, _ in delivered)
    # 400 batches over about 1.5 s: coalesced, about 4 deliveries a second
    assert rounds <= seconds * 1000 / DRAIN_INTERVAL_MS + EPOCHS + 2
    assert not session._drain_timer.isActive()  # no polling left once finished
    assert session.wait(5000)
