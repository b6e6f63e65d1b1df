"""Shape inference speed on ResNet50 as a graph (175 layers, 16 shortcuts), side by side
with Keras building the same model.

Run: make bench   (or .venv/bin/python tests/benchmarks/bench_graph_shapes.py)
Target (issue 16): median inference under 2 ms, and at least 300x faster than Keras
building the same model.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnnstudio.core import infer  # noqa: E402
from tests.benchmarks.bench_shapes import median_seconds  # noqa: E402


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
    from cnnstudio.engine.builder import build_keras_model, keras

    project = resnet50_project()
    report = infer(project)
    merges = sum(1 for r in report.layers if len(r.inputs) > 1)
    assert report.valid and len(report.layers) == 175, (report.valid, len(report.layers))
    for _ in range(50):
        infer(project)  # warm up
    ours = median_seconds(lambda: infer(project), 2000)

    build_keras_model(project)  # warm up TensorFlow's first-use costs

    def build():
        keras.backend.clear_session()
        build_keras_model(project)
    theirs = median_seconds(build, 5)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"shape inference, ResNet50 ({len(report.layers)} layers, {merges} merges): "
          f"median {ours * 1e3:.3f} ms")
    print(f"Keras build of the same model: median {theirs * 1e3:.0f} ms")
    print(f"speed-up: {theirs / ours:.0f}x")


if __name__ == "__main__":
    main()
