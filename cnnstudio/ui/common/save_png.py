"""Every chart and grid saves as PNG: a "Save as PNG…" action in its context menu."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

SAVE_PNG_TEXT = "Save as PNG…"


def add_save_png_action(widget: QWidget, stem: str,
                        report: Callable[[str, bool], None]) -> QAction:
    """Give `widget` a context-menu action that asks where and saves it as PNG;
    `report(text, is_error)` says how it went."""
    action = QAction(SAVE_PNG_TEXT, widget)
    action.triggered.connect(lambda: ask_and_save_png(widget, stem, report))
    widget.addAction(action)
    widget.setContextMenuPolicy(Qt.ActionsContextMenu)
    return action


def window_status(widget: QWidget) -> Callable[[str, bool], None]:
    """A `report` that says how the save went in the window's status bar."""
    def report(text: str, _error: bool) -> None:
        window = widget.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(text, 5000)
    return report


def ask_and_save_png(widget: QWidget, stem: str, report: Callable[[str, bool], None]) -> None:
    name, _ = QFileDialog.getSaveFileName(widget, "Save as PNG", f"{stem}.png", "PNG (*.png)")
    if name:
        save_png(widget, Path(name if name.lower().endswith(".png") else name + ".png"), report)


def save_png(widget: QWidget, path: Path, report: Callable[[str, bool], None]) -> bool:
    """The widget as it is drawn now, at the screen's pixel density."""
    if not widget.grab().save(str(path), "PNG"):
        report(f"Cannot write {path}: check that the folder exists and can be written.", True)
        return False
    report(f"Saved {path}.", False)
    return True
