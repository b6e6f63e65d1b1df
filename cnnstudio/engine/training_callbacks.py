"""The Keras callbacks a Trainer adds to `fit`: its events with Stop, Pause and the NaN
guard between batches, the best epoch's weights kept in memory, and the checkpoint
of each finished epoch written off the training thread."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cnnstudio.core.files import replacing
from cnnstudio.core.run_store import EPOCH_WEIGHTS, write_progress
from cnnstudio.core.training_events import BatchEnd, EpochEnd, EpochPace
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()

from cnnstudio.engine.training_data import FitData  # noqa: E402
from cnnstudio.engine.training_setup import error_sentence  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from cnnstudio.engine.trainer import Trainer


class EpochCheckpoints:
    """Writes the weights and record of each finished epoch in a thread of its own, so a
    killed run loses at most one epoch and the training thread only copies the weights.
    A newer epoch replaces one still waiting to be written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pending: tuple | None = None
        self.condition = threading.Condition()
        self.closed = False
        self.error: str | None = None
        self.thread = threading.Thread(target=self._write_loop, name="checkpoints",
                                       daemon=True)
        self.thread.start()

    def save(self, weights: list, record: dict) -> None:
        with self.condition:
            self.pending = (weights, record)
            self.condition.notify()

    def close(self) -> None:
        """Write what waits, then stop the thread."""
        with self.condition:
            self.closed = True
            self.condition.notify()
        self.thread.join()

    def _write_loop(self) -> None:
        from cnnstudio.engine.probe_file import save_weight_list

        while True:
            with self.condition:
                while self.pending is None and not self.closed:
                    self.condition.wait()
                job, self.pending = self.pending, None
                if job is None:
                    return
            weights, record = job
            try:
                save_weight_list(self.folder / EPOCH_WEIGHTS, weights)
                write_progress(self.folder, record)
            except Exception as error:  # noqa: BLE001 - a full disk must not stop training
                self.error = error_sentence(error)


def round_value(value: float) -> float | None:
    """Six significant digits (float32 noise such as 0.0010000000474974513 is not
    information); NaN and infinity become None, JSON's null, so project files stay JSON."""
    return float(f"{value:.6g}") if math.isfinite(value) else None


def tidy_logs(logs: dict) -> dict[str, float]:
    """Keras's epoch logs in reading order (loss, metrics, val_loss, val metrics), rounded."""
    values = {k: round_value(float(v)) for k, v in logs.items()}
    order = sorted(values, key=lambda k: (k.startswith("val_"), k.removeprefix("val_") != "loss"))
    return {k: values[k] for k in order}


class TrainerEvents(keras.callbacks.Callback):
    """Keras's callbacks turned into Trainer events, plus Stop, Pause and the NaN guard.

    `on_train_batch_end` runs between two batches while TensorFlow waits, so it
    does no more than it must there: BatchEnd works out the rest when it is read,
    in the GUI thread.
    """

    def __init__(self, trainer: "Trainer", fit: FitData, first_iteration: int) -> None:
        super().__init__()
        self.trainer = trainer
        self.fit = fit
        self.iteration = first_iteration
        self.epoch_start = 0.0
        self.paused_seconds = 0.0
        self.step = 0
        self.emit = trainer.on_batch  # looked up once, not at every batch

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.epoch_start = time.perf_counter()
        self.paused_seconds = 0.0
        self.step = 0
        self.epoch = epoch + 1
        self.previous_means: dict[str, float] | None = None
        self.pace = EpochPace(self.trainer.config.batch_size, self.fit.train_samples,
                              (self.trainer.total_epochs - epoch) * self.fit.steps_per_epoch)

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        trainer, logs = self.trainer, logs or {}
        self.step = step = batch + 1
        self.iteration = trainer.iteration = self.iteration + 1
        self.emit(BatchEnd(self.epoch, step, self.iteration, logs, self.previous_means,
                           time.perf_counter() - self.epoch_start - self.paused_seconds,
                           self.pace))
        self.previous_means = logs
        if not math.isfinite(logs.get("loss", 0.0)) and trainer.ending != "nan":
            trainer.ending = "nan"
            trainer.nan_at = (self.epoch, step)
            self.model.stop_training = True
        if trainer.paused:
            trainer.wait_while_paused(self)
        if trainer.stop_requested.is_set():
            if trainer.ending is None:
                trainer.ending = "stopped"
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = tidy_logs(logs or {})
        logs["learning_rate"] = round_value(float(keras.ops.convert_to_numpy(
            self.model.optimizer.learning_rate)))
        seconds = time.perf_counter() - self.epoch_start - self.paused_seconds
        entry = {"epoch": epoch + 1, **logs, "seconds": round(seconds, 3)}
        if self.step < self.fit.steps_per_epoch:
            entry["partial"] = True  # stopped mid-epoch: metrics over the batches done
            entry["iterations"] = self.step
        self.trainer.epochs.append(entry)
        self.trainer.epoch_index = epoch + 1
        self.trainer.checkpoint()
        self.trainer.emit(EpochEnd(epoch + 1, self.iteration, logs, seconds,
                                   partial="partial" in entry))


class BestWeights(keras.callbacks.Callback):
    """The weights of the epoch with the best monitored value, kept in memory until the
    run ends, when `write` saves them once (a run that fails still reaches it).

    Saving at every improvement, as ModelCheckpoint(save_best_only=True) does, would
    write a file in the training thread; a copy in memory costs far less. "Best" is
    Keras's rule for mode "auto": the highest accuracy or AUC, else the lowest value.
    """

    def __init__(self, path: Path, monitor: str) -> None:
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.higher_is_better = monitor_mode(monitor) == "max"
        self.best: float | None = None
        self.weights: list | None = None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        value = float(value)
        if self.best is None or (value > self.best if self.higher_is_better
                                 else value < self.best):
            self.best = value
            self.weights = self.model.get_weights()

    def write(self) -> Path | None:
        """Save the best weights (the model keeps its own); None if no epoch ended."""
        if self.weights is None:
            return None
        current = self.model.get_weights()
        self.model.set_weights(self.weights)
        try:
            save_weights_atomic(self.model, self.path)
        finally:
            self.model.set_weights(current)
        return self.path


def monitor_mode(monitor: str) -> str:
    """Keras's rule for mode "auto", written out: the highest accuracy, AUC, precision or
    recall, else the lowest value. Keras reads it from the compiled metrics, which a
    loop of our own (engine.custom_fit) never builds."""
    return "max" if any(word in monitor for word in ("acc", "auc", "precision", "recall")) \
        else "min"


def save_weights_atomic(model, path: Path) -> None:
    """Keras's weights file, written under a temporary name and renamed: a kill mid-write
    leaves no half-written file under the real name."""
    with replacing(path, suffix=".weights.h5") as tmp:
        model.save_weights(str(tmp))
