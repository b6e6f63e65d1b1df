"""Training a project's model with Keras, reporting plain events (no Qt).

`Trainer.run()` blocks the thread that calls it: the command line calls it
directly, the GUI from a worker thread. `stop()`, `pause()` and `resume()` may
be called from any thread; they set flags that a Keras callback checks after
every batch, so Stop takes effect within one batch (Keras then still
validates the partial epoch, which is recorded as such). Whatever happens,
`run()` returns a Finished event and never raises: a failure is a reason and a
sentence, and the epochs done so far are kept in the run record.
"""

from __future__ import annotations

import threading
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.inference import infer
from cnnstudio.core.project import Project, layer_names
from cnnstudio.core.project_file import start_weights_change, start_weights_of
from cnnstudio.core.run_files import path_to_store, stored_path
from cnnstudio.core.run_store import ActiveRun, reserve_run, write_progress
from cnnstudio.core.runs import best_epoch, format_metrics, new_run_id
from cnnstudio.core.training_config import training_config
from cnnstudio.core.training_events import BatchEnd, Event, Finished, PhaseStarted, Started
from cnnstudio.engine.keras_env import import_keras

keras = import_keras()
import tensorflow as tf  # noqa: E402

from cnnstudio.engine.applications import count_weights, unfreeze_top  # noqa: E402
from cnnstudio.engine.builder import build_keras_model, measure_bases  # noqa: E402
from cnnstudio.engine.capture import Capture  # noqa: E402
from cnnstudio.engine.training_callbacks import (  # noqa: E402
    BestWeights, EpochCheckpoints, TrainerEvents, monitor_mode, save_weights_atomic,
)
from cnnstudio.engine.training_data import FitData, fit_data  # noqa: E402
from cnnstudio.engine.training_setup import (  # noqa: E402,F401 - make_*, strategy_for: API
    TrainingError, error_sentence, make_metrics, make_optimizer, strategy_for,
)

PAUSE_POLL_SECONDS = 0.05
EARLY_NAN_STEPS = 3
"""A loss that is NaN this early points at the data or the model, not at a learning rate
that made the weights blow up over many steps."""


def run_folder(project_file: str | Path | None, run_id: str,
               runs: tuple = ()) -> tuple[str, Path]:
    """The run's id and folder, made now: beside the project (`NAME-runs/run-3/`, the id
    taken under the project's lock, see core.run_store), else a temporary folder."""
    if project_file is None:
        import tempfile

        from cnnstudio.core.run_files import TEMP_PREFIX

        return run_id, Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{run_id}-"))
    return reserve_run(project_file, runs)


