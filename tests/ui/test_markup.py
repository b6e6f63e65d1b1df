"""Texts and numbers as a person reads them."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QLabel

from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.ui.common.markup import plain, plain_number, rich


def test_numbers_are_written_without_padding():
    assert [plain_number(v) for v in (0.25, 0.001, 0.5, 1.0, 0.0, 1e-7, 3.14159265)] == \
        ["0.25", "0.001", "0.5", "1", "0", "1e-07", "3.141593"]


def test_code_marks_become_code_in_labels_and_go_in_tooltips():
    text = LAYER_TYPES["Conv2D"].summary
    assert "`filters`" in text
    assert "<code>filters</code>" in rich(text) and "`" not in rich(text)
    assert "`" not in plain(text) and "filters" in plain(text)


def test_the_properties_panel_shows_no_raw_marks_or_padded_numbers(make_window):
    window = make_window()
    window.design.stack.select_rows([3])  # the Dropout
    properties = window.design.properties
    assert properties.fields["rate"].spin.text() == "0.25"
    labels = [label.text() for label in properties.widget().findChildren(QLabel)]
    assert not any("`" in text for text in labels)
    texts = [box.text() for box in window.train_page.form.findChildren(QDoubleSpinBox)]
    assert "0.001" in texts and not any(t.endswith("00") for t in texts if "." in t)
