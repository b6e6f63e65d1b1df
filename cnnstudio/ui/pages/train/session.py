"""The Trainer in a worker thread, its events delivered to the GUI, coalesced.

The worker never touches a widget: the Trainer's events go into a queue that
the GUI thread drains. A start, epoch, phase or end event also sends a queued
signal that has the GUI drain at once; batch events only join the queue, and a
timer in the GUI thread drains it 4 times a second whatever the batch rate, so
a fast model with thousands of batches per second cannot flood the event loop.
Events are delivered in order, each epoch's with the batches before it. A
batch event is queued between two batches while TensorFlow waits, by the
deque's own `append`: no signal and no Python of ours runs there, where every
microsecond is taken from training. A drain is cheap (the progress bar, the labels, points
appended to the curves); the plots redraw on their own schedule, spaced by what
drawing costs (ui/plots/training_plots.py). Pause and Stop deliver what is queued at
once: the user waits to see where the run is."""

from __future__ import annotations

import collections
import gc
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from cnnstudio.core.project import Project
from cnnstudio.core.training_events import BatchEnd, EpochEnd, Finished, PhaseStarted, Started
from cnnstudio.ui.common.worker import new_thread, pause_gc, resume_gc

DRAIN_INTERVAL_MS = 250  # at most 4 deliveries a second
HURRIED_DRAIN_MS = 50  # paused or stopping: delivering takes nothing from training


