"""The catalogue's texts as a person reads them: its help and summaries mark names as
`code` (for the README's Markdown); a label shows them as code, a tooltip without the
marks. And numbers as a person writes them: 0.25, not 0.250000."""

from __future__ import annotations

import html
import re

from PySide6.QtWidgets import QDoubleSpinBox

_CODE = re.compile(r"`([^`]+)`")


def rich(text: str) -> str:
    """HTML for a rich-text label: names in `backticks` set as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def plain(text: str) -> str:
    """Plain text for a tooltip: the backticks left out."""
    return _CODE.sub(r"\1", text)


def plain_number(value: float, decimals: int = 6) -> str:
    """0.25, 0.001, 1e-05: as short as the value allows, never padded with zeros."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("0", "-0") and value != 0:
        return f"{value:g}"
    return text or "0"


class NumberBox(QDoubleSpinBox):
    """A QDoubleSpinBox that shows 0.25 rather than 0.250000."""

    def textFromValue(self, value: float) -> str:
        return plain_number(value, self.decimals())
