"""The core and the package top level load without TensorFlow or Qt (DESIGN.md 1)."""

import subprocess
import sys

import pytest

CHECK = ("import sys, {module}; heavy = [m for m in ('tensorflow', 'keras', 'PySide6', 'ray') "
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


def test_only_the_cluster_and_sweep_modules_import_ray():
    """Ray is an optional extra: only engine/ray_*.py may import it, and only inside the
    functions that run a cluster job (a module-level import would load Ray, seconds, on
    the single-process path). The GUI's start and the command line are checked for it
    in a fresh process too (tests/ui/test_main_window.py, and above)."""
    from pathlib import Path

    import cnnstudio

    for path in Path(cnnstudio.__file__).parent.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.startswith(("import ray", "from ray")):
                raise AssertionError(f"{path}:{number} imports Ray at module level")
            if "import ray" in line or "from ray " in line or "from ray." in line:
                assert path.name.startswith("ray_"), f"{path}:{number} imports Ray"