class Trainer:
    """One training run of a project; see the module docstring for threading."""

    def __init__(self, project: Project, data=None, project_file: str | Path | None = None,
                 on_event: Callable[[Event], None] | None = None,
                 continue_from: dict | None = None, epochs: int | None = None,
                 batch_size: int | None = None,
                 on_batch: Callable[[BatchEnd], None] | None = None,
                 strategy=None) -> None:
        """`on_event` receives every event; `on_batch`, if given, the BatchEnd events
        instead. It is called between two batches while TensorFlow waits, so a
        C-level callable such as a deque's `append` suits it best.

        `strategy`, a tf.distribute strategy, replaces the one the device setting
        chooses, and the run trains with engine.custom_fit's loop instead of
        `model.fit` (a Ray cluster's MultiWorkerMirroredStrategy, which `fit` fails
        under)."""
        self.project = project
        self.data = data
        self.project_file = project_file
        self.on_event = on_event or (lambda event: None)
        self.on_batch = on_batch or self.on_event
        self.continue_from = continue_from
        overrides = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size)) if v}
        self.settings_section = {**project.training, **overrides}
        self.stop_requested = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.holding = threading.Event()
        """Set while paused between two batches: no batch runs until it clears."""
        self.ending: str | None = None
        self.epochs: list[dict] = []
        self.epoch_index = 0
        self.iteration = 0  # the last finished batch, counted as BatchEnd.iteration
        self.total_epochs = 0
        self.model = None
        self.capture: Capture | None = None
        self.best: BestWeights | None = None  # the save-best checkpoint, if on
        self.started_from: dict[str, str] = {}  # imported weights or scratch, for the record
        self.run_id = new_run_id(project.runs)  # until _prepare takes one under the lock
        self.record: dict[str, Any] | None = None
        self.checkpoints: EpochCheckpoints | None = None
        self.active: ActiveRun | None = None
        self.strategy = strategy
        self.loop = None  # a CustomLoop when `strategy` was given

    # control, from any thread -------------------------------------------------
    def stop(self) -> None:
        self.stop_requested.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, events: TrainerEvents) -> None:
        """Block until resumed or stopped. Called once `paused` was seen: the check
        stays with the caller, between batches, where a call costs (see `TrainerEvents`)."""
        start = time.perf_counter()
        self.holding.set()
        try:
            while not self._running.wait(PAUSE_POLL_SECONDS):
                pass
        finally:
            self.holding.clear()
        events.paused_seconds += time.perf_counter() - start

    def emit(self, event: Event) -> None:
        self.on_event(event)

    # the run --------------------------------------------------------------------
    def run(self) -> Finished:
        started_at = datetime.now().isoformat(timespec="seconds")
        clock = time.perf_counter()
        record: dict[str, Any] | None = None
        try:
            self.config = training_config(self.settings_section)
            fit, callbacks, folder = self._prepare()
            record = self.record = self._record(started_at, fit, folder)
            if self.project_file is not None:
                write_progress(folder, record)
                self.checkpoints = EpochCheckpoints(folder)
            with self._on_device():
                self._fit(fit, callbacks, self.first_epoch + self.config.epochs)
                if self.ending is None and self.config.fine_tune.enabled:
                    record["fine_tune"] = self._unfreeze_for_fine_tuning()
                    self._fit(fit, callbacks, self.total_epochs)
            if self.ending is None:
                stopper = next((c for c in callbacks
                                if isinstance(c, keras.callbacks.EarlyStopping)), None)
                planned = self.total_epochs - self.first_epoch
                early = (stopper is not None and stopper.stopped_epoch
                         and len(self.epochs) < planned)  # not on the last epoch
                self.ending = "early_stopping" if early else "completed"
            message = self._message()
            details = ""
        except Exception as error:  # noqa: BLE001 - every failure reaches the user
            self.ending = "error"
            message = error_sentence(error)
            details = traceback.format_exc()
        if self.checkpoints is not None:
            self.checkpoints.close()
        if record is not None:
            record = self._finish_record(record, time.perf_counter() - clock, message)
            if self.checkpoints is not None and self.checkpoints.error:
                record["message"] += (" The epoch checkpoints could not be written, so a "
                                      f"kill would have lost the run: {self.checkpoints.error}")
        else:
            self._discard_folder()
        return self._finished(record, message, details)

    def _discard_folder(self) -> None:
        """A run that failed before it began records nothing: its id and folder are free."""
        folder = getattr(self, "folder", None)
        self.close()
        if folder is not None:
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty, or gone: leave it

    def checkpoint(self) -> None:
        """At an epoch end: hand a copy of the weights and the record to the writer."""
        if self.checkpoints is not None and self.model is not None:
            record = {**self.record, "epochs": self._all_epochs(), "ended": None}
            self.checkpoints.save(self.model.get_weights(), record)

    def close(self) -> None:
        """Let other processes see the run as over: call once it is recorded (or given
        up); until then an unrecorded run is not mistaken for an interrupted one."""
        if self.active is not None:
            self.active.release()
            self.active = None

    def _fit(self, fit: FitData, callbacks: list, until: int) -> None:
        if self.loop is not None:
            self.loop.fit(fit.train, fit.validation, self.epoch_index, until, callbacks,
                          fit.train_samples, self.config.batch_size)
            return
        self.model.fit(fit.train, validation_data=fit.validation,
                       initial_epoch=self.epoch_index, epochs=until, callbacks=callbacks,
                       verbose=0, shuffle=False)  # tf.data shuffles

    def _bases(self) -> list:
        """The pre-trained bases in the model (Application layers), in stack order."""
        names = layer_names(self.project.layers)
        return [self.model.get_layer(name) for spec, name in zip(self.project.layers, names)
                if spec.layer_type.opaque]

    def _unfreeze_for_fine_tuning(self) -> dict[str, Any]:
        """The second phase: the top layers of each base learn, at the lower rate.

        As in Keras's transfer-learning guide: set `trainable`, then compile again (the
        optimizer starts afresh) so the change takes effect."""
        tune = self.config.fine_tune
        for base in self._bases():
            unfreeze_top(base, tune.unfreeze_top)
        with self.strategy_in_use.scope():
            self._compile(make_optimizer(self.config, tune.learning_rate))
        trainable = count_weights(self.model.trainable_weights)
        self.emit(PhaseStarted(self.epoch_index, self.epoch_index * self.fit.steps_per_epoch,
                               f"Fine-tuning: the top {tune.unfreeze_top} layers of the base "
                               f"learn at rate {tune.learning_rate:g} ({trainable:,} "
                               "trainable weights)."))
        return {"from_epoch": self.epoch_index, "unfreeze_top": tune.unfreeze_top,
                "learning_rate": tune.learning_rate, "trainable_params": trainable}

    def _finished(self, record, message: str, details: str) -> Finished:
        event = Finished(record, self.ending or "error", message, details)
        self.emit(event)
        return event

    def _prepare(self):
        from cnnstudio.engine.data import load_data

        measure_bases(self.project)  # a pre-trained base's figures, if not known yet
        report = infer(self.project, known_figures()).raise_if_invalid(TrainingError)
        data_config = dataset_config(self.project.dataset)
        if self.data is None:
            self.data = load_data(data_config, self.project_file)
        keras.utils.set_random_seed(self.config.seed)
        if self.strategy is None:
            strategy, replicas, self.device = strategy_for(self.config.device)
        else:
            strategy, replicas, self.device = (self.strategy,
                                               self.strategy.num_replicas_in_sync, None)
        self.strategy_in_use = strategy
        self.replicas = replicas
        fit = fit_data(self.project, report.output_shape, self.data, data_config, self.config,
                       replicas)
        self.fit = fit
        with strategy.scope(), self._on_device():
            self.model = build_keras_model(self.project, self.project_file)
            self.first_epoch = 0
            if self.continue_from is not None:
                self._load_weights(self.continue_from)
                self.first_epoch = len(self.continue_from.get("epochs", []))
            else:
                self._load_start_weights()
            self._compile(make_optimizer(self.config))
        self.epoch_index = self.first_epoch
        tune = self.config.fine_tune
        if tune.enabled and not self._bases():
            raise TrainingError("Fine-tuning unfreezes a pre-trained base, and the model has "
                                "none: add an Application layer, or turn fine-tuning off.")
        self.total_epochs = (self.first_epoch + self.config.epochs
                             + (tune.epochs if tune.enabled else 0))
        self.run_id, folder = run_folder(self.project_file, self.run_id, self.project.runs)
        self.folder = folder
        if self.project_file is not None:
            self.active = ActiveRun(folder)
        first_iteration = self.first_epoch * fit.steps_per_epoch
        # Capture runs before the events callback, so an epoch's reported seconds
        # include what capturing cost.
        self.capture = self._capture(fit) if self.config.capture else None
        callbacks: list = [self.capture] if self.capture is not None else []
        callbacks.append(TrainerEvents(self, fit, first_iteration))
        callbacks += self._keras_callbacks(fit, folder)
        self.emit(Started(self.total_epochs, self.first_epoch, fit.steps_per_epoch,
                          fit.train_samples, fit.validation_samples, self.config.batch_size,
                          tuple(["loss", *self.config.metrics])))
        return fit, callbacks, folder

    def _compile(self, optimizer) -> None:
        """Compile (the callbacks read the optimizer from the model); with a strategy of
        the caller's, a loop of our own that traces this optimizer's step."""
        from cnnstudio.engine.custom_fit import CustomLoop

        self.model.compile(optimizer=optimizer, loss=self.fit.loss,
                           metrics=make_metrics(self.config.metrics, self.fit.loss))
        if self.strategy is not None:
            self.loop = CustomLoop(self.model, self.strategy, self.fit.loss,
                                   self.config.metrics)

    def _on_device(self):
        """Pin a single-replica run to its device (a MirroredStrategy places itself)."""
        import contextlib

        device = getattr(self, "device", None)
        return tf.device(device) if device else contextlib.nullcontext()

    def _capture(self, fit: FitData) -> Capture:
        """Probe image and gradient batch from the validation part (not augmented), else
        from the training part."""
        images, labels = next(iter(fit.validation if fit.validation is not None else fit.train))
        return Capture(images[:1].numpy(), (images[:32], labels[:32]), fit.loss)

    def _monitor(self, name: str, fit: FitData) -> str:
        """A val_ monitor falls back to its training value when there is no validation part."""
        return name if fit.validation is not None else name.removeprefix("val_")

    def _keras_callbacks(self, fit: FitData, folder: Path) -> list:
        config, callbacks = self.config, []
        if config.early_stopping.enabled:
            stop = config.early_stopping
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor=self._monitor(stop.monitor, fit), patience=stop.patience,
                mode=monitor_mode(stop.monitor),
                restore_best_weights=stop.restore_best_weights))
        if config.reduce_lr.enabled:
            reduce = config.reduce_lr
            callbacks.append(keras.callbacks.ReduceLROnPlateau(
                monitor=self._monitor(reduce.monitor, fit), factor=reduce.factor,
                mode=monitor_mode(reduce.monitor),
                patience=reduce.patience, min_lr=reduce.min_lr))
        self.best = None
        if config.save_best:
            self.best = BestWeights(folder / "best.weights.h5",
                                     self._monitor(config.early_stopping.monitor, fit))
            callbacks.append(self.best)
        if config.tensorboard_dir:
            try:
                import tensorboard  # noqa: F401 - tf.summary needs it, TensorFlow lacks it
            except ImportError:
                raise TrainingError("TensorBoard logs need the tensorboard package: run "
                                    "pip install tensorboard, or clear the TensorBoard logs "
                                    "setting.") from None
            log_dir = Path(config.tensorboard_dir).expanduser()
            if not log_dir.is_absolute() and self.project_file is not None:
                log_dir = Path(self.project_file).resolve().parent / log_dir
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir / self.run_id)))
        return callbacks

    def _load_weights(self, run: dict) -> None:
        path = self._stored_path(run.get("weights"))
        if path is None or not path.is_file():
            raise TrainingError(f"{run.get('id', 'the run')} has no saved weights to continue "
                                f"from (looked for {path}); train a new run instead.")
        from cnnstudio.engine.run_model import load_weights

        try:
            load_weights(self.model, path)
        except ValueError as error:
            raise TrainingError(f"The weights of {run.get('id')} do not fit the model as it is "
                                f"now ({error_sentence(error)}); the layers changed since that "
                                "run, so start a new run.") from None

    def _load_start_weights(self) -> None:
        """A new run of an imported model starts from the imported weights (the project's
        `start_weights`) while its layers are the imported ones; once they changed, or the
        file is gone, from scratch. The run record says which, and why."""
        entry = start_weights_of(self.project)
        if entry is None:
            return
        path = self._stored_path(entry["path"])
        change = start_weights_change(self.project, entry)
        if change is None and (path is None or not path.is_file()):
            change = f"the imported weights file {path} is missing (moved or deleted?)"
        if change is not None:
            self.started_from = {"started_from": "scratch", "start_note": f"Trained from "
                                 f"scratch, not from the imported weights: {change}."}
            return
        try:
            self.model.load_weights(str(path))
        except (ValueError, OSError) as error:
            raise TrainingError(f"The imported weights in {path} cannot be read "
                                f"({error_sentence(error)}); import the model again.") from None
        self.started_from = {"started_from": "imported weights",
                             "start_weights": self._relative(path)}

    def _stored_path(self, text: str | None) -> Path | None:
        return stored_path(text, self.project_file)

    def _relative(self, path: Path | None) -> str | None:
        return path_to_store(path, self.project_file)

    # the record -----------------------------------------------------------------
    def _record(self, started_at: str, fit: FitData, folder: Path) -> dict[str, Any]:
        names = layer_names(self.project.layers)
        layers = [{**spec.to_dict(ui=False), "name": name} for spec, name in
                  zip(self.project.layers, names)]
        return {
            "id": self.run_id, "started": started_at, "seconds": 0.0, "ended": None,
            "message": "", "settings": self.config.to_dict() | {"loss": fit.loss},
            "dataset": dict(self.project.dataset),
            "input": {"shape": list(self.project.input_shape)}, "layers": layers,
            "epochs": self.epochs, "epochs_planned": self.config.epochs,
            "iterations_per_epoch": fit.steps_per_epoch, "train_samples": fit.train_samples,
            "validation_samples": fit.validation_samples, "device": self.config.device,
            "replicas": self.replicas,
            "continued_from": self.continue_from.get("id") if self.continue_from else None,
            **self.started_from,
        }

    def _finish_record(self, record: dict, seconds: float, message: str) -> dict:
        record["seconds"] = round(seconds, 3)
        record["ended"] = self.ending
        record["message"] = message
        record["epochs"] = self._all_epochs()
        monitor = "val_loss" if self.fit.validation is not None else "loss"
        record["monitor"] = monitor
        record["best_epoch"] = best_epoch(record["epochs"], monitor)
        weights = self.folder / "last.weights.h5"
        try:
            if self.model is not None and self.epochs:
                save_weights_atomic(self.model, weights)
                record["weights"] = self._relative(weights)
        except Exception as error:  # noqa: BLE001 - a full disk must not lose the record
            record["message"] += f" The weights could not be saved: {error_sentence(error)}"
        try:
            record["best_weights"] = self._relative(self.best.write() if self.best else None)
        except Exception as error:  # noqa: BLE001 - as for the last weights
            record["best_weights"] = None
            record["message"] += f" The best weights could not be saved: {error_sentence(error)}"
        if self.capture is not None and self.epochs and self.epochs[-1].get("partial"):
            self.capture.drop_last_epoch()
        if self.capture is not None and self.capture.weight_change:
            record["dynamics"] = self.capture.summary()
            try:
                record["probe"] = self._relative(
                    self.capture.save_outputs(self.folder / "probe.npz"))
            except Exception as error:  # noqa: BLE001 - as for the weights
                record["message"] += (" The layer outputs could not be saved: "
                                      f"{error_sentence(error)}")
        return record

    def _all_epochs(self) -> list[dict]:
        """The run's epochs, a continued run's earlier ones first."""
        earlier = self.continue_from.get("epochs", []) if self.continue_from else []
        return list(earlier) + self.epochs

    def _message(self) -> str:
        done = len(self.epochs)
        last = self.epochs[-1] if self.epochs else {}
        summary = format_metrics(last, ("loss", "accuracy", "val_loss", "val_accuracy"))
        if self.ending == "nan":
            epoch, step = self.nan_at
            if epoch == self.first_epoch + 1 and step <= EARLY_NAN_STEPS:
                return (f"The loss was NaN or infinite from iteration {step} of the first "
                        "epoch, before training could go wrong: the data may hold NaN or "
                        "infinite values, the labels may not fit the loss, or the model may "
                        "compute an invalid value. Check the data and the output layer "
                        f"first; if they are right, lower the learning rate (now "
                        f"{self.config.learning_rate:g}).")
            return (f"The loss became NaN or infinite in epoch {epoch}, iteration {step}: "
                    f"the weights blew up. Lower the learning rate (now "
                    f"{self.config.learning_rate:g}), e.g. by 10x, and train again.")
        if self.ending == "stopped":
            return f"Stopped after {done} epoch{'s' * (done != 1)}" + \
                (f" ({summary})." if summary else ".")
        if self.ending == "early_stopping":
            return (f"Early stopping after {done} epochs: "
                    f"{self.config.early_stopping.monitor} stopped improving ({summary}).")
        return f"Completed {done} epoch{'s' * (done != 1)} ({summary})."
