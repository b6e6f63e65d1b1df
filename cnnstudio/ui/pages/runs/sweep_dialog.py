"""The Sweep dialog: which settings to vary over which values, and how to run the trials.

Settings are chosen from the project (core.sweep_choices), each with its value
now and values to compare already filled in. While the user edits, the dialog
says how many trials the plan makes, how long they would take (from the
project's own runs), and which of them the project would refuse, before
anything starts; the same rules as `cnnstudio sweep --set` (core.sweep_plan).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.core.sweep_choices import SweepChoice, describe_estimate, epoch_time, sweep_choices
from cnnstudio.core.sweep_plan import (
    SweepPlan, SweepSetting, describe_values, parse_setting, plan_of, trial_project,
)
from cnnstudio.engine.ray_cluster import LOCAL, check_address, ray_installed
from cnnstudio.ui.pages.runs.sweep_session import SweepRequest

FIRST_KEY = "training.learning_rate"
CHECKED_TRIALS = 64
"""Up to this many listed trials, each is checked against the project before the sweep."""
MAX_TRIALS = 1000
ERROR_STYLE = "color: #a4262c;"
NOTE_STYLE = "color: #8a5a00;"


class _SettingRow:
    """One varied setting: which (a list of the project's), its values, its value now."""

    def __init__(self, choices: list[SweepChoice], on_change, on_remove) -> None:
        self.choices = choices
        self.key = QComboBox()
        self.key.setMaxVisibleItems(24)
        groups = ("training.", "layers.", "dataset.")
        last_group = None
        for choice in choices:
            group = next(g for g in groups if choice.key.startswith(g))
            if last_group is not None and group != last_group:
                self.key.insertSeparator(self.key.count())
            last_group = group
            self.key.addItem(choice.label, choice.key)
            self.key.setItemData(self.key.count() - 1, choice.key, Qt.ToolTipRole)
        self.values = QLineEdit()
        self.values.setPlaceholderText("V1,V2,V3 or LOW..HIGH")
        self.values.setToolTip("A list of values, each a trial (16,32,64), or a range to "
                               "draw samples from (1e-4..1e-1: log-uniform for positive "
                               "decimals; 16..128: whole numbers).")
        self.now = QLabel()
        self.now.setStyleSheet("color: #666;")
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setToolTip("Remove this setting from the sweep")
        self.remove.clicked.connect(on_remove)
        self.key.currentIndexChanged.connect(self._key_changed)
        self.values.textChanged.connect(on_change)
        self._on_change = on_change

    def widgets(self) -> list[QWidget]:
        return [self.key, self.values, self.now, self.remove]

    def choice(self) -> SweepChoice:
        key = self.key.currentData()
        return next(c for c in self.choices if c.key == key)

    def set_key(self, key: str) -> None:
        index = self.key.findData(key)
        if index >= 0:
            self.key.setCurrentIndex(index)
            self._key_changed()

    def _key_changed(self, *_args) -> None:
        choice = self.choice()
        self.values.setText(choice.suggestion)
        self.now.setText(f"now {_shown(choice.current)}")
        self._on_change()

    def text(self) -> str:
        return f"{self.key.currentData()}={self.values.text().strip()}"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)


