"""Recording runs in a project file that several processes may train from at once.

A run takes its id and folder (`NAME-runs/run-3/`) under a lock on the project
(`NAME.cnnstudio.json.lock` beside it): the new id is one more than any id in
the file or any folder already made, so two trainings of one file never share
an id or a folder. Recording re-reads the file under the same lock and adds the
run to what is there, so runs recorded meanwhile by another process are kept.

While a run trains, its folder holds `record.json` (the record so far, rewritten
at each epoch end) and `.active`, locked by the training process for as long as
it lives. A folder whose record is still there but whose `.active` nobody
holds belongs to a process that was killed: `recover_interrupted` records it
as "interrupted", with the epochs and weights it had saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from cnnstudio.core.errors import CnnStudioError, ProjectError
from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.project import Project
from cnnstudio.core.project_file import load_project, save_project
from cnnstudio.core.run_files import path_to_store, project_stem
from cnnstudio.core.runs import RUN_FILE_FIELDS, check_runs

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process at a time is assumed
    fcntl = None

RECORD_FILE = "record.json"
ACTIVE_FILE = ".active"
EPOCH_WEIGHTS = "epoch.weights.npz"
"""The weights as they were at the last epoch end, kept while a run trains."""
_RUN_ID = re.compile(r"run-(\d+)")


def runs_folder(project_file: str | os.PathLike[str]) -> Path:
    """`NAME-runs/` beside `NAME.cnnstudio.json`."""
    path = Path(project_file).resolve()
    return path.parent / f"{project_stem(path)}-runs"


@contextlib.contextmanager
def project_lock(project_file: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the project's lock file (made if missing) while the block runs."""
    lock_path = Path(os.path.realpath(project_file)).with_name(Path(project_file).name + ".lock")
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        handle = open(lock_path, "a+")
    except OSError as error:
        raise CnnStudioError(f"Cannot lock {project_file} to record a run: cannot write "
                             f"{lock_path} ({error.strerror}).") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _number(run_id: Any) -> int:
    match = _RUN_ID.fullmatch(str(run_id))
    return int(match.group(1)) if match else 0


def reserve_run(project_file: str | os.PathLike[str], runs: Sequence[Mapping[str, Any]] = ()
                ) -> tuple[str, Path]:
    """A new run id and its folder, made now: unique across the file, the folders on
    disk and `runs` (the caller's own, perhaps unsaved, records)."""
    folder = runs_folder(project_file)
    with project_lock(project_file):
        numbers = [_number(r.get("id")) for r in runs if isinstance(r, Mapping)]
        if Path(project_file).is_file():
            try:
                numbers += [_number(r.get("id")) for r in load_project(project_file).runs]
            except CnnStudioError:
                pass  # the caller read it a moment ago; its own runs still count
        if folder.is_dir():
            numbers += [_number(child.name) for child in folder.iterdir()]
        number = max([0, *numbers]) + 1
        while True:
            run_id = f"run-{number}"
            try:
                (folder / run_id).mkdir(parents=True)
                return run_id, folder / run_id
            except FileExistsError:
                number += 1


def record_run(project_file: str | os.PathLike[str], run: Mapping[str, Any]) -> Project:
    """Add `run` to the project file as it is on disk now, under the lock; returns it."""
    with project_lock(project_file):
        project = load_project(project_file)
        project = merge_runs(project, [run], known=())
        save_project(project, project_file)
    finished_recording(project_file, run)
    return project


def merge_runs(project: Project, others: Sequence[Mapping[str, Any]],
               known: Sequence[str]) -> Project:
    """`project` with the runs of `others` it lacks, except ids in `known` (runs this
    copy has seen and then removed on purpose)."""
    have = {r.get("id") for r in project.runs}
    added = [dict(r) for r in others if r.get("id") not in have and r.get("id") not in known]
    return replace(project, runs=(*project.runs, *added)) if added else project


def finished_recording(project_file: str | os.PathLike[str] | None,
                       run: Mapping[str, Any]) -> None:
    """The run is in the project file: its in-progress record and epoch weights go."""
    if project_file is None or not run.get("id"):
        return
    folder = runs_folder(project_file) / str(run["id"])
    for name in (RECORD_FILE, EPOCH_WEIGHTS):
        with contextlib.suppress(OSError):
            (folder / name).unlink()


def write_progress(folder: Path, record: Mapping[str, Any]) -> None:
    """The record so far, where `recover_interrupted` finds it after a kill."""
    write_text_atomic(folder / RECORD_FILE, json.dumps(record))


class ActiveRun:
    """Holds `.active` locked while a run trains (the kernel lets go when the process dies)."""

    def __init__(self, folder: Path) -> None:
        self.handle = open(folder / ACTIVE_FILE, "a+")
        if fcntl is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.handle.close()
        with contextlib.suppress(OSError):
            Path(self.handle.name).unlink()


def _abandoned(folder: Path) -> bool:
    """Whether the run in `folder` has a record and no live process holds it."""
    if not (folder / RECORD_FILE).is_file():
        return False
    if fcntl is None or not (folder / ACTIVE_FILE).exists():  # pragma: no cover
        return True
    try:
        with open(folder / ACTIVE_FILE, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return True
    except OSError:
        return False  # still training


def recover_interrupted(project_file: str | os.PathLike[str]) -> list[str]:
    """Record each run whose process died mid-training as "interrupted"; their ids.

    The record keeps the epochs it had reached and the weights of its last epoch
    end. A record that cannot be read is left where it is for a person to look at.
    """
    root = runs_folder(project_file)
    if not root.is_dir():
        return []
    recovered: list[dict[str, Any]] = []
    with project_lock(project_file):
        candidates = [f for f in sorted(root.iterdir()) if f.is_dir() and _abandoned(f)]
        if not candidates:
            return []
        project = load_project(project_file)
        have = {r.get("id") for r in project.runs}
        for folder in candidates:
            try:
                record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            if not isinstance(record, dict) or folder.name in have:
                continue
            record = _interrupted(record, folder, project_file)
            try:
                check_runs([record])  # a record made by hand is not trusted further
            except ProjectError:
                continue
            recovered.append(record)
        if recovered:
            save_project(merge_runs(project, recovered, known=()), project_file)
        done = have | {r["id"] for r in recovered}
        for folder in candidates:
            if folder.name in done:
                with contextlib.suppress(OSError):
                    (folder / RECORD_FILE).unlink()
    return [r["id"] for r in recovered]


def _interrupted(record: dict[str, Any], folder: Path, project_file) -> dict[str, Any]:
    record = {k: v for k, v in record.items() if k not in RUN_FILE_FIELDS[:3]}
    record.update(id=folder.name, ended="interrupted")
    done = len(record.get("epochs") or [])
    weights = folder / EPOCH_WEIGHTS
    if weights.is_file():
        record["weights"] = path_to_store(weights, project_file)
    record["message"] = (f"Interrupted: the training process ended (killed, or the machine "
                         f"stopped) after {done} epoch{'s' * (done != 1)}; "
                         + ("the weights of the last finished epoch were kept."
                            if weights.is_file() else "no weights were saved."))
    return record
