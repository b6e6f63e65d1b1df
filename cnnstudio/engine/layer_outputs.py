"""Every layer's output for an image: what the Feature maps view draws.

Shared by the capture during training (the probe image at each epoch end) and
the Evaluate page (any image the user picks, with a run's final weights), so
both name and order the outputs the same way.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from cnnstudio.engine.keras_env import import_keras

keras = import_keras()
import tensorflow as tf  # noqa: E402


def shown_layers(model) -> list:
    """The layers whose outputs are shown: all but the input."""
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def outputs_function(model) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """A compiled function: a batch of one image -> {layer name: its output for it}.

    Compiled with tf.function because the capture calls it at every epoch end,
    where an eager pass of a deep model costs a noticeable share of the epoch.
    """
    layers = shown_layers(model)
    names = [layer.name for layer in layers]
    # The stack is a chain: call its layers again on a new input rather than read
    # `layer.output`, which for a nested model (a pre-trained base) is its own inner
    # tensor, not the one in this graph. The weights are the same objects.
    x = inputs = keras.Input(shape=tuple(model.input.shape[1:]))
    outputs = []
    for layer in layers:
        x = layer(x)
        outputs.append(x)
    inner = keras.Model(inputs, outputs)
    compiled = tf.function(lambda x: inner(x, training=False))

    def outputs(batch: np.ndarray) -> dict[str, np.ndarray]:
        values = compiled(batch)
        if not isinstance(values, (list, tuple)):
            values = [values]
        return {name: np.asarray(value)[0] for name, value in zip(names, values)}

    return outputs


def layer_outputs(model, image: np.ndarray) -> dict[str, np.ndarray]:
    """One image (H, W, C), scaled as in training -> every layer's output, in model order."""
    batch = np.asarray(image, np.float32)[None]
    return outputs_function(model)(batch)
