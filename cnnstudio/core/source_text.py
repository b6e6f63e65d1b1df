"""User text inside generated Python source: literals, comments and docstrings.

Names, paths and descriptions come from other people's projects. Whatever
they hold (quotes, backslashes of Windows paths, newlines, NUL, U+2028), the
exported scripts must compile and mean what they say: text goes in as a
proper Python literal, or flattened to one printable line in a comment.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from typing import Any

from cnnstudio.core.errors import ExportError


def py_string(text: str) -> str:
    """A double-quoted Python string literal for any text (JSON's escapes are Python's);
    non-printable characters are escaped, so no character can break the line."""
    return json.dumps(text, ensure_ascii=not text.isprintable())


def comment_text(text: object) -> str:
    """Text that stays on one comment line: runs of white space become one space and
    characters that are not printable become '?'."""
    flat = " ".join(str(text).split())
    return "".join(c if c.isprintable() else "?" for c in flat)


def docstring_text(text: object) -> str:
    """Text that can neither end nor break a triple-quoted docstring."""
    return comment_text(text).replace("\\", "\\\\").replace('"', '\\"')


def py_literal(value: Any) -> str:
    """A JSON value as Python source: lists become tuples (as Keras documents its
    arguments), infinities and NaN `float("inf")`, strings `py_string`."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if isinstance(value, str):
        return py_string(value)
    if isinstance(value, (list, tuple)):
        items = [py_literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}"
                               for k, v in value.items()) + "}"
    raise ExportError(f"cannot write {value!r} ({type(value).__name__}) into a script.")


def identifier(name: str, taken: set[str]) -> str:
    """A Python name for a layer name (`.` and `-` are not allowed in one, nor a leading
    digit or a keyword), not in `taken`, which it joins."""
    text = re.sub(r"\W", "_", name) or "layer"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = f"layer_{text}"
    while text in taken:
        text += "_"
    taken.add(text)
    return text
