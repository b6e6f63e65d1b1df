"""Training speed inside the app beside a plain `model.fit` script, and GUI stalls meanwhile.

Run: make bench   (or QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_training.py
[TEMPLATE ...] for some of the templates only)
Targets: training in the app (a real main window, Train clicked, the curves
drawn live) runs at least 0.97x the samples per second of a plain Keras script
fitting the same model on the same batches, for the MNIST CNN and the Dense
baseline templates; and while it trains, the GUI thread never stalls long: the
99th percentile of the gaps a 5 ms QTimer sees, less the 5 ms, is under 50 ms.

How: each template on the built-in Shapes data (6,000 images 28x28x1, 10 %
held out for validation, batch 64, seed 0). "plain" builds the model with
`build_keras_model`, compiles it as the Trainer does (`make_optimizer`,
`make_metrics`, the loss `fit_data` chose) and fits `fit_data`'s pipelines with
verbose=0 and a callback that only times epochs. "app" opens a MainWindow on the
Train page, clicks Train and runs the Qt event loop until the session's
`finished` signal; epoch seconds come from its EpochEnd events (the stall
probe runs in app runs of its own after the throughput runs: its 200 wake-ups
a second each take the GIL from training, so it would weigh on the figure it
sits beside). Both time an
epoch the same way (epoch begin to epoch end, validation included); the first
epoch, which traces the step functions, is left out. The runs alternate plain,
app, app, plain (ABBA), several times, so a drift of the machine's speed cancels out.
The ratio judged is of the medians over all those epochs of each kind: on this
shared host whole runs swing by up to 2x (a neighbour takes a core for a
while), and the median over many epochs shrugs that off better than pairing
runs, which is printed beside it (each app run over the plain run next to it,
median over app runs), with a 90 % bootstrap interval for the ratio that
resamples whole runs (18 runs of each kind for the Dense baseline, 4 for the
MNIST CNN; BENCH_REPEAT=2 doubles them. Dense runs of 6 + 6 have given 0.82x
to 0.95x, 12 + 12 1.18x, 18 + 18 0.935x, 1.012x and 1.019x, 36 + 36 1.013x,
0.965x and 0.982x). On a shared machine the figures move with its load, which
is printed, so the process's CPU seconds per epoch are compared too. The stall
probe records the GUI thread's CPU time at each tick as well: a long gap with
little CPU was spent waiting for the GIL or a core. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = "/tmp/cnnstudio-bench"  # recovery copies and settings stay out of $HOME

import numpy as np  # noqa: E402

from cnnstudio.core import edits, infer  # noqa: E402
from cnnstudio.core.templates import get_template  # noqa: E402
from cnnstudio.core.training_events import EpochEnd  # noqa: E402
from tests.benchmarks.train_window import close_train_window, open_train_window  # noqa: E402

COUNT = 6000  # Shapes images (28x28x1)
BATCH = 64
SEED = 0
EPOCHS = {"mnist_cnn": 3, "dense_baseline": 8}  # a dense epoch is ~0.3 s: more of them
# P plain, A app (throughput), S app with the stall probe (stalls only)
ORDER = {"mnist_cnn": "PAAPPAAPS", "dense_baseline": "PAAP" * 9 + "SS"}
ORDER = {k: v.replace("S", "") * int(os.environ.get("BENCH_REPEAT", "1")) + "S" * v.count("S")
         for k, v in ORDER.items()}  # BENCH_REPEAT=3: three times the throughput runs
PROBE_MS = 5
TEMPLATES = sys.argv[1:] or list(EPOCHS)  # e.g. `bench_training.py dense_baseline`
RATIO_TARGET = 0.97
STALL_TARGET_MS = 50.0


@dataclass
class Run:
    model: str
    kind: str  # plain or app
    train_samples: int = 0
    seconds: list[float] = field(default_factory=list)  # per epoch, as EpochEnd reports
    ends: list[float] = field(default_factory=list)  # perf_counter at each epoch's end
    cpu_ends: list[float] = field(default_factory=list)  # process CPU time at each epoch's end
    host_ends: list[tuple[int, int]] = field(default_factory=list)  # host_ticks() at each end
    stalls_ms: np.ndarray | None = None  # app only: gaps between probe ticks less PROBE_MS
    stall_cpu_ms: np.ndarray | None = None  # the GUI thread's CPU time in each gap
    batch_signals: int = 0
    wall: float = 0.0
    gui_busy: float = 0.0  # app only: the GUI thread's CPU time / wall time, Train to finished
    thread_cpu: dict[str, float] = field(default_factory=dict)  # CPU s per epoch by thread kind

    @property
    def rate(self) -> float:
        """Training samples per second over the epochs after the first."""
        return self.train_samples * (len(self.seconds) - 1) / sum(self.seconds[1:])

    @property
    def epoch_rates(self) -> list[float]:
        return [self.train_samples / seconds for seconds in self.seconds[1:]]

    @property
    def wall_epoch_rates(self) -> list[float]:
        return [self.train_samples / seconds for seconds in np.diff(self.ends)]

    @property
    def steal(self) -> list[float]:
        """The share of the machine's CPU time its host gave to others (steal), from
        epoch end to epoch end: one figure per epoch of `epoch_rates`."""
        return [(b[1] - a[1]) / max(b[0] - a[0], 1)
                for a, b in zip(self.host_ends, self.host_ends[1:])]

    @property
    def cpu_per_epoch(self) -> list[float]:
        """The whole process's CPU seconds from epoch end to epoch end (the GUI's too)."""
        return list(np.diff(self.cpu_ends))

    @property
    def wall_rate(self) -> float:
        """The same from epoch end to epoch end: includes the work between epochs
        (e.g. the best-weights checkpoint)."""
        return self.train_samples * (len(self.ends) - 1) / (self.ends[-1] - self.ends[0])


def host_ticks() -> tuple[int, int]:
    """All CPUs' ticks so far and the stolen ones among them (/proc/stat): on a
    virtual machine the host takes cores away for its other guests, the main
    noise in these figures, and a 2x swing of whole runs."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[7]  # user nice system idle iowait irq softirq steal


