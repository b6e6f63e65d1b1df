"""An image folder as a data set: one sub-folder per class, files checked by their first
bytes. The engine's folder scan and every exported script list the same files, skip the
same files and refuse the same folders.

Pure Python and quick (it reads a few bytes per file), so it runs before any
TensorFlow work and can report progress. Files that are not images, or whose first
bytes do not match their format, are skipped and counted rather than left to crash
the training pipeline later.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cnnstudio.export_runtime.array_files import DataError


# ---------------------------------------------------------------------------
# Data sources
# ---------------------------------------------------------------------------
IMAGE_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",),
                    ".jpeg": (b"\xff\xd8\xff",), ".gif": (b"GIF87a", b"GIF89a"),
                    ".bmp": (b"BM",)}
"""The first bytes of each format TensorFlow's decode_image reads."""


def looks_like_image(path: Path) -> bool:
    """True when the file's first bytes are those of its format; an unreadable file is no
    image."""
    signatures = IMAGE_SIGNATURES.get(path.suffix.lower())
    if signatures is None:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return any(head.startswith(s) for s in signatures)


@dataclass
class FolderScan:
    """The image files of a folder with their class numbers, and the files left out."""

    root: Path
    class_names: list
    files: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def class_counts(self) -> list:
        counts = [0] * len(self.class_names)
        for label in self.labels:
            counts[label] += 1
        return counts


def scan_folder(root: Path, progress: Callable | None = None,
                cancelled: Callable | None = None) -> FolderScan:
    """List the images under `root`, one sub-folder per class, in name order.

    `progress(done, total)` is called every few hundred files; `cancelled()` lets a
    worker stop a long scan. Raises DataError for a folder that cannot be a data set
    (missing, empty, no class folders, a class without images).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: folder not found. Choose a folder with one sub-folder "
                        f"per class.")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{root} has no sub-folders; put the images of each class in a "
                        f"sub-folder named after the class (e.g. {root}/cats, {root}/dogs).")
    if len(classes) < 2:
        raise DataError(f"{root} has only one class folder ({classes[0].name}); a classifier "
                        f"needs at least two.")
    listing = [(i, f) for i, folder in enumerate(classes)
               for f in sorted(folder.rglob("*")) if f.is_file()]
    scan = FolderScan(root, [c.name for c in classes])
    for done, (label, path) in enumerate(listing, 1):
        if cancelled is not None and cancelled():
            raise DataError("the folder scan was cancelled.")
        if looks_like_image(path):
            scan.files.append(path)
            scan.labels.append(label)
        else:
            scan.skipped.append(path)
        if progress is not None and (done % 250 == 0 or done == len(listing)):
            progress(done, len(listing))
    empty = [name for name, count in zip(scan.class_names, scan.class_counts()) if count == 0]
    if empty:
        raise DataError(f"class folder {empty[0]!r} in {root} holds no readable images "
                        f"(.png, .jpg, .gif, .bmp); add some or remove the folder.")
    return scan
