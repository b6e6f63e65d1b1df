"""The core and the package top level load without TensorFlow or Qt (DESIGN.md 1)."""

import subprocess
import sys

import pytest

CHECK = ("import sys, {module}; heavy = [m for m in ('tensorflow', 'keras', 'PySide6') "
         "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")


@pytest.mark.parametrize("module", ["cnnstudio.core", "cnnstudio", "cnnstudio.cli",
                                    "cnnstudio.ui.plots.series"])
def test_import_leaves_tensorflow_and_qt_out(module):
    result = subprocess.run([sys.executable, "-c", CHECK.format(module=module)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{module} imported {result.stdout.strip()}"


def test_core_modules_never_import_qt_or_tensorflow_by_name():
    from pathlib import Path

    import cnnstudio.core

    for path in Path(cnnstudio.core.__file__).parent.rglob("*.py"):
        text = path.read_text()
        for banned in ("import tensorflow", "import keras", "PySide6", "from keras"):
            assert banned not in text, f"{path} mentions {banned}"


def test_the_single_process_path_does_not_import_ray():
    """Ray is an optional extra, imported only by the cluster and sweep code when it runs
    (the Train page's and the Sweep dialog's check finds it without importing it)."""
    code = ("import sys, cnnstudio.cli, cnnstudio.engine.trainer, cnnstudio.ui.window.app, "
            "cnnstudio.ui.pages.runs.sweep_dialog, cnnstudio.ui.pages.train.cluster_box; "
            "from cnnstudio.engine.ray_cluster import ray_installed; ray_installed(); "
            "print('ray' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