def thread_times() -> dict[int, tuple[str, float]]:
    """Each of this process's threads: its name and CPU seconds so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    times = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        times[int(tid)] = (stat[stat.index("(") + 1:stat.rindex(")")],
                           (int(fields[11]) + int(fields[12])) / tick)
    return times


def thread_cpu_per_epoch(snapshots: list[dict[int, tuple[str, float]]], main_tid: int,
                         training_tid: int) -> dict[str, float]:
    """CPU seconds per epoch from the first epoch end to the last, by kind of thread:
    the one that ran `fit`, the GUI thread (none in a plain run), TensorFlow's pools
    (named tf_*) and the rest. Shows where the app's extra CPU goes, if any."""
    first, last = snapshots[0], snapshots[-1]
    kinds = dict.fromkeys(("fit", "gui", "tf pools", "other"), 0.0)
    for tid, (name, seconds) in last.items():
        kind = ("fit" if tid == training_tid else "gui" if tid == main_tid
                else "tf pools" if name.startswith("tf_") else "other")
        kinds[kind] += seconds - first.get(tid, (name, 0.0))[1]
    return {kind: seconds / (len(snapshots) - 1) for kind, seconds in kinds.items()}


def project_for(template: str):
    project = get_template(template).project
    project = edits.set_dataset(project, {"source": "shapes", "count": COUNT})
    return edits.set_training(project, {"epochs": EPOCHS[template], "batch_size": BATCH,
                                        "seed": SEED})


