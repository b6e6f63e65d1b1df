"""Code as units: the top-level statements of the export runtime's modules, with the names
each binds and uses, so a script copies only what it needs (`needed`)."""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from cnnstudio.core.errors import ExportError


PARTS_MODULE = "cnnstudio.export_runtime.script_parts"
SHAPES_MODULE = "cnnstudio.export_runtime.shapes"
READER_MODULES = ("cnnstudio.export_runtime.rules", "cnnstudio.export_runtime.array_files",
                  "cnnstudio.export_runtime.cache_readers",
                  "cnnstudio.export_runtime.image_files", "cnnstudio.export_runtime.batches")
"""Runtime modules the parts import, whose code a script carries in their place."""
PER_PROJECT = "Written for each project by core.keras_script"
"""The parts module's section of stand-ins for what is written per project: never copied."""


@dataclass(frozen=True)
class Unit:
    """One top-level statement of a source: the names it binds and the names it uses.

    A unit binding nothing (``from __future__``, ``os.environ.setdefault(...)``)
    is always kept.
    """

    text: str
    binds: frozenset[str]
    uses: frozenset[str]
    is_import: bool
    section: str | None
    is_definition: bool  # a function or class: two blank lines around it (PEP 8)
    blank_before: bool  # a blank line above it in its source
    start: int = 0  # its first line in its source


def module_source(name: str) -> str:
    """A module's source text, found through the import system without importing it
    (the export runtime imports TensorFlow, which core never does)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ExportError(f"{name} is missing: CNN Studio's installation is incomplete; "
                          "reinstall it.")
    return Path(spec.origin).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _module_units(name: str) -> tuple[Unit, ...]:
    return tuple(units_of(module_source(name)))


def fixed_parts() -> list[Unit]:
    """The runtime's units a script may copy: the parts module's, with the modules it
    imports from the runtime (READER_MODULES) copied in, not imported, so the script
    stands alone. Their imports come after the parts' own (`from __future__` first)."""
    parts = [u for u in _module_units(PARTS_MODULE)
             if u.section != PER_PROJECT and not _imports_cnnstudio(u)]
    imports = [u for u in parts if u.is_import]
    readers = [u for name in READER_MODULES for u in _module_units(name)]
    check_self_contained([u for u in readers if not _imports_cnnstudio(u)], imports)
    return imports + [u for u in readers if not u.is_import] + \
        [u for u in parts if not u.is_import]


def _imports_cnnstudio(unit: Unit) -> bool:
    return unit.is_import and unit.text.lstrip().startswith("from cnnstudio.")


def shapes_units() -> list[Unit]:
    return list(_module_units(SHAPES_MODULE))


def check_self_contained(embedded: list[Unit], parts: list[Unit]) -> None:
    """Code copied into a script (the readers, the Shapes generator) may import only what
    the parts module imports: one import statement a module in the script, and a
    script that stands alone."""
    have = {name for u in parts if u.is_import for name in imported(u.text)}
    for unit in embedded:
        if unit.is_import and not imported(unit.text) <= have:
            raise ExportError(f"the export runtime now needs {unit.text!r}, which the "
                              f"script would not import; add it to {PARTS_MODULE} if it is "
                              f"a standard, NumPy or TensorFlow module.")


def imported(text: str) -> set[tuple]:
    """What an import statement imports: (module, name, as-name) for each name."""
    node = ast.parse(text).body[0]
    module = getattr(node, "module", None)
    return {(module, alias.name, alias.asname) for alias in node.names}


def units_of(source: str) -> list[Unit]:
    """The top-level statements of a source, each with its section: the title of the
    last '# ----' / '# Title' / '# ----' block above it."""
    tree = ast.parse(source)
    lines = source.splitlines()
    units, section, previous_end = [], None, 0
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        previous_end, body = body[0].end_lineno, body[1:]  # the module docstring
    for node in body:
        if _is_attribute_docstring(node, units):  # stays with the assignment above it
            units[-1] = replace(units[-1], text="\n".join(
                lines[units[-1].start - 1:node.end_lineno]))
            previous_end = node.end_lineno
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        section = _section_title(lines[previous_end:start - 1]) or section
        text = "\n".join(lines[start - 1:node.end_lineno])
        is_import = isinstance(node, (ast.Import, ast.ImportFrom))
        binds = frozenset() if _is_future(node) else _bound_names(node)
        is_definition = isinstance(node, (ast.FunctionDef, ast.ClassDef))
        above = start - 2
        while above >= 0 and lines[above].startswith("#"):  # a comment block (not copied)
            above -= 1
        blank_before = above >= 0 and not lines[above].strip()
        units.append(Unit(text, binds, _used_names(node), is_import, section, is_definition,
                           blank_before, start))
        previous_end = node.end_lineno
    return units


def _is_attribute_docstring(node: ast.stmt, units: list[Unit]) -> bool:
    """A string right after an assignment documents what it assigns (as Sphinx reads it)."""
    return (bool(units) and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str) and bool(units[-1].binds)
            and not units[-1].is_import and not units[-1].is_definition)


def _section_title(between: list[str]) -> str | None:
    for above, title, below in zip(between, between[1:], between[2:]):
        if above.startswith("# ---") and below.startswith("# ---") and title.startswith("# "):
            return title[2:].strip()
    return None


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _bound_names(node: ast.stmt) -> frozenset[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return frozenset({node.name})
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return frozenset((a.asname or a.name).split(".")[0] for a in node.names)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return frozenset(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset()


def _used_names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def needed(units: list[Unit], code: Iterable[str]) -> list[Unit]:
    """The units that `code` uses, directly or through other units, plus those that are
    always kept; in their original order. An import keeps only the names used."""
    by_name: dict[str, Unit] = {}
    for unit in units:
        for name in unit.binds:
            by_name.setdefault(name, unit)
    wanted = set().union(*(_used_names(ast.parse(text)) for text in code))
    kept = {id(u): u for u in units if not u.binds}
    wanted |= set().union(*(u.uses for u in kept.values()))
    used = set(wanted)
    while wanted:
        unit = by_name.get(wanted.pop())
        if unit is not None and id(unit) not in kept:
            kept[id(unit)] = unit
            wanted |= unit.uses - used
            used |= unit.uses
    return [_trimmed(u, used) for u in units if id(u) in kept]


def _trimmed(unit: Unit, used: set[str]) -> Unit:
    """A `from m import a, b` unit with only the names in `used` (its comment goes, as it
    spoke of the whole line)."""
    if not unit.is_import or unit.binds <= used:
        return unit
    node = ast.parse(unit.text).body[0]
    names = [a for a in node.names if (a.asname or a.name) in used]
    listed = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in names)
    return replace(unit, text=f"from {node.module} import {listed}",
                   binds=frozenset(a.asname or a.name for a in names))
