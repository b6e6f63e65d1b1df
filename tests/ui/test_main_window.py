"""The main window as a whole: title, pages, start-up without TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys


def test_window_title_and_pages(make_window):
    window = make_window()
    assert window.windowTitle().startswith("CNN Studio — MNIST CNN")
    assert [a.text() for a in window.page_actions] == ["Design", "Data", "Train", "Evaluate",
                                                       "Runs"]
    window.page_actions[2].trigger()
    assert window.pages.currentIndex() == 2


def test_gui_start_does_not_load_tensorflow():
    code = ("import sys; from PySide6.QtWidgets import QApplication; "
            "from PySide6.QtCore import QTimer; app = QApplication([]); "
            "from cnnstudio.ui.window.app import run_app; seen = []; "
            "QTimer.singleShot(300, lambda: (seen.extend(w.windowTitle() for w in "
            "app.topLevelWidgets() if w.isVisible()), app.quit())); run_app(None); "
            "print('tensorflow' in sys.modules, any('CNN Studio' in t for t in seen), "
            "'ray' in sys.modules)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": "/tmp/cnnstudio-t",
           "XDG_DATA_HOME": "/tmp/cnnstudio-t"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=env)
    # no TensorFlow, and no Ray (an optional extra: the Train page and the Sweep dialog
    # only look for it)
    assert result.stdout.split() == ["False", "True", "False"], result.stderr[-2000:]




def test_ctrl_y_and_ctrl_shift_z_both_redo(make_window, qtbot):
    from PySide6.QtCore import Qt

    from cnnstudio.core import edits

    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # a window's shortcuts act while it is active
    keys = [key.toString() for key in window.redo_action.shortcuts()]
    assert "Ctrl+Y" in keys and "Ctrl+Shift+Z" in keys and len(keys) == len(set(keys))
    before = window.editor.project
    for modifiers, key in ((Qt.ControlModifier, Qt.Key_Y),
                           (Qt.ControlModifier | Qt.ShiftModifier, Qt.Key_Z)):
        window.editor.edit("Rename", edits.rename_layer, 0, "first")
        window.undo_action.trigger()
        assert window.editor.project == before
        qtbot.keyClick(window.design.stack, key, modifiers)
        assert window.editor.project.layers[0].name == "first", key
    # Qt keeps the modifiers of the last key event as held: a plain key lets them go, or
    # later tests' clicks would act as Ctrl+Shift clicks
    qtbot.keyClick(window.design.stack, Qt.Key_Escape)