class SweepDialog(QDialog):
    """Asks for a SweepRequest; `request` holds it once accepted."""

    def __init__(self, project: Project, saved: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New sweep")
        self.project = project
        self.saved = saved
        self.choices = sweep_choices(project)
        self.rows: list[_SettingRow] = []
        self.plan: SweepPlan | None = None
        self.request: SweepRequest | None = None
        self.ray = ray_installed()
        self._build()
        self.add_setting(FIRST_KEY)
        self.resize(720, self.sizeHint().height())

    # layout -----------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel("A sweep trains the project once for every combination of the values "
                       "below (a trial), each recorded as a run with its values, then ranks "
                       "the trials by their best validation loss.")
        intro.setWordWrap(True)
        settings = QGroupBox("Settings to vary")
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.add_button = QPushButton("Add a setting")
        self.add_button.clicked.connect(lambda: self.add_setting())
        box = QVBoxLayout(settings)
        box.addLayout(self.grid)
        box.addWidget(self.add_button, 0, Qt.AlignLeft)

        self.epochs = self._spin(1, 10_000, int(self.project.training.get("epochs", 5)),
                                 "Epochs each trial trains (the project's epochs at first).")
        self.parallel = self._spin(1, 64, min(2, os.cpu_count() or 1),
                                   "How many trials train at the same time.")
        self.samples = self._spin(1, MAX_TRIALS, 4, "With a range (LOW..HIGH): how many "
                                  "values to draw for every combination of the lists.")
        self.seed = self._spin(0, 2**31 - 1, 0, "The draws from ranges: same seed, same "
                               "values.")
        self.asha = QCheckBox("Stop weak trials early (ASHA)")
        self.asha.setToolTip("Ray Tune's ASHA scheduler ends trials whose validation loss "
                             "trails the others' at the same epoch; they are recorded as "
                             "stopped, without weights.")
        self.where = QComboBox()
        self.where.addItem("This machine", LOCAL)
        self.where.addItem("A Ray cluster", "cluster")
        self.address = QLineEdit("auto")
        self.address.setPlaceholderText("auto, ray://HOST:10001 or HOST:6379")
        self.address.setToolTip("auto joins the cluster `ray start --head` made on this "
                                "machine; ray://HOST:10001 a remote one through Ray Client.")
        self.address.setMinimumWidth(260)
        where_row = QHBoxLayout()
        where_row.addWidget(self.where)
        where_row.addWidget(self.address, 1)
        run = QGroupBox("How to run the trials")
        form = QFormLayout(run)
        form.setFieldGrowthPolicy(QFormLayout.FieldsStayAtSizeHint)
        form.addRow("Epochs each", self.epochs)
        form.addRow("At a time", self.parallel)
        form.addRow("Samples of ranges", self.samples)
        form.addRow("Seed", self.seed)
        form.addRow("", self.asha)
        form.addRow("Where", where_row)
        for widget in (self.epochs, self.parallel, self.samples, self.seed):
            widget.valueChanged.connect(self._update)
        self.where.currentIndexChanged.connect(self._update)
        self.address.textChanged.connect(self._update)
        self.asha.toggled.connect(self._update)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.start_button = self.buttons.addButton(
            "Start sweep" if self.saved else "Save and start sweep", QDialogButtonBox.AcceptRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(settings)
        layout.addWidget(run)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    @staticmethod
    def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    # settings -----------------------------------------------------------------------
    def add_setting(self, key: str | None = None) -> _SettingRow:
        row = _SettingRow(self.choices, self._update, lambda: self.remove_setting(row))
        taken = {r.key.currentData() for r in self.rows}
        key = key or next((c.key for c in self.choices if c.key not in taken), FIRST_KEY)
        self.rows.append(row)
        self._lay_out_rows()
        row.set_key(key)
        return row

    def remove_setting(self, row: _SettingRow) -> None:
        self.rows.remove(row)
        for widget in row.widgets():
            widget.hide()
            widget.deleteLater()
        self._lay_out_rows()
        self._update()

    def _lay_out_rows(self) -> None:
        for index, row in enumerate(self.rows):
            for column, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, index, column)
            row.remove.setEnabled(len(self.rows) > 1)

    # what the plan makes ----------------------------------------------------------------
    def address_text(self) -> str:
        if self.where.currentData() == LOCAL:
            return LOCAL
        return self.address.text().strip()

    def _update(self) -> None:
        self.address.setEnabled(self.where.currentData() != LOCAL)
        self.plan, problem = self._plan()
        if self.plan is not None:
            self.samples.setEnabled(self.plan.sampled)
            trials = self.plan.trial_count()
            self.summary.setText(self._summary(trials))
            if problem is None and trials > MAX_TRIALS:
                problem = (f"{trials:,} trials is more than a sweep here runs "
                           f"({MAX_TRIALS:,}): list fewer values or draw fewer samples.")
        else:
            self.summary.setText("")
        blocking = problem
        if problem is None:
            problem = self._invalid_trials()
        self.problem.setText(problem or "")
        self.problem.setStyleSheet(ERROR_STYLE if blocking else NOTE_STYLE)
        self.start_button.setEnabled(self.plan is not None and blocking is None)

    def _plan(self) -> tuple[SweepPlan | None, str | None]:
        if not self.ray:
            return None, ("Sweeps run through Ray Tune, an optional extra that is not "
                          "installed: run pip install 'cnnstudio[ray]' and open CNN Studio "
                          "again.")
        settings, problem = self._settings()
        if problem is not None:
            return None, problem
        try:
            plan = plan_of(settings, self.project, self.samples.value())
        except CnnStudioError as error:
            return None, str(error).removeprefix("--set ")
        address = self.address_text()
        if address != LOCAL:
            try:
                check_address(address)
            except CnnStudioError as error:
                return plan, str(error)
        return plan, None

    def _settings(self) -> tuple[list[SweepSetting], str | None]:
        """Each row's setting, or what is wrong with a row, named as the row names its
        setting (the command's own messages speak of --set)."""
        settings: list[SweepSetting] = []
        for row in self.rows:
            choice = row.choice()
            if not row.values.text().strip():
                example = choice.suggestion or "1,2"
                return [], f"Give {choice.label} the values to compare, e.g. {example}."
            if any(setting.key == choice.key for setting in settings):
                return [], f"{choice.label} is chosen twice: list all its values in one row."
            try:
                settings.append(parse_setting(row.text()))
            except CnnStudioError as error:
                reason = str(error).removeprefix(f"--set {row.text()!r}").lstrip(": ")
                return [], f"{choice.label}: {reason}"
        return settings, None

    def _summary(self, trials: int) -> str:
        from cnnstudio.ui.pages.train.page import format_duration

        local = self.address_text() == LOCAL
        estimate = describe_estimate(trials, self.epochs.value(), epoch_time(self.project),
                                     self.parallel.value(), os.cpu_count() if local else None,
                                     local, format_duration, self.asha.isChecked())
        what = f"<b>{trials} trial{'s' * (trials != 1)}</b>"
        if self.plan.sampled:
            what += f" ({self.samples.value()} drawn for each combination of the lists)"
        return f"{what} · {self.epochs.value()} epochs each · {estimate}"

    def _invalid_trials(self) -> str | None:
        """Which listed trials the project would refuse: they are reported and skipped,
        so the user may go ahead, knowing."""
        if self.plan is None or self.plan.sampled or self.plan.trial_count() > CHECKED_TRIALS:
            return None
        refused = []
        for values in self.plan.grid():
            try:
                trial_project(self.project, values)
            except CnnStudioError as error:
                refused.append(f"{describe_values(values)}: {error}")
        if not refused:
            return None
        count = self.plan.trial_count()
        return (f"{len(refused)} of {count} trials would train nothing (they are reported "
                f"as invalid): {refused[0]}" + (f" (and {len(refused) - 1} more)"
                                                 if len(refused) > 1 else ""))

    def _accept(self) -> None:
        if self.plan is None:
            return
        self.request = SweepRequest(self.plan, self.epochs.value(), self.parallel.value(),
                                    self.asha.isChecked(), self.seed.value(),
                                    self.address_text())
        self.accept()
