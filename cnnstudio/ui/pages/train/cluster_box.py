"""The Train page's "Train on" row: this machine, or a Ray cluster with N workers.

The choice belongs to this computer, not to the project (a file sent to a
colleague must not point at our cluster), so it is kept in the application's
settings. Training on a cluster is `cnnstudio train --ray ADDRESS --workers N`
from the Train button: engine.ray_train.ClusterRun in place of the Trainer.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget,
)

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.engine.ray_cluster import LOCAL, check_address, ray_installed

KEY = "cluster/"
HERE, CLUSTER = "here", "cluster"


@dataclass(frozen=True)
class ClusterTarget:
    """Where a cluster run goes: the `--ray`, `--workers` and `--gpus-per-worker` values."""

    address: str
    workers: int
    gpus_per_worker: float = 0.0

    def describe(self) -> str:
        where = "a Ray started on this machine" if self.address == LOCAL else \
            f"the Ray cluster at {self.address}"
        return f"{self.workers} worker{'s' * (self.workers != 1)} on {where}"


class ClusterBox(QWidget):
    """One row under the Train button: where the next run trains, and for a cluster its
    address, workers and GPUs per worker; a line below says what that means."""

    changed = Signal()

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.ray = ray_installed()
        self.mode = QComboBox()
        self.mode.addItem("This machine", HERE)
        self.mode.addItem("A Ray cluster", CLUSTER)
        self.mode.setToolTip("Train here, or data-parallel on a Ray cluster: each worker "
                             "trains a replica on its share of every batch.")
        self.address = QLineEdit()
        self.address.setPlaceholderText("local, auto, ray://HOST:10001")
        self.address.setToolTip("local starts Ray on this machine; auto joins the cluster "
                                "`ray start --head` made here; ray://HOST:10001 joins a remote "
                                "one through Ray Client; HOST:6379 its head node.")
        self.workers = QSpinBox()
        self.workers.setRange(1, 1024)
        self.workers.setToolTip("Each worker trains a replica of the model on its share of "
                                "every batch; the batch size stays the project's.")
        self.gpus = QDoubleSpinBox()
        self.gpus.setRange(0, 64)
        self.gpus.setDecimals(1)
        self.gpus.setSingleStep(1)
        self.gpus.setToolTip("GPUs each worker asks the cluster for (0: CPU only).")
        self.details = QWidget()
        details = QHBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(QLabel("at"))
        self.address.setMinimumWidth(180)
        self.address.setMaximumWidth(360)
        details.addWidget(self.address, 1)
        details.addWidget(QLabel("workers"))
        details.addWidget(self.workers)
        details.addWidget(QLabel("GPUs each"))
        details.addWidget(self.gpus)
        self.note = QLabel()
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Train on"))
        row.addWidget(self.mode)
        row.addWidget(self.details)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self._load()
        for signal in (self.mode.currentIndexChanged, self.address.textChanged,
                       self.workers.valueChanged, self.gpus.valueChanged):
            signal.connect(self._changed)
        self._show()

    def _load(self) -> None:
        value = self.settings.value if self.settings is not None else \
            (lambda _key, default, _type=None: default)
        use = bool(value(KEY + "use", False, bool)) and self.ray
        self.address.setText(str(value(KEY + "address", LOCAL)))
        self.workers.setValue(int(value(KEY + "workers", 2, int)))
        self.gpus.setValue(float(value(KEY + "gpus_per_worker", 0.0, float)))
        self.mode.setCurrentIndex(self.mode.findData(CLUSTER if use else HERE))
        if not self.ray:  # the choice is there, greyed, with its reason below
            self.mode.model().item(self.mode.findData(CLUSTER)).setEnabled(False)

    def choose(self, cluster: bool) -> None:
        self.mode.setCurrentIndex(self.mode.findData(CLUSTER if cluster else HERE))

    @property
    def on_cluster(self) -> bool:
        return self.mode.currentData() == CLUSTER

    def _changed(self, *_args) -> None:
        if self.settings is not None:
            self.settings.setValue(KEY + "use", self.on_cluster)
            self.settings.setValue(KEY + "address", self.address.text().strip())
            self.settings.setValue(KEY + "workers", self.workers.value())
            self.settings.setValue(KEY + "gpus_per_worker", self.gpus.value())
        self._show()
        self.changed.emit()

    def _show(self) -> None:
        self.details.setVisible(self.on_cluster)
        problem = self.problem()
        if not self.ray:
            text = ("Training on a Ray cluster needs Ray, an optional extra: "
                    "pip install 'cnnstudio[ray]'.")
        elif problem:
            text = problem
        elif self.on_cluster:
            text = (f"Train runs with {self.target().describe()}; epochs stream back here. "
                    "Pause and Continue training are for this machine only.")
        else:
            text = ""
        self.note.setText(text)
        self.note.setStyleSheet("color: #a4262c;" if problem else "color: #666;")
        self.note.setVisible(bool(text))

    def target(self) -> ClusterTarget | None:
        """None for this machine."""
        if not self.on_cluster:
            return None
        return ClusterTarget(self.address.text().strip() or LOCAL,
                             self.workers.value(), self.gpus.value())

    def problem(self) -> str | None:
        """Why the cluster chosen cannot be used as written; None when it can be tried."""
        target = self.target()
        if target is None:
            return None
        try:
            check_address(target.address)
        except CnnStudioError as error:
            return str(error)
        return None
