"""Training one project data-parallel on a Ray cluster (`cnnstudio train --ray`).

Ray Train's `TensorflowTrainer` starts the workers and sets `TF_CONFIG` for
`MultiWorkerMirroredStrategy`; each worker runs the same Trainer as a local run,
with the strategy handed in, so it trains with engine.custom_fit's step (Keras 3's
`fit` fails under that strategy). The global batch is the project's batch size.

The data travels once, through Ray's object store, when it is arrays (Shapes,
Keras's cache, .npz); a folder of images travels as its file list, so every
worker must see the folder at the same path (a shared file system).

The chief (rank 0) forwards its events to the launcher through a Relay as they
come, and at the end its record and files (weights, best weights, layer outputs);
the launcher writes those into the project's run folder, so the run is recorded
as a local one, with the cluster's description added.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from cnnstudio.core.project import Project
from cnnstudio.core.training_events import EpochEnd, Event, Finished, PhaseStarted, Started
from cnnstudio.engine.ray_cluster import (
    connect, import_ray, new_relay, place_run, relay_while, run_files, watch_stop,
)

FORWARDED = (Started, EpochEnd, PhaseStarted)
"""What reaches the launcher: a batch's event stays on the worker (thousands a minute)."""


def _worker_loop(config: dict[str, Any]) -> None:
    """One Ray Train worker: the strategy first (TensorFlow must not have run yet), then
    the Trainer; the chief reports, and a failure anywhere fails the whole group."""
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import ray
    from ray import train

    from cnnstudio.engine.trainer import Trainer

    chief = train.get_context().get_world_rank() == 0
    relay = config["relay"]

    def forward(event: Event) -> None:
        if chief and isinstance(event, FORWARDED):
            relay.put.remote(("event", event))

    trainer = Trainer(config["project"], data=ray.get(config["data"][0]),
                      on_event=forward, on_batch=lambda event: None, strategy=strategy,
                      epochs=config["epochs"], batch_size=config["batch_size"])
    watching = watch_stop(relay, trainer.stop)
    try:
        finished = trainer.run()
    finally:
        watching.set()
    folder = getattr(trainer, "folder", None)
    if chief:
        ray.get(relay.put.remote(("finished", finished.run, run_files(finished.run),
                                  finished.reason,
                                  finished.message, finished.details)))
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    if finished.reason == "error":
        # the other workers wait for this one in every step: end the group
        raise RuntimeError(finished.message)


class ClusterRun:
    """One run on a cluster; `run()` blocks, `stop()` may be called from any thread or
    a signal handler. Like the Trainer, `run()` returns a Finished event, never raises
    once the cluster is reached, and the caller records `finished.run`."""

    def __init__(self, project: Project, project_file: str | Path | None, address: str,
                 workers: int, gpus_per_worker: float = 0,
                 on_event: Callable[[Event], None] | None = None,
                 epochs: int | None = None, batch_size: int | None = None) -> None:
        self.project = project
        self.project_file = project_file
        self.address = address
        self.workers = workers
        self.gpus_per_worker = gpus_per_worker
        self.on_event = on_event or (lambda event: None)
        self.epochs = epochs
        self.batch_size = batch_size
        self.total_epochs = epochs or 0
        self.stop_requested = threading.Event()
        self.cluster = None

    def stop(self) -> None:
        self.stop_requested.set()

    def close(self) -> None:
        """As the Trainer's; nothing is held, as the run's folder is made when it ends."""

    def run(self) -> Finished:
        """Connect (a ClusterError if that fails), train, and return the chief's result."""
        from cnnstudio.core.dataset_config import dataset_config
        from cnnstudio.engine.data import load_data

        data = load_data(dataset_config(self.project.dataset), self.project_file)
        self.cluster = connect(self.address, cpus=self.workers)
        try:
            return self._train(data)
        finally:
            self.cluster.close()

    def _train(self, data) -> Finished:
        ray = import_ray()
        from ray.train import RunConfig, ScalingConfig
        from ray.train.tensorflow import TensorflowTrainer

        described = self.cluster.describe()
        relay = new_relay()
        storage = tempfile.mkdtemp(prefix="cnnstudio-ray-")
        resources = {"CPU": 1, **({"GPU": self.gpus_per_worker} if self.gpus_per_worker else {})}
        trainer = TensorflowTrainer(
            _worker_loop,
            train_loop_config={"project": replace(self.project, runs=()), "relay": relay,
                               "data": [ray.put(data)], "epochs": self.epochs,
                               "batch_size": self.batch_size},
            scaling_config=ScalingConfig(num_workers=self.workers,
                                         use_gpu=bool(self.gpus_per_worker),
                                         resources_per_worker=resources),
            run_config=RunConfig(storage_path=storage, name="cnnstudio"))
        finished: list[tuple] = []

        def receive(message: tuple) -> None:
            if message[0] == "event":
                self._show(message[1])
            else:
                finished.append(message)
        try:
            error = relay_while(trainer.fit, relay, self.stop_requested, receive)
        finally:
            shutil.rmtree(storage, ignore_errors=True)
        cluster = {**described, "workers": self.workers,
                   "gpus_per_worker": self.gpus_per_worker}
        if not finished:
            sentence = _worker_error(error) if error else "the workers ended without a result"
            details = "".join(traceback.format_exception(error)) if error else ""
            return self._emit(Finished({}, "error", f"Training on the cluster failed: "
                                       f"{sentence}", details))
        return self._recorded(finished[0], cluster)

    def _show(self, event: Event) -> None:
        if isinstance(event, Started):
            self.total_epochs = event.epochs
        self.on_event(event)

    def _emit(self, event: Finished) -> Finished:
        self.on_event(event)
        return event

    def _recorded(self, message: tuple, cluster: dict) -> Finished:
        """The chief's record under a run id of this project, its files in the run's folder."""
        _, record, files, reason, text, details = message
        if not record:
            return self._emit(Finished({}, reason, text, details))
        if self.project_file is not None:
            record = place_run(self.project_file, self.project.runs, record, files)
        record = {**record, "cluster": cluster, "device": "cluster"}
        return self._emit(Finished(record, reason, text, details))


def _worker_error(error: BaseException) -> str:
    """The worker's own sentence from Ray's wrapping of it."""
    text = str(error).strip()
    for line in reversed(text.splitlines()):
        if line.startswith("RuntimeError: "):
            return line.removeprefix("RuntimeError: ")
    first = (text.splitlines() or [type(error).__name__])[0]
    return f"{type(error).__name__}: {first[:300]}"
