"""Large projects for benchmarks."""

from __future__ import annotations

from cnnstudio.core import LayerSpec, Project


def deep_stack(n_layers: int = 200) -> Project:
    """A VGG-like stack of `n_layers` layers on 64x64x3, ending in a classifier."""
    block = [
        LayerSpec("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same"}),
        LayerSpec("BatchNormalization"),
        LayerSpec("ReLU"),
        LayerSpec("Dropout", {"rate": 0.1}),
    ]
    layers: list[LayerSpec] = []
    pools = 0
    while len(layers) < n_layers - 3:
        layers.extend(block)
        if len(layers) % 48 == 0 and pools < 4:
            layers.append(LayerSpec("MaxPooling2D", {"pool_size": 2}))
            pools += 1
    layers = layers[: n_layers - 3]
    layers += [LayerSpec("Flatten"), LayerSpec("Dense", {"units": 64, "activation": "relu"}),
               LayerSpec("Dense", {"units": 10, "activation": "softmax"})]
    return Project((64, 64, 3), tuple(layers), name=f"Deep {n_layers}")
