"""Training throughput: 2 Ray workers against one process, on this machine.

The same project (the MNIST CNN template on 3,000 Shapes images, batch 64, 4
epochs) trains with the Trainer in this process, then with the cluster's loop
(engine.custom_fit) in this process, then with
`--ray local --workers 2` (engine.ray_train). Throughput is training images a
second over epochs 2 to 4 (the first one traces the step); the wall time of the
cluster run includes starting Ray and its workers. On 2 cores a speed-up is not
expected: the figure is the cost of the distributed step, the gradient
all-reduce and the gathered metrics. Needs the ray extra.

Run: .venv/bin/python tests/benchmarks/bench_ray.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dataclasses import replace  # noqa: E402

from cnnstudio.core.templates import get_template  # noqa: E402

EPOCHS = 4


def project():
    base = get_template("mnist_cnn").project
    return replace(base, dataset={"source": "shapes", "count": 3000, "image_size": [28, 28]},
                   training={**base.training, "epochs": EPOCHS, "batch_size": 64,
                             "capture": False, "save_best": False})


def throughput(run: dict) -> float:
    """Training images a second over the epochs after the first."""
    later = run["epochs"][1:]
    return run["train_samples"] * len(later) / sum(e["seconds"] for e in later)


def main() -> None:
    from cnnstudio.engine.ray_train import ClusterRun
    from cnnstudio.engine.trainer import Trainer

    start = time.perf_counter()
    single = Trainer(project()).run()
    single_wall = time.perf_counter() - start
    import tensorflow as tf

    loop = Trainer(project(), strategy=tf.distribute.get_strategy()).run()
    start = time.perf_counter()
    cluster = ClusterRun(project(), None, "local", 2).run()
    cluster_wall = time.perf_counter() - start
    assert single.reason == cluster.reason == "completed", cluster.message
    one, two = throughput(single.run), throughput(cluster.run)
    print(f"one process : {one:7.0f} images/s (epochs 2-{EPOCHS}), run {single_wall:5.1f} s, "
          f"final loss {single.run['epochs'][-1]['loss']:.4f}")
    print(f"the cluster's loop in one process: {throughput(loop.run):7.0f} images/s "
          f"({throughput(loop.run) / one:.2f}x model.fit)")
    print(f"2 Ray workers: {two:7.0f} images/s (epochs 2-{EPOCHS}), run {cluster_wall:5.1f} s "
          f"with Ray's start, final loss {cluster.run['epochs'][-1]['loss']:.4f}")
    seconds = [e["seconds"] for e in cluster.run["epochs"][1:]]
    print(f"ratio {two / one:.2f}x; cluster epoch seconds median "
          f"{statistics.median(seconds):.2f}; machine: {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
