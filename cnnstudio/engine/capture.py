"""What each layer does during training, captured at every epoch end.

For one fixed probe image, every layer's output (so the user can scrub through
epochs and watch a Flatten output change because the layers before it learn);
for every layer with weights, the relative weight change over the epoch
(norm of the change over norm of the weights) and the gradient norm on a fixed
batch. Frozen layers show exactly zero; layers before Flatten show non-zero
change: backpropagation reaches them.

The cost is one forward pass of one image, one gradient of one batch and a
copy of the weights per epoch, measured under 5% of training throughput by
tests/benchmarks/bench_capture.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.layer_outputs import outputs_function, shown_layers
from cnnstudio.engine.probe_file import save_outputs

keras = import_keras()
import tensorflow as tf  # noqa: E402


def _norm(arrays: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays)))


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
        self.probe_outputs = outputs_function(self.model)
        self.previous = self._weights()
        self._squares = None  # traced again: a second phase may have unfrozen layers
        self._has_trainable = any(layer.trainable_variables for layer in self.weighted)
        if not self.outputs:  # the first fit of the run; fine-tuning fits again
            self._record_outputs(0)

    def _weights(self) -> list[list[np.ndarray]]:
        return [[np.array(w) for w in layer.get_weights()] for layer in self.weighted]

    def _record_outputs(self, epoch: int) -> None:
        self.outputs.append({name: value.astype(np.float16)
                             for name, value in self.probe_outputs(self.probe).items()})
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        current = self._weights()
        changes = []
        for before, after in zip(self.previous, current):
            change = _norm([a - b for a, b in zip(after, before)])
            base = _norm(before)
            changes.append(change / base if base else change)
        self.weight_change.append(changes)
        self.previous = current
        self.gradient_norm.append(self._gradient_norms())
        self._record_outputs(epoch + 1)

    def _gradient_norms(self) -> list[float]:
        """Per weighted layer, the norm of the loss gradient on the fixed batch (0 if frozen).

        Compiled once with tf.function: eagerly it took 7 to 12 ms per epoch, about 4%
        of an epoch of the Dense baseline.
        """
        variables = [layer.trainable_variables for layer in self.weighted]
        if self._squares is None:
            flat = [v for group in variables for v in group]
            model, loss_fn = self.model, self.loss_fn

            @tf.function
            def squares(images, labels):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(loss_fn(labels, model(images, training=False)))
                grads = tape.gradient(loss, flat)
                return [tf.reduce_sum(tf.square(tf.cast(g, tf.float32))) if g is not None
                        else tf.constant(0.0) for g in grads]

            self._squares = squares
        values = [float(v) for v in self._squares(*self.batch)] if self._has_trainable else []
        norms, start = [], 0
        for group in variables:
            norms.append(float(np.sqrt(sum(values[start:start + len(group)]))))
            start += len(group)
        return norms

    def summary(self) -> dict:
        """The numbers for the run record (small; the outputs go to save_outputs)."""
        return {"layers": self.weighted_names, "epochs": self.epochs[1:],
                "weight_change": [[round(v, 8) for v in row] for row in self.weight_change],
                "gradient_norm": [[round(v, 8) for v in row] for row in self.gradient_norm]}

    def save_outputs(self, path: Path) -> Path:
        return save_outputs(path, self.probe[0], self.epochs, self.outputs)
