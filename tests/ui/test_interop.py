"""Export from the File menu, and pre-trained bases measured in the background."""

from __future__ import annotations

from cnnstudio.core import LayerSpec, Project
from tests.training_projects import tiny_project
from tests.ui.conftest import save_screenshot


def test_export_a_keras_model_from_the_file_menu(make_window, qtbot, tmp_path):
    window = make_window(tiny_project())
    assert set(window.export_actions) == {"keras-script", "pytorch-script", "keras-model",
                                          "onnx"}
    told = []
    window.exporter.on_done = told.append
    out = tmp_path / "tiny.keras"
    window.export_to("keras-model", out)
    qtbot.waitUntil(lambda: bool(told), timeout=60_000)
    assert out.is_file() and "untrained" in told[0]


def test_a_failed_export_is_explained_and_the_project_stays(make_window, qtbot, tmp_path):
    window = make_window(tiny_project())
    before = window.editor.project
    told = []
    window.exporter.on_done = told.append
    window.export_to("keras-model", tmp_path / "no-such-folder" / "x.keras")
    qtbot.waitUntil(lambda: bool(told), timeout=60_000)
    assert "does not exist" in told[0] and window.editor.project == before


def test_a_pretrained_base_row_says_computing_then_shows_keras_figures(make_window, qtbot):
    from cnnstudio.ui.pages.design.stack import SHAPE, row_values

    project = Project(name="transfer", input_shape=(40, 40, 3), layers=(
        LayerSpec("Application", {"application": "MobileNetV2", "pooling": "avg"},
                  trainable=False),
        LayerSpec("Dense", {"units": 2, "activation": "softmax"})))
    window = make_window(project)
    editor = window.editor
    model = window.design.stack.model()
    display = row_values(model, 0)[0]  # Qt.DisplayRole
    assert editor.report.pending is not None and display[SHAPE] == "computing…"
    assert "Measuring application" in window.design.summary.text()
    qtbot.waitUntil(lambda: editor.report.pending is None, timeout=60_000)
    assert editor.report.valid
    base, dense = editor.report.layers
    assert base.output_shape == (None, 1280)
    assert base.trainable_params == 0 and base.non_trainable_params == 2_257_984
    assert dense.trainable_params == 1280 * 2 + 2
    assert row_values(model, 0)[0][SHAPE] == "(None, 1280)"
    save_screenshot(window, "design_pretrained_base.png")


def test_import_a_keras_model_then_save_keeps_its_weights_beside_the_project(
        make_window, qtbot, tmp_path):
    from cnnstudio.core import load_project
    from cnnstudio.core.project_file import start_weights_of
    from cnnstudio.engine.builder import build_keras_model

    source = tmp_path / "source" / "small.keras"
    source.parent.mkdir()
    build_keras_model(tiny_project()).save(str(source))
    window = make_window(tiny_project())
    window.import_model(source)
    qtbot.waitUntil(lambda: start_weights_of(window.editor.project) is not None,
                    timeout=60_000)
    project = window.editor.project
    assert [layer.type for layer in project.layers] == ["Conv2D", "Flatten", "Dense"]
    assert window.path is None  # a new, unsaved project
    saved = tmp_path / "imported.cnnstudio.json"
    assert window.save_to(saved)
    entry = start_weights_of(load_project(saved))
    assert entry["path"] == "imported-imported.weights.h5"
    assert (tmp_path / entry["path"]).is_file()


def test_a_corrupt_model_file_is_refused_and_the_open_project_stays(make_window, qtbot,
                                                                   tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    window = make_window(tiny_project())
    before = window.editor.project
    window.import_model(bad)
    qtbot.waitUntil(lambda: bool(warnings), timeout=60_000)
    assert "broken.keras" in warnings[0] and "unchanged" in warnings[0]
    assert window.editor.project == before


def test_exporting_over_the_project_itself_is_refused_and_it_stays(make_window, qtbot,
                                                                   tmp_path):
    path = tmp_path / "tiny.cnnstudio.json"
    window = make_window(tiny_project())
    assert window.save_to(path)
    before = path.read_bytes()
    told = []
    window.exporter.on_done = told.append
    window.export_to("pytorch-script", path)
    qtbot.waitUntil(lambda: bool(told), timeout=60_000)
    assert "the project file" in told[0] and path.read_bytes() == before


def test_a_name_given_without_its_suffix_asks_before_replacing(make_window, tmp_path,
                                                               monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from cnnstudio.ui.window.interop import export_name

    window = make_window(tiny_project())
    (tmp_path / "mine.py").write_text("# mine\n")
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "mine"), ""))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.No)
    assert export_name(window, "keras-script", window.editor.project, tmp_path) is None
    assert "mine.py already exists" in asked[0]
    (tmp_path / "mine.cnnstudio.json").write_text("{}")
    assert not window.save_as()  # Save As asks the same for NAME.cnnstudio.json
    assert len(asked) == 2 and "mine.cnnstudio.json already exists" in asked[1]
    assert (tmp_path / "mine.cnnstudio.json").read_text() == "{}"


def test_a_bases_panel_says_which_input_preprocessing_applies(make_window, qtbot, tmp_path):
    weights = tmp_path / "base.weights.h5"
    weights.write_bytes(b"")  # the panel reads the setting; nothing is loaded here
    project = Project(name="transfer", input_shape=(40, 40, 3), layers=(
        LayerSpec("Application", {"application": "MobileNetV2", "pooling": "avg",
                                  "weights": str(weights)}, trainable=False),
        LayerSpec("Dense", {"units": 2, "activation": "softmax"})))
    window = make_window(project)
    qtbot.waitUntil(lambda: window.editor.report.pending is None, timeout=60_000)
    window.design.stack.select_rows([1])
    window.design.stack.select_rows([0])
    text = window.design.explain.text.text()
    assert "<b>Input preprocessing</b>: keras.applications.mobilenet_v2.preprocess_input" in text
    assert "-1..1" in text
