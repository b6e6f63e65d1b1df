"""`cnnstudio sweep`: a hyperparameter sweep through Ray Tune (DESIGN.md section 4).

Prints a line as each trial ends (JSON lines with --json: each epoch of each
trial, each trial's end, then one final object with the ranked table), then the
trials ranked by best validation loss; --csv writes that table. Ctrl+C stops the
running trials after their batch, starts no new one, and keeps every trial that
ended, recorded as runs of the project.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from cnnstudio.core import CnnStudioError, load_project
from cnnstudio.core.runs import format_value
from cnnstudio.core.sweep_plan import describe_values, make_plan

EXIT_OK, EXIT_FAILED, EXIT_STOPPED = 0, 1, 130


def add_parser(sub, positive) -> None:
    parser = sub.add_parser(
        "sweep", help="train every combination of settings through Ray Tune, ranked",
        description="A hyperparameter sweep: each combination of the --set values trains "
                    "as one trial and is recorded as a run. Needs pip install "
                    "'cnnstudio[ray]'.")
    parser.add_argument("file", help="a .cnnstudio.json project")
    parser.add_argument("--set", dest="settings", action="append", required=True,
                        metavar="KEY=VALUES",
                        help="a setting and its values: training.learning_rate=0.001,0.01, "
                             "layers.dense.params.units=32,64, or a range such as "
                             "training.learning_rate=1e-4..1e-1 (sampled)")
    parser.add_argument("--samples", type=positive, default=1,
                        help="draws of each range (default 1; needs a range)")
    parser.add_argument("--parallel", type=positive, default=2,
                        help="trials at a time (default 2)")
    parser.add_argument("--ray", metavar="ADDRESS", default="local",
                        help="local (default: Ray on this machine), auto or ray://HOST:PORT")
    parser.add_argument("--epochs", type=positive, help="override training.epochs")
    parser.add_argument("--asha", action="store_true",
                        help="stop weak trials early (Ray Tune's ASHA scheduler)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampled values")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--csv", metavar="OUT", help="write the ranked table as CSV")
    parser.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from cnnstudio.cli import StopSignals, _recover_runs

    project = load_project(args.file)
    plan = make_plan(args.settings, project, args.samples)
    from cnnstudio.engine.ray_cluster import import_ray

    import_ray()
    _recover_runs(args.file)
    output = _SweepOutput(args.json)
    with StopSignals() as stop:
        from cnnstudio.engine.ray_sweep import SweepRun

        sweep = stop.target = SweepRun(project, args.file, plan, address=args.ray,
                                       parallel=args.parallel, asha=args.asha,
                                       epochs=args.epochs, seed=args.seed,
                                       on_trial=output.trial)
        output.intro(project.name, plan, args)
        if stop.requested.is_set():
            print("cnnstudio: stopped before the sweep started; nothing was recorded.",
                  file=sys.stderr)
            return EXIT_STOPPED
        trials = sweep.run()
    output.table(trials)
    if args.csv:
        _write_csv(args.csv, trials)
    if sweep.error and not any(t.run_id for t in trials):
        raise CnnStudioError(f"the sweep failed: {sweep.error}")
    if stop.requested.is_set():
        print(f"cnnstudio: stopped; {sum(1 for t in trials if t.run_id)} trials were "
              f"recorded in {args.file}.", file=sys.stderr)
        return EXIT_STOPPED
    return EXIT_OK if any(t.run_id for t in trials) else EXIT_FAILED


def trial_table(trials) -> tuple[list[str], list[list[str]]]:
    """The ranked table's header and rows, as printed and as CSV."""
    keys = list(trials[0].values) if trials else []
    header = ["rank", "run", *[k.rsplit(".", 1)[-1] for k in keys], "status", "epochs",
              "best_val_loss", "val_accuracy"]
    rows = []
    for number, trial in enumerate(trials, 1):
        row = trial.row()
        rows.append([str(number), row["run"] or "-",
                     *[_cell(trial.values.get(k)) for k in keys], row["status"],
                     str(row["epochs"]), format_value(row["best_val_loss"]),
                     format_value(row["val_accuracy"])])
    return header, rows


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _write_csv(path: str, trials) -> None:
    header, rows = trial_table(trials)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    try:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            handle.write(text.getvalue())
    except OSError as error:
        raise CnnStudioError(f"cannot write {path}: {error.strerror}.") from None


class _SweepOutput:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.seen_epochs: dict[str, int] = {}
        self.ended: set[str] = set()

    def intro(self, name: str, plan, args) -> None:
        if self.as_json:
            return
        where = "this machine" if args.ray == "local" else args.ray
        sampled = f", {plan.samples} draws of each range" if plan.sampled else ""
        print(f"Sweep of {name}: {plan.trial_count()} trials "
              f"({' x '.join(s.text() for s in plan.settings)}{sampled}), {args.parallel} at "
              f"a time on {where}.", flush=True)

    def trial(self, trial) -> None:
        if self.as_json:
            for entry in trial.epochs[self.seen_epochs.get(trial.trial_id, 0):]:
                print(json.dumps({"trial": trial.trial_id, "values": trial.values, **entry}),
                      flush=True)
            self.seen_epochs[trial.trial_id] = len(trial.epochs)
        if trial.status == "running" or trial.trial_id in self.ended:
            return
        self.ended.add(trial.trial_id)
        if self.as_json:
            print(json.dumps({"trial": trial.trial_id, "values": trial.values,
                              "ended": trial.status, "run": trial.run_id,
                              "message": trial.message}), flush=True)
            return
        best = trial.best()
        summary = (f"best {trial.monitor} {format_value(best[trial.monitor])} (epoch "
                   f"{best['epoch']})" if best else trial.message)
        recorded = f" -> {trial.run_id}" if trial.run_id else ""
        print(f"trial {trial.trial_id} ({describe_values(trial.values)}): {trial.status}, "
              f"{len(trial.epochs)} epochs, {summary}{recorded}", flush=True)

    def table(self, trials) -> None:
        if self.as_json:
            print(json.dumps({"final": True, "trials": [t.row() for t in trials]}), flush=True)
            return
        header, rows = trial_table(trials)
        if not rows:
            print("No trial ended.")
            return
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print("\nRanked by best validation loss:")
        for row in [header, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        invalid = [t for t in trials if t.status == "invalid"]
        for trial in invalid:
            print(f"invalid: {describe_values(trial.values)}: {trial.message}")