def plain_run(template: str) -> Run:
    """A Keras user's script: the same model, compile and batches; fit with verbose=0."""
    from cnnstudio.core.dataset_config import dataset_config
    from cnnstudio.core.training_config import training_config
    from cnnstudio.engine.builder import build_keras_model
    from cnnstudio.engine.data import load_data
    from cnnstudio.engine.training_setup import keras, make_metrics, make_optimizer
    from cnnstudio.engine.training_data import fit_data

    project = project_for(template)
    run = Run(template, "plain")
    config = training_config(project.training)
    data_config = dataset_config(project.dataset)
    data = load_data(data_config)
    keras.backend.clear_session()
    gc.collect()
    keras.utils.set_random_seed(config.seed)
    fit = fit_data(project, infer(project).output_shape, data, data_config, config)
    model = build_keras_model(project)
    model.compile(optimizer=make_optimizer(config), loss=fit.loss,
                  metrics=make_metrics(config.metrics, fit.loss))
    run.train_samples = fit.train_samples

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            run.seconds.append(now - self.start)
            run.ends.append(now)
            run.cpu_ends.append(time.process_time())
            run.host_ends.append(host_ticks())
            snapshots.append(thread_times())

    snapshots: list = []
    start = time.perf_counter()
    model.fit(fit.train, validation_data=fit.validation, epochs=config.epochs,
              callbacks=[EpochTimer()], verbose=0, shuffle=False)
    run.wall = time.perf_counter() - start
    run.thread_cpu = thread_cpu_per_epoch(snapshots, -1, threading.get_native_id())
    return run


_worker_epoch_ends: list[tuple[float, float, tuple[int, int]]] = []
_worker_tid: list[int] = []  # the native id of the thread the app's Trainer runs in
_worker_threads: list[dict] = []  # thread_times() at each epoch end


def stamp_epoch_ends() -> None:
    """Note the time each EpochEnd leaves the Trainer (in the worker thread), for
    the epoch-to-epoch figure; the GUI gets it up to 250 ms later, coalesced.
    The Trainer sends epoch events through `emit` (batch events go straight to
    the session's queue), so the batches are not slowed by this."""
    from cnnstudio.engine import trainer

    original = trainer.Trainer.emit

    def emit(self, event):
        if isinstance(event, EpochEnd):
            _worker_epoch_ends.append((time.perf_counter(), time.process_time(), host_ticks()))
            _worker_threads.append(thread_times())
            _worker_tid[:] = [threading.get_native_id()]
        original(self, event)

    trainer.Trainer.emit = emit


