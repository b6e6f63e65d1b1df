"""Shape inference speed on ResNet50 as a graph (175 layers, 16 shortcuts), side by side
with Keras building the same model.

Run: make bench   (or .venv/bin/python tests/benchmarks/bench_graph_shapes.py)
Target (issue 16): median inference under 2 ms, and at least 300x faster than Keras
building the same model.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnnstudio.core import infer  # noqa: E402
from tests.benchmarks.bench_shapes import compare_with_keras  # noqa: E402


def resnet50_project():
    """ResNet50 (random weights, no top, average pooling) imported as CNN Studio imports
    any Keras model file."""
    from cnnstudio.engine.builder import keras
    from cnnstudio.engine.model_import import import_model

    model = keras.applications.ResNet50(include_top=False, weights=None, pooling="avg",
                                        input_shape=(224, 224, 3))
    folder = Path(tempfile.mkdtemp(prefix="cnnstudio-bench-"))
    model.save(folder / "resnet50.keras")
    return import_model(folder / "resnet50.keras", folder / "resnet50.cnnstudio.json").project


def main() -> None:
    project = resnet50_project()
    report = infer(project)
    merges = sum(1 for r in report.layers if len(r.inputs) > 1)
    assert report.valid and len(report.layers) == 175, (report.valid, len(report.layers))
    compare_with_keras(project, f"ResNet50 ({len(report.layers)} layers, {merges} merges)")


if __name__ == "__main__":
    main()
