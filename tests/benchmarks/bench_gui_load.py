"""What the Train page costs the GUI thread while a fast model trains, without TensorFlow.

Run: make bench   (or QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui_load.py)
Target: while batches arrive at the Dense baseline's pace (85 a 0.3 s epoch),
the GUI thread's CPU time is under 4 % of a core (40 ms a second): progress
bar, status line and epoch line, the curves' points, the paced plot rounds.
On a machine of 2 cores with TensorFlow using more than one, that time is
taken from training whenever the host lends fewer cores, and it is the part
of the app's overhead that bench_training.py cannot measure apart from the
host's noise: this benchmark can, since nothing here computes.

How: a real MainWindow on the Train page; Train is clicked, and in place of
the Trainer a stand-in emits the Trainer's events (Started, BatchEnd,
EpochEnd, Finished) from the worker thread: each batch sleeps (the GIL free,
as while TensorFlow runs) and then holds the GIL for a while (as Keras's
Python does), so the GUI and the training thread contend for the GIL as in
the app. Printed: the GUI thread's CPU time over the run's wall time (judged), the
same from the 3rd epoch to the last but one (what it takes while a run goes
on, without the run's start and end), and the
stand-in's epochs beside the same stand-in run alone (no window): what the
GUI took from a training thread through the GIL. Runs alternate with and
without the window. Exit status 1 when the target is missed.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = "/tmp/cnnstudio-bench"  # recovery copies and settings stay out of $HOME

from cnnstudio.core.templates import get_template  # noqa: E402
from cnnstudio.core.training_events import (  # noqa: E402
    BatchEnd, EpochEnd, EpochPace, Finished, Started,
)
from tests.benchmarks.train_window import close_train_window, open_train_window  # noqa: E402

STEPS = 85  # the Dense baseline on 6,000 Shapes images, batch 64, 10 % held out
EPOCHS = 20
TENSORFLOW_SECONDS = 0.0025  # a batch's C++ part, the GIL released
PYTHON_SECONDS = 0.0008  # a batch's Python part (Keras's loop, the callbacks), the GIL held
RUNS = int(os.environ.get("BENCH_RUNS", "4"))
TARGET_MS_PER_S = 40.0
STEADY = (3, EPOCHS - 1)  # the epochs between which the steady share is taken


class StandInTrainer:
    """The Trainer's interface and events, with sleeps and spins for the work."""

    epoch_seconds: list[float] = []

    def __init__(self, on_event=None, on_batch=None, **_kwargs) -> None:
        self.on_event = on_event or (lambda event: None)
        self.on_batch = on_batch or self.on_event
        self.iteration = 0
        self.model = None
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def run(self) -> Finished:
        emit = self.on_event
        emit(Started(EPOCHS, 0, STEPS, STEPS * 64, 600, 64, ("loss", "accuracy")))
        for epoch in range(1, EPOCHS + 1):
            start = time.perf_counter()
            pace, means = EpochPace(64, STEPS * 64, (EPOCHS - epoch + 1) * STEPS), None
            for step in range(1, STEPS + 1):
                time.sleep(TENSORFLOW_SECONDS)
                busy_until = time.perf_counter() + PYTHON_SECONDS
                while time.perf_counter() < busy_until:
                    pass
                self.iteration += 1
                loss = 2.3 * math.exp(-self.iteration / 300) + 0.1
                values = {"loss": loss, "accuracy": 1 - loss / 2.5}
                self.on_batch(BatchEnd(epoch, step, self.iteration, values, means,
                                       time.perf_counter() - start, pace))
                means = values
                if self._stop.is_set():
                    break
            seconds = time.perf_counter() - start
            self.epoch_seconds.append(seconds)
            emit(EpochEnd(epoch, self.iteration, {**values, "val_loss": loss + 0.05,
                                                  "val_accuracy": 0.9,
                                                  "learning_rate": 0.001}, seconds))
        event = Finished(None, "completed", f"Completed {EPOCHS} epochs.")
        emit(event)
        return event


