"""Layers as clipboard text: plain JSON, the layers' own project-file form, so other
windows, editors and scripts can read what CNN Studio copies, and anything pasted is
read with the project file's rules (names, parameters, unreadable JSON)."""

from __future__ import annotations

import json
from typing import Sequence

from cnnstudio.core.errors import ProjectError
from cnnstudio.core.project import LayerSpec, layer_from_dict
from cnnstudio.core.project_file import parse_json

EXAMPLE = '[{"type": "Dense", "params": {"units": 10}}]'


def layers_to_text(layers: Sequence[LayerSpec]) -> str:
    return json.dumps([layer.to_dict() for layer in layers], indent=2, ensure_ascii=False)


def layers_from_text(text: str) -> list[LayerSpec]:
    """Layers from clipboard text: one layer object or a list of them. Anything else is a
    ProjectError that says what the clipboard should hold."""
    doc = parse_json(text, lambda problem: ProjectError(
        "", f"the clipboard does not hold layers: it {problem} Copy layers, or JSON such "
            f"as {EXAMPLE}."))
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list) or not doc:
        raise ProjectError("", f"the clipboard does not hold a list of layers (expected JSON "
                               f"such as {EXAMPLE}).")
    return [layer_from_dict(item, f"clipboard[{i}]") for i, item in enumerate(doc)]
