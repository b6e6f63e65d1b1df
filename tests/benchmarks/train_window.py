"""A real main window on the Train page, for the benchmarks that click Train."""

from __future__ import annotations

from cnnstudio.core.project import Project


def open_train_window(app, project: Project, settings_name: str):
    """A shown 1200x760 MainWindow on `project`, on its Train page, with settings of
    its own under /tmp/cnnstudio-bench (none of the user's)."""
    from PySide6.QtCore import QSettings

    from cnnstudio.ui.window.main_window import PAGES, MainWindow

    settings = QSettings(f"/tmp/cnnstudio-bench/{settings_name}.ini", QSettings.IniFormat)
    window = MainWindow(project, None, settings)
    window.resize(1200, 760)
    window.show()
    window.page_actions[PAGES.index("Train")].trigger()
    for _ in range(5):
        app.processEvents()
    return window


def close_train_window(app, window) -> None:
    """Close it without the "save changes?" question (a run was recorded)."""
    window.autosave_timer.stop()
    window.editor.undo_stack.setClean()
    window.close()
    window.deleteLater()
    for _ in range(5):
        app.processEvents()
