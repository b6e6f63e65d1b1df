"""The Help menu's windows: the welcome, the keyboard shortcuts, the learners' questions
with a way to each answer, and About (the versions in use)."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Callable

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, Signal, qVersion
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFrame, QGridLayout, QHBoxLayout, QLabel,
    QPushButton, QVBoxLayout, QWidget,
)

from cnnstudio.core.learner_questions import QUESTIONS
from cnnstudio.ui import APP_NAME

PAGE_TEXTS = (
    ("Design", "Build the network: drag layers from the palette onto the diagram and see "
               "every shape and parameter count, with the arithmetic behind it."),
    ("Data", "Choose the images: the built-in Shapes set, a Keras data set from its local "
             "cache, a folder or an .npz file; look at them before training."),
    ("Train", "Train with Keras while loss and accuracy grow live; pause, stop or continue; "
              "on this machine or a Ray cluster."),
    ("Evaluate", "Look inside a trained run: predictions, confusion matrix, feature maps, "
                 "what dropout does, which layers changed, and overfitting."),
    ("Runs", "Every run of the project side by side: settings, results and what changed; "
             "sweeps that train one setting against another."),
)

SHORTCUTS = (
    ("Ctrl+N", "New project from a template"), ("Ctrl+O", "Open a project"),
    ("Ctrl+S / Ctrl+Shift+S", "Save / Save As"),
    ("Ctrl+Z", "Undo"), ("Ctrl+Y or Ctrl+Shift+Z", "Redo"),
    ("Delete", "Delete the selected layers (their inputs are reconnected)"),
    ("Ctrl+D", "Duplicate the selected layers"),
    ("Ctrl+C / Ctrl+V", "Copy / paste layers, with the wires between them"),
    ("Ctrl+F", "Find a layer by name or type (Enter: the next one)"),
    ("F / 1", "Diagram: fit the network / 100 %"),
    ("Arrow keys", "Diagram: up to a layer's input, down to what takes it, left and right"),
    ("Mouse wheel / drag", "Diagram: zoom / pan; Shift+drag selects by a rectangle"),
    ("Drag from a block's lower dot", "Diagram: connect it to another block"),
    ("Enter or double-click (palette)", "Add the layer after the selection"),
)


class WelcomeCard(QFrame):
    """Shown over the Design page at the first start, and from Help > Welcome: what the
    five pages are for, and three ways to begin."""

    choose_template = Signal()
    start_empty = Signal()
    open_file = Signal()
    dismissed = Signal(bool)  # whether to show it at the next start

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet("#welcome { background: white; border: 1px solid #b0b7c0; "
                           "border-radius: 8px; }")
        layout = QVBoxLayout(self)
        title = QLabel(f"<h2>Welcome to {APP_NAME}</h2>Design a convolutional network, "
                       "train it and look inside it, all on this computer.")
        title.setWordWrap(True)
        layout.addWidget(title)
        grid = QGridLayout()
        for row, (page, text) in enumerate(PAGE_TEXTS):
            name = QLabel(f"<b>{page}</b>")
            name.setAlignment(Qt.AlignTop)
            explanation = QLabel(text)
            explanation.setWordWrap(True)
            grid.addWidget(name, row, 0)
            grid.addWidget(explanation, row, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        starts = QHBoxLayout()
        for text, signal in (("Open a template…", self.choose_template),
                             ("Start from an empty project", self.start_empty),
                             ("Open a file…", self.open_file)):
            button = QPushButton(text)
            button.clicked.connect(signal)
            button.clicked.connect(lambda _=False: self.close_card())
            starts.addWidget(button)
        layout.addLayout(starts)
        bottom = QHBoxLayout()
        self.show_at_start = QCheckBox("Show this at start")
        self.show_at_start.setChecked(True)
        bottom.addWidget(self.show_at_start)
        bottom.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close_card)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        self.setMaximumWidth(560)

    def place(self) -> None:
        """Centred over the window's pages."""
        host = self.parentWidget()
        area = host.centralWidget().geometry() if hasattr(host, "centralWidget") else \
            host.rect()
        self.setFixedWidth(min(560, area.width() - 40))
        self.adjustSize()
        self.move(area.x() + max(0, (area.width() - self.width()) // 2),
                  area.y() + max(0, (area.height() - self.height()) // 3))

    def open_card(self) -> None:
        self.place()
        self.show()
        self.raise_()

    def close_card(self) -> None:
        self.hide()
        self.dismissed.emit(self.show_at_start.isChecked())


def shortcuts_dialog(parent: QWidget) -> QDialog:
    rows = "".join(f"<tr><td style='padding-right:16px'><b>{keys}</b></td><td>{what}</td></tr>"
                   for keys, what in SHORTCUTS)
    return _text_dialog(parent, "Keyboard Shortcuts", f"<table>{rows}</table>")


def questions_dialog(parent: QWidget, go: Callable[[str, str | None], None]) -> QDialog:
    """Each question, where its answer is shown, and a button that goes there."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Questions Learners Ask")
    layout = QGridLayout(dialog)
    for row, q in enumerate(QUESTIONS):
        text = QLabel(f"<b>{q.question}</b><br>{q.where}")
        text.setWordWrap(True)
        place = q.page + (f" › {q.tab}" if q.tab else "")
        button = QPushButton(f"Show me ({place})")
        button.clicked.connect(lambda _=False, q=q: (go(q.page, q.tab), dialog.accept()))
        layout.addWidget(text, row, 0)
        layout.addWidget(button, row, 1, Qt.AlignTop)
    layout.setColumnStretch(0, 1)
    buttons = QDialogButtonBox(QDialogButtonBox.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons, len(QUESTIONS), 0, 1, 2)
    dialog.resize(640, 0)
    return dialog


def versions() -> dict[str, str]:
    """The versions in use, read from the installed packages' metadata (so TensorFlow is
    named without being imported, which takes seconds)."""
    found = {"CNN Studio": _version("cnnstudio"), "Python": platform.python_version(),
             "Qt": qVersion(), "PySide6": pyside_version}
    for package, name in (("tensorflow", "TensorFlow"), ("keras", "Keras"),
                          ("pyqtgraph", "pyqtgraph"), ("numpy", "NumPy")):
        found[name] = _version(package)
    return found


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_dialog(parent: QWidget) -> QDialog:
    rows = "".join(f"<tr><td style='padding-right:16px'>{name}</td><td>{version}</td></tr>"
                   for name, version in versions().items())
    return _text_dialog(parent, f"About {APP_NAME}",
                        f"<h3>{APP_NAME}</h3><p>Design, train and understand convolutional "
                        f"networks, offline.</p><table>{rows}</table>")


def _text_dialog(parent: QWidget, title: str, html: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    label = QLabel(html)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    layout.addWidget(label)
    buttons = QDialogButtonBox(QDialogButtonBox.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog
