"""`model.fit`'s loop written out, for the strategies Keras 3's `fit` cannot run under.

Under `MultiWorkerMirroredStrategy` (a Ray cluster, engine.ray_train) Keras 3's
`fit` fails ("Attempt to convert a value (PerReplica ...) to a Tensor",
keras-team/keras#20585), while a training step of our own works: the step runs in
every replica with `strategy.run`, averages the loss over the global batch and lets
the optimizer sum the gradients across replicas. Everything around the step is
what `fit` does, so the Trainer's callbacks (its events with Stop and Pause, early
stopping, the learning-rate schedule, best weights, capture) run unchanged:

- logs carry Keras's names (`loss`, `accuracy`, `val_loss`, ...) with Keras's values,
  running means over the epoch's batches. The metrics are computed from every
  replica's predictions, gathered, so each worker holds the same logs and makes
  the same early-stopping and learning-rate decisions;
- `model.stop_training` set on any worker stops every worker after the same batch:
  each step carries every worker's stop flag, as the replicas must stay in step.
"""

from __future__ import annotations

from typing import Any, Callable

from cnnstudio.engine.keras_env import import_keras
from cnnstudio.export_runtime.rules import LOSS_FOR_LABELS

keras = import_keras()
import tensorflow as tf  # noqa: E402

from cnnstudio.engine.training_setup import make_metrics  # noqa: E402

_ACCURACY_FOR_LOSS = {LOSS_FOR_LABELS["sparse"]: "SparseCategoricalAccuracy",
                      LOSS_FOR_LABELS["one_hot"]: "CategoricalAccuracy",
                      LOSS_FOR_LABELS["binary"]: "BinaryAccuracy"}


def loop_metrics(names: tuple[str, ...], loss: str) -> list:
    """The compiled metrics as objects: Keras resolves the name 'accuracy' from the
    labels inside `compile`, which the loop does not call, so the loss decides here."""
    metrics = []
    for metric in make_metrics(names, loss):
        if isinstance(metric, str):
            metric = getattr(keras.metrics, _ACCURACY_FOR_LOSS.get(loss, "Accuracy"))(
                name=metric)
        metrics.append(metric)
    return metrics


