"""Which files of an image folder are images, by their first bytes: the engine's folder
scan and every exported script skip the same files."""
from __future__ import annotations

from pathlib import Path


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
