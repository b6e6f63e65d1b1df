"""The Sweep dialog's time estimate against the sweep's wall time, on this machine.

A tiny project (600 Shapes images, 3 epochs) trains once, as a user does before a
sweep, which gives the estimate its seconds an epoch (core.sweep_choices). Then
a 4-trial sweep of the learning rate runs through engine.ray_sweep.SweepRun in
this process, as the Sweep tab runs it, one trial at a time and then two at a
time, each starting its own Ray; the script prints the estimate the dialog
would show beside the measured wall time. Target: within 25 % either way, so
that "about 0:20" is not a minute. Needs the ray extra.

Run: .venv/bin/python tests/benchmarks/bench_sweep_estimate.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TRIALS = "training.learning_rate=0.001,0.002,0.003,0.004"
EPOCHS = 3
TOLERANCE = 0.25


def main() -> None:
    from cnnstudio.core import load_project, save_project
    from cnnstudio.core.sweep_choices import epoch_time, sweep_seconds
    from cnnstudio.core.sweep_plan import make_plan
    from cnnstudio.engine.ray_sweep import SweepRun
    from cnnstudio.engine.trainer import Trainer
    from cnnstudio.core.run_store import record_run
    from tests.training_projects import tiny_project

    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    path = folder / "tiny.cnnstudio.json"
    save_project(tiny_project(count=600, epochs=EPOCHS), path)
    finished = Trainer(load_project(path), project_file=path).run()
    record_run(path, finished.run)
    project = load_project(path)
    timing = epoch_time(project)
    print(f"one run: {timing.seconds:.2f} s an epoch ({timing.run_id})")
    cores = os.cpu_count() or 1
    verdicts = []
    for parallel in (1, 2):
        plan = make_plan([TRIALS], project)
        estimate = sweep_seconds(plan.trial_count(), EPOCHS, timing.seconds, parallel, cores,
                                 start_ray=True)
        start = time.perf_counter()
        trials = SweepRun(load_project(path), path, plan, parallel=parallel,
                          epochs=EPOCHS).run()
        wall = time.perf_counter() - start
        done = sum(1 for t in trials if t.status == "completed")
        ratio = estimate / wall
        ok = abs(ratio - 1) <= TOLERANCE
        verdicts.append(ok)
        print(f"{plan.trial_count()} trials x {EPOCHS} epochs, {parallel} at a time on "
              f"{cores} cores: estimated {estimate:.1f} s, took {wall:.1f} s "
              f"({done} completed); estimate/actual {ratio:.2f} "
              f"{'ok' if ok else 'OUTSIDE'} (target within {TOLERANCE:.0%})")
    print("verdict:", "PASS" if all(verdicts) else "FAIL")


if __name__ == "__main__":
    main()
