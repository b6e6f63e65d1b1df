"""What a project can be exported as: one declaration per target.

The command line's `--to` choices, the File > Export menu and the exporters of
engine.exports all read this table, so a new target is one entry here plus its
writer (a function of that name in engine.exports).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportTarget:
    key: str  # `cnnstudio export --to KEY`
    writer: str  # the function in cnnstudio.engine.exports that writes it
    menu_text: str
    suffix: str
    file_filter: str


EXPORT_TARGETS = (
    ExportTarget("keras-script", "keras_script", "&Keras Script…", ".py", "Python (*.py)"),
    ExportTarget("pytorch-script", "pytorch_script", "&PyTorch Script…", ".py",
                 "Python (*.py)"),
    ExportTarget("keras-model", "keras_model", "Keras &Model (.keras)…", ".keras",
                 "Keras model (*.keras)"),
    ExportTarget("onnx", "onnx_model", "&ONNX Model…", ".onnx", "ONNX (*.onnx)"),
)
TARGETS = {target.key: target for target in EXPORT_TARGETS}
