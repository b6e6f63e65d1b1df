"""Layers through the clipboard: what is copied reads back the same, and whatever text a
user pastes becomes layers or one sentence, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from cnnstudio.core import LayerSpec, ProjectError
from cnnstudio.core.clipboard import layers_from_text, layers_to_text

LAYERS = [LayerSpec("Conv2D", {"filters": 8, "kernel_size": 3}, name="first"),
          LayerSpec("Dense", {"units": 4}, trainable=False)]


def test_copied_layers_paste_back_the_same():
    assert layers_from_text(layers_to_text(LAYERS)) == LAYERS


def test_one_layer_object_pastes_as_one_layer():
    assert layers_from_text('{"type": "Flatten"}') == [LayerSpec("Flatten")]


@pytest.mark.parametrize("text, says", [
    ("hello", "is not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("[]", "does not hold a list of layers"),
    ('"Dense"', "does not hold a list of layers"),
    ('[{"type": "Dense", "params": {"units": -3}}]', "clipboard[0]"),
    ('[{"type": "NoSuchLayer"}]', "clipboard[0]"),
])
def test_text_that_is_not_layers_is_one_sentence(text, says):
    with pytest.raises(ProjectError) as refused:
        layers_from_text(text)
    assert says in str(refused.value)


@given(st.text(max_size=200))
def test_any_text_is_layers_or_a_project_error(text):
    try:
        layers = layers_from_text(text)
    except ProjectError:
        return
    assert all(isinstance(layer, LayerSpec) for layer in layers)
