"""A stand-in for engine.ray_sweep.SweepRun: the same interface and records, no Ray."""

from __future__ import annotations

import threading
import time

from cnnstudio.core.sweep_trials import Trial, rank


def val_loss(values: dict, epoch: int) -> float:
    """A loss that falls each epoch and is lowest at learning rate 0.01 with 8 filters."""
    rate = values.get("training.learning_rate", 0.001)
    filters = values.get("layers.conv2d.params.filters", 4)
    return round(abs(rate - 0.01) * 200 + 4 / filters + 1.0 / epoch, 6)


class ScriptedSweep:
    """SweepRun without Ray: each trial of the plan's grid 'trains' its epochs and is
    recorded in the project's file; `hold` keeps the last trial running until stopped."""

    hold = False
    started: list = []
    fail_with: Exception | None = None  # raised before any trial, as connect() raises

    def __init__(self, project, project_file, plan, address="local", parallel=2, asha=False,
                 epochs=None, seed=0, gpus_per_trial=0, on_trial=None) -> None:
        self.project, self.project_file, self.plan = project, project_file, plan
        self.epochs = epochs or 2
        self.on_trial = on_trial
        self.trials: dict[str, Trial] = {}
        self.stop_requested = threading.Event()
        self.sweep_id = "sweep-20261203-120000"
        self.error = None
        ScriptedSweep.started.append({"address": address, "parallel": parallel,
                                      "asha": asha, "epochs": epochs, "seed": seed})

    def stop(self) -> None:
        self.stop_requested.set()

    def run(self) -> list[Trial]:
        from cnnstudio.core.run_store import record_run
        from cnnstudio.core.sweep_plan import describe_values
        from cnnstudio.engine.ray_cluster import place_run

        if self.fail_with is not None:
            raise self.fail_with
        grid = self.plan.grid()
        for index, values in enumerate(grid):
            if self.stop_requested.is_set():
                break
            trial = Trial(f"abc_{index:05d}", values)
            self.trials[trial.trial_id] = trial
            for epoch in range(1, self.epochs + 1):
                loss = val_loss(values, epoch)
                trial.epochs.append({"epoch": epoch, "loss": loss, "val_loss": loss,
                                     "val_accuracy": 1 - loss / 4})
                self.on_trial(trial)
                time.sleep(0.01)
            while self.hold and index == len(grid) - 1 and not self.stop_requested.is_set():
                time.sleep(0.01)
            trial.status = "stopped" if self.stop_requested.is_set() else "completed"
            record = {"started": "2026-12-03T12:00:00", "ended": trial.status,
                      "seconds": 0.5 * self.epochs, "epochs": list(trial.epochs),
                      "settings": {"learning_rate": values.get("training.learning_rate")},
                      "message": "scripted"}
            record = place_run(self.project_file, self.project.runs, record, {})
            record["sweep"] = {"id": self.sweep_id, "trial": trial.trial_id, "values": values,
                               "describe": describe_values(values)}
            record_run(self.project_file, record)
            trial.run_id = record["id"]
            self.on_trial(trial)
        return rank(list(self.trials.values()))
