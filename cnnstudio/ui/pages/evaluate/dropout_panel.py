"""The Dropout view: which units a Dropout layer drops, and the 1/(1 - rate) scaling."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from cnnstudio.ui.common.save_png import add_save_png_action, window_status
from cnnstudio.ui.pages.evaluate.feature_maps import heat_strip, to_qimage
from cnnstudio.ui.common.layouts import clear_layout, scrolled
from cnnstudio.ui.common.worker import Task

SHOWN_UNITS = 512
CELL = 10


def explain(sample) -> str:
    kept = [int(mask.sum()) for mask in sample.masks]  # the mask, not the values: a ReLU's
    # zeros pass a kept unit as zeros
    n = len(sample.inference)
    return (f"<b>{sample.layer}</b> (rate {sample.rate:g}) acts on the output of "
            f"<b>{sample.previous}</b>. In training it zeroes each of the {n:,} values with "
            f"probability {sample.rate:g} (kept here: {', '.join(f'{k:,}' for k in kept)}) and "
            f"multiplies the rest by 1/(1 - {sample.rate:g}) = {sample.scale:.3g}, so their "
            f"expected sum stays the same; at inference it passes values through unchanged. "
            f"It changes the forward pass only there, right after {sample.previous}; through "
            f"the gradients, every trainable layer before it learns with the dropped units "
            f"missing, and the layers after it learn not to rely on any single unit.")


class DropoutPanel(QWidget):
    def __init__(self, model_provider, parent: QWidget | None = None) -> None:
        """`model_provider()` returns (run, project_file, probe image) or None."""
        super().__init__(parent)
        self.model_provider = model_provider
        self.task: Task | None = None
        self.sample = None
        self.layer = QComboBox()
        self.show_button = QPushButton("Show masks")
        self.show_button.clicked.connect(self.compute)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Dropout layer"))
        bar.addWidget(self.layer, 1)
        bar.addWidget(self.show_button)
        self.text = QLabel("Choose a Dropout layer of the run and press Show masks.")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.RichText)
        self.strips = QVBoxLayout()
        host = QWidget()
        host.setLayout(self.strips)
        self.save_action = add_save_png_action(host, "dropout", window_status(self))
        self.strips.setAlignment(Qt.AlignTop)
        scroll = scrolled(host)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.text)
        layout.addWidget(scroll, 1)

    def set_layers(self, names: list[str]) -> None:
        self.layer.clear()
        self.layer.addItems(names)
        self.show_button.setEnabled(bool(names))
        if not names:
            self.text.setText("This run's model has no Dropout layer.")

    def compute(self) -> None:
        source = self.model_provider()
        if source is None or self.task is not None or not self.layer.currentText():
            return
        run, project_file, image = source
        name = self.layer.currentText()

        def work(progress, cancelled):
            from cnnstudio.engine.dropout_view import dropout_sample
            from cnnstudio.engine.run_model import model_for_run

            return dropout_sample(model_for_run(run, project_file), image, name)

        self.task = Task(work, self)
        self.task.done.connect(self._computed)
        self.task.failed.connect(self._failed)
        self.task.start()
        self.text.setText("Computing…")

    def shutdown(self) -> None:
        if self.task is not None:
            self.task.wait()

    def _failed(self, message: str, details: str) -> None:
        self.task = None
        self.text.setText(f"<span style='color:#a4262c'>{message}</span>")

    def _computed(self, sample) -> None:
        import numpy as np

        self.task = None
        self.sample = sample
        self.text.setText(explain(sample))
        clear_layout(self.strips)
        rows = [("Inference (dropout off): the input passes unchanged (ReLU zeros are "
                 "dark blue)", sample.inference)]
        rows += [(f"Training, mask {i + 1}: dropped units grey, kept ones x{sample.scale:.3g}",
                  t) for i, t in enumerate(sample.training)]
        high = max(float(np.max(np.abs(r[1][:SHOWN_UNITS]))) for r in rows) or 1.0
        masks = [None, *sample.masks]
        for (title, values), mask in zip(rows, masks):
            shown = values[:SHOWN_UNITS]
            strip = heat_strip(np.append(shown, [0.0, high]))[:, :]  # shared colour scale
            strip = strip.reshape(-1, 3)[:len(shown)]
            width = 64
            grid = np.full((-(-len(shown) // width) * width, 3), 220, np.uint8)
            grid[:len(shown)] = strip
            if mask is not None:
                grid[:len(shown)][~mask[:SHOWN_UNITS]] = (190, 190, 190)  # dropped
            grid = grid.reshape(-1, width, 3)
            label = QLabel(title)
            picture = QLabel()
            picture.setPixmap(QPixmap.fromImage(to_qimage(grid)).scaled(
                width * CELL, grid.shape[0] * CELL, Qt.IgnoreAspectRatio,
                Qt.FastTransformation))
            self.strips.addWidget(label)
            self.strips.addWidget(picture)
