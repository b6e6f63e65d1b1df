"""What a Dropout layer does to one image's activations: in training versus at inference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnstudio.engine.keras_env import import_keras
from cnnstudio.engine.layer_outputs import source_names

keras = import_keras()


@dataclass
class DropoutSample:
    layer: str
    previous: str  # the layer whose output it drops from
    rate: float
    inference: np.ndarray  # flattened output at inference (= its input)
    training: list[np.ndarray]  # flattened outputs with dropout on, one per mask
    masks: list[np.ndarray] = field(default_factory=list)  # flattened: True where kept

    @property
    def scale(self) -> float:
        return 1.0 / (1.0 - self.rate)


def dropout_sample(model, image: np.ndarray, layer_name: str, masks: int = 3,
                   seed: int = 0) -> DropoutSample:
    """The layer's input for `image`, then the layer applied with training on `masks` times."""
    layer = model.get_layer(layer_name)
    previous = source_names(layer)[0]
    upto = keras.Model(model.input, layer.input)
    x = upto(image[None].astype(np.float32), training=False)
    keras.utils.set_random_seed(seed)
    inference = np.asarray(layer(x, training=False))[0].ravel()
    # the mask itself, from ones: a value that was zero already (a ReLU's) is not "dropped"
    ones = keras.ops.ones_like(x)
    drawn = [np.asarray(layer(ones, training=True))[0].ravel() for _ in range(masks)]
    kept = [scaled != 0 for scaled in drawn]
    training = [inference * scaled for scaled in drawn]
    return DropoutSample(layer.name, previous, float(layer.rate), inference, training, kept)
