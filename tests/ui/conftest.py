"""GUI test fixtures: a main window with its own settings, and no real dialogs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from cnnstudio.core import load_project
from cnnstudio.core.resources import default_example

SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    QStandardPaths.setTestModeEnabled(True)
    answers: list = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: answers.pop(0) if answers else QMessageBox.Discard)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.Ok)
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: QMessageBox.Ok)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.Ok)
    from cnnstudio.ui.window import recovery

    folder = tmp_path / "recovery"
    folder.mkdir()
    monkeypatch.setattr(recovery, "folder", lambda: folder)
    yield answers


@pytest.fixture(autouse=True)
def _leaves_nothing_running(_isolated, qapp):
    """Fail a test that leaves a worker thread running or a timer active once its windows
    are closed (as napari's tests do): a leftover thread outlives the window it reports
    to, and a leftover timer fires into a closed one."""
    yield
    from cnnstudio.ui.common.worker import running_threads

    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.close()
    QApplication.processEvents()
    threads = running_threads()
    timers = [f"{type(timer.parent()).__name__}.{timer.objectName() or 'timer'}"
              for widget in QApplication.topLevelWidgets()
              for timer in widget.findChildren(QTimer)
              if timer.isActive() and type(timer.parent()).__module__.startswith("cnnstudio")]
    for thread in threads:  # let the next test start clean, then report
        thread.quit()
        thread.wait(10_000)
    assert not threads, f"{len(threads)} worker thread(s) still running after the test"
    assert not timers, f"active timers after the test closed its windows: {timers}"


@pytest.fixture
def dialog_answers(_isolated):
    """Push the answers that QMessageBox.question should give, in order."""
    return _isolated


@pytest.fixture
def make_window(qtbot, tmp_path):
    from cnnstudio.ui.window.main_window import MainWindow

    def make(project=None, path=None):
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
        window = MainWindow(project or load_project(default_example()), path, settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


def project_json(window) -> str:
    return json.dumps(window.editor.project.to_dict(), sort_keys=True)


def drop_on_stack(view, mime, row: int, below: bool = False) -> None:
    """Drag `mime` over the stack and drop it on `row` (upper edge, or lower edge)."""
    viewport = view.viewport()
    if row < view.model().rowCount():
        rect = view.visualRect(view.model().index(row, 0))
        pos = QPoint(rect.center().x(), rect.bottom() - 1 if below else rect.top() + 1)
    else:
        last = view.visualRect(view.model().index(view.model().rowCount() - 1, 0))
        pos = QPoint(last.center().x(), last.bottom() + 20)
    drop(viewport, mime, pos)


def drop(viewport, mime, pos: QPoint) -> None:
    """Drag `mime` into a widget and drop it at `pos`, as a drag from another widget."""
    actions = Qt.CopyAction | Qt.MoveAction
    QApplication.sendEvent(viewport, QDragEnterEvent(pos, actions, mime, Qt.LeftButton,
                                                     Qt.NoModifier))
    QApplication.sendEvent(viewport, QDragMoveEvent(pos, actions, mime, Qt.LeftButton,
                                                    Qt.NoModifier, QDragMoveEvent.DragMove))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(pos), actions, mime, Qt.LeftButton,
                                                Qt.NoModifier))


def save_screenshot(widget, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    path = SCREENSHOTS / name
    assert widget.grab().save(str(path))
    return path


def assert_png_of(path: Path, widget) -> QImage:
    """`path` is a PNG of `widget` as drawn: its size in device pixels, and not blank."""
    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a readable PNG"
    drawn = widget.grab()
    assert (image.width(), image.height()) == (drawn.width(), drawn.height())
    step = max(1, min(image.width(), image.height()) // 40)
    colours = {image.pixel(x, y) for x in range(0, image.width(), step)
               for y in range(0, image.height(), step)}
    assert len(colours) > 2, f"{path} is blank ({len(colours)} colours)"
    return image


def save_through_action(action, widget, path: Path, monkeypatch) -> QImage:
    """Trigger a "Save as PNG…" action as a user would, answering its dialog with `path`."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    assert action.text() == "Save as PNG…" and action in widget.actions()
    action.trigger()
    return assert_png_of(path, widget)
