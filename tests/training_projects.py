"""Tiny projects that train in about a second, for Trainer, CLI and Train page tests."""

from __future__ import annotations

from cnnstudio.core import LayerSpec, Project


def tiny_project(count: int = 120, epochs: int = 2, **training) -> Project:
    """A 12x12 grey Shapes set and a one-convolution classifier: about 0.5 s per epoch."""
    return Project(
        name="tiny", input_shape=(12, 12, 1),
        layers=(LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
                LayerSpec("Flatten"),
                LayerSpec("Dense", {"units": 6, "activation": "softmax"})),
        dataset={"source": "shapes", "count": count, "image_size": [12, 12]},
        training={"epochs": epochs, "batch_size": 16, **training})


def exploding_project(**training) -> Project:
    """A linear output with squared error and a learning rate of 100: the loss overflows."""
    project = tiny_project(**training)
    layers = (*project.layers[:-1], LayerSpec("Dense", {"units": 6}))
    return Project(name="explodes", input_shape=project.input_shape, layers=layers,
                   dataset=project.dataset,
                   training={**project.training, "optimizer": "sgd", "learning_rate": 100.0,
                             "loss": "mean_squared_error"})
