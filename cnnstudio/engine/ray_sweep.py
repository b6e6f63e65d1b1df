"""A hyperparameter sweep through Ray Tune (`cnnstudio sweep`, the Runs page's Sweep).

Every trial is one ordinary Trainer run of the project with the trial's values
set (core.sweep_plan), in a Tune trial process: P at a time, on this machine by
default or on a cluster. Lists become Tune grid searches and ranges Tune's
samplers, drawn from the sweep's seed, so Tune decides the trials and runs them;
ASHA, if asked for, stops the weak ones early on the validation loss.

Trials send their epochs and, at the end, their record and files through the
Relay (engine.ray_cluster); the launcher records each trial as a run of the
project as soon as it ends, so Ctrl+C, which stops the running trials after
their batch and starts no new one, keeps every trial that finished. A trial that
a scheduler stopped is recorded from its last epoch (without weights: its
process ends at once); a trial whose values the project refuses is reported as
invalid, with the reason, and trains nothing.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.core.run_store import record_run
from cnnstudio.core.sweep_plan import SweepPlan, describe_values, loads_own_data, trial_project
from cnnstudio.core.sweep_trials import Trial, rank
from cnnstudio.core.training_events import EpochEnd, Started
from cnnstudio.engine.ray_cluster import (
    connect, import_ray, new_relay, place_run, relay_while, run_files, watch_stop,
)

STOP_GRACE_SECONDS = 20.0
"""After Ctrl+C, how long the running trials get to finish their batch and report."""


# in a trial process -----------------------------------------------------------------
def _trial(config: dict[str, Any], project: Project, relay, data, project_file, epochs,
           objective: str) -> None:
    """One Tune trial: the trial's project, trained by the Trainer, reported as it goes."""
    from ray import tune

    trial_id = tune.get_context().get_trial_id()
    values = dict(config["values"])
    if ray_get(relay.stopped.remote()):
        return  # started after Ctrl+C, before Tune stopped: nothing to train or record
    try:
        trial = trial_project(project, values)
    except CnnStudioError as error:
        ray_get(relay.put.remote(("invalid", trial_id, values, str(error))))
        return
    from cnnstudio.engine.trainer import Trainer

    if data is None:
        from cnnstudio.core.dataset_config import dataset_config
        from cnnstudio.engine.data import load_data

        try:
            data = load_data(dataset_config(trial.dataset), project_file)
        except CnnStudioError as error:
            ray_get(relay.put.remote(("invalid", trial_id, values, str(error))))
            return
    trainer: Trainer | None = None
    planned = [0]

    def on_event(event) -> None:
        if isinstance(event, Started):
            planned[0] = event.epochs
            relay.put.remote(("started", trial_id, values, event.epochs))
        elif isinstance(event, EpochEnd):
            snapshot = {**trainer.record, "epochs": list(trainer.epochs)}
            relay.put.remote(("epoch", trial_id, values, trainer.epochs[-1], snapshot))
            if event.epoch >= planned[0]:
                # the last epoch is not reported: a scheduler could only stop the trial
                # there, ending its process before it sends its record and weights
                return
            value = event.logs.get(objective, event.logs.get("loss"))
            tune.report({"objective": value if value is not None else float("inf"),
                         "epoch": event.epoch})

    trainer = Trainer(trial, data=data, on_event=on_event, on_batch=lambda event: None,
                      epochs=epochs)
    watching = watch_stop(relay, trainer.stop)
    try:
        finished = trainer.run()
    finally:
        watching.set()
    if finished.run:
        ray_get(relay.put.remote(("finished", trial_id, values, finished.run,
                                  run_files(finished.run), finished.reason, finished.message)))
    else:  # refused before training began: the model or the data does not fit the values
        ray_get(relay.put.remote(("invalid", trial_id, values, finished.message)))
    folder = getattr(trainer, "folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def ray_get(ref):
    return import_ray().get(ref)


# the launcher -----------------------------------------------------------------------
class SweepRun:
    """Runs a plan; `run()` blocks and returns the trials ranked, `stop()` from anywhere.

    `on_trial` is called in the launching thread whenever a trial changes (started,
    an epoch, ended), with the Trial."""

    def __init__(self, project: Project, project_file: str | Path, plan: SweepPlan,
                 address: str = "local", parallel: int = 2, asha: bool = False,
                 epochs: int | None = None, seed: int = 0, gpus_per_trial: float = 0,
                 on_trial: Callable[[Trial], None] | None = None) -> None:
        self.project = project
        self.project_file = project_file
        self.plan = plan
        self.address = address
        self.parallel = parallel
        self.asha = asha
        self.epochs = epochs
        self.seed = seed
        self.gpus_per_trial = gpus_per_trial
        self.on_trial = on_trial or (lambda trial: None)
        self.trials: dict[str, Trial] = {}
        self.stop_requested = threading.Event()
        self.sweep_id = time.strftime("sweep-%Y%m%d-%H%M%S")
        self.cluster_description: dict = {}
        self.error: str | None = None

    def stop(self) -> None:
        self.stop_requested.set()

    def run(self) -> list[Trial]:
        data = None
        if not loads_own_data(self.plan):
            from cnnstudio.core.dataset_config import dataset_config
            from cnnstudio.engine.data import load_data

            data = load_data(dataset_config(self.project.dataset), self.project_file)
        cluster = connect(self.address, cpus=self.parallel)
        try:
            self.cluster_description = cluster.describe()
            self._sweep(data)
        finally:
            cluster.close()
        return rank(list(self.trials.values()))

    def _tuner(self, relay, data, storage: str):
        import os

        # Tune's own tables: the launcher prints its own
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        # an invalid trial ends without a result; that must not end the sweep
        os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
        from ray import tune
        from ray.tune.search.basic_variant import BasicVariantGenerator

        objective = "val_loss" if float(self.project.training.get("validation_split", 0.1)) \
            else "loss"
        trainable = tune.with_parameters(
            _trial, project=replace(self.project, runs=()), relay=relay, data=data,
            project_file=str(self.project_file), epochs=self.epochs, objective=objective)
        resources = {"cpu": 1, **({"gpu": self.gpus_per_trial} if self.gpus_per_trial else {})}
        scheduler = None
        if self.asha:
            from ray.tune.schedulers import ASHAScheduler

            scheduler = ASHAScheduler(time_attr="epoch", grace_period=1, reduction_factor=2,
                                      max_t=max(self.epochs or 0, int(
                                          self.project.training.get("epochs", 5)), 1))
        stopper = _stop_all(relay)
        return tune.Tuner(
            tune.with_resources(trainable, resources),
            param_space={"values": _space(self.plan)},
            tune_config=tune.TuneConfig(
                metric="objective", mode="min", scheduler=scheduler,
                num_samples=self.plan.samples, reuse_actors=True,  # TensorFlow loads once
                search_alg=BasicVariantGenerator(random_state=self.seed,
                                                 max_concurrent=self.parallel)),
            run_config=tune.RunConfig(name=self.sweep_id, storage_path=storage, verbose=0,
                                      stop=stopper))

    def _sweep(self, data) -> None:
        ray = import_ray()
        relay = new_relay()
        storage = tempfile.mkdtemp(prefix="cnnstudio-sweep-")
        tuner = self._tuner(relay, ray.put(data) if data is not None else None, storage)
        try:
            error = relay_while(tuner.fit, relay, self.stop_requested, self._receive)
        finally:
            shutil.rmtree(storage, ignore_errors=True)
        if error is not None:
            lines = [line for line in str(error).strip().splitlines() if line.strip()]
            self.error = lines[-1][:400] if lines else type(error).__name__
        for trial in self.trials.values():
            if trial.status == "running":
                self._record_unfinished(trial)

    def _trial_of(self, trial_id: str, values: dict) -> Trial:
        if trial_id not in self.trials:
            self.trials[trial_id] = Trial(trial_id, values)
        return self.trials[trial_id]

    def _receive(self, message: tuple) -> None:
        kind, trial_id, values = message[:3]
        trial = self._trial_of(trial_id, values)
        if kind == "epoch":
            trial.epochs.append(message[3])
            trial.snapshot = message[4]
        elif kind == "invalid":
            trial.status, trial.message = "invalid", message[3]
        elif kind == "finished":
            _, _, _, record, files, reason, text = message
            trial.status, trial.message = reason, text
            if record:
                trial.epochs = list(record.get("epochs", trial.epochs))
                self._record(trial, record, files)
        self.on_trial(trial)

    def _record_unfinished(self, trial: Trial) -> None:
        """A trial that ended without its record: stopped by the scheduler, or killed."""
        by = ("Ctrl+C" if self.stop_requested.is_set() else
              "the ASHA scheduler" if self.asha else "Ray Tune")
        trial.status = "stopped"
        done = len(trial.epochs)
        trial.message = (f"Stopped by {by} after {done} epoch{'s' * (done != 1)}; its "
                         "process ended at once, so no weights were kept.")
        if trial.snapshot is not None:
            record = {**trial.snapshot, "ended": "stopped", "message": trial.message,
                      "weights": None, "best_weights": None, "probe": None}
            record.pop("dynamics", None)
            self._record(trial, record, {})
        self.on_trial(trial)

    def _record(self, trial: Trial, record: dict, files: dict) -> None:
        record = place_run(self.project_file, self.project.runs, record, files)
        record["sweep"] = {"id": self.sweep_id, "trial": trial.trial_id,
                           "values": trial.values, "describe": describe_values(trial.values)}
        if self.address != "local":
            record["cluster"] = self.cluster_description
        try:
            record_run(self.project_file, record)
        except (OSError, CnnStudioError) as error:
            trial.message += f" It could not be recorded in {self.project_file}: {error}"
            return
        trial.run_id = record["id"]


def _space(plan: SweepPlan) -> dict[str, Any]:
    """Tune's search space: a grid search for each list, a sampler for each range."""
    from ray import tune

    space: dict[str, Any] = {}
    for setting in plan.settings:
        if not setting.is_range:
            space[setting.key] = tune.grid_search(list(setting.values))
        elif setting.integer:
            space[setting.key] = tune.randint(setting.low, setting.high + 1)
        elif setting.log_scale:
            space[setting.key] = tune.loguniform(setting.low, setting.high)
        else:
            space[setting.key] = tune.uniform(setting.low, setting.high)
    return space


def _stop_all(relay):
    """Tune's stopper: no single trial stops on a result; all stop once asked (Ctrl+C)
    and the running trials have finished their batch and reported, or after a grace.
    Tune keeps it with its state, so it holds only the relay (an actor handle)."""
    from ray.tune.stopper import Stopper

    class StopAll(Stopper):
        since: float | None = None

        def __call__(self, trial_id: str, result: dict) -> bool:
            return False

        def stop_all(self) -> bool:
            if not ray_get(relay.stopped.remote()):
                return False
            if self.since is None:
                self.since = time.perf_counter()
            return (ray_get(relay.idle.remote())
                    or time.perf_counter() - self.since > STOP_GRACE_SECONDS)
    return StopAll()
