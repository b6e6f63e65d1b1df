"""The Data page: choose the data set, look at it, and see what it means for training."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton,
    QSpinBox, QVBoxLayout, QWidget,
)

from cnnstudio.ui.common.save_png import add_save_png_action, window_status
from cnnstudio.ui.common.markup import NumberBox
from cnnstudio.core import ProjectError, edits
from cnnstudio.core.dataset_config import KERAS_NAMES, SOURCES, dataset_config
from cnnstudio.export_runtime.rules import LOSS_FOR_LABELS
from cnnstudio.ui.common.layouts import clear_layout, scrolled
from cnnstudio.ui.common.loaded_data import LoadedData
from cnnstudio.ui.common.worker import Task
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.pages.data.augmentation_box import AugmentationBox

SOURCE_TITLES = {"shapes": "Built-in Shapes (generated)", "keras": "Keras data set (cache)",
                 "folder": "Image folder", "npz": "NumPy file (.npz)"}
PREVIEW_COUNT = 24
AUGMENTED_COUNT = 8
THUMB = 64


def show(shape) -> str:
    """(32, 32, 3) as 32x32x3, the way the summary writes image shapes."""
    return "x".join("?" if v is None else str(v) for v in shape)


def to_pixmap(image) -> QPixmap:
    """A uint8 or float image (H, W, C) as a pixmap, scaled up for the preview."""
    import numpy as np

    image = np.asarray(image)
    if image.dtype != np.uint8:
        low, high = float(image.min()), float(image.max())
        image = ((image - low) / ((high - low) or 1) * 255).astype(np.uint8)
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    if image.ndim == 2 or image.shape[2] == 1:
        qimage = QImage(image.data, w, h, w, QImage.Format_Grayscale8)
    else:
        image = np.ascontiguousarray(image[..., :3])
        qimage = QImage(image.data, w, h, 3 * w, QImage.Format_RGB888)
    return QPixmap.fromImage(qimage.copy()).scaled(THUMB, THUMB, Qt.KeepAspectRatio,
                                                   Qt.FastTransformation)


class DataPage(QWidget):
    loaded = Signal(object)

    def __init__(self, editor: ProjectEditor, path_provider=lambda: None,
                 loaded_data: LoadedData | None = None, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.path_provider = path_provider
        self.shared = loaded_data if loaded_data is not None else LoadedData(self)
        self.task: Task | None = None
        self.data: Any = None
        self._build()
        editor.changed.connect(self.refresh)
        self.refresh()

    # layout -------------------------------------------------------------------
    def _build(self) -> None:
        form = QFormLayout()
        self.source = QComboBox()
        for source in SOURCES:
            self.source.addItem(SOURCE_TITLES[source], source)
        self.keras_name = QComboBox()
        self.keras_name.addItems(KERAS_NAMES)
        self.path = QLineEdit()
        self.path.setPlaceholderText("folder or .npz file (relative to the project)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path)
        path_row.addWidget(browse)
        self.count = QSpinBox()
        self.count.setRange(12, 1_000_000)
        self.count.setSingleStep(1000)
        self.height_spin, self.width_spin = QSpinBox(), QSpinBox()
        for spin in (self.height_spin, self.width_spin):
            spin.setRange(8, 4096)
        size_row = QHBoxLayout()
        size_row.addWidget(self.height_spin)
        size_row.addWidget(QLabel("x"))
        size_row.addWidget(self.width_spin)
        self.channels = QComboBox()
        self.channels.addItem("1 (grey)", 1)
        self.channels.addItem("3 (colour)", 3)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.test_split = NumberBox()
        self.test_split.setRange(0.0, 0.89)
        self.test_split.setSingleStep(0.05)
        self.normalize = QCheckBox("rescale pixel values to 0..1")
        form.addRow("Source", self.source)
        form.addRow("Keras data set", self.keras_name)
        form.addRow("Path", path_row)
        form.addRow("Images", self.count)
        form.addRow("Image size", size_row)
        form.addRow("Channels", self.channels)
        form.addRow("Seed", self.seed)
        form.addRow("Test split", self.test_split)
        form.addRow("", self.normalize)
        self.error = QLabel()
        self.error.setStyleSheet("color: #a4262c;")
        self.error.setWordWrap(True)
        self.load_button = QPushButton("Load and preview")
        self.load_button.clicked.connect(self.load)
        self.progress = QProgressBar()
        self.progress.hide()
        self.arithmetic = QLabel()
        self.arithmetic.setWordWrap(True)
        settings = QGroupBox("Data set")
        column = QVBoxLayout(settings)
        column.addLayout(form)
        column.addWidget(self.error)
        column.addWidget(self.load_button)
        column.addWidget(self.progress)
        self.augmentation = AugmentationBox()
        self.augmentation.edited.connect(
            lambda _value, tag: self._edited(merge_key=("dataset", tag) if tag else None))
        split_box = QGroupBox("Epochs, iterations, batches")
        QVBoxLayout(split_box).addWidget(self.arithmetic)
        left = QVBoxLayout()
        left.addWidget(settings)
        left.addWidget(self.augmentation)
        left.addWidget(split_box)
        left.addStretch(1)
        self.summary = QLabel("Press <b>Load and preview</b> to see the data.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)
        self.fix_input = QPushButton()
        self.fix_input.hide()
        self.fix_input.clicked.connect(self._use_data_shape)
        self.fix_size = QPushButton()
        self.fix_size.hide()
        self.fix_size.clicked.connect(self._use_model_size)
        self.fix_loss = QPushButton()
        self.fix_loss.hide()
        self.fix_loss.clicked.connect(self._use_loss)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.augmented_title = QLabel()
        self.augmented_row = QHBoxLayout()
        self.augmented_row.setAlignment(Qt.AlignLeft)
        self.augment_task: Task | None = None
        self._previewed: tuple = (None, ())
        self._closed = False
        scroll = scrolled(self.grid_host)
        self.save_actions = {"samples": add_save_png_action(self.grid_host, "samples",
                                                            window_status(self))}
        self.histogram = None  # made on the first load: pyqtgraph stays off start-up
        self.bars = None
        right = QVBoxLayout()
        right.addWidget(self.summary)
        self.histogram_slot = right
        right.addWidget(self.fix_input)
        right.addWidget(self.fix_size)
        right.addWidget(self.fix_loss)
        right.addWidget(scroll, 1)
        right.addWidget(self.augmented_title)
        right.addLayout(self.augmented_row)
        settings_column = QWidget()
        settings_column.setLayout(left)
        left_scroll = scrolled(settings_column)  # a small screen scrolls, never clips
        left_scroll.setMinimumWidth(settings_column.sizeHint().width() + 18)
        left_scroll.setFrameShape(QFrame.NoFrame)
        layout = QHBoxLayout(self)
        layout.addWidget(left_scroll, 0)
        layout.addLayout(right, 1)
        # A choice is one undo step; typing into a number merges into one step per field.
        for signal in (self.source.currentIndexChanged, self.keras_name.currentIndexChanged,
                       self.channels.currentIndexChanged, self.normalize.toggled):
            signal.connect(lambda *_: self._edited())
        for name in ("count", "height_spin", "width_spin", "seed", "test_split"):
            getattr(self, name).valueChanged.connect(
                lambda *_, key=name: self._edited(merge_key=("dataset", key)))
        self.path.editingFinished.connect(lambda: self._edited())

    # project <-> form ---------------------------------------------------------
    def section(self) -> dict:
        source = self.source.currentData()
        section: dict = {"source": source}
        if source == "keras":
            section["name"] = self.keras_name.currentText()
        if source in ("folder", "npz"):
            section["path"] = self.path.text().strip()
        if source == "shapes":
            section["count"] = self.count.value()
        if source in ("shapes", "folder"):
            section["image_size"] = [self.height_spin.value(), self.width_spin.value()]
            section["channels"] = self.channels.currentData()
        section["seed"] = self.seed.value()
        section["test_split"] = round(self.test_split.value(), 4)
        section["normalize"] = self.normalize.isChecked()
        augmentation = self.augmentation.value()
        if augmentation:
            section["augmentation"] = augmentation
        return section

    def refresh(self) -> None:
        try:
            config = dataset_config(self.editor.project.dataset)
        except ProjectError:
            return
        widgets = (self.source, self.keras_name, self.path, self.count, self.height_spin,
                   self.width_spin, self.channels, self.seed, self.test_split, self.normalize)
        for widget in widgets:
            widget.blockSignals(True)
        self.source.setCurrentIndex(self.source.findData(config.source))
        self.keras_name.setCurrentText(config.name)
        if not self.path.hasFocus():
            self.path.setText(config.path or "")
        self.count.setValue(config.count)
        self.height_spin.setValue(config.image_size[0])
        self.width_spin.setValue(config.image_size[1])
        self.channels.setCurrentIndex(self.channels.findData(config.channels))
        self.seed.setValue(config.seed)
        self.test_split.setValue(config.test_split)
        self.normalize.setChecked(config.normalize)
        for widget in widgets:
            widget.blockSignals(False)
        self.augmentation.show_specs(config.augmentation)
        source = config.source
        self.keras_name.setEnabled(source == "keras")
        self.path.setEnabled(source in ("folder", "npz"))
        self.count.setEnabled(source == "shapes")
        for widget in (self.height_spin, self.width_spin, self.channels):
            widget.setEnabled(source in ("shapes", "folder"))
        self._show_arithmetic()
        self._show_ties()
        self._preview_augmentation()

    def _edited(self, merge_key: tuple | None = None) -> None:
        message = self.editor.edit("Change data set", edits.set_dataset, self.section(),
                                   merge_key=merge_key)
        self.error.setText(message or "")

    def _browse(self) -> None:
        if self.source.currentData() == "folder":
            name = QFileDialog.getExistingDirectory(self, "Image folder")
        else:
            name, _ = QFileDialog.getOpenFileName(self, "NumPy file", "", "NumPy (*.npz)")
        if name:
            self.path.setText(name)
            self._edited()

    # loading ------------------------------------------------------------------
    def load(self) -> None:
        if self.task is not None or self._closed:
            return
        config = dataset_config(self.editor.project.dataset)
        project_file = self.path_provider()
        self._loading_config = config

        def work(progress, cancelled):
            from cnnstudio.engine.data import load_data

            return load_data(config, project_file, progress=progress, cancelled=cancelled)

        self.error.setText("")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.load_button.setEnabled(False)
        self.task = Task(work, self)
        self.task.progress.connect(self._progress)
        self.task.done.connect(self._loaded)
        self.task.failed.connect(self._failed)
        self.task.start()

    def shutdown(self) -> None:
        """Stop the workers for good: results still queued must not start new ones."""
        self._closed = True
        for task in (self.task, self.augment_task):
            if task is not None:
                task.cancel()
                task.wait()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _finish(self) -> None:
        self.task = None
        self.progress.hide()
        self.load_button.setEnabled(True)

    def _failed(self, message: str, details: str) -> None:
        self._finish()
        self.error.setText(message)

    def _loaded(self, data) -> None:
        self._finish()
        self.data = data
        self.shared.set(data, self._loading_config)
        self._show_summary()
        self._show_histogram()
        self._show_samples()
        self._show_arithmetic()
        self.editor.set_class_count(len(data.class_names))
        self._follow_input()
        self._show_ties()
        self._preview_augmentation()
        self.loaded.emit(data)

    # showing ------------------------------------------------------------------
    def data_input_shape(self) -> tuple | None:
        from cnnstudio.engine.folder_scan import FolderScan

        if self.data is None:
            return None
        if isinstance(self.data, FolderScan):
            config = dataset_config(self.editor.project.dataset)
            return (*config.image_size, config.channels)
        return self.data.input_shape

    def _show_summary(self) -> None:
        data = self.data
        counts = data.class_counts()
        classes = ", ".join(f"{name} {count:,}" for name, count in zip(data.class_names, counts))
        lines = [f"<b>{self.shared.train_count():,}</b> training images of "
                 f"{'x'.join(map(str, self.data_input_shape()))} · "
                 f"<b>{len(data.class_names)}</b> classes: {classes}"]
        if hasattr(data, "x_test") and data.x_test is not None:
            lines.append(f"{len(data.x_test):,} test images held apart")
        if hasattr(data, "value_range"):
            low, high = data.value_range()
            lines.append(f"pixel values {low:g} to {high:g}"
                         + (" (rescaled to 0..1 for training)"
                            if dataset_config(self.editor.project.dataset).normalize else ""))
            lines.append(f"labels: {data.label_form.replace('_', '-')}")
        if hasattr(data, "skipped") and data.skipped:
            lines.append(f"<span style='color:#8a5a00'>{len(data.skipped):,} files skipped "
                         f"(not images or unreadable)</span>")
        self.summary.setText("<br>".join(lines))

    def _show_histogram(self) -> None:
        """Images per class: an unbalanced data set shows at a glance."""
        if self.histogram is None:
            import pyqtgraph as pg

            self.histogram = pg.PlotWidget(background="w")
            self.histogram.setFixedHeight(150)
            self.histogram.setMouseEnabled(False, False)
            self.histogram.hideButtons()
            self.histogram.setLabel("left", "images")
            self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#4a7fc1")
            self.histogram.addItem(self.bars)
            self.histogram_slot.insertWidget(1, self.histogram)
            self.save_actions["classes"] = add_save_png_action(self.histogram, "classes",
                                                               window_status(self))
        counts = self.data.class_counts()
        self.bars.setOpts(x=list(range(len(counts))), height=counts)
        names = self.data.class_names
        step = max(1, len(names) // 20)
        self.histogram.getAxis("bottom").setTicks(
            [[(i, names[i]) for i in range(0, len(names), step)]])
        self.histogram.setXRange(-0.6, len(counts) - 0.4, padding=0)
        self.histogram.setYRange(0, max(counts) * 1.1, padding=0)
        self.histogram.show()

    def _show_samples(self) -> None:
        clear_layout(self.grid)
        import numpy as np  # not at module level: the window opens before NumPy loads

        data = self.data
        count = self.shared.train_count()
        picks = np.linspace(0, count - 1, min(PREVIEW_COUNT, count))
        for n, i in enumerate(picks.astype(int)):
            if hasattr(data, "files"):
                pixmap = QPixmap(str(data.files[i])).scaled(THUMB, THUMB, Qt.KeepAspectRatio)
                label = data.class_names[data.labels[i]]
            else:
                pixmap = to_pixmap(data.x_train[i])
                label = data.class_names[int(data.y_train[i])]
            cell = QLabel()
            cell.setPixmap(pixmap)
            cell.setAlignment(Qt.AlignCenter)
            cell.setToolTip(label)
            caption = QLabel(label)
            caption.setAlignment(Qt.AlignCenter)
            self.grid.addWidget(cell, (n // 8) * 2, n % 8)
            self.grid.addWidget(caption, (n // 8) * 2 + 1, n % 8)

    def _show_arithmetic(self) -> None:
        try:
            found = self.shared.split(self.editor.project.dataset, self.editor.project.training)
        except (ProjectError, ValueError) as error:
            self.arithmetic.setText(str(error))
            return
        if found is None:
            self.arithmetic.setText("Load the data to see the numbers.")
            return
        _, text, it = found
        self.arithmetic.setText(
            f"{text}.<br>One <b>epoch</b> shows every training image once. One "
            f"<b>iteration</b> is one batch of {it.batch_size} images and one weight "
            f"update.<br>{it.explain()}.")

    def _follow_input(self) -> None:
        """The model's input takes the images' shape: at once for a new project, else asked."""
        shape = self.data_input_shape()
        current = tuple(self.editor.project.input_shape)
        if shape is None or tuple(shape) == current:
            return
        if not self.editor.input_follows_data:
            answer = QMessageBox.question(
                self, "Change the model's input?",
                f"The images are {show(shape)} but the model's input is set to "
                f"{show(current)}.\n\nChange the model's input to {show(shape)}? "
                f"(Undo brings it back.)", QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
            if answer != QMessageBox.Yes:
                return
        self.editor.follow_data_shape(tuple(shape))

    def _show_ties(self) -> None:
        shape = self.data_input_shape()
        project = self.editor.project
        model = tuple(project.input_shape)
        mismatch = shape is not None and tuple(shape) != model
        self.fix_input.setVisible(mismatch)
        self.fix_size.setVisible(mismatch and self._can_resize_to(model))
        if mismatch:
            self.fix_input.setText(f"The images are {show(shape)} but the model's input is "
                                   f"{show(model)}: training needs them equal. Use "
                                   f"{show(shape)} as the model's input")
            self.fix_size.setText(f"Load the images at {show(model)} instead")
        form = getattr(self.data, "label_form", None)
        suggested = LOSS_FOR_LABELS.get(form) if form else None
        current = project.training.get("loss", "auto")
        if suggested and current not in ("auto", suggested):  # auto picks it by itself
            self.fix_loss.setText(f"Labels are {form.replace('_', '-')} but the loss is "
                                  f"'{current}': use '{suggested}'")
            self.fix_loss.show()
        else:
            self.fix_loss.hide()

    def _use_data_shape(self) -> None:
        self.editor.edit("Use the data's input shape", edits.set_input_shape,
                         list(self.data_input_shape()))

    def _can_resize_to(self, shape: tuple) -> bool:
        source = self.editor.project.dataset.get("source", "shapes")
        return (source in ("shapes", "folder") and len(shape) == 3 and shape[2] in (1, 3)
                and all(isinstance(v, int) and 8 <= v <= 4096 for v in shape[:2]))

    def _use_model_size(self) -> None:
        height, width, channels = self.editor.project.input_shape
        section = {**self.editor.project.dataset, "image_size": [height, width],
                   "channels": channels}
        self.editor.edit("Load images at the model's input size", edits.set_dataset, section)
        self.data = None
        self.shared.clear()
        self.load()

    def _preview_augmentation(self) -> None:
        """One training image as the augmentation changes it, a few times over."""
        try:
            specs = dataset_config(self.editor.project.dataset).augmentation
        except ProjectError:
            return
        if self.data is None or not specs:
            clear_layout(self.augmented_row)
            self.augmented_title.hide()
            self._previewed = (None, ())
            return
        if self._closed or self.augment_task is not None or (self.data is self._previewed[0]
                                             and specs == self._previewed[1]):
            return  # a running preview re-checks the specs when it ends
        image = self._sample_image(0)

        def work(progress, cancelled):
            import numpy as np

            from cnnstudio.engine.augment import augmenter

            batch = np.repeat(np.asarray(image, np.float32)[None], AUGMENTED_COUNT, axis=0)
            return np.asarray(augmenter(specs)(batch))

        self._previewed = (self.data, specs)
        self.augment_task = Task(work, self)
        self.augment_task.done.connect(lambda images, s=specs: self._show_augmented(images, s))
        self.augment_task.failed.connect(self._augment_failed)
        self.augment_task.start()

    def _sample_image(self, i: int):
        import numpy as np

        if hasattr(self.data, "files"):
            image = QImage(str(self.data.files[i]))
            config = dataset_config(self.editor.project.dataset)
            image = image.convertToFormat(QImage.Format_Grayscale8 if config.channels == 1
                                          else QImage.Format_RGB888)
            image = image.scaled(config.image_size[1], config.image_size[0])
            channels = config.channels
            raw = np.frombuffer(image.constBits(), np.uint8).reshape(
                image.height(), image.bytesPerLine())
            return raw[:, :image.width() * channels].reshape(image.height(), image.width(),
                                                            channels).copy()
        return self.data.x_train[i]

    def _show_augmented(self, images, specs) -> None:
        self.augment_task = None
        if dataset_config(self.editor.project.dataset).augmentation != specs:
            self._preview_augmentation()  # changed while this preview was computed
            return
        clear_layout(self.augmented_row)
        self.augmented_title.setText(f"<b>Augmented</b> ({' + '.join(s.type for s in specs)}): "
                                     f"the first image as {AUGMENTED_COUNT} training batches "
                                     "might see it")
        self.augmented_title.show()
        for image in images:
            cell = QLabel()
            cell.setPixmap(to_pixmap(image))
            self.augmented_row.addWidget(cell)

    def _augment_failed(self, message: str, details: str) -> None:
        self.augment_task = None
        self.error.setText(f"Augmentation preview failed: {message}")

    def _use_loss(self) -> None:
        loss = LOSS_FOR_LABELS[self.data.label_form]
        self.editor.edit("Use suggested loss", edits.set_training, {"loss": loss})
