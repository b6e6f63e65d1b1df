"""The export runtime is a real module: it imports, and what the exporter copies of it
is what it holds (the scripts that run it are in test_keras_script_export.py)."""

from __future__ import annotations

import ast

from cnnstudio.core.keras_script import PER_PROJECT, fixed_parts, keras_script, module_source
from cnnstudio.core.templates import get_template


def test_the_runtime_imports_and_its_stand_ins_are_never_copied():
    from cnnstudio.export_runtime import script_parts

    assert callable(script_parts.make_datasets) and callable(script_parts.main)
    assert all(unit.section != PER_PROJECT for unit in fixed_parts())
    script = keras_script(get_template("mnist_cnn").project)
    assert script.count("def build_model(") == 1  # the project's own, not the stand-in
    assert "an exported script builds its project's model" not in script
    assert "def make_datasets(" in script  # copied from the runtime
    copied = ast.get_source_segment(
        module_source("cnnstudio.export_runtime.script_parts"),
        next(node for node in ast.parse(module_source(
            "cnnstudio.export_runtime.script_parts")).body
             if isinstance(node, ast.FunctionDef) and node.name == "make_datasets"))
    assert copied in script  # word for word
