"""What each layer does during training, captured at every epoch end.

For one fixed probe image, every layer's output (so the user can scrub through
epochs and watch a Flatten output change because the layers before it learn);
for every layer with weights, the relative weight change over the epoch
(norm of the change over norm of the weights) and the gradient norm on a fixed
batch. Frozen layers show exactly zero; layers before Flatten show non-zero
change: backpropagation reaches them.

The cost is one forward pass of one image, one gradient of one batch and a
copy of the weights per epoch, all in one compiled call (see `_measure`),
measured under 5% of training throughput by tests/benchmarks/bench_capture.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.layer_outputs import named_outputs, outputs_model, shown_layers
from cnnstudio.engine.probe_file import save_outputs

keras = import_keras()
import tensorflow as tf  # noqa: E402


def _group_norms(squares: list[float], sizes: list[int]) -> list[float]:
    """Per layer, the square root of the sum of its variables' sums of squares."""
    norms, start = [], 0
    for size in sizes:
        norms.append(math.sqrt(sum(squares[start:start + size])))
        start += size
    return norms


class Capture(keras.callbacks.Callback):
    """A Keras callback recording layer outputs, weight change and gradient norms.

    `probe` is one input image batch (1, H, W, C) already scaled as training
    sees it; `batch` is (images, labels shaped for the loss).
    """

    def __init__(self, probe: np.ndarray, batch: tuple, loss: str) -> None:
        super().__init__()
        self.probe = probe
        self.batch = batch
        self.loss_fn = keras.losses.get(loss)
        self.outputs: list[dict[str, np.ndarray]] = []  # per epoch (0 = before training)
        self.weight_change: list[list[float]] = []  # per epoch, per weighted layer
        self.gradient_norm: list[list[float]] = []
        self.epochs: list[int] = []

    def on_train_begin(self, logs=None) -> None:
        self.weighted = [layer for layer in shown_layers(self.model) if layer.weights]
        self.weighted_names = [layer.name for layer in self.weighted]
        # traced again at each fit: a second phase (fine-tuning) may have unfrozen layers
        self._measure = self._compile()
        self.previous = [tf.identity(w.value) for w in self._weights]
        outputs = self._measure(self.probe, *self.batch, self.previous)[0]
        if not self.outputs:  # the first fit of the run; fine-tuning fits again
            self._record_outputs(0, outputs)

    def _compile(self):
        """One compiled function for everything an epoch end records.

        One traced call instead of several keeps the epoch end short (the share is
        printed by tests/benchmarks/bench_capture.py). It returns
        the layers' outputs for the probe, each trainable variable's squared
        gradient norm on the fixed batch, each variable's squared change since
        `previous` and squared norm of `previous` (in float64, so a tiny change
        is not lost), and copies of the weights to compare the next epoch with.
        """
        names, inner = outputs_model(self.model)
        self.output_names = names
        weights = self._weights = [w for layer in self.weighted for w in layer.weights]
        trainable = [w for layer in self.weighted for w in layer.trainable_variables]
        self.weight_sizes = [len(layer.weights) for layer in self.weighted]
        self.trainable_sizes = [len(layer.trainable_variables) for layer in self.weighted]
        model, loss_fn = self.model, self.loss_fn

        def wide(value):
            return tf.cast(value, tf.float64)

        @tf.function
        def measure(probe, images, labels, previous):
            outputs = inner(probe, training=False)
            gradients = []
            if trainable:
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(loss_fn(labels, model(images, training=False)))
                gradients = [tf.reduce_sum(tf.square(wide(g))) if g is not None
                             else tf.constant(0.0, tf.float64)
                             for g in tape.gradient(loss, trainable)]
            current = [tf.identity(w.value) for w in weights]
            changes = [tf.reduce_sum(tf.square(wide(now) - wide(before)))
                       for now, before in zip(current, previous)]
            bases = [tf.reduce_sum(tf.square(wide(before))) for before in previous]
            return outputs, gradients, changes, bases, current

        return measure

    def _record_outputs(self, epoch: int, outputs) -> None:
        self.outputs.append({name: value.astype(np.float16) for name, value
                             in named_outputs(self.output_names, outputs).items()})
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        outputs, gradients, changes, bases, self.previous = self._measure(
            self.probe, *self.batch, self.previous)
        change = _group_norms([float(v) for v in changes], self.weight_sizes)
        base = _group_norms([float(v) for v in bases], self.weight_sizes)
        self.weight_change.append([c / b if b else c for c, b in zip(change, base)])
        self.gradient_norm.append(_group_norms([float(v) for v in gradients],
                                               self.trainable_sizes))
        self._record_outputs(epoch + 1, outputs)

    def drop_last_epoch(self) -> None:
        """Forget the last epoch's measures: it was stopped mid-way, so its weight change
        is not an epoch's and would read as a drop in Layer dynamics."""
        for values in (self.weight_change, self.gradient_norm):
            if values:
                values.pop()
        if len(self.epochs) > 1:
            self.epochs.pop()
            self.outputs.pop()

    def summary(self) -> dict:
        """The numbers for the run record (small; the outputs go to save_outputs)."""
        return {"layers": self.weighted_names, "epochs": self.epochs[1:],
                "weight_change": [[round(v, 8) for v in row] for row in self.weight_change],
                "gradient_norm": [[round(v, 8) for v in row] for row in self.gradient_norm]}

    def save_outputs(self, path: Path) -> Path:
        return save_outputs(path, self.probe[0], self.epochs, self.outputs)
