"""Model exports: a .keras file a fresh Keras process loads, with the weights it should have."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cnnstudio.core import edits, save_project
from cnnstudio.engine.exports import ExportError, export
from tests.training_projects import tiny_project

pytestmark = pytest.mark.slow  # trains, or starts a TensorFlow process


def cnnstudio(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnstudio", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from cnnstudio.engine.trainer import Trainer

    folder = tmp_path_factory.mktemp("trained")
    project_file = folder / "tiny.cnnstudio.json"
    project = tiny_project(epochs=1)
    finished = Trainer(project, project_file=project_file).run()
    project = edits.add_run(project, finished.run)
    save_project(project, project_file)
    return project, project_file


def test_keras_model_export_loads_in_a_fresh_process_with_the_run_weights(trained, tmp_path):
    from cnnstudio.engine.run_model import model_for_run

    project, project_file = trained
    out = tmp_path / "tiny.keras"
    result = cnnstudio("export", project_file, "--to", "keras-model", out)
    assert result.returncode == 0, result.stderr
    assert "with the weights of run-1" in result.stdout
    images = np.random.default_rng(0).random((4, 12, 12, 1)).astype("float32")
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(f"""
        import numpy as np, keras
        model = keras.models.load_model({str(out)!r})
        np.save({str(tmp_path / 'loaded.npy')!r}, model.predict(np.load({str(tmp_path / 'images.npy')!r}), verbose=0))
        print(model.count_params())
    """)
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    expected = model_for_run(project.runs[-1], project_file).predict(images, verbose=0)
    assert np.allclose(np.load(tmp_path / "loaded.npy"), expected, atol=1e-6)


def test_a_changed_model_exports_untrained_and_says_so(trained, tmp_path):
    project, project_file = trained
    changed = edits.set_param(project, 0, "filters", 8)
    exported = export(changed, project_file, "keras-model", tmp_path / "changed.keras")
    assert exported.path.is_file() and "untrained" in exported.notes[0]


def test_bad_exports_say_what_to_do(trained, tmp_path, monkeypatch):
    project, project_file = trained
    with pytest.raises(ExportError, match="use that extension"):
        export(project, project_file, "keras-model", tmp_path / "model.h5")
    with pytest.raises(ExportError, match="no run 'run-9'.*run-1"):
        export(project, project_file, "keras-model", tmp_path / "m.keras", "run-9")
    with pytest.raises(ExportError, match="does not exist"):
        export(project, project_file, "keras-model", tmp_path / "nowhere" / "m.keras")
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as where the extra is not installed
    with pytest.raises(ExportError, match=r"pip install 'cnnstudio\[onnx\]'"):
        export(project, project_file, "onnx", tmp_path / "m.onnx")


def test_export_a_keras_script_from_the_command_line(trained, tmp_path):
    project, project_file = trained
    out = tmp_path / "tiny_train.py"
    result = cnnstudio("export", project_file, "--to", "keras-script", out)
    assert result.returncode == 0, result.stderr
    assert "python tiny_train.py" in result.stdout
    text = out.read_text(encoding="utf-8")
    compile(text, str(out), "exec")
    assert "keras.layers.Conv2D(" in text and "def main(" in text


def test_export_a_pytorch_script_names_what_it_leaves_out(tmp_path):
    from cnnstudio.core import LayerSpec, Project

    project = Project(name="aug", input_shape=(12, 12, 1), layers=(
        LayerSpec("RandomFlip"), LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3}),
        LayerSpec("Flatten"), LayerSpec("Dense", {"units": 6, "activation": "softmax"})))
    exported = export(project, None, "pytorch-script", tmp_path / "aug_torch.py")
    text = exported.path.read_text(encoding="utf-8")
    compile(text, "aug_torch.py", "exec")
    assert "nn.Conv2d(1, 4" in text
    assert any("random_flip" in note and "no PyTorch equivalent" in note
               for note in exported.notes)
