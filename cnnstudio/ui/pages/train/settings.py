"""The Train page's settings form, generated from core.training_config.SETTINGS.

Each widget edits one key of the project's `training` section through the
editor (undoable; typing into a number merges into one step). A refused value
shows its message under the form and the project keeps its old value.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QLabel,
    QLineEdit, QSpinBox, QVBoxLayout, QWidget,
)

from cnnstudio.ui.common.markup import NumberBox, plain
from cnnstudio.core import ProjectError, edits
from cnnstudio.core.training_config import GROUPS, SETTINGS, Setting, training_config
from cnnstudio.ui.editor import ProjectEditor

GROUP_TITLES = {"early_stopping": "Early stopping", "reduce_lr": "Reduce learning rate",
                "fine_tune": "Two-phase fine-tuning"}


class _Control:
    """One setting's widget: show a value, report edits."""

    def __init__(self, setting: Setting, on_edit: Callable[[Any, bool], None]) -> None:
        self.setting = setting
        self.on_edit = on_edit
        self.widget = self._make()
        self.widget.setToolTip(plain(setting.help))

    def _make(self) -> QWidget:
        s = self.setting
        if s.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(s.choices))
            combo.currentTextChanged.connect(lambda text: self.on_edit(text, False))
            return combo
        if s.kind == "bool":
            box = QCheckBox(s.label)
            box.toggled.connect(lambda on: self.on_edit(on, False))
            return box
        if s.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(s.low), int(min(s.high, 2**31 - 1)))
            spin.setAccelerated(True)
            spin.valueChanged.connect(lambda value: self.on_edit(value, True))
            return spin
        if s.kind == "float":
            spin = NumberBox()
            small = s.default and s.default < 0.01
            spin.setDecimals(7 if small else 4)
            spin.setRange(s.low, s.high)
            spin.setSingleStep(s.default / 10 if small else 0.05)
            spin.valueChanged.connect(lambda value: self.on_edit(float(f"{value:.7g}"), True))
            return spin
        if s.kind == "metrics":
            host = QWidget()
            grid = QGridLayout(host)
            grid.setContentsMargins(0, 0, 0, 0)
            self.boxes = {}
            for i, name in enumerate(s.choices):
                box = QCheckBox(name.replace("top_k_categorical_accuracy", "top-5"))
                box.setToolTip(name)
                box.toggled.connect(lambda _on: self.on_edit(self._metrics(), False))
                grid.addWidget(box, i // 3, i % 3)
                self.boxes[name] = box
            return host
        line = QLineEdit()
        line.setPlaceholderText("none")
        line.editingFinished.connect(lambda: self.on_edit(line.text().strip() or None, False))
        return line

    def _metrics(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def show(self, value: Any) -> None:
        w = self.widget
        w.blockSignals(True)
        try:
            if isinstance(w, QComboBox):
                w.setCurrentText(value)
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.setValue(value)
            elif isinstance(w, QLineEdit):
                if not w.hasFocus():
                    w.setText(value or "")
            else:
                for name, box in self.boxes.items():
                    box.blockSignals(True)
                    box.setChecked(name in value)
                    box.blockSignals(False)
        finally:
            w.blockSignals(False)


class TrainSettingsForm(QWidget):
    def __init__(self, editor: ProjectEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.controls: dict[tuple[str, ...], _Control] = {}
        self.rows: dict[tuple[str, ...], QWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for setting in SETTINGS:
            self._add(form, (setting.key,), setting)
        layout.addLayout(form)
        for group, settings in GROUPS.items():
            box = QGroupBox(GROUP_TITLES[group])
            group_form = QFormLayout(box)
            for setting in settings:
                self._add(group_form, (group, setting.key), setting)
            layout.addWidget(box)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a4262c;")
        layout.addWidget(self.error)
        editor.changed.connect(self.refresh)
        self.refresh()

    def _add(self, form: QFormLayout, path: tuple[str, ...], setting: Setting) -> None:
        control = _Control(setting, lambda value, merge, p=path: self._edited(p, value, merge))
        self.controls[path] = control
        if setting.kind == "bool":
            form.addRow("", control.widget)
        else:
            form.addRow(setting.label, control.widget)
        label = form.labelForField(control.widget)
        self.rows[path] = label

    def refresh(self) -> None:
        try:
            config = training_config(self.editor.project.training).to_dict()
        except ProjectError as error:
            self.error.setText(str(error))
            return
        for path, control in self.controls.items():
            value = config[path[0]] if len(path) == 1 else config[path[0]][path[1]]
            control.show(value)
            condition = control.setting.only_for
            visible = condition is None or config[condition[0]] == condition[1]
            control.widget.setVisible(visible)
            if self.rows[path] is not None:
                self.rows[path].setVisible(visible)
        for group in GROUPS:
            enabled = config[group]["enabled"]
            for path, control in self.controls.items():
                if path[0] == group and path[1] != "enabled":
                    control.widget.setEnabled(enabled)

    def _edited(self, path: tuple[str, ...], value: Any, merge: bool) -> None:
        training = self.editor.project.training
        if len(path) == 1:
            change = {path[0]: value}
        else:
            change = {path[0]: {**training.get(path[0], {}), path[1]: value}}
        label = self.controls[path].setting.label
        message = self.editor.edit(f"Change {label.lower()}", edits.set_training, change,
                                   merge_key=("training", *path) if merge else None)
        self.error.setText(message or "")
        if message:
            self.refresh()
