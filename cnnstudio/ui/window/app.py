"""Starting the GUI: the window first, TensorFlow only when a feature needs it."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from cnnstudio.core import CnnStudioError, load_project
from cnnstudio.core.resources import default_example
from cnnstudio.core.run_store import recover_interrupted
from cnnstudio.ui.window import recovery
from cnnstudio.ui import APP_NAME
from cnnstudio.ui.window.main_window import MainWindow


def start_path(path: str | None, settings: QSettings) -> Path:
    """FILE, else the last project if it still exists, else the default example."""
    if path:
        return Path(path)
    last = settings.value("last_project")
    if last and Path(str(last)).is_file():
        return Path(str(last))
    return default_example()


def run_app(path: str | None = None) -> int:
    """Open the main window and run the event loop until it closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("CNN Studio")
    settings = QSettings()
    target = start_path(path, settings)
    try:
        recover_interrupted(target)  # runs a killed process left unrecorded
        project = load_project(target)
    except (CnnStudioError, OSError) as error:
        QMessageBox.warning(None, APP_NAME, f"Cannot open the project.\n\n{error}\n\n"
                            "Opening the default example instead.")
        target = default_example()
        project = load_project(target)
    is_example = target == default_example()
    window = MainWindow(project, None if is_example else target, settings)
    window.show()
    offer_recovery(window)
    window.offer_welcome()
    return app.exec()


def offer_recovery(window: MainWindow) -> None:
    """After a crash, offer the newest recovery copy; keep or drop it as the user says."""
    entries = recovery.pending()
    if not entries:
        return
    entry = entries[0]
    name = str(entry.original) if entry.original else "an unsaved project"
    answer = QMessageBox.question(
        window, APP_NAME, f"CNN Studio closed unexpectedly while {name} had unsaved "
        "changes. Recover them?", QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
    if answer != QMessageBox.Yes:
        recovery.remove(entry)
        return
    try:
        project = load_project(entry.copy, temp_ok=True)  # our own copy
    except CnnStudioError as error:
        QMessageBox.warning(window, APP_NAME, f"The recovery copy cannot be read.\n\n{error}")
        return
    base, path = None, None
    if entry.original is not None and entry.original.is_file():
        try:
            base, path = load_project(entry.original), entry.original
        except CnnStudioError:
            pass
    # The saved file (or, for an untitled project, the recovered project itself) is the
    # clean state, so undo never shows another project under this file's name.
    window.set_document(base or project, path)
    if base is not None:
        window.editor.replace(project, "Recover unsaved changes")
    else:
        window.editor.undo_stack.resetClean()  # recovered, but saved nowhere yet
    recovery.remove(entry)
