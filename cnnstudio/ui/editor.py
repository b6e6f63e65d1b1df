"""The project being edited, its undo stack, and its shape report.

Widgets change the project only through `ProjectEditor.edit`, which pushes an
undoable command; they redraw from `changed`. Inference runs synchronously
here because it takes well under a millisecond for hundreds of layers.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from cnnstudio.core import Project, ProjectError, infer
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
        self.report = infer(project)
        self._hints: list[Hint] | None = None
        self.class_count: int | None = None  # known once the Data page has loaded data
        self.document.subscribe(self._on_project)

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

    def reset(self, project: Project) -> None:
        """A new document (open, new): history starts afresh."""
        self.undo_stack.clear()
        self.document.set_project(project)
        self.undo_stack.setClean()

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
        self.report = infer(project)
        self._hints = None
        self.changed.emit()
