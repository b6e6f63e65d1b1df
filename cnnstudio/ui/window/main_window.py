"""The main window: workflow pages, menus, files, undo."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QFileSystemWatcher, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QMainWindow, QMessageBox, QStackedWidget, QStyle, QToolBar,
)

from cnnstudio.core import CnnStudioError, Project, load_project, save_project
from cnnstudio.core.project import model_name
from cnnstudio.core.carried_files import carry_files
from cnnstudio.core.export_targets import EXPORT_TARGETS
from cnnstudio.core.run_store import project_lock, recover_interrupted
from cnnstudio.ui import APP_NAME
from cnnstudio.ui.window import help_menu, recovery
from cnnstudio.ui.pages.data.page import DataPage
from cnnstudio.ui.pages.evaluate.page import EvaluatePage
from cnnstudio.ui.pages.runs.page import RunsPage
from cnnstudio.ui.pages.train.page import TrainPage
from cnnstudio.ui.pages.design.page import DesignPage
from cnnstudio.ui.common.loaded_data import LoadedData
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.window.interop import (
    MODEL_FILTER, Exporter, Importer, confirm_replace, export_name,
)

PAGES = ("Design", "Data", "Train", "Evaluate", "Runs")
PAGE_ICONS = (QStyle.SP_FileDialogDetailedView, QStyle.SP_DirIcon, QStyle.SP_MediaPlay,
              QStyle.SP_FileDialogContentsView, QStyle.SP_FileDialogListView)
WELCOME_KEY = "welcome/show"
STOP_WAIT_MS = 10_000
RAY_STOP_WAIT_MS = 40_000  # a sweep's or cluster's workers end their batch, then Ray ends
FILE_FILTER = "CNN Studio projects (*.cnnstudio.json *.json)"
MAX_RECENT = 8
AUTOSAVE_IDLE_MS = 3000
RELOAD_DELAY_MS = 300  # after the file changes on disk: a writer may rename twice


class MainWindow(QMainWindow):
    def __init__(self, project: Project, path: Path | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.path = path
        self.editor = ProjectEditor(project, self)
        self.editor.input_follows_data = path is None
        self.design = DesignPage(self.editor)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.design)
        self.loaded_data = LoadedData(self)  # what the Data page loaded, for every page
        self.data_page = DataPage(self.editor, lambda: self.path, self.loaded_data)
        self.pages.addWidget(self.data_page)
        self.train_page = TrainPage(self.editor, self.loaded_data, lambda: self.path,
                                    settings=self.settings)
        self.pages.addWidget(self.train_page)
        self.evaluate_page = EvaluatePage(self.editor, self.loaded_data, lambda: self.path)
        self.pages.addWidget(self.evaluate_page)
        self.runs_page = RunsPage(self.editor, lambda: self.path, self.save)
        self.runs_page.sweep.recorded.connect(lambda: self.reload_runs("the sweep"))
        self.pages.addWidget(self.runs_page)
        self.setCentralWidget(self.pages)
        self.exporter = Exporter(self)
        self.importer = Importer(self, self._imported)
        self.setAcceptDrops(True)
        self._build_workflow_bar()
        self._build_menus()
        self._build_help_menu()
        self.welcome = help_menu.WelcomeCard(self)  # floats over the pages (not in a layout)
        self.welcome.hide()
        self.welcome.choose_template.connect(self.new_from_template)
        self.welcome.start_empty.connect(self.start_empty)
        self.welcome.open_file.connect(self.open_dialog)
        self.welcome.dismissed.connect(lambda again: self.settings.setValue(WELCOME_KEY, again))
        self.pages.currentChanged.connect(  # it speaks over the Design page only
            lambda index: self.welcome.hide() if index else None)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_IDLE_MS)
        self.autosave_timer.timeout.connect(self.write_recovery)
        self.watcher = QFileSystemWatcher(self)
        self.reload_timer = QTimer(self)
        self.reload_timer.setSingleShot(True)
        self.reload_timer.setInterval(RELOAD_DELAY_MS)
        self.reload_timer.timeout.connect(self.reload_runs)
        self.watcher.fileChanged.connect(lambda _path: self.reload_timer.start())
        self._watch()
        self.editor.changed.connect(self._update_title)
        self.editor.undo_stack.cleanChanged.connect(self._update_title)
        self.editor.undo_stack.indexChanged.connect(self._schedule_autosave)
        self.design.stack.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self._update_title()
        self.resize(fitting_size(self, 1200, 760))
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # chrome ---------------------------------------------------------------------
    def _build_workflow_bar(self) -> None:
        """The pages as tabs with icons, then the commands a first hour needs at hand:
        New, Open, Save, Undo, Redo, Train, Stop."""
        bar = QToolBar("Workflow")
        bar.setObjectName("workflow")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        style = self.style()
        group = QActionGroup(self)
        self.page_actions = []
        for i, (name, icon) in enumerate(zip(PAGES, PAGE_ICONS)):
            action = QAction(style.standardIcon(icon), name, self, checkable=True)
            action.setChecked(i == 0)
            action.setToolTip(f"The {name} page")
            action.triggered.connect(lambda _=False, i=i: self.pages.setCurrentIndex(i))
            group.addAction(action)
            bar.addAction(action)
            self.page_actions.append(action)
        self.addToolBar(bar)
        tools = QToolBar("Commands")
        tools.setObjectName("commands")
        tools.setMovable(False)
        tools.setToolButtonStyle(Qt.ToolButtonIconOnly)
        stack = self.editor.undo_stack
        self.tool_actions = {}
        for name, icon, slot, tip in (
                ("New", QStyle.SP_FileIcon, self.new_from_template, "New from a template (Ctrl+N)"),
                ("Open", QStyle.SP_DialogOpenButton, self.open_dialog, "Open a project (Ctrl+O)"),
                ("Save", QStyle.SP_DialogSaveButton, self.save, "Save (Ctrl+S)"),
                ("Undo", QStyle.SP_ArrowBack, stack.undo, "Undo (Ctrl+Z)"),
                ("Redo", QStyle.SP_ArrowForward, stack.redo, "Redo (Ctrl+Y)"),
                ("Train", QStyle.SP_MediaPlay, self.train_from_anywhere, "Train the model"),
                ("Stop", QStyle.SP_MediaStop, self.train_page.stop,
                 "Stop training after the current batch")):
            action = tools.addAction(style.standardIcon(icon), name, slot)
            action.setToolTip(tip)
            self.tool_actions[name] = action
        stack.canUndoChanged.connect(self.tool_actions["Undo"].setEnabled)
        stack.canRedoChanged.connect(self.tool_actions["Redo"].setEnabled)
        self.tool_actions["Undo"].setEnabled(stack.canUndo())
        self.tool_actions["Redo"].setEnabled(stack.canRedo())
        self.train_page.train_button.installEventFilter(self)  # its enabled state: Train's
        self._follow_training()
        self.addToolBar(tools)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.EnabledChange:
            self._follow_training()
        return super().eventFilter(watched, event)

    def _follow_training(self) -> None:
        running = not self.train_page.train_button.isEnabled()
        self.tool_actions["Train"].setEnabled(not running)
        self.tool_actions["Stop"].setEnabled(running)

    def train_from_anywhere(self) -> None:
        """The toolbar's Train: the Train page, and training started as its button does."""
        self.show_page("Train")
        if self.train_page.train_button.isEnabled():
            self.train_page.train_button.click()

    def show_page(self, name: str, tab: str | None = None) -> None:
        """Go to a page (and one of its tabs), as its tab in the bar does."""
        self.page_actions[PAGES.index(name)].trigger()
        tabs = getattr(self.pages.currentWidget(), "tabs", None)
        if tab is not None and tabs is not None:
            for i in range(tabs.count()):
                if tabs.tabText(i) == tab:
                    tabs.setCurrentIndex(i)

    def _build_help_menu(self) -> None:
        menu = self.menuBar().addMenu("&Help")
        menu.addAction("&Welcome", self.show_welcome)
        menu.addAction("&Keyboard Shortcuts", lambda: help_menu.shortcuts_dialog(self).exec())
        menu.addAction("&Questions Learners Ask",
                       lambda: help_menu.questions_dialog(self, self.show_page).exec())
        menu.addSeparator()
        menu.addAction(f"&About {APP_NAME}", lambda: help_menu.about_dialog(self).exec())

    def show_welcome(self) -> None:
        self.show_page("Design")
        self.welcome.show_at_start.setChecked(self.settings.value(WELCOME_KEY, True, bool))
        self.welcome.open_card()

    def offer_welcome(self) -> None:
        """At start: the welcome, unless the user said not to show it again."""
        if self.settings.value(WELCOME_KEY, True, bool):
            self.show_welcome()

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.new_action = menu.addAction("&New from Template…", self.new_from_template,
                                         QKeySequence.New)
        menu.addAction("&Open…", self.open_dialog, QKeySequence.Open)
        self.recent_menu = menu.addMenu("Open &Recent")
        menu.addSeparator()
        menu.addAction("&Save", self.save, QKeySequence.Save)
        menu.addAction("Save &As…", self.save_as, QKeySequence.SaveAs)
        menu.addSeparator()
        menu.addAction("&Import Keras Model…", self.import_dialog)
        exports = menu.addMenu("&Export")
        self.export_actions = {
            target.key: exports.addAction(target.menu_text,
                                          lambda t=target.key: self.export_dialog(t))
            for target in EXPORT_TARGETS}
        self.export_diagram_action = menu.addAction("Export &Diagram…",
                                                    self.export_diagram_dialog)
        menu.addSeparator()
        menu.addAction("&Quit", self.close, QKeySequence.Quit)
        self._fill_recent_menu()
        edit = self.menuBar().addMenu("&Edit")
        stack = self.editor.undo_stack
        self.undo_action = stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.Undo)
        self.redo_action = stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts(redo_shortcuts())
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        view = self.design.stack
        edit.addAction("&Delete Layer", view.delete_selected)
        edit.addAction("D&uplicate Layer", view.duplicate_selected)
        edit.addAction("&Copy Layers", view.copy_selected)
        edit.addAction("&Paste Layers", view.paste)
        edit.addSeparator()
        edit.addAction("&Wrap in Residual Block", view.wrap_in_residual)
        edit.addAction("Add Parallel &Branch", view.add_branch)

    def _update_title(self, *args) -> None:
        # Set only what changed: each set re-lays out and repaints the whole window,
        # which would cost more than the edit itself.
        title = f"{APP_NAME} — {self.editor.project.name}[*]"
        if self.windowTitle() != title:
            self.setWindowTitle(title)
        modified = not self.editor.undo_stack.isClean()
        if self.isWindowModified() != modified:
            self.setWindowModified(modified)
        status = str(self.path) if self.path else "Not saved yet"
        if self.statusBar().currentMessage() != status:
            self.statusBar().showMessage(status)

    def _schedule_autosave(self) -> None:
        """A recovery copy a few idle seconds after the last edit (restarts on each)."""
        if not self.editor.undo_stack.isClean():
            self.autosave_timer.start()

    # files ------------------------------------------------------------------------
    def busy(self) -> bool:
        """Training or a sweep records its runs in this document, so no other document may
        take its place until it ends; says so when it is."""
        what = ("Training" if self.train_page.training else
                "A sweep" if self.runs_page.sweep.running else None)
        if what is None:
            return False
        QMessageBox.information(self, APP_NAME, f"{what} is running on "
                                f"{self.editor.project.name}; its runs are recorded in this "
                                "project. Stop it, or wait for it to end, before opening "
                                "another.")
        return True

    def open_path(self, path: Path) -> bool:
        if self.busy() or not self.maybe_save():
            return False
        try:
            recovered = recover_interrupted(path)
            project = load_project(path)
        except (CnnStudioError, OSError) as error:
            QMessageBox.warning(self, APP_NAME, f"Cannot open the project.\n\n{error}")
            return False
        self.set_document(project, Path(path))
        if recovered:
            self.statusBar().showMessage(f"{', '.join(recovered)} had been interrupted and "
                                         "{} recorded as such.".format(
                                             "is" if len(recovered) == 1 else "are"), 10000)
        self.add_recent(Path(path))
        return True

    def set_document(self, project: Project, path: Path | None) -> None:
        self.discard_recovery()
        self.path = path
        self.editor.reset(project, input_follows_data=path is None)
        self._update_title()
        self._watch()

    def _watch(self) -> None:
        """Watch the project file for runs another process records (`cnnstudio train`).
        A file replaced by an atomic save is a new file, so the watch is renewed."""
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
        if self.path is not None and self.path.is_file():
            self.watcher.addPath(str(self.path))

    def reload_runs(self, recorder: str = "another process") -> None:
        """Runs recorded in the file meanwhile join the open project; nothing else changes."""
        self._watch()
        if self.path is None or not self.path.is_file():
            return
        try:
            on_disk = load_project(self.path)
        except CnnStudioError:
            return  # mid-write or broken: the next change or Save deals with it
        added = self.editor.merge_runs(on_disk.runs)
        if added:
            self.statusBar().showMessage(f"{', '.join(added)} recorded by {recorder}.", 8000)

    def open_dialog(self) -> None:
        start = str(self.path.parent) if self.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open Project", start, FILE_FILTER)
        if name:
            self.open_path(Path(name))

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path) if self.path else f"{self.editor.project.name}.cnnstudio.json"
        name, _ = QFileDialog.getSaveFileName(self, "Save Project As", start, FILE_FILTER)
        if not name:
            return False
        if not name.endswith(".json"):
            name += ".cnnstudio.json"  # the dialog asked about the name without it
            if Path(name).exists() and not confirm_replace(self, Path(name)):
                return False
        return self.save_to(Path(name))

    def save_to(self, path: Path) -> bool:
        """Save, with the files the project names beside it (core.carried_files) and,
        when saving over its own file, the runs another process recorded there."""
        try:
            with project_lock(path):
                if self.path is not None and _same_path(path, self.path):
                    self.reload_runs()
                project = carry_files(self.editor.project, path, self.path)
                if project != self.editor.project:
                    self.editor.document.set_project(project)
                save_project(project, path)
        except (OSError, CnnStudioError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            QMessageBox.warning(self, APP_NAME, f"Cannot save to {path}.\n\n{reason}. "
                                "Your work is still open; try another folder.")
            return False
        self.discard_recovery()
        self.path = path
        self.editor.undo_stack.setClean()
        self.add_recent(path)
        self._update_title()
        self._watch()
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if self.editor.undo_stack.isClean():
            return True
        answer = QMessageBox.question(
            self, APP_NAME, f"Save the changes to {self.editor.project.name}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def import_dialog(self) -> None:
        start = str(self.path.parent) if self.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Import Keras Model", start, MODEL_FILTER)
        if name:
            self.import_model(Path(name))

    def import_model(self, path: Path) -> None:
        """Open a .keras or .h5 model as a new, unsaved project (asks to save this one)."""
        if self.maybe_save():
            self.importer.start(path)
            self.statusBar().showMessage(f"Reading {path.name}…", 5000)

    def _imported(self, imported) -> None:
        self.set_document(imported.project, None)
        notes = "".join(f"\n• {note}" for note in imported.notes)
        kept = ("Its weights are the starting weights of the next run while the layers stay "
                "as imported." if imported.weights else "The file held no weights.")
        QMessageBox.information(self, APP_NAME, f"Imported {imported.project.name} "
                                f"({len(imported.project.layers)} layers). {kept}{notes}")

    def export_dialog(self, target: str) -> None:
        out = export_name(self, target, self.editor.project,
                          self.path.parent if self.path else None)
        if out is not None:
            self.export_to(target, out)

    def export_to(self, target: str, out: Path) -> None:
        """Export the project as it is now (saved or not) in a worker."""
        self.exporter.start(self.editor.project, self.path, target, out)
        self.statusBar().showMessage(f"Exporting {out.name}…", 5000)

    def export_diagram_dialog(self) -> None:
        """The Design page's diagram as a PNG or an SVG, for a paper or slides."""
        folder = self.path.parent if self.path else Path.home()
        start = str(folder / f"{model_name(self.editor.project)}_diagram.svg")
        name, _ = QFileDialog.getSaveFileName(
            self, "Export Diagram", start, "SVG drawing (*.svg);;PNG image (*.png)")
        if name:
            out = Path(name if Path(name).suffix.lower() in (".svg", ".png") else name + ".svg")
            if str(out) != name and out.exists() and not confirm_replace(self, out):
                return
            self.export_diagram(out)

    def export_diagram(self, out: Path) -> bool:
        try:
            self.design.diagram.export_image(out)
        except OSError as error:
            QMessageBox.warning(self, APP_NAME, f"The diagram was not exported: {error}.")
            return False
        self.statusBar().showMessage(f"Exported the diagram to {out}.", 5000)
        return True

    def start_empty(self) -> None:
        """A project with the default data's input and no layers, to build from scratch."""
        if not self.busy() and self.maybe_save():
            self.set_document(Project(input_shape=(28, 28, 1), name="Untitled"), None)

    def new_from_template(self) -> None:
        from cnnstudio.ui.window.template_dialog import TemplateDialog

        if self.busy():
            return
        dialog = TemplateDialog(self)
        if dialog.exec() and dialog.chosen is not None and self.maybe_save():
            self.set_document(dialog.chosen.project, None)

    def write_recovery(self) -> None:
        if self.editor.undo_stack.isClean():
            return
        try:
            recovery.write(self.editor.project, self.path)
        except OSError as error:  # a full disk must not cost the open work
            self.statusBar().showMessage(f"Could not write a recovery copy: {error.strerror}",
                                         8000)

    def discard_recovery(self) -> None:
        try:
            recovery.discard(self.path)
        except OSError:
            pass  # a stale copy is offered once more at start-up, no harm done

    # recent files -----------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def add_recent(self, path: Path) -> None:
        text = str(Path(path).resolve())
        files = [text] + [f for f in self.recent_files() if f != text]
        self.settings.setValue("recent", files[:MAX_RECENT])
        self.settings.setValue("last_project", text)
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for name in self.recent_files():
            self.recent_menu.addAction(name, lambda n=name: self.open_path(Path(n)))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    # window events ----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(u.toLocalFile().endswith(".json") for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().endswith(".json"):
                event.acceptProposedAction()
                QTimer.singleShot(0, lambda p=Path(url.toLocalFile()): self.open_path(p))
                return

    def _stopped_to_close(self, what: str, question: str, stop: Callable[[], bool]) -> bool:
        """Ask before stopping a job that records into this project, then stop it and wait;
        False when the user keeps it running or it did not stop in time."""
        answer = QMessageBox.question(self, APP_NAME, question,
                                      QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer != QMessageBox.Yes:
            return False
        if not stop():
            QMessageBox.warning(self, APP_NAME, f"{what} did not stop in time; close again in "
                                "a moment.")
            return False
        return True

    def _stop_training(self) -> bool:
        self.train_page.stop()
        wait = RAY_STOP_WAIT_MS if self.train_page.cluster_run else STOP_WAIT_MS
        return self.train_page.shutdown(wait)

    def _stop_sweep(self) -> bool:
        if not self.runs_page.sweep.shutdown(RAY_STOP_WAIT_MS):
            return False
        self.reload_runs()  # the trials recorded as it stopped
        return True

    def closeEvent(self, event) -> None:
        if self.train_page.training and not self._stopped_to_close(
                "Training", "Training is running. Stop it and close? The epochs done so far "
                "are kept as a stopped run.", self._stop_training):
            event.ignore()
            return
        if self.runs_page.sweep.running and not self._stopped_to_close(
                "The sweep", "A sweep is running. Stop it and close? The trials that ended "
                "are kept as runs; the running ones are recorded as stopped.",
                self._stop_sweep):
            event.ignore()
            return
        if not self.maybe_save():
            event.ignore()
            return
        self.discard_recovery()
        self.autosave_timer.stop()
        if self.watcher.files():  # a closed window reloads nothing
            self.watcher.removePaths(self.watcher.files())
        self.reload_timer.stop()
        self.train_page.shutdown()
        self.editor.shutdown()
        self.exporter.wait()
        self.importer.wait()
        self.runs_page.shutdown()
        self.evaluate_page.shutdown()
        self.data_page.shutdown()
        self.settings.setValue("window/geometry", self.saveGeometry())
        event.accept()


def fitting_size(window, width: int, height: int) -> QSize:
    """The preferred size, shrunk to the screen's free area (a 1024x680 screen keeps the
    whole window, title bar and panel included, in view)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    free = screen.availableGeometry()
    frame = 40  # the title bar and borders the window manager adds
    return QSize(min(width, free.width()), min(height, free.height() - frame))


def _same_path(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def redo_shortcuts() -> list[QKeySequence]:
    """Ctrl+Shift+Z and Ctrl+Y, each once: the platform's Redo key is one of them on
    Linux, and a key given twice makes Qt call it ambiguous and do nothing."""
    keys: list[QKeySequence] = []
    for key in (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"),
                *QKeySequence.keyBindings(QKeySequence.Redo)):
        if key not in keys:
            keys.append(key)
    return keys
