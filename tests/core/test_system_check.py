"""Before Qt starts: the system libraries its X11 support needs, named with the fix."""

from __future__ import annotations

import pytest

from cnnstudio import system_check


@pytest.mark.parametrize("soname, package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"), ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"), ("libdbus-1.so.3", "libdbus-1-3"),
    ("libGL.so.1", "libgl1"),
])
def test_a_missing_library_names_its_debian_package(soname, package):
    assert system_check.debian_package(soname) == package


def test_the_missing_libraries_are_read_from_ldd(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    fake = tmp_path / "ldd"
    fake.write_text("#!/bin/sh\necho '\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)'\n"
                    "echo '\tlibxcb-cursor.so.0 => not found'\n"
                    "echo '\tlibxcb-icccm.so.4 => not found'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert system_check.missing_libraries(plugin) == ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    monkeypatch.setattr(system_check, "xcb_plugin", lambda: plugin)
    monkeypatch.setattr(system_check.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    problem = system_check.window_problem()
    assert "lacks libxcb-cursor.so.0, libxcb-icccm.so.4" in problem
    assert problem.endswith("sudo apt-get install libxcb-cursor0 libxcb-icccm4")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert system_check.window_problem() is None
