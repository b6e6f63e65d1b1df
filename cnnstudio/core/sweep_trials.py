"""A sweep's trials as the launcher and the Runs page see them, from live messages or
from the runs a sweep recorded (so a finished sweep can be looked at again after the
project is reopened)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

ENDED = {"completed": "completed", "early_stopping": "completed (early stop)",
         "stopped": "stopped", "nan": "stopped: NaN loss", "error": "failed",
         "invalid": "invalid", "running": "running", "interrupted": "interrupted"}
"""A trial's status in words, for tables."""


@dataclass
class Trial:
    """One trial as the launcher sees it, updated as its messages arrive."""

    trial_id: str
    values: dict[str, Any]
    status: str = "running"  # running, completed, early_stopping, stopped, nan, error, invalid
    epochs: list[dict] = field(default_factory=list)
    run_id: str | None = None
    message: str = ""
    snapshot: dict | None = None  # the record as of the last epoch

    @property
    def monitor(self) -> str:
        return "val_loss" if any("val_loss" in e for e in self.epochs) else "loss"

    def best(self) -> dict | None:
        """The epoch with the lowest validation loss (training loss without validation)."""
        scored = [e for e in self.epochs if e.get(self.monitor) is not None]
        return min(scored, key=lambda e: e[self.monitor]) if scored else None

    def best_value(self) -> float | None:
        """The best epoch's monitored value: what trials are ranked and plotted by."""
        best = self.best()
        return best.get(self.monitor) if best else None

    def row(self) -> dict[str, Any]:
        """What tables, `--json` and the CSV show of the trial."""
        best = self.best() or {}
        return {"trial": self.trial_id, "run": self.run_id, "status": self.status,
                **{key: value for key, value in self.values.items()},
                "epochs": len(self.epochs), "best_epoch": best.get("epoch"),
                "best_val_loss": best.get("val_loss"),
                "val_accuracy": best.get("val_accuracy"), "message": self.message}


def rank(trials: list[Trial]) -> list[Trial]:
    """Best validation loss first; trials without one (invalid, failed) last."""
    def score(trial: Trial) -> tuple:
        value = trial.best_value()
        return (value is None, trial.monitor != "val_loss", value or 0.0)
    return sorted(trials, key=score)


def sweep_ids(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The sweeps that recorded runs in the project, oldest first."""
    return list(dict.fromkeys(run["sweep"]["id"] for run in runs
                              if isinstance(run.get("sweep"), Mapping)
                              and "id" in run["sweep"]))


def recorded_trials(runs: Sequence[Mapping[str, Any]], sweep_id: str) -> list[Trial]:
    """The trials of one sweep, rebuilt from the runs it recorded (invalid trials record
    no run, so they are not among them)."""
    trials = []
    for run in runs:
        sweep = run.get("sweep")
        if not isinstance(sweep, Mapping) or sweep.get("id") != sweep_id:
            continue
        trials.append(Trial(str(sweep.get("trial", run.get("id"))),
                            dict(sweep.get("values", {})), status=str(run.get("ended", "?")),
                            epochs=list(run.get("epochs", [])), run_id=run.get("id"),
                            message=str(run.get("message", ""))))
    return trials
