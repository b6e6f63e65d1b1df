"""Errors a user can act on: each names the field, the value and what is expected."""

from __future__ import annotations

import json
from typing import Any


class CnnStudioError(Exception):
    """Base of every error CNN Studio shows to a user as one sentence."""


class ProjectError(CnnStudioError):
    """A project document (file or dict) that cannot be read as a project.

    `field` is a path into the document such as ``layers[3].params.kernel_size``;
    `file` is filled in by the loader so the message names the file too.
    """

    def __init__(self, field: str, problem: str, file: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.file = file
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.file}: " if self.file else ""
        at = f"{self.field}: " if self.field else ""
        return f"{where}{at}{self.problem}"

    def in_file(self, file: str) -> "ProjectError":
        return ProjectError(self.field, self.problem, file)


class ArgumentError(ProjectError):
    """A layer argument whose value Keras would refuse."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.value = value
        self.expected = expected
        super().__init__(field, f"got {show_value(value)}, expected {expected}.")


def show_value(value: Any) -> str:
    """A JSON-like rendering of a user's value for messages."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


class ExportError(CnnStudioError):
    """An export that cannot be written; the message says what to do."""
