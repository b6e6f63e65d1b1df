"""TensorFlow's start-up chatter stays off the terminal; real errors do not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cnnstudio.engine.keras_env import quiet_stderr


def test_known_chatter_is_dropped_and_anything_else_is_kept(capfd):
    with quiet_stderr():
        for line in (
                "WARNING: All log messages before absl::InitializeLog() is called are written "
                "to STDERR",
                "I0000 00:00:1796322830.541267   32327 port.cc:153] oneDNN custom operations "
                "are on.",
                "E0000 00:00:1796323852.961859    7111 cuda_platform.cc:52] failed call to "
                "cuInit: INTERNAL: CUDA error",
                "E0000 00:00:1796323852.961859    7111 op_kernel.cc:1830] a real failure",
                "Traceback (most recent call last): something broke"):
            os.write(2, (line + "\n").encode())
    err = capfd.readouterr().err
    assert err.splitlines() == [
        "E0000 00:00:1796323852.961859    7111 op_kernel.cc:1830] a real failure",
        "Traceback (most recent call last): something broke"]


@pytest.mark.slow  # a fresh interpreter imports TensorFlow
def test_importing_keras_prints_nothing_on_a_fresh_start():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    code = ("from cnnstudio.engine.keras_env import import_keras; keras = import_keras(); "
            "keras.ops.ones((2,)); print('ready')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "ready"
    assert done.stderr == "", done.stderr
