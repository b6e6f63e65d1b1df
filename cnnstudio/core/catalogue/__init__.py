"""The layer catalogue: every layer type CNN Studio knows, declared once.

The editor, the shape engine, the Keras builder, the exporters and the README
table all read `LAYER_TYPES`; there is no other list of layer names.
"""

from __future__ import annotations

from cnnstudio.core.catalogue import (
    activation, applications, convolution, core_layers, merging, normalization, pooling,
    preprocessing, regularization, reshaping,
)
from cnnstudio.core.catalogue.spec import Category, LayerType, Resolved, Shape

_ALL = (convolution.LAYERS + pooling.LAYERS + core_layers.LAYERS + regularization.LAYERS
        + normalization.LAYERS + reshaping.LAYERS + merging.LAYERS + activation.LAYERS
        + preprocessing.LAYERS + applications.LAYERS)

LAYER_TYPES: dict[str, LayerType] = {layer.name: layer for layer in _ALL}


def get_layer_type(name: str) -> LayerType | None:
    return LAYER_TYPES.get(name)


def by_category() -> dict[Category, list[LayerType]]:
    """Layer types grouped for the palette, categories in declaration order."""
    groups: dict[Category, list[LayerType]] = {c: [] for c in Category}
    for layer in LAYER_TYPES.values():
        groups[layer.category].append(layer)
    return {c: layers for c, layers in groups.items() if layers}


__all__ = ["LAYER_TYPES", "Category", "LayerType", "Resolved", "Shape", "by_category",
           "get_layer_type"]
