"""Recovery copies: written a few seconds after an edit, offered after a crash.

A copy lives in the application's data folder as `<key>.cnnstudio.json` with a
`<key>.meta.json` beside it naming the project file it belongs to. Saving or
closing normally removes both; what is left at start-up was left by a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from cnnstudio.core import Project
from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.project_file import project_to_json


@dataclass(frozen=True)
class RecoveryCopy:
    copy: Path
    original: Path | None
    saved_at: float


def folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    path = Path(base or Path.home() / ".cnnstudio") / "recovery"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(original: Path | None) -> str:
    if original is None:
        return f"untitled-{os.getpid()}"
    return hashlib.sha1(str(Path(original).resolve()).encode()).hexdigest()[:16]


def write(project: Project, original: Path | None) -> Path:
    key = _key(original)
    copy = folder() / f"{key}.cnnstudio.json"
    write_text_atomic(copy, project_to_json(project))
    meta = {"original": str(original) if original else None, "saved_at": time.time(),
            "pid": os.getpid()}
    write_text_atomic(folder() / f"{key}.meta.json", json.dumps(meta))
    return copy


def discard(original: Path | None) -> None:
    key = _key(original)
    for name in (f"{key}.cnnstudio.json", f"{key}.meta.json"):
        try:
            (folder() / name).unlink()
        except FileNotFoundError:
            pass


def pending() -> list[RecoveryCopy]:
    """Copies left behind, newest first; unreadable metadata is skipped."""
    found = []
    for meta_path in folder().glob("*.meta.json"):
        copy = meta_path.with_name(meta_path.name.replace(".meta.json", ".cnnstudio.json"))
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or _alive(meta.get("pid")):
            continue  # not ours to judge: unreadable, or another CNN Studio still running
        if copy.exists():
            original = meta.get("original")
            saved_at = meta.get("saved_at")
            found.append(RecoveryCopy(copy, Path(original) if isinstance(original, str) else None,
                                      float(saved_at) if isinstance(saved_at, (int, float))
                                      else 0.0))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove(entry: RecoveryCopy) -> None:
    for path in (entry.copy, entry.copy.with_name(entry.copy.name.replace(
            ".cnnstudio.json", ".meta.json"))):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
