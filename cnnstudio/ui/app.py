"""Starting the GUI: the window first, TensorFlow only when a feature needs it."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from cnnstudio.core import CnnStudioError, load_project
from cnnstudio.core.resources import default_example
from cnnstudio.ui.main_window import APP_NAME, MainWindow


def run_app(path: str | None = None) -> int:
    """Open the main window on `path`, else the default example; run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("CNN Studio")
    target = Path(path) if path else default_example()
    try:
        project = load_project(target)
    except CnnStudioError as error:
        QMessageBox.critical(None, APP_NAME, f"Cannot open the project.\n\n{error}")
        target = default_example()
        project = load_project(target)
    window = MainWindow(project, target)
    window.show()
    return app.exec()
