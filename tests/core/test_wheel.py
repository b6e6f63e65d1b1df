"""A built wheel works, not just the editable checkout: templates and the exported
script's runtime are in it (issue: `cnnstudio templates` listed nothing from a wheel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # builds a wheel: about 10 s


def test_a_wheel_installs_its_templates_and_script_runtime(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("cnnstudio-*.whl")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
         "-q", "--target", str(target), str(wheel)], capture_output=True, text=True,
        timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = ("import cnnstudio, sys; from pathlib import Path; "
            "assert Path(cnnstudio.__file__).is_relative_to(sys.argv[1]), cnnstudio.__file__; "
            "from cnnstudio.cli import main; sys.exit(main(['templates']))")
    listing = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                             text=True, timeout=60, env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr[-2000:]
    for key in ("mnist_cnn", "lenet5", "alexnet", "vgg_small", "dense_baseline"):
        assert key in listing.stdout
    script = ("from cnnstudio.core.keras_script import keras_script; "
              "from cnnstudio.core.templates import get_template; "
              "print(keras_script(get_template('mnist_cnn').project))")
    exported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=60, env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert "def make_datasets(" in exported.stdout and "def build_model(" in exported.stdout
