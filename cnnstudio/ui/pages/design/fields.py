"""One editor widget per argument kind, built from the catalogue's declaration.

Each field shows a JSON value and emits `edited(value)` with the new JSON value
as the user changes it (no Apply button: the stack updates at once). Ranges
come from the declaration, so spin boxes cannot leave them.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSpinBox, QToolButton,
    QWidget,
)

from cnnstudio.ui.common.markup import NumberBox, plain
from cnnstudio.core.arguments import Arg, Kind

INT_LIMIT = 1_000_000_000
_NOTHING = object()
NONE_TEXT = "None"


class Field(QWidget):
    edited = Signal(object)

    def __init__(self, arg: Arg, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.arg = arg
        # What the user types is what is shown: forget the last value set from outside,
        # so that a refused value is put back on the next refresh.
        self.edited.connect(self._forget_shown)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.setToolTip(f"{plain(arg.help)}\nValid: {arg.describe()}.")

    def set_value(self, value: Any) -> None:
        """Show `value` (the user's JSON value, or the default) without emitting.

        A value already shown is left alone: re-setting it would repaint the
        widget on every edit anywhere in the project.
        """
        if getattr(self, "_shown", _NOTHING) == value:
            return
        self._shown = value
        self.blockSignals(True)
        try:
            self._show(value)
        finally:
            self.blockSignals(False)

    def _forget_shown(self, _value: Any) -> None:
        self._shown = _NOTHING

    def _show(self, value: Any) -> None:
        raise NotImplementedError


def _int_spin(arg: Arg, nullable: bool) -> QSpinBox:
    spin = QSpinBox()
    low = int(arg.minimum) if arg.minimum is not None else -INT_LIMIT
    high = int(arg.maximum) if arg.maximum is not None else INT_LIMIT
    spin.setRange(low - 1 if nullable else low, high)
    if nullable:
        spin.setSpecialValueText(NONE_TEXT)
    spin.setAccelerated(True)
    return spin


class SpinField(Field):
    """A spin box whose minimum stands for None when the argument may be None."""

    convert = int

    def _show(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(self.spin.minimum() if value is None else self.convert(value))
        self.spin.blockSignals(False)


class IntField(SpinField):
    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.nullable = arg.nullable or arg.default is None
        self.spin = _int_spin(arg, self.nullable)
        self.row.addWidget(self.spin)
        self.spin.valueChanged.connect(self._changed)

    def _changed(self, value: int) -> None:
        if self.signalsBlocked():
            return
        none = self.nullable and value == self.spin.minimum()
        self.edited.emit(None if none else value)


class FloatField(SpinField):
    convert = float

    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.nullable = arg.nullable
        self.spin = NumberBox()
        self.spin.setDecimals(6)
        low = arg.minimum if arg.minimum is not None else -1e9
        high = arg.maximum if arg.maximum is not None else 1e9
        step = 0.05 if (arg.maximum is not None and arg.maximum <= 1) else 0.1
        self.spin.setSingleStep(step)
        self.spin.setRange(low - 1 if self.nullable else low, high)
        if self.nullable:
            self.spin.setSpecialValueText(NONE_TEXT)
        self.row.addWidget(self.spin)
        self.spin.valueChanged.connect(self._changed)

    def _changed(self, value: float) -> None:
        if self.signalsBlocked():
            return
        if self.nullable and value == self.spin.minimum():
            self.edited.emit(None)
            return
        self.edited.emit(round(value, 6))


class BoolField(Field):
    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.box = QCheckBox()
        self.row.addWidget(self.box)
        self.box.toggled.connect(lambda on: self.signalsBlocked() or self.edited.emit(on))

    def _show(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)


class ChoiceField(Field):
    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.combo = QComboBox()
        if arg.nullable:
            self.combo.addItem("None (linear)" if arg.name == "activation" else NONE_TEXT, None)
        for choice in arg.choices:
            self.combo.addItem(choice, choice)
        self.row.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self._changed)

    def _changed(self, index: int) -> None:
        if not self.signalsBlocked():
            self.edited.emit(self.combo.itemData(index))

    def _show(self, value: Any) -> None:
        if isinstance(value, str) and self.arg.ignore_case:
            value = value.lower()
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(0, self.combo.findData(value)))
        self.combo.blockSignals(False)


class TupleField(Field):
    """N spin boxes and a "square" link: linked, one value stands for all (Keras's int)."""

    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.nullable = arg.nullable
        self.none_box = QCheckBox(NONE_TEXT) if self.nullable else None
        if self.none_box:
            self.row.addWidget(self.none_box)
            self.none_box.toggled.connect(self._none_toggled)
        self.spins = []
        for _ in range(arg.length):
            spin = _int_spin(arg, nullable=False)
            spin.setMaximum(10_000)
            spin.valueChanged.connect(self._spin_changed)
            self.row.addWidget(spin)
            self.spins.append(spin)
        self.link = QToolButton()
        self.link.setText("square")
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setToolTip("Linked: one value for every axis (written as a single integer)")
        self.link.setVisible(arg.length > 1)
        self.link.toggled.connect(self._link_toggled)
        self.row.addWidget(self.link)
        self.row.addStretch(1)

    def value(self) -> Any:
        if self.none_box and self.none_box.isChecked():
            return None
        values = [s.value() for s in self.spins]
        if len(values) == 1 or (self.link.isChecked() and len(set(values)) == 1):
            return values[0]
        return values

    def _spin_changed(self, value: int) -> None:
        if self.link.isChecked():
            for spin in self.spins:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        self._emit()

    def _link_toggled(self, on: bool) -> None:
        if on:
            self._spin_changed(self.spins[0].value())

    def _none_toggled(self, on: bool) -> None:
        for spin in self.spins:
            spin.setEnabled(not on)
        self._emit()

    def _emit(self) -> None:
        if not self.signalsBlocked():
            self.edited.emit(self.value())

    def _show(self, value: Any) -> None:
        widgets = self.spins + [self.link] + ([self.none_box] if self.none_box else [])
        for w in widgets:
            w.blockSignals(True)
        if self.none_box:
            self.none_box.setChecked(value is None)
            for spin in self.spins:
                spin.setEnabled(value is not None)
        if value is not None:
            values = [value] * len(self.spins) if isinstance(value, int) else list(value)
            for spin, v in zip(self.spins, values):
                spin.setValue(int(v))
            self.link.setChecked(isinstance(value, int) or len(set(values)) == 1)
        for w in widgets:
            w.blockSignals(False)


class TextField(Field):
    """Free-form values (lists, pairs): typed as JSON, `2, -1` also accepted."""

    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(arg.describe())
        self.row.addWidget(self.edit)
        self.edit.textEdited.connect(self._changed)

    def _changed(self, text: str) -> None:
        try:
            value = parse_text_value(text)
        except ValueError:
            self.edit.setStyleSheet("QLineEdit { background: #fde7e9; }")
            return
        self.edit.setStyleSheet("")
        self.edited.emit(value)

    def _show(self, value: Any) -> None:
        try:
            if parse_text_value(self.edit.text()) == value:
                return  # the user's own spelling stays
        except ValueError:
            pass
        self.edit.setText("" if value is None else json.dumps(value))
        self.edit.setStyleSheet("")


def parse_text_value(text: str) -> Any:
    """JSON, with the outer brackets optional for lists: '2, -1' -> [2, -1]."""
    text = text.strip()
    if not text or text.lower() == "none" or text == "null":
        return None
    text = text.replace("None", "null").replace("(", "[").replace(")", "]")
    if "," in text and not text.startswith("["):
        text = f"[{text}]"
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(str(error)) from None


class NameField(Field):
    """A name (e.g. a layer inside a pre-trained base); empty means None."""

    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(NONE_TEXT)
        self.row.addWidget(self.edit)
        self.edit.editingFinished.connect(self._changed)

    def _changed(self) -> None:
        self.edited.emit(self.edit.text().strip() or None)

    def _show(self, value: Any) -> None:
        self.edit.setText(value or "")


class PathField(NameField):
    """A file on this computer, typed or chosen with a file dialog."""

    def __init__(self, arg: Arg, parent=None) -> None:
        super().__init__(arg, parent)
        self.edit.setPlaceholderText("None (random initial weights)")
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("Choose the file")
        browse.clicked.connect(self._browse)
        self.row.addWidget(browse)

    def _browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        name, _ = QFileDialog.getOpenFileName(self, "Choose a weights file", self.edit.text(),
                                              "Keras weights (*.h5 *.weights.h5);;All files (*)")
        if name:
            self.edit.setText(name)
            self._changed()


FIELDS = {
    Kind.INT: IntField, Kind.FLOAT: FloatField, Kind.BOOL: BoolField, Kind.CHOICE: ChoiceField,
    Kind.INT_TUPLE: TupleField, Kind.PAIR_OF_PAIRS: TextField, Kind.SHAPE: TextField,
    Kind.NOISE_SHAPE: TextField, Kind.FACTOR: TextField, Kind.NAME: NameField,
    Kind.PATH: PathField,
}


def make_field(arg: Arg) -> Field:
    return FIELDS[arg.kind](arg)
