"""The files a project names travel with it when it is saved somewhere new.

A project names its imported start weights and each run's weights and layer
outputs. Before its first save they are in CNN Studio's own temporary folders;
Save moves them beside the project (`NAME-imported.weights.h5`,
`NAME-runs/run-3/`). Save As into another folder copies the files of the
old folder, since the old project still names them. Nothing else is ever
moved, and no existing file is overwritten: a taken name gets a number.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from cnnstudio.core.project import Project
from cnnstudio.core.project_file import START_WEIGHTS, start_weights_of, with_start_weights
from cnnstudio.core.run_files import is_own_temp_path, project_stem, stored_path
from cnnstudio.core.runs import RUN_FILE_FIELDS


def carry_files(project: Project, project_file: str | os.PathLike[str],
                previous_file: str | os.PathLike[str] | None = None) -> Project:
    """The project with every file it names placed beside `project_file`.

    `previous_file` is where the project was saved before (None for an untitled
    one): relative paths are read from its folder. Files that are missing stay
    named as they were; the Trainer and the pages say so when they need them.
    """
    target = Path(project_file).resolve().parent
    source = Path(previous_file).resolve().parent if previous_file else target
    stem = project_stem(project_file)
    mover = _Mover(source, target)
    entry = start_weights_of(project)
    if entry is not None:
        placed = mover.place(entry["path"], f"{stem}-imported.weights.h5")
        if placed != entry["path"]:
            project = with_start_weights(project, {**entry, "path": placed})
    runs = []
    for run in project.runs:
        changed = dict(run)
        for key in RUN_FILE_FIELDS:
            if not isinstance(run.get(key), str):
                continue
            name = PurePosixPath(run[key].replace("\\", "/")).name
            wanted = (f"{stem}-imported.weights.h5" if key == START_WEIGHTS
                      else f"{stem}-runs/{run.get('id', 'run')}/{name}")
            changed[key] = mover.place(run[key], wanted)
        runs.append(changed)
    if runs != list(project.runs):
        project = replace(project, runs=tuple(runs))
    mover.remove_emptied_folders()
    return project


class _Mover:
    """Moves CNN Studio's own temporary files and copies files of the previous folder."""

    def __init__(self, source: Path, target: Path) -> None:
        self.source = source
        self.target = target
        self.emptied: set[Path] = set()
        self.placed: dict[str, str] = {}  # a file named twice (a run's start weights) moves once

    def place(self, text: str, wanted: str) -> str:
        """The stored path of the file once placed; `wanted` is its place when it moves."""
        if text not in self.placed:
            self.placed[text] = self._place(text, wanted)
        return self.placed[text]

    def _place(self, text: str, wanted: str) -> str:
        path = Path(text)
        if path.is_absolute():
            if not is_own_temp_path(path) or not path.is_file():
                return text  # only a project held in memory names one; leave it
            destination = _free(self.target / wanted)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(destination))
            self.emptied.add(path.parent)
            return destination.relative_to(self.target).as_posix()
        if self.source == self.target:
            return text
        old = stored_path(text, self.source / "_")
        if old is None or not old.is_file():
            return text
        destination = self.target / text
        if destination.exists() and not _same_file(old, destination):
            destination = _free(destination)
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(old, destination)
        return destination.relative_to(self.target).as_posix()

    def remove_emptied_folders(self) -> None:
        for folder in self.emptied:
            try:
                folder.rmdir()  # CNN Studio's own temporary folder, now empty
            except OSError:
                pass


def _free(path: Path) -> Path:
    """`path`, or with -2, -3... before its suffixes when that name is taken."""
    if not path.exists():
        return path
    name = path.name
    stem, dot, suffixes = name.partition(".")
    number = 2
    while True:
        candidate = path.with_name(f"{stem}-{number}{dot}{suffixes}")
        if not candidate.exists():
            return candidate
        number += 1


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def carried_paths(project: Project) -> list[Any]:
    """Every file path the project names (start weights, run files), as stored."""
    entry = start_weights_of(project)
    paths = [entry["path"]] if entry else []
    for run in project.runs:
        paths += [run[key] for key in RUN_FILE_FIELDS if isinstance(run.get(key), str)]
    return paths
