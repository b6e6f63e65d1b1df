"""Shape inference speed on a 200-layer stack, side by side with building it in Keras.

Run: make bench   (or .venv/bin/python tests/benchmarks/bench_shapes.py)
Target (issue 2): median inference well under 2 ms, and at least 200x faster
than Keras building the same stack.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnnstudio.core import infer  # noqa: E402
from tests.benchmarks.stacks import deep_stack  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare_with_keras(project, label: str) -> None:
    """Print the median inference time of `project`, Keras's build time of the same model
    and the speed-up."""
    for _ in range(50):
        infer(project)  # warm up
    ours = median_seconds(lambda: infer(project), 2000)

    from cnnstudio.engine.builder import build_keras_model, keras

    build_keras_model(project)  # warm up TensorFlow's first-use costs

    def build():
        keras.backend.clear_session()
        build_keras_model(project)
    theirs = median_seconds(build, 5)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"shape inference, {label}: median {ours * 1e3:.3f} ms")
    print(f"Keras build of the same model: median {theirs * 1e3:.0f} ms")
    print(f"speed-up: {theirs / ours:.0f}x")


def main() -> None:
    project = deep_stack(200)
    report = infer(project)
    assert report.valid and len(report.layers) == 200
    compare_with_keras(project, "200 layers")


if __name__ == "__main__":
    main()
