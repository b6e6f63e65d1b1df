"""The Data page's augmentation choices, one row per Random* layer type of the catalogue."""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QWidget

from cnnstudio.ui.common.markup import plain
from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.core.dataset_config import AUGMENTATIONS
from cnnstudio.core.project import LayerSpec
from cnnstudio.ui.pages.design.fields import Field, make_field


class AugmentationBox(QGroupBox):
    """Tick an augmentation to apply it to training batches; its key arguments beside it.

    `edited` carries the new `dataset.augmentation` list and a merge tag: the
    argument being typed into (successive values merge into one undo step), or
    "" for a tick, which is a step of its own. Arguments not shown (seed, fill
    mode, ...) keep what the project file holds.
    """

    edited = Signal(list, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Augmentation (training batches only)", parent)
        self.checks: dict[str, QCheckBox] = {}
        self.fields: dict[str, list[Field]] = {}
        self.params: dict[str, dict[str, Any]] = {}
        form = QFormLayout(self)
        note = QLabel("Each epoch sees randomly changed copies of the training images; "
                      "validation and test images stay as they are.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        form.addRow(note)
        for name in AUGMENTATIONS:
            layer_type = LAYER_TYPES[name]
            check = QCheckBox(name)
            check.setToolTip(plain(layer_type.summary))
            check.toggled.connect(self._changed)
            row = QHBoxLayout()
            self.fields[name] = []
            for arg in layer_type.key_args:
                field = make_field(arg)
                field.setToolTip(f"{arg.name}: {plain(arg.help)}")
                field.edited.connect(lambda value, n=name, a=arg.name: self._field(n, a, value))
                row.addWidget(field, 1)
                self.fields[name].append(field)
            self.checks[name] = check
            self.params[name] = layer_type.initial_params()
            form.addRow(check, row)
        self.show_specs(())

    def value(self) -> list[dict[str, Any]]:
        return [{"type": name, "params": dict(self.params[name])}
                for name in AUGMENTATIONS if self.checks[name].isChecked()]

    def show_specs(self, specs: Sequence[LayerSpec]) -> None:
        """Show the project's augmentation without emitting `edited`."""
        chosen = {spec.type: spec for spec in specs}
        for name in AUGMENTATIONS:
            if name in chosen:
                self.params[name] = dict(chosen[name].params)
            layer_type = LAYER_TYPES[name]
            check = self.checks[name]
            check.blockSignals(True)
            check.setChecked(name in chosen)
            check.blockSignals(False)
            for field in self.fields[name]:
                field.set_value(self.params[name].get(field.arg.name,
                                                      layer_type.arg_index[field.arg.name].default))
                field.setEnabled(name in chosen)

    def _field(self, name: str, arg: str, value: Any) -> None:
        self.params[name][arg] = value
        if self.checks[name].isChecked():
            self.edited.emit(self.value(), f"{name}.{arg}")

    def _changed(self, *_args: Any) -> None:
        for name, check in self.checks.items():
            for field in self.fields[name]:
                field.setEnabled(check.isChecked())
        self.edited.emit(self.value(), "")
