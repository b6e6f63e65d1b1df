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


def outputs_model(model) -> tuple[list[str], object]:
    """The shown layers' names, and a Keras model giving each one's output for an input.

    Each layer's output is the tensor of its call in this model: its last call node,
    since a nested model (a pre-trained base) also has the node of its own inner graph,
    whose output is not the one here. Operations between layers (a base's input
    preprocessing) stay in the graph; the weights are the same objects.
    """
    layers = shown_layers(model)
    outputs = [layer._inbound_nodes[-1].output_tensors[0] for layer in layers]
    return [layer.name for layer in layers], keras.Model(model.inputs, outputs)


def source_names(layer) -> list[str]:
    """The names of the layers (or the input) whose outputs a layer of a functional model
    takes, in order. Keras keeps them on the layer's call node (its last: a nested model
    has its own inner one first; CNN Studio models call each layer once)."""
    node = layer._inbound_nodes[-1]
    return [tensor._keras_history.operation.name for tensor in node.input_tensors]


def outputs_function(model) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """A compiled function: a batch of one image -> {layer name: its output for it}."""
    names, inner = outputs_model(model)
    compiled = tf.function(lambda x: inner(x, training=False))

    def outputs(batch: np.ndarray) -> dict[str, np.ndarray]:
        return named_outputs(names, compiled(batch))

    return outputs


def named_outputs(names: list[str], values) -> dict[str, np.ndarray]:
    """{layer name: its output for the first image} from what the outputs model returned."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    return {name: np.asarray(value)[0] for name, value in zip(names, values)}


def layer_outputs(model, image: np.ndarray) -> dict[str, np.ndarray]:
    """One image (H, W, C), scaled as in training -> every layer's output, in model order."""
    batch = np.asarray(image, np.float32)[None]
    return outputs_function(model)(batch)
