"""Scanning an image folder, one sub-folder per class, for the engine.

The scan is the export runtime's (export_runtime/image_files.py), which exported
scripts carry too, so both read the same files from a folder; here its errors become
CNN Studio's DataError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from cnnstudio.engine.arrays import data_errors
from cnnstudio.export_runtime import image_files
from cnnstudio.export_runtime.image_files import FolderScan

__all__ = ["FolderScan", "scan_folder"]


def scan_folder(root: str | Path, progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> FolderScan:
    """The images under `root`; `progress(done, total)` and `cancelled()` serve a worker
    that shows a long scan and may stop it."""
    with data_errors():
        return image_files.scan_folder(Path(root), progress, cancelled)
