"""What the system must provide before Qt can open a window on X11, checked without
starting Qt: Qt's xcb plugin links against libraries the wheels do not bring
(libxcb-cursor0 and others), and without one Qt aborts naming only the first."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path


def xcb_plugin() -> Path | None:
    spec = find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def missing_libraries(plugin: Path | None = None) -> list[str]:
    """The shared libraries the xcb plugin needs and the system lacks (by ldd), in its
    order; empty where that cannot be told (no ldd, no plugin: another system)."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True,
                             timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(re.findall(r"^\s*(\S+) => not found", out, re.M)))


def debian_package(soname: str) -> str:
    """The Debian package holding a library: libxcb-cursor.so.0 -> libxcb-cursor0,
    libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (a name ending in a digit takes '-')."""
    name, _, version = soname.partition(".so.")
    name = name.lower()
    version = version.split(".")[0]
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def window_problem() -> str | None:
    """Why `cnnstudio` cannot open its window on this X11 session, with the one command
    that fixes it; None when it can (or on another platform)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    if not os.environ.get("DISPLAY") or (os.environ.get("WAYLAND_DISPLAY") and not platform):
        return None  # Wayland, or no display at all (said elsewhere)
    missing = missing_libraries()
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(debian_package(lib) for lib in missing))
    return (f"Qt cannot open a window: the system lacks {', '.join(missing)}, which Qt's "
            f"X11 support needs. Install them with:\n    sudo apt-get install {packages}")
