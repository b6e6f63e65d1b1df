"""The MNIST CNN template learns the built-in Shapes data headless, as the README says.

Run: .venv/bin/python tests/benchmarks/bench_template_accuracy.py  (part of make bench)
Target: validation accuracy of at least 0.55 after the default 5 epochs (the README
gives 67%; the floor leaves room for the host). It trains for half a minute, so it
is a benchmark, not a test in `make test`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOOR = 0.55


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mnist.cnnstudio.json"
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        run = [sys.executable, "-m", "cnnstudio"]
        subprocess.run([*run, "new", "--template", "mnist_cnn", str(path)], check=True,
                       cwd=ROOT, env=env, capture_output=True)
        result = subprocess.run([*run, "train", str(path), "--json"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            print(result.stderr[-2000:])
            return 1
        final = json.loads(result.stdout.splitlines()[-1])
    accuracy = final["val_accuracy"]
    verdict = "PASS" if final["epochs"] == 5 and accuracy >= FLOOR else "FAIL"
    print(f"MNIST CNN template on Shapes: {final['epochs']} epochs, validation accuracy "
          f"{accuracy:.3f} (floor {FLOOR}), {final['seconds']:.1f} s  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
