"""A sweep running in the background: engine.ray_sweep.SweepRun in a worker thread, each
change of a trial delivered to the GUI as a copy.

The worker never touches a widget: SweepRun calls `on_trial` in the worker, which
emits a copy of the Trial (the launcher goes on changing its own), and Qt queues
the signal to the GUI thread (the copy leaves out the record the launcher keeps of
the last epoch: the GUI needs only the epochs). Ray and Tune are imported in the worker, when the
sweep starts, never at the GUI's start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from cnnstudio.core.project import Project
from cnnstudio.core.sweep_plan import SweepPlan
from cnnstudio.core.sweep_trials import Trial
from cnnstudio.engine.ray_cluster import LOCAL
from cnnstudio.ui.common.worker import Task



@dataclass(frozen=True)
class SweepRequest:
    """What the Sweep dialog asks for: the plan and how to run it."""

    plan: SweepPlan
    epochs: int
    parallel: int = 2
    asha: bool = False
    seed: int = 0
    address: str = LOCAL


@dataclass(frozen=True)
class SweepOutcome:
    """How a sweep ended: its trials ranked, why it ended early if it did."""

    sweep_id: str
    trials: tuple[Trial, ...]
    stopped: bool
    error: str | None


class SweepSession(QObject):
    """One sweep: start it, stop it; listen to `trial_changed` and `finished`."""

    trial_changed = Signal(object)  # a copy of the Trial, as of this change
    finished = Signal(object)  # SweepOutcome

    def __init__(self, project: Project, project_file: str | Path, request: SweepRequest,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        from cnnstudio.engine.ray_sweep import SweepRun

        self.project = project
        self.request = request
        self.runner = SweepRun(project, project_file, request.plan, address=request.address,
                               parallel=request.parallel, asha=request.asha,
                               epochs=request.epochs, seed=request.seed,
                               on_trial=self._changed)
        self.sweep_id = self.runner.sweep_id
        self.outcome: SweepOutcome | None = None
        self.task = Task(lambda progress, cancelled: self.runner.run(), self)
        self.task.done.connect(self._done)
        self.task.failed.connect(self._failed)

    @property
    def running(self) -> bool:
        return self.outcome is None

    def start(self) -> None:
        self.task.start()

    def stop(self) -> None:
        """Stop the running trials after their batch and start no new one."""
        self.runner.stop()

    def wait(self, ms: int = 60_000) -> bool:
        """Wait for the worker (after `stop`); True when it ended, its last trials and its
        end delivered (the window closing records them before it goes)."""
        if not self.task.wait(ms):
            return False
        QCoreApplication.sendPostedEvents()
        return True

    def _changed(self, trial: Trial) -> None:  # in the worker thread
        self.trial_changed.emit(replace(trial, values=dict(trial.values),
                                         epochs=list(trial.epochs), snapshot=None))

    def _done(self, trials: list[Trial]) -> None:
        self._end(tuple(trials), self.runner.error)

    def _failed(self, message: str, _details: str) -> None:
        from cnnstudio.core.sweep_trials import rank

        self._end(tuple(rank(list(self.runner.trials.values()))), message)

    def _end(self, trials: tuple[Trial, ...], error: str | None) -> None:
        trials = tuple(replace(t, snapshot=None) for t in trials)  # the GUI needs no record
        self.outcome = SweepOutcome(self.sweep_id, trials,
                                    self.runner.stop_requested.is_set(), error)
        self.finished.emit(self.outcome)