def app_run(template: str, probe_stalls: bool = True) -> Run:
    """A real main window on the Train page: click Train, run the event loop to the end."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cnnstudio.engine.trainer import keras

    app = QApplication.instance()
    run = Run(template, "stalls" if probe_stalls else "app")
    window = open_train_window(app, project_for(template), "bench-training")
    page = window.train_page
    keras.backend.clear_session()
    gc.collect()
    _worker_epoch_ends.clear()
    _worker_threads.clear()

    ticks: list[tuple[float, float]] = []  # (wall, GUI thread CPU) at each probe tick
    probe = QTimer()
    probe.setTimerType(Qt.PreciseTimer)
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    loop = QEventLoop()
    done: dict = {}  # click and finish times, the Finished event

    def finished(event) -> None:
        done["at"] = time.perf_counter()
        done["event"] = event
        QTimer.singleShot(4 * PROBE_MS, loop.quit)  # a few more ticks: the finish is timed too

    def click() -> None:
        done["click"] = time.perf_counter()
        page.train_button.click()
        session = page.session
        session.finished.connect(finished)
        session.epoch_ended.connect(lambda event: run.seconds.append(event.seconds))
        session.batches.connect(lambda events: setattr(run, "batch_signals",
                                                       run.batch_signals + 1))
        session.started.connect(lambda event: setattr(run, "train_samples",
                                                      event.train_samples))

    if probe_stalls:
        probe.start()
    gui_cpu = time.thread_time()
    QTimer.singleShot(0, click)
    QTimer.singleShot(600_000, loop.quit)  # a safety net; never reached when all is well
    loop.exec()
    probe.stop()
    gui_cpu = time.thread_time() - gui_cpu
    run.thread_cpu = thread_cpu_per_epoch(_worker_threads, threading.get_native_id(),
                                          _worker_tid[0])
    event = done.get("event")
    if event is None or event.reason != "completed":
        raise SystemExit(f"{template}: the app's run did not complete: "
                         f"{getattr(event, 'message', 'no Finished event')}\n"
                         f"{getattr(event, 'details', '')}")
    run.wall = done["at"] - done["click"]
    run.gui_busy = gui_cpu / run.wall
    run.ends = [wall for wall, _, _ in _worker_epoch_ends]
    run.cpu_ends = [cpu for _, cpu, _ in _worker_epoch_ends]
    run.host_ends = [ticks for _, _, ticks in _worker_epoch_ends]
    if probe_stalls:
        ticks_array = np.array([t for t in ticks if t[0] >= done["click"]])
        run.stalls_ms = np.maximum(np.diff(ticks_array[:, 0]) * 1e3 - PROBE_MS, 0.0)
        run.stall_cpu_ms = np.diff(ticks_array[:, 1]) * 1e3  # the GUI thread's own CPU time
    close_train_window(app, window)
    return run


def paired_ratio(runs: list[Run]) -> float:
    """The median over app runs of app rate / the rate of the plain run beside it in
    the ABBA order (PAAP: each A has one P neighbour)."""
    ratios = []
    for i, run in enumerate(runs):
        if run.kind != "app":
            continue
        beside = [runs[j] for j in (i - 1, i + 1) if 0 <= j < len(runs) and runs[j].kind == "plain"]
        ratios.append(run.rate / statistics.mean(r.rate for r in beside))
    return statistics.median(ratios)


def median_ratio(plain: list[Run], inapp: list[Run]) -> float:
    """The judged ratio: the median app epoch's rate over the median plain epoch's."""
    return (statistics.median(x for r in inapp for x in r.epoch_rates)
            / statistics.median(x for r in plain for x in r.epoch_rates))


def run_interval(plain: list[Run], inapp: list[Run], ratio_of=median_ratio,
                 rounds: int = 2000) -> tuple[float, float]:
    """A 90 % bootstrap interval for `ratio_of(plain, inapp)`.

    Whole runs are resampled, not epochs: the epochs of one run share the
    machine's mood of that minute, so they are not independent samples.
    """
    rng = np.random.default_rng(SEED)
    ratios = [ratio_of(*[[runs[i] for i in rng.integers(len(runs), size=len(runs))]
                         for runs in (plain, inapp)]) for _ in range(rounds)]
    low, high = np.percentile(ratios, [5, 95])
    return float(low), float(high)


def steal_adjusted(plain: list[Run], inapp: list[Run]) -> tuple[float, float]:
    """App over plain samples per second at equal steal, and the steal's effect.

    A least-squares fit over every epoch of both kinds, log(rate) = a + b * steal
    + c * app: exp(c) is the ratio with the host's share taken out, exp(b / 10)
    what a tenth of the CPU stolen does to the rate. Beside the judged median,
    not in its place: it assumes the effect is the same for both kinds.
    """
    rates, steal, app = [], [], []
    for kind, runs in ((0.0, plain), (1.0, inapp)):
        for run in runs:
            rates += run.epoch_rates
            steal += run.steal
            app += [kind] * len(run.epoch_rates)
    design = np.column_stack([np.ones(len(rates)), steal, app])
    (_, slope, shift), *_ = np.linalg.lstsq(design, np.log(rates), rcond=None)
    return float(np.exp(shift)), float(np.exp(slope / 10))


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    from PySide6.QtWidgets import QApplication

    import tensorflow as tf

    app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive
    stamp_epoch_ends()
    started, load_before = time.perf_counter(), load()
    runs: list[Run] = []
    for template in TEMPLATES:
        for kind in ORDER[template]:
            run = plain_run(template) if kind == "P" else app_run(template, kind == "S")
            runs.append(run)
            extra = f"; GUI thread busy {run.gui_busy:.0%}" if run.kind == "app" else ""
            if run.stalls_ms is not None:
                extra = (f"; GUI stalls p99 {np.percentile(run.stalls_ms, 99):.1f} ms, "
                         f"max {run.stalls_ms.max():.1f} ms; GUI thread busy "
                         f"{run.gui_busy:.0%}")
            threads = " ".join(f"{kind} {seconds * 1e3:.0f}"
                               for kind, seconds in run.thread_cpu.items())
            print(f"  {template:15s} {run.kind:5s} epochs "
                  f"{' '.join(f'{s:.2f}' for s in run.seconds)} s: "
                  f"{run.rate:,.0f} samples/s (epoch end to end {run.wall_rate:,.0f}); "
                  f"CPU ms an epoch: {threads}; steal {statistics.mean(run.steal):.0%}{extra}",
                  flush=True)

    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load_before} before, {load()} after; TensorFlow {tf.__version__}, "
          f"Python {platform.python_version()}")
    print(f"Shapes {COUNT} images 28x28x1 (10 % validation), batch {BATCH}, seed {SEED}; "
          f"order: {', '.join(f'{k} {v}' for k, v in ORDER.items())} (P plain, A app); "
          f"{time.perf_counter() - started:.0f} s in all\n")
    header = (f"{'model':15s} {'epochs':>6s} {'plain samples/s':>16s} {'app samples/s':>14s} "
              f"{'app/plain':>9s} {'fastest':>7s} {'end to end':>10s} {'CPU app/plain':>13s}   "
              f"each run (plain | app)")
    print(header)
    print("-" * len(header))
    ratios: dict[str, float] = {}
    paired: dict[str, float] = {}
    intervals: dict[str, tuple[float, float]] = {}
    adjusted: dict[str, tuple[float, float, tuple[float, float]]] = {}
    for template in TEMPLATES:
        plain = [r for r in runs if r.model == template and r.kind == "plain"]
        inapp = [r for r in runs if r.model == template and r.kind == "app"]
        p = statistics.median(x for r in plain for x in r.epoch_rates)
        a = statistics.median(x for r in inapp for x in r.epoch_rates)
        wall = (statistics.median(x for r in inapp for x in r.wall_epoch_rates)
                / statistics.median(x for r in plain for x in r.wall_epoch_rates))
        cpu = (statistics.median(x for r in inapp for x in r.cpu_per_epoch)
               / statistics.median(x for r in plain for x in r.cpu_per_epoch))
        fastest = (np.percentile([x for r in inapp for x in r.epoch_rates], 90)
                   / np.percentile([x for r in plain for x in r.epoch_rates], 90))
        ratios[template] = a / p
        paired[template] = paired_ratio([r for r in runs if r.model == template])
        intervals[template] = run_interval(plain, inapp)
        adjusted[template] = (*steal_adjusted(plain, inapp), run_interval(
            plain, inapp, lambda p_runs, a_runs: steal_adjusted(p_runs, a_runs)[0]))
        print(f"{template:15s} {EPOCHS[template]:6d} {p:16,.0f} {a:14,.0f} {a / p:9.3f} "
              f"{fastest:7.3f} {wall:10.3f} {cpu:13.2f}   "
              f"{' '.join(f'{r.rate:,.0f}' for r in plain)} | "
              f"{' '.join(f'{r.rate:,.0f}' for r in inapp)}")
    print("(samples/s: the median over every epoch after the first of every run of the "
          "kind, from the epoch's seconds; fastest: the same ratio of the 90th percentiles, "
          "the speed when the machine's neighbours leave it alone; each run: its rate over "
          "those epochs; end to "
          "end: the same ratio timed from epoch end to epoch end, which adds the work "
          "between epochs; CPU: the process's CPU seconds per epoch, app over plain, which "
          "other programs on the machine disturb less than wall time)\n")
    for template, (ratio, effect, (low, high)) in adjusted.items():
        print(f"{template}: at equal steal, app/plain {ratio:.3f} (90 % interval over runs "
              f"{low:.3f} to {high:.3f}); a tenth of the CPU stolen multiplies the rate by "
              f"{effect:.3f}")
    print("(steal: the share of the machine's CPU time the host gave its other guests, "
          "epoch end to epoch end; the ratio at equal steal fits log(rate) to steal and "
          "kind over every epoch)\n")

    header = f"{'CPU ms an epoch, median':24s} {'kind':6s} " + " ".join(
        f"{kind:>8s}" for kind in ("fit", "gui", "tf pools", "other", "all"))
    print(header)
    print("-" * len(header))
    for template in TEMPLATES:
        for kind in ("plain", "app"):
            chosen = [r.thread_cpu for r in runs if r.model == template and r.kind == kind]
            medians = {k: statistics.median(c[k] for c in chosen) * 1e3 for k in chosen[0]}
            all_ms = statistics.median(sum(c.values()) for c in chosen) * 1e3
            print(f"{template:24s} {kind:6s} " + " ".join(
                f"{medians[k]:8.1f}" for k in medians) + f" {all_ms:8.1f}")
    print("(each thread's CPU time from the first epoch end to the last, per epoch: fit, "
          "the thread that ran model.fit; gui, the GUI thread while the app trains; tf "
          "pools, TensorFlow's own threads)\n")

    header = (f"{'GUI thread, Train to finished':30s} {'p50 ms':>7s} {'p99 ms':>7s} "
              f"{'max ms':>7s} {'ticks':>6s} {'busy':>5s} {'CPU in >p99':>11s} "
              f"{'batch signals/s':>15s}")
    print(header)
    print("-" * len(header))
    worst_p99, worst_max = 0.0, 0.0
    for i, run in enumerate(r for r in runs if r.kind == "stalls"):
        stalls = run.stalls_ms
        p99 = float(np.percentile(stalls, 99))
        worst_p99, worst_max = max(worst_p99, p99), max(worst_max, float(stalls.max()))
        top = stalls >= p99
        cpu_share = run.stall_cpu_ms[top].sum() / (stalls[top] + PROBE_MS).sum()
        print(f"{run.model + ' app run ' + str(i + 1):30s} {np.percentile(stalls, 50):7.1f} "
              f"{p99:7.1f} {stalls.max():7.1f} {len(stalls) + 1:6d} {run.gui_busy:5.0%} "
              f"{cpu_share:11.0%} {run.batch_signals / run.wall:15.1f}")
    print(f"(stall: a gap between ticks of a {PROBE_MS} ms QTimer on the GUI thread, less "
          f"{PROBE_MS} ms; busy: the GUI thread's CPU time over the wall time; CPU in >p99: "
          f"its share of the longest 1 % of gaps, the rest it waited for the GIL or a core)\n")

    ratio_ok = all(r >= RATIO_TARGET for r in ratios.values())
    stall_ok = worst_p99 < STALL_TARGET_MS
    print(f"{'PASS' if ratio_ok else 'FAIL'} throughput: in-app / plain samples per second, "
          f"median over epochs: {', '.join(f'{k} {v:.3f}' for k, v in ratios.items())} "
          f"(90 % interval over runs: "
          f"{', '.join(f'{k} {lo:.3f} to {hi:.3f}' for k, (lo, hi) in intervals.items())}; "
          f"paired runs: {', '.join(f'{k} {v:.3f}' for k, v in paired.items())}; "
          f"at equal steal: {', '.join(f'{k} {v[0]:.3f}' for k, v in adjusted.items())}; "
          f"target >= {RATIO_TARGET})")
    print(f"{'PASS' if stall_ok else 'FAIL'} GUI stalls: worst p99 {worst_p99:.1f} ms "
          f"(target < {STALL_TARGET_MS:.0f} ms); longest stall {worst_max:.1f} ms")
    sys.stdout.flush()
    os._exit(0 if ratio_ok and stall_ok else 1)  # skip PySide6's shutdown clean-up


if __name__ == "__main__":
    main()