def install_stand_in() -> None:
    """The GUI's worker imports cnnstudio.engine.trainer when Train is clicked: give it
    the stand-in (and keep TensorFlow out of this process)."""
    module = types.ModuleType("cnnstudio.engine.trainer")
    module.Trainer = StandInTrainer
    sys.modules["cnnstudio.engine.trainer"] = module


def app_run(app) -> tuple[float, float, list[float]]:
    """The GUI thread's CPU seconds per wall second, Train to finished, and in the
    steady part (from the 3rd epoch's end to the last but one's: no start, no end of
    the run); the epochs' seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    window = open_train_window(app, get_template("dense_baseline").project, "bench-gui-load")
    page = window.train_page
    loop = QEventLoop()
    times: dict[str, float] = {}
    epoch_ends: dict[int, tuple[float, float]] = {}  # epoch: (wall, GUI CPU) as delivered
    StandInTrainer.epoch_seconds = []

    def finished(_event) -> None:
        times["end"], times["end_cpu"] = time.perf_counter(), time.thread_time()
        loop.quit()

    def click() -> None:
        times["start"], times["start_cpu"] = time.perf_counter(), time.thread_time()
        page.train_button.click()
        page.session.finished.connect(finished)
        page.session.epoch_ended.connect(lambda event: epoch_ends.__setitem__(
            event.epoch, (time.perf_counter(), time.thread_time())))

    QTimer.singleShot(0, click)
    QTimer.singleShot(120_000, loop.quit)  # a safety net
    loop.exec()
    if "end" not in times:
        raise SystemExit("the stand-in run did not finish")
    close_train_window(app, window)
    share = (times["end_cpu"] - times["start_cpu"]) / (times["end"] - times["start"])
    (wall_0, cpu_0), (wall_1, cpu_1) = epoch_ends[STEADY[0]], epoch_ends[STEADY[1]]
    return share, (cpu_1 - cpu_0) / (wall_1 - wall_0), list(StandInTrainer.epoch_seconds)


def alone_run() -> list[float]:
    """The same stand-in in a thread of its own, with no window: its epochs' seconds."""
    StandInTrainer.epoch_seconds = []
    thread = threading.Thread(target=StandInTrainer().run)
    thread.start()
    thread.join()
    return list(StandInTrainer.epoch_seconds)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    install_stand_in()
    app = QApplication.instance() or QApplication([])
    app_run(app)  # warm: imports, fonts, the first window's caches
    shares, steady_shares, with_gui, alone = [], [], [], []
    for _ in range(RUNS):
        share, steady, seconds = app_run(app)
        shares.append(share)
        steady_shares.append(steady)
        with_gui += seconds[1:]
        alone += alone_run()[1:]
        print(f"  GUI thread {share * 1000:5.1f} ms a second, {steady * 1000:5.1f} in epochs "
              f"{STEADY[0]} to {STEADY[1]}; stand-in epochs "
              f"{statistics.mean(seconds[1:]):.4f} s with the window", flush=True)
    share = statistics.median(shares) * 1000
    steady = statistics.median(steady_shares) * 1000
    slower = statistics.mean(with_gui) / statistics.mean(alone) - 1
    print(f"\nmachine: {os.cpu_count()} cores, load average "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}; {RUNS} runs of {EPOCHS} epochs, "
          f"{STEPS} batches of {(TENSORFLOW_SECONDS + PYTHON_SECONDS) * 1000:.1f} ms "
          f"({PYTHON_SECONDS * 1000:.1f} ms holding the GIL)")
    print(f"stand-in epochs: {statistics.mean(with_gui):.4f} s with the window, "
          f"{statistics.mean(alone):.4f} s alone: {slower:+.2%} through the GIL")
    ok = share < TARGET_MS_PER_S
    print(f"{'PASS' if ok else 'FAIL'} GUI thread CPU while training: median {share:.1f} ms a "
          f"second ({', '.join(f'{s * 1000:.1f}' for s in shares)}; target < "
          f"{TARGET_MS_PER_S:.0f}); while it runs (epochs {STEADY[0]} to {STEADY[1]}, no start "
          f"or end of the run) {steady:.1f} ms a second")
    sys.stdout.flush()
    os._exit(0 if ok else 1)  # skip PySide6's shutdown clean-up


if __name__ == "__main__":
    main()
