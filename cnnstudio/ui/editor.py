"""The project being edited, its undo stack, and its shape report.

Widgets change the project only through `ProjectEditor.edit`, which pushes an
undoable command; they redraw from `changed`. Inference runs synchronously
here because it takes well under a millisecond for hundreds of layers. The
one exception is a pre-trained base, whose figures Keras must measure once by
building it (seconds): the report marks it pending, a worker measures it, and
`changed` fires again when its figures are known.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core import Project, ProjectError, edits, infer
from cnnstudio.core.commands import Command, Document
from cnnstudio.core.hints import Hint, architecture_hints


class _UndoCommand(QUndoCommand):
    """A core Command in Qt's undo stack; merges edits that share a merge key."""

    def __init__(self, document: Document, command: Command) -> None:
        super().__init__(command.text)
        self.document = document
        self.command = command

    def redo(self) -> None:
        self.command.do(self.document)

    def undo(self) -> None:
        self.command.undo(self.document)

    def id(self) -> int:
        return 1 if self.command.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        return isinstance(other, _UndoCommand) and self.command.merge(other.command)


class ProjectEditor(QObject):
    changed = Signal()
    """The project changed (any edit, undo or redo); `report` is already fresh."""

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = Document(project)
        self.undo_stack = QUndoStack(self)
        self.report = infer(project, known_figures())
        self._hints: list[Hint] | None = None
        self.class_count: int | None = None  # known once the Data page has loaded data
        self.input_follows_data = True
        """Loaded data may set the model's input without asking: true for a new project
        until the user edits the input; false for an opened file, whose input was chosen."""
        self._input_shape = project.input_shape
        self._following = False
        self.measuring = None  # the Task measuring a pre-trained base, while one runs
        self.removed_runs: set[str] = set()
        """Runs the user deleted: a save does not bring them back from the file."""
        self.document.subscribe(self._on_project)
        self._measure_pending()

    @property
    def project(self) -> Project:
        return self.document.project

    def edit(self, text: str, change: Callable[..., Project], *args: Any,
             merge_key: tuple | None = None) -> str | None:
        """Apply `change(project, *args)` as one undo step.

        Returns None on success, or the message of the ProjectError that
        refused the value (the project is then unchanged).
        """
        before = self.project
        try:
            after = change(before, *args)
        except ProjectError as error:
            return error.problem
        if after != before:
            self.undo_stack.push(_UndoCommand(self.document,
                                              Command(text, before, after, merge_key)))
        return None

    def replace(self, project: Project, text: str) -> None:
        """Swap in a whole project (template load) as an undoable step."""
        self.edit(text, lambda _old: project)

    def remove_runs(self, ids: list[str]) -> None:
        self.removed_runs.update(ids)
        self.edit(f"Delete {', '.join(ids)}", edits.remove_runs, ids)

    def merge_runs(self, runs) -> list[str]:
        """Add runs another process recorded in the file (not an undo step: they are in
        the file already); the ids added."""
        from cnnstudio.core.run_store import merge_runs

        merged = merge_runs(self.project, runs, known=tuple(self.removed_runs))
        added = [r.get("id") for r in merged.runs[len(self.project.runs):]]
        if added:
            self.document.set_project(merged)
        return added

    def reset(self, project: Project, input_follows_data: bool = True) -> None:
        """A new document (open, new): history starts afresh."""
        self.removed_runs = set()
        self.undo_stack.clear()
        self._following = True
        try:
            self.document.set_project(project)
        finally:
            self._following = False
        self.input_follows_data = input_follows_data
        self.undo_stack.setClean()

    def follow_data_shape(self, shape: tuple[int, ...]) -> None:
        """Set the input to the data's image shape, as one undo step, keeping it automatic."""
        self._following = True
        try:
            self.edit("Input follows the data set", edits.set_input_shape, list(shape))
        finally:
            self._following = False

    def hint_texts(self) -> dict[int, list[str]]:
        """The hints' sentences by layer index, as the list and the diagram show them."""
        texts: dict[int, list[str]] = {}
        for hint in self.hints:
            texts.setdefault(hint.index, []).append(hint.text())
        return texts

    @property
    def hints(self) -> list[Hint]:
        """Architecture hints for the current project, computed once per change."""
        if self._hints is None:
            self._hints = architecture_hints(self.project, self.report, self.class_count)
        return self._hints

    def set_class_count(self, count: int | None) -> None:
        """The data's class count, for the output-units hint; redraws like an edit."""
        if count != self.class_count:
            self.class_count = count
            self._hints = None
            self.changed.emit()

    def _on_project(self, project: Project) -> None:
        if project.input_shape != self._input_shape and not self._following:
            self.input_follows_data = False
        self._input_shape = project.input_shape
        self._refresh()

    def _refresh(self) -> None:
        """A fresh report and hints, `changed`, then any pre-trained base still to measure."""
        self.report = infer(self.project, known_figures())
        self._hints = None
        self.changed.emit()
        self._measure_pending()

    # pre-trained bases ------------------------------------------------------------------
    def _measure_pending(self) -> None:
        """Measure the base the report waits for, in a worker (one at a time)."""
        pending = self.report.pending
        if pending is None or self.measuring is not None:
            return
        from cnnstudio.ui.common.worker import Task

        spec = self.project.layers[pending.index]
        shape, params = pending.input_shape, spec.resolved

        def work(progress, cancelled):
            from cnnstudio.engine.applications import measure

            return measure(shape, params)

        self.measuring = Task(work, self)
        self.measuring.done.connect(self._measured)
        self.measuring.failed.connect(self._measure_failed)
        self.measuring.start()

    def _measured(self, _figures=None) -> None:
        self.measuring = None
        self._refresh()  # measures the next base, or this one again if edited meanwhile

    def _measure_failed(self, message: str, details: str) -> None:
        """E.g. TensorFlow failing to load: the row shows why instead of waiting forever."""
        from cnnstudio.core.base_figures import BaseFigures, figures_key, remember

        pending = self.report.pending
        if pending is not None:
            spec = self.project.layers[pending.index]
            remember(figures_key(pending.input_shape, spec.resolved),
                     BaseFigures(error=f"Cannot build {spec.params.get('application')}: "
                                       f"{message}"), persist=False)
        self._measured()

    def shutdown(self) -> None:
        """Wait for a measuring worker (closing the window)."""
        if self.measuring is not None:
            self.measuring.wait()
