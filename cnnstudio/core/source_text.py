"""User text inside generated Python source: literals, comments and docstrings.

Names, paths and descriptions come from other people's projects. Whatever
they hold (quotes, backslashes of Windows paths, newlines, NUL, U+2028), the
exported scripts must compile and mean what they say: text goes in as a
proper Python literal, or flattened to one printable line in a comment.
"""

from __future__ import annotations

import json


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
