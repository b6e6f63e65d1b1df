"""Laying out generated code: calls that wrap at the line length, shapes and paths as
the script writes them."""

from __future__ import annotations

from pathlib import Path


LINE = 96  # wrap generated calls longer than this
INDENT = " " * 8  # of items in a list inside a function


def call_lines(prefix: str, function: str, arguments: list[str], suffix: str,
          brackets: str = "()") -> list[str]:
    """`prefix + function(arguments) + suffix`: on one line if it fits, else the arguments
    aligned under the bracket, else on lines of their own indented by four."""
    opening, closing = brackets
    head = f"{prefix}{function}{opening}"
    line = f"{head}{', '.join(arguments)}{closing}{suffix}"
    if len(line) <= LINE or not arguments:
        return [line]
    aligned = pack(arguments, head, " " * len(head), closing + suffix)
    if all(len(row) <= LINE for row in aligned):
        return aligned
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 4)
    return [head] + pack(arguments, indent, indent, closing + suffix)


def pack(arguments: list[str], first: str, indent: str, end: str) -> list[str]:
    """Arguments joined by commas, filled greedily into lines of at most LINE."""
    rows, current = [], first
    for i, argument in enumerate(arguments):
        piece = argument + ("," if i < len(arguments) - 1 else end)
        fresh = current in (first, indent)
        if not fresh and len(current) + 1 + len(piece) > LINE:
            rows.append(current)
            current, fresh = indent, True
        current += piece if fresh else " " + piece
    return rows + [current]


def shape_text(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def absolute(path: Path) -> Path:
    """Absolute, so the script finds its data wherever it is run from."""
    return path.expanduser().resolve()
