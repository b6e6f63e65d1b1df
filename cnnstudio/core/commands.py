"""Undoable edits, Qt-free (glue's `core/command.py` is the model).

A command holds the project before and after the edit; `do` and `undo` put
one or the other into the document. Because projects are immutable values,
undo restores exactly the earlier project, down to its JSON. The GUI wraps
these in QUndoCommand; `merge_key` lets consecutive edits of one value
(typing 3, 32, 320 into filters) merge into one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cnnstudio.core.project import Project

Listener = Callable[[Project], None]


class Document:
    """The open project and who wants to hear when it changes."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._listeners: list[Listener] = []

    @property
    def project(self) -> Project:
        return self._project

    def set_project(self, project: Project) -> None:
        if project is self._project:
            return
        self._project = project
        for listener in list(self._listeners):
            listener(project)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)


@dataclass
class Command:
    """One edit: the text the Edit menu shows, and the two projects."""

    text: str
    before: Project
    after: Project
    merge_key: tuple | None = None

    def do(self, document: Document) -> None:
        document.set_project(self.after)

    def undo(self, document: Document) -> None:
        document.set_project(self.before)

    def merge(self, newer: "Command") -> bool:
        """Absorb a newer edit of the same value; True when merged."""
        if self.merge_key is None or newer.merge_key != self.merge_key:
            return False
        self.after = newer.after
        return True
