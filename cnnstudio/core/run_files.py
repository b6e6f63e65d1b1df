"""Where a run's files are: paths stored relative to the project file when they can be."""

from __future__ import annotations

from pathlib import Path


def stored_path(text: str | None, project_file: str | Path | None) -> Path | None:
    """A path from a run record as a usable path (relative ones start at the project)."""
    if not text:
        return None
    path = Path(text)
    if not path.is_absolute() and project_file is not None:
        path = Path(project_file).resolve().parent / path
    return path


def path_to_store(path: Path | None, project_file: str | Path | None) -> str | None:
    """A path as a run record keeps it: relative to the project's folder when inside it,
    so a project folder can be moved or shared with its runs."""
    if path is None:
        return None
    if project_file is not None:
        try:
            return path.relative_to(Path(project_file).resolve().parent).as_posix()
        except ValueError:
            pass
    return str(path)
