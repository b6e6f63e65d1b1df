"""The main window shows the project's layers with their shapes."""

from __future__ import annotations

import os
import sys


from PySide6.QtCore import Qt

from cnnstudio.core import load_project
from cnnstudio.core.resources import default_example, templates_dir
from cnnstudio.ui.main_window import MainWindow


def test_window_shows_the_default_example(qtbot):
    window = MainWindow(load_project(default_example()), default_example())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "CNN Studio" in window.windowTitle()
    model = window.layer_table.table_model
    assert model.rowCount() == 9  # input + 8 layers
    cell = model.index(2, 2).data(Qt.DisplayRole)
    assert cell == "(None, 24, 24, 64)"
    assert model.index(2, 3).data(Qt.DisplayRole) == "18,496"
    assert "(26 - 3 + 2*0)/1 + 1 = 24" in model.index(2, 0).data(Qt.ToolTipRole)


def test_window_marks_an_invalid_layer(qtbot, tmp_path):
    import json

    path = tmp_path / "bad.cnnstudio.json"
    path.write_text(json.dumps({"name": "Bad", "input": {"shape": [3, 3, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 2, "kernel_size": 5}}]}))
    window = MainWindow(load_project(path), path)
    qtbot.addWidget(window)
    model = window.layer_table.table_model
    assert model.index(1, 2).data(Qt.DisplayRole) == "invalid"
    assert "does not fit" in model.index(1, 2).data(Qt.ToolTipRole)
    assert "Invalid at conv2d" in window.summary.text()
    assert window.windowTitle() == "CNN Studio — Bad"


def test_alexnet_screenshot(qtbot, tmp_path):
    window = MainWindow(load_project(templates_dir() / "alexnet.cnnstudio.json"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    path = tmp_path / "alexnet.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 1000


def test_gui_start_does_not_load_tensorflow():
    import subprocess

    code = ("import sys; from PySide6.QtWidgets import QApplication; "
            "from PySide6.QtCore import QTimer; app = QApplication([]); "
            "from cnnstudio.ui.app import run_app; seen = []; "
            "QTimer.singleShot(300, lambda: (seen.extend(w.windowTitle() for w in "
            "app.topLevelWidgets() if w.isVisible()), app.quit())); run_app(None); "
            "print('tensorflow' in sys.modules, any('CNN Studio' in t for t in seen))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.stdout.split() == ["False", "True"], result.stderr[-2000:]
