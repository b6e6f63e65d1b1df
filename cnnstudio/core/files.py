"""Writing files so that a failure never leaves half of one behind."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp", mode: int | None = None) -> Iterator[Path]:
    """A new temporary file beside `path` for the block to write; renamed over `path`
    when the block ends, removed if it fails, so `path` is never half-written.

    `suffix` ends the temporary name (Keras insists on `.weights.h5`); `mode`, if
    given, becomes the file's permissions.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """A temporary file beside the target, flushed to disk, then renamed over it.

    A symbolic link is written through to the file it points to (the link
    stays a link), and an existing file keeps its permissions; a new one gets
    the permissions the user's umask gives, as `open` would.
    """
    path = Path(os.path.realpath(path))
    with replacing(path, mode=_mode_for(path)) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())


def _mode_for(path: Path) -> int:
    """The existing file's permission bits, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read where the system shows it (setting it to read it
    would change it for other threads for a moment)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
