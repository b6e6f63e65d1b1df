"""Feature maps: every layer's output for the probe image, epoch by epoch, or
for any image the user picks on the Predictions tab with the final weights.

A convolution or pooling output (H, W, C) shows as one tile per channel, a
Flatten or Dense output as a heat strip. Tiles are drawn into one image (a
mosaic), not one widget each, so 512 channels page instantly; PAGE_TILES per
page keeps each tile large enough to read.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout,
    QWidget,
)

from cnnstudio.ui.common.layouts import scrolled

PAGE_TILES = 64
TILE_PIXELS = 72
STRIP_WIDTH = 64  # values per row of a heat strip
PAD = 2


def normalise(values, span: tuple[float, float] | None = None):
    """Values scaled to 0..255 uint8 over `span` (default: their own min and max; a
    constant array shows mid-grey)."""
    import numpy as np

    values = np.asarray(values, np.float32)
    low, high = span if span is not None else (float(values.min()), float(values.max()))
    if high - low < 1e-12:
        return np.full(values.shape, 128, np.uint8)
    return (np.clip((values - low) / (high - low), 0, 1) * 255).astype(np.uint8)


def mosaic(maps, columns: int, pad: int = PAD, spans=None):
    """(H, W, C) channels as one grey image of tiles, `columns` per row, each tile scaled
    to its own range or to `spans[c]`; returns (image, tile count)."""
    import numpy as np

    h, w, count = maps.shape
    rows = -(-count // columns)
    out = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad), 255, np.uint8)
    for c in range(count):
        r, k = divmod(c, columns)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        out[y:y + h, x:x + w] = normalise(maps[:, :, c], None if spans is None else spans[c])
    return out, count


def heat_strip(vector, width: int = STRIP_WIDTH, span: tuple[float, float] | None = None):
    """A 1-D vector as rows of `width` cells, blue (low) to red (high); padding grey."""
    import numpy as np

    vector = np.asarray(vector, np.float32).ravel()
    rows = -(-len(vector) // width)
    levels = np.full(rows * width, -1, np.int32)
    levels[:len(vector)] = normalise(vector, span)
    levels = levels.reshape(rows, width)
    rgb = np.empty((rows, width, 3), np.uint8)
    t = np.clip(levels, 0, 255).astype(np.float32) / 255
    rgb[..., 0] = (40 + 215 * t).astype(np.uint8)
    rgb[..., 1] = (80 + 100 * (1 - np.abs(2 * t - 1))).astype(np.uint8)
    rgb[..., 2] = (230 - 200 * t).astype(np.uint8)
    rgb[levels < 0] = 220
    return rgb


def to_qimage(array) -> QImage:
    import numpy as np

    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    if array.ndim == 2:
        return QImage(array.data, w, h, w, QImage.Format_Grayscale8).copy()
    return QImage(array.data, w, h, 3 * w, QImage.Format_RGB888).copy()


PROBE_SOURCE = ("The probe image, captured at every epoch end: move the epoch slider to "
                "watch each layer's output change as the network learns. Click any image "
                "on the Predictions tab to see its maps instead.")


class FeatureMapView(QWidget):
    """Choose a layer and an epoch; see that layer's output for the probe image."""

    probe_requested = Signal()  # "Back to the probe image" clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outputs: dict[int, dict[str, Any]] = {}
        self.probe = None
        self.class_names: list[str] = []
        self.layer = QComboBox()
        self.layer.currentIndexChanged.connect(lambda _i: self.redraw())
        self.epoch = QSlider(Qt.Horizontal)
        self.epoch.valueChanged.connect(lambda _v: self.redraw())
        self.epoch_label = QLabel()
        self.page = QSpinBox()
        self.page.setPrefix("page ")
        self.page.valueChanged.connect(lambda _v: self.redraw())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Layer"))
        controls.addWidget(self.layer, 1)
        self.epoch_title = QLabel("Epoch")
        controls.addWidget(self.epoch_title)
        controls.addWidget(self.epoch, 2)
        controls.addWidget(self.epoch_label)
        controls.addWidget(self.page)
        self.same_scale = QCheckBox("same scale across epochs")
        self.same_scale.setChecked(True)
        self.same_scale.setToolTip("Each channel on one range over all epochs, so a change "
                                   "between epochs shows as a change; off: every epoch's "
                                   "tiles stretched to their own range.")
        self.same_scale.toggled.connect(lambda _on: self.redraw())
        controls.addWidget(self.same_scale)
        self.input_view = QLabel()
        self.input_view.setAlignment(Qt.AlignTop | Qt.AlignHCenter)
        self.prediction = QLabel()
        self.prediction.setWordWrap(True)
        self.prediction.setAlignment(Qt.AlignTop)
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Input</b>"))
        side.addWidget(self.input_view)
        side.addWidget(self.prediction)
        side.addStretch(1)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        scroll = scrolled(self.picture)
        body = QHBoxLayout()
        body.addLayout(side)
        self.colour_bar = QLabel()
        self.colour_bar_text = QLabel()
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.colour_bar)
        bar_row.addWidget(self.colour_bar_text, 1)
        right = QVBoxLayout()
        right.addWidget(self.caption)
        right.addLayout(bar_row)
        right.addWidget(scroll, 1)
        body.addLayout(right, 1)
        self.source = QLabel(PROBE_SOURCE)
        self.source.setWordWrap(True)
        self.back = QPushButton("Back to the probe image")
        self.back.clicked.connect(self.probe_requested)
        self.back.hide()
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.back)
        layout = QVBoxLayout(self)
        layout.addLayout(source_row)
        layout.addLayout(controls)
        layout.addLayout(body, 1)
        self.empty = QLabel("No layer outputs for this run: train with 'Capture layer "
                            "dynamics' on (the default) to watch them change epoch by epoch.")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.tiles_shown = 0

    def set_outputs(self, probe, outputs: dict[int, dict[str, Any]],
                    class_names: list[str], source: str = "") -> None:
        """Show `outputs` ({epoch: {layer: array}}) of the image `probe`; `source` says
        which image it is (empty: the run's probe image). The chosen layer is kept."""
        from cnnstudio.ui.pages.data.page import to_pixmap

        self.probe, self.outputs, self.class_names = probe, outputs, class_names
        self.source.setText(source or PROBE_SOURCE)
        self.back.setVisible(bool(source))
        chosen = self.layer.currentText()
        epochs = sorted(outputs)
        self.empty.setVisible(not epochs)
        names = list(outputs[epochs[-1]]) if epochs else []
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(names)
        if chosen in names:
            self.layer.setCurrentText(chosen)
        self.layer.blockSignals(False)
        self.epoch.blockSignals(True)
        self.epoch.setRange(0, max(len(epochs) - 1, 0))
        self.epoch.setValue(len(epochs) - 1)
        self.epoch.setVisible(len(epochs) > 1)  # a picked image: the final weights only
        self.epoch_title.setVisible(len(epochs) > 1)
        self.epoch.blockSignals(False)
        if probe is not None:
            self.input_view.setPixmap(to_pixmap(probe).scaled(
                128, 128, Qt.KeepAspectRatio, Qt.FastTransformation))
        self.redraw()

    def epochs(self) -> list[int]:
        return sorted(self.outputs)

    def current(self):
        epochs = self.epochs()
        if not epochs or self.layer.currentText() == "":
            return None, None
        epoch = epochs[self.epoch.value()]
        return epoch, self.outputs[epoch].get(self.layer.currentText())

    def redraw(self) -> None:
        import numpy as np

        epoch, values = self.current()
        if values is None:
            self.picture.clear()
            self.tiles_shown = 0
            return
        if len(self.outputs) == 1:
            self.epoch_label.setText(f"weights after epoch {epoch}")
        else:
            self.epoch_label.setText("before training" if epoch == 0 else f"{epoch}")
        values = np.asarray(values, np.float32)
        name = self.layer.currentText()
        if values.ndim == 3 and values.shape[0] * values.shape[1] > 1:
            pages = -(-values.shape[2] // PAGE_TILES)
            self.page.setRange(1, pages)
            self.page.setVisible(pages > 1)
            start = (self.page.value() - 1) * PAGE_TILES
            chunk = values[:, :, start:start + PAGE_TILES]
            spans = self._spans(name, start, chunk.shape[2]) if self._scaled_together() else None
            image, self.tiles_shown = mosaic(chunk, columns=8, spans=spans)
            self._show_colour_bar(grey=True, span=None, together=spans is not None)
            scale = max(1, TILE_PIXELS // max(values.shape[:2]))
            pixmap = QPixmap.fromImage(to_qimage(image)).scaled(
                image.shape[1] * scale, image.shape[0] * scale, Qt.KeepAspectRatio,
                Qt.FastTransformation)
            self.caption.setText(
                f"<b>{name}</b>: {values.shape[0]}x{values.shape[1]} maps, {values.shape[2]} "
                f"channels (one tile each; channels {start + 1} to "
                f"{start + chunk.shape[2]}). Bright: strong response.")
        else:
            self.page.setVisible(False)
            flat = values.ravel()
            span = self._layer_span(name) if self._scaled_together() else None
            strip = heat_strip(flat, span=span)
            self._show_colour_bar(grey=False, span=span or (float(flat.min()), float(flat.max())),
                                  together=span is not None)
            self.tiles_shown = 1
            cell = max(4, min(12, 640 // STRIP_WIDTH))
            pixmap = QPixmap.fromImage(to_qimage(strip)).scaled(
                strip.shape[1] * cell, strip.shape[0] * cell, Qt.IgnoreAspectRatio,
                Qt.FastTransformation)
            what = (f"1x1 maps, {flat.size:,} channels of one value each (a tile per channel "
                    "would be one flat colour), shown as a strip" if values.ndim == 3
                    else f"a vector of {flat.size:,} values")
            self.caption.setText(
                f"<b>{name}</b>: {what}, {STRIP_WIDTH} per row "
                f"(blue low, red high; min {flat.min():.3g}, max {flat.max():.3g}).")
        self.picture.setPixmap(pixmap)
        self._show_prediction(epoch)

    def _scaled_together(self) -> bool:
        return self.same_scale.isChecked() and len(self.outputs) > 1

    def _all_epochs(self, name: str):
        import numpy as np

        return [np.asarray(self.outputs[e][name], np.float32) for e in self.epochs()
                if name in self.outputs[e]]

    def _spans(self, name: str, start: int, count: int) -> list[tuple[float, float]]:
        """Each shown channel's lowest and highest value over every epoch."""
        import numpy as np

        stacked = np.stack([v[:, :, start:start + count] for v in self._all_epochs(name)])
        low, high = stacked.min(axis=(0, 1, 2)), stacked.max(axis=(0, 1, 2))
        return [(float(a), float(b)) for a, b in zip(low, high)]

    def _layer_span(self, name: str) -> tuple[float, float]:
        values = self._all_epochs(name)
        return min(float(v.min()) for v in values), max(float(v.max()) for v in values)

    def _show_colour_bar(self, grey: bool, span, together: bool) -> None:
        """The colours' key: dark to bright (tiles) or blue to red (a strip), and over
        which range."""
        import numpy as np

        ramp = np.linspace(0, 1, 160, dtype=np.float32)
        if grey:
            image = np.tile((ramp * 255).astype(np.uint8), (10, 1))
        else:
            image = np.repeat(heat_strip(ramp, width=160), 10, axis=0)
        self.colour_bar.setPixmap(QPixmap.fromImage(to_qimage(image)))
        where = "over all epochs" if together else "in this epoch"
        if grey:
            self.colour_bar_text.setText(f"low to high: each tile on its own channel's range "
                                         f"{where}")
        else:
            self.colour_bar_text.setText(f"{span[0]:.3g} to {span[1]:.3g} ({where})")

    def _show_prediction(self, epoch: int) -> None:
        import numpy as np

        outputs = self.outputs.get(epoch, {})
        if not outputs:
            return
        last = np.asarray(list(outputs.values())[-1], np.float32).ravel()
        if len(last) == 1:
            label = 1 if last[0] > 0.5 else 0
            p = last[0] if label else 1 - last[0]
        else:
            label, p = int(last.argmax()), float(last.max())
        name = self.class_names[label] if label < len(self.class_names) else str(label)
        when = "before training" if epoch == 0 else f"after epoch {epoch}"
        self.prediction.setText(f"<b>Prediction</b> {when}: {name} ({p:.0%})")