def distributable(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Shard by batch element: the arrays are one in-memory dataset, not files."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


class CustomLoop:
    """Trains a model with `strategy`; see the module docstring.

    `model` and its optimizer must have been made in `strategy.scope()`; `loss` is a
    Keras loss name and `metrics` the project's metric names.
    """

    def __init__(self, model, strategy, loss: str, metrics: tuple[str, ...]) -> None:
        self.model = model
        self.strategy = strategy
        self.loss_fn = keras.losses.get(loss)
        self.metrics = loop_metrics(metrics, loss)
        self.sparse_labels = loss == LOSS_FOR_LABELS["sparse"]
        self.loss_sum = 0.0
        self.loss_count = 0
        self.shared = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        """Several workers, each running this loop: decisions must be agreed."""
        self._train_step = tf.function(self._distributed(self._train_replica),
                                       reduce_retracing=True)
        self._test_step = tf.function(self._distributed(self._test_replica),
                                      reduce_retracing=True)

    # the steps ----------------------------------------------------------------
    def _distributed(self, replica_fn: Callable) -> Callable:
        """One step: the replicas' work, then one all-gather of every row they made (a
        collective costs milliseconds between processes, so each step pays one)."""
        strategy = self.strategy

        def step(batch, stop, global_batch):
            rows = strategy.run(replica_fn, args=(*batch, stop, global_batch))
            return strategy.gather(rows, axis=0)
        return step

    @staticmethod
    def _rows(per_example, predictions, y, stop):
        """Per example: its loss, the predictions, the label(s) and the replica's stop flag."""
        count = tf.shape(per_example)[0]
        labels = tf.reshape(tf.cast(y, tf.float32), [count, -1])
        flags = tf.fill([count, 1], stop)
        return tf.concat([per_example[:, None], tf.cast(predictions, tf.float32), labels,
                          flags], axis=1)

    def _train_replica(self, x, y, stop, global_batch):
        model = self.model
        with tf.GradientTape() as tape:
            predictions = model(x, training=True)
            per_example = self.loss_fn(y, predictions)
            # tf.nn.compute_average_loss over the global batch, whose size the host passes
            # (the last batch is short): the optimizer sums the replicas' gradients
            loss = tf.reduce_sum(per_example) / global_batch
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return self._rows(per_example, predictions, y, stop)

    def _test_replica(self, x, y, stop, global_batch):
        predictions = self.model(x, training=False)
        return self._rows(self.loss_fn(y, predictions), predictions, y, stop)

    # the epoch ----------------------------------------------------------------
    def _reset(self) -> None:
        self.loss_sum, self.loss_count = 0.0, 0
        for metric in self.metrics:
            metric.reset_state()

    def _update(self, rows) -> bool:
        """Add a step's rows to the running logs; whether any replica asked to stop.

        Keras's `loss` log is the mean over the epoch's examples of each batch's loss,
        regularization included, as `fit` weights its batch means by batch size."""
        rows = rows.numpy()
        count = len(rows)
        if count == 0:
            return False
        width = self.model.outputs[0].shape[-1]
        losses, predictions = rows[:, 0], rows[:, 1:1 + width]
        labels = rows[:, 1 + width:-1]
        if self.sparse_labels:
            labels = labels[:, 0].astype("int64")
        regularization = sum(float(v) for v in self.model.losses) if self.model.losses else 0.0
        self.loss_sum += (float(losses.mean()) + regularization) * count
        self.loss_count += count
        for metric in self.metrics:
            metric.update_state(labels, predictions)
        return bool(rows[:, -1].max() > 0)

    def _logs(self, prefix: str = "") -> dict[str, float]:
        logs = {f"{prefix}loss": self.loss_sum / max(self.loss_count, 1)}
        for metric in self.metrics:
            logs[f"{prefix}{metric.name}"] = float(metric.result())
        return logs

    def _stop_flag(self) -> tf.Tensor:
        return tf.constant(1.0 if self.model.stop_training else 0.0)

    def evaluate(self, dataset) -> dict[str, float]:
        """The validation logs over the whole dataset (`val_` names)."""
        self._reset()
        no_stop, unused = tf.constant(0.0), tf.constant(1.0)
        for batch in self.strategy.experimental_distribute_dataset(distributable(dataset)):
            self._update(self._test_step(batch, no_stop, unused))
        return self._logs("val_")

    def _agreed(self, flag: bool) -> bool:
        """Whether any worker's flag is set, asked of every worker at the same point."""
        if not self.shared:
            return flag
        return float(self._sum_flags(tf.constant(1.0 if flag else 0.0))) > 0

    @tf.function
    def _sum_flags(self, flag):
        return self.strategy.reduce("SUM", self.strategy.run(tf.identity, args=(flag,)),
                                    axis=None)

    def fit(self, train, validation, initial_epoch: int, epochs: int, callbacks: list,
            samples: int, batch_size: int) -> None:
        """As `model.fit(train, validation_data=validation, initial_epoch=..., epochs=...,
        callbacks=...)`: the callbacks see the same calls, in the same order."""
        model = self.model
        hooks = keras.callbacks.CallbackList(callbacks, model=model)
        model.stop_training = False
        distributed = self.strategy.experimental_distribute_dataset(distributable(train))
        hooks.on_train_begin()
        logs: dict[str, Any] = {}
        for epoch in range(initial_epoch, epochs):
            self._reset()
            hooks.on_epoch_begin(epoch)
            for step, batch in enumerate(distributed):
                hooks.on_train_batch_begin(step)
                size = min(batch_size, samples - step * batch_size)
                stop = self._update(self._train_step(batch, self._stop_flag(),
                                                     tf.constant(float(size))))
                logs = self._logs()
                hooks.on_train_batch_end(step, logs)
                # A stop asked for on one worker reaches the others with the next step's
                # rows, so all of them leave after the same batch.
                if stop or (model.stop_training and not self.shared):
                    break
            if validation is not None:
                logs = {**logs, **self.evaluate(validation)}
            hooks.on_epoch_end(epoch, logs)
            if self._agreed(bool(model.stop_training)):
                model.stop_training = True
                break
        hooks.on_train_end(logs)