class _TrainJob(QObject):
    """Lives in the worker thread; builds, compiles and fits the model there."""

    pending = Signal()  # an event other than a batch's is queued

    def __init__(self, session: "TrainingSession", kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.session = session
        self.kwargs = kwargs

    @Slot()
    def run(self) -> None:
        try:
            trainer = self._trainer()
            self.session._attach(trainer)
            trainer.run()  # never raises; its Finished event ends the session
        except BaseException as error:  # noqa: BLE001 - e.g. TensorFlow failing to import
            import traceback

            self._event(Finished(None, "error", f"Training could not start: {error}",
                                 traceback.format_exc()))

    def _trainer(self):
        """The Trainer, or for a cluster (`cluster` given) a ClusterRun: the same events,
        epochs only, and no Pause."""
        kwargs = dict(self.kwargs)
        cluster = kwargs.pop("cluster")
        if cluster is None:
            from cnnstudio.engine.trainer import Trainer

            return Trainer(on_event=self._event, on_batch=self.session._queue.append, **kwargs)
        from cnnstudio.engine.ray_train import ClusterRun

        return ClusterRun(kwargs["project"], kwargs["project_file"], cluster.address,
                          cluster.workers, cluster.gpus_per_worker, on_event=self._event)

    def _event(self, event: Any) -> None:
        self.session._queue.append(event)
        self.pending.emit()


class TrainingSession(QObject):
    """One run: start it, pause, resume, stop; listen to the signals."""

    started = Signal(object)  # Started
    batches = Signal(object)  # list[BatchEnd], in order, coalesced (not a QVariantList copy)
    epoch_ended = Signal(object)  # EpochEnd
    phase_started = Signal(object)  # PhaseStarted (fine-tuning)
    finished = Signal(object)  # Finished

    def __init__(self, project: Project, data: Any = None, project_file: str | Path | None = None,
                 continue_from: dict | None = None, parent: QObject | None = None,
                 cluster: Any = None) -> None:
        super().__init__(parent)
        self.project = project
        self._queue: collections.deque = collections.deque()  # appended by the worker
        self._trainer = None
        self._pending_control: list[str] = []
        self._lock = threading.Lock()
        self._last_drain = 0.0
        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._drain_timer.timeout.connect(self._drain)
        self.result: Finished | None = None
        self.thread = new_thread()
        self.job = _TrainJob(self, {"project": project, "data": data,
                                    "project_file": project_file,
                                    "continue_from": continue_from, "cluster": cluster})
        self.job.moveToThread(self.thread)
        self.thread.started.connect(self.job.run)
        self.job.pending.connect(self._wake)
        self.paused = False
        self._gc_paused = False

    # control ------------------------------------------------------------------------
    def start(self) -> None:
        pause_gc()  # see worker.pause_gc: no collection may run in the training thread
        self._gc_paused = True
        self.thread.start()
        self._drain_timer.start()

    def stop(self) -> None:
        self.paused = False
        self._control("stop")
        self.deliver_soon()

    def pause(self) -> None:
        self.paused = True
        self._control("pause")
        self.deliver_soon()

    def deliver_soon(self) -> None:
        """Show what is queued now, and what still comes (the batch under way) soon
        after: once paused or stopped, the updates take no time from training, and
        the user waits to see where it is."""
        self._drain_timer.setInterval(HURRIED_DRAIN_MS)
        if self._queue:
            self.deliver_now()

    def resume(self) -> None:
        self.paused = False
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._control("resume")

    def wait(self, ms: int = 10_000) -> bool:
        """Wait for the worker thread to end (after `stop`); True when it did."""
        self.thread.quit()
        return self.thread.wait(ms)

    @property
    def iteration(self) -> int:
        """The trainer's last finished batch now (the GUI may not have been told yet)."""
        return getattr(self._trainer, "iteration", 0)

    def _control(self, action: str) -> None:
        with self._lock:
            if self._trainer is None:  # still importing TensorFlow: apply when attached
                self._pending_control.append(action)
                return
        self._apply(self._trainer, action)

    def release(self) -> None:
        """The run is recorded: other processes may now see its folder as finished."""
        with self._lock:
            trainer = self._trainer
        close = getattr(trainer, "close", None)
        if close is not None:
            close()

    def _attach(self, trainer) -> None:
        """Called in the worker once the Trainer exists; replays early Stop/Pause clicks."""
        with self._lock:
            self._trainer = trainer
            actions, self._pending_control = self._pending_control, []
        for action in actions:
            self._apply(trainer, action)

    @staticmethod
    def _apply(trainer, action: str) -> None:
        """Stop, pause or resume; a cluster run has only Stop (the page offers no more)."""
        method = getattr(trainer, action, None)
        if method is not None:
            method()

    # delivery -------------------------------------------------------------------------
    @Slot()
    def _wake(self) -> None:
        """A start, epoch, phase or end event: deliver it now, unless the last delivery
        was under DRAIN_INTERVAL_MS ago (the timer's next one takes it) and the run
        goes on (tiny epochs must not flood the event loop either)."""
        since_ms = (time.perf_counter() - self._last_drain) * 1000
        if since_ms >= DRAIN_INTERVAL_MS or any(
                isinstance(event, Finished) for event in list(self._queue)):
            self._drain()

    def deliver_now(self) -> None:
        """Deliver every queued event at once (used when the window closes)."""
        self._drain()

    @Slot()
    def _drain(self) -> None:
        if not self._queue:
            return  # a round with nothing new delivers nothing: a later event goes at once
        self._last_drain = time.perf_counter()
        if self._drain_timer.isActive():
            self._drain_timer.start()  # the next one a whole interval from now
        batch: list[BatchEnd] = []
        while self._queue:
            event = self._queue.popleft()
            if isinstance(event, BatchEnd):
                batch.append(event)
                continue
            if batch:
                self.batches.emit(batch)
                batch = []
            self._deliver(event)
        if batch:
            self.batches.emit(batch)

    def _deliver(self, event: Any) -> None:
        if isinstance(event, Started):
            self.started.emit(event)
        elif isinstance(event, EpochEnd):
            gc.collect(1)  # young garbage, here in the GUI thread; cheap
            self.epoch_ended.emit(event)
        elif isinstance(event, PhaseStarted):
            self.phase_started.emit(event)
        elif isinstance(event, Finished):
            self._drain_timer.stop()
            self.wait()
            self.result = event
            if self._gc_paused:
                self._gc_paused = False
                resume_gc()
            self.finished.emit(event)
