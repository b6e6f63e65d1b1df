"""The Evaluate page: how a trained run does on images it never trained on.

Pick a run, press Evaluate: in a worker, its model (the run's layers with its
saved weights) predicts the held-out images. The confusion matrix is a heat
map with class names; clicking a cell shows exactly those cases (e.g. squares
predicted as circles) in the grid of predictions, mistakes outlined in red.
Clicking an image there shows its feature maps, computed in a worker with the
run's final weights.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QGridLayout, QHBoxLayout,
    QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
    QTabWidget, QVBoxLayout, QWidget,
)

from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.ui.common.save_png import add_save_png_action, ask_and_save_png
from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.run_files import stored_path
from cnnstudio.ui.pages.evaluate.overfitting_view import OverfittingView
from cnnstudio.core.training_config import training_config
from cnnstudio.ui.pages.data.page import to_pixmap
from cnnstudio.ui.pages.evaluate.dropout_panel import DropoutPanel
from cnnstudio.ui.common.loaded_data import LoadedData
from cnnstudio.ui.common.workflow_page import WorkflowPage
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.pages.evaluate.feature_maps import FeatureMapView
from cnnstudio.ui.common.layouts import clear_layout, scrolled
from cnnstudio.ui.common.worker import Task

GRID_LIMIT = 200  # thumbnails shown at once; the filter narrows them down
COLUMNS = 8


def heat(fraction: float) -> QColor:
    """White to deep blue: how much of a true class lands in a cell."""
    fraction = max(0.0, min(1.0, fraction))
    return QColor(int(255 - 205 * fraction), int(255 - 150 * fraction), int(255 - 62 * fraction))


class Thumbnail(QLabel):
    """An image in the predictions grid; a click asks for its feature maps."""

    clicked = Signal(int)  # the image's index in the evaluation

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.setCursor(Qt.PointingHandCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)


class EvaluatePage(WorkflowPage):
    evaluated = Signal(object)  # Evaluation
    sample_maps_shown = Signal(int)  # the picked image's index, once its maps are drawn

    def __init__(self, editor: ProjectEditor, loaded_data: LoadedData | None = None,
                 path_provider=lambda: None, parent: QWidget | None = None) -> None:
        super().__init__(editor, loaded_data, path_provider, parent)
        self.task: Task | None = None
        self.result: Any = None
        self.filter: tuple[int | None, int | None] = (None, None)
        self._build()
        editor.changed.connect(self.refresh)
        self.refresh()

    def _build(self) -> None:
        self.run_choice = QComboBox()
        self.run_choice.setMinimumWidth(320)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.status = QLabel()
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Run"))
        top.addWidget(self.run_choice)
        top.addWidget(self.evaluate_button)
        top.addWidget(self.status, 1)

        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.matrix.setSelectionMode(QAbstractItemView.SingleSelection)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.matrix.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.matrix.horizontalHeader().setMinimumSectionSize(52)
        self.matrix.verticalHeader().setMinimumSectionSize(30)
        self.matrix.cellClicked.connect(self.choose_cell)
        self.matrix.setToolTip("Rows: true class. Columns: predicted class. Click a cell to see "
                               "those images.")
        self.per_class = QTableWidget(0, 4)
        self.per_class.setHorizontalHeaderLabels(["class", "precision", "recall", "images"])
        self.per_class.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.per_class.verticalHeader().hide()
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)
        save_matrix = QPushButton("Save matrix as PNG…")
        save_matrix.clicked.connect(lambda: ask_and_save_png(self.matrix, "confusion",
                                                             self._report))
        left = QVBoxLayout()
        left.addWidget(self.summary)
        left.addWidget(QLabel("<b>Confusion matrix</b> (rows true, columns predicted)"))
        left.addWidget(self.matrix, 2)
        left.addWidget(save_matrix)
        left.addWidget(self.per_class, 1)
        left_host = QWidget()
        left_host.setLayout(left)

        self.filter_label = QLabel()
        self.mistakes_only = QCheckBox("Only mistakes")
        self.mistakes_only.toggled.connect(lambda _on: self._show_cases())
        show_all = QPushButton("Show all")
        show_all.clicked.connect(self.clear_filter)
        save_grid = QPushButton("Save as PNG…")
        save_grid.clicked.connect(lambda: ask_and_save_png(self.grid_host, "predictions",
                                                           self._report))
        bar = QHBoxLayout()
        bar.addWidget(self.filter_label, 1)
        bar.addWidget(self.mistakes_only)
        bar.addWidget(show_all)
        bar.addWidget(save_grid)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        scroll = scrolled(self.grid_host)
        right = QVBoxLayout()
        right.addLayout(bar)
        right.addWidget(scroll, 1)
        right_host = QWidget()
        right_host.setLayout(right)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left_host)
        splitter.addWidget(right_host)
        splitter.setSizes([480, 720])
        self.feature_maps = FeatureMapView()
        self.feature_maps.probe_requested.connect(self.show_probe_maps)
        self.maps_task: Task | None = None
        self.dynamics = None  # pyqtgraph: made when its tab is first opened
        self.dynamics_host = QWidget()
        QVBoxLayout(self.dynamics_host)
        self.report = OverfittingView()
        self.save_actions = {
            stem: add_save_png_action(widget, stem, self._report) for stem, widget in (
                ("confusion", self.matrix), ("predictions", self.grid_host),
                ("feature_maps", self.feature_maps), ("layer_dynamics", self.dynamics_host),
                ("overfitting", self.report))}
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Predictions")
        self.tabs.addTab(self.feature_maps, "Feature maps")
        self.tabs.addTab(self.dynamics_host, "Layer dynamics")
        self.tabs.addTab(self.report, "Overfitting")
        self.dropout = DropoutPanel(self._dropout_source)
        self.tabs.insertTab(3, self.dropout, "Dropout")
        self.tabs.currentChanged.connect(lambda _i: self.show_run_details())
        self.run_choice.currentIndexChanged.connect(lambda _i: self.show_run_details())
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    # state ------------------------------------------------------------------------
    def trained_runs(self) -> list[dict]:
        return [run for run in self.editor.project.runs if run.get("weights")]

    def refresh(self) -> None:
        runs = self.trained_runs()
        ids = [run["id"] for run in runs]
        current = self.run_choice.currentData()
        shown = [self.run_choice.itemData(i) for i in range(self.run_choice.count())]
        if ids != shown:
            if not shown or current == shown[-1]:
                current = None  # the newest was shown: show the newest now
            self.run_choice.blockSignals(True)
            self.run_choice.clear()
            for run in runs:
                epochs = len(run.get("epochs", []))
                self.run_choice.addItem(f"{run['id']} · {epochs} epoch{'s' * (epochs != 1)} · "
                                        f"{run.get('ended')}",
                                        run["id"])
            index = self.run_choice.findData(current)
            self.run_choice.setCurrentIndex(index if index >= 0 else len(ids) - 1)
            self.run_choice.blockSignals(False)
        self.evaluate_button.setEnabled(bool(runs) and self.task is None)
        if not runs:
            self.status.setText("Train a run first: the Evaluate page measures a trained model.")
        elif self.result is None and self.task is None:
            self.status.setText("Press Evaluate to measure the run on held-out images; the "
                                "other tabs read the run's record directly.")

    def show_run_details(self) -> None:
        """Fill the tab in view from the chosen run's record (no model needed)."""
        run = self.selected_run()
        tab = self.tabs.currentWidget()
        if run is None:
            return
        if tab is self.feature_maps and getattr(self, "_maps_run", None) is not run:
            self._maps_run = run
            self._show_feature_maps(run)
        elif tab is self.dynamics_host:
            if self.dynamics is None:
                from cnnstudio.ui.pages.evaluate.layer_dynamics import LayerDynamicsView

                self.dynamics = LayerDynamicsView()
                self.dynamics_host.layout().addWidget(self.dynamics)
            frozen = {layer.get("name") for layer in run.get("layers", [])
                      if layer.get("trainable") is False}
            self.dynamics.show_dynamics(run.get("dynamics"), frozen)
        elif tab is self.dropout:
            self.dropout.set_layers([layer.get("name") for layer in run.get("layers", [])
                                     if _drops(layer.get("type"))])
        elif tab is self.report:
            self.report.show_run(run)

    def show_probe_maps(self) -> None:
        run = self.selected_run()
        if run is not None:
            self._show_feature_maps(run)

    def _show_feature_maps(self, run: dict) -> None:
        path = stored_path(run.get("probe"), self.path_provider())
        names = self._class_names(run)
        if path is None or not path.is_file():
            self.feature_maps.set_outputs(None, {}, names)
            return
        from cnnstudio.engine.probe_file import load_outputs

        probe, outputs = load_outputs(path)
        self.feature_maps.set_outputs(probe, outputs, names)

    def _dropout_source(self):
        """(run, project file, image scaled as in training) for the Dropout view."""
        run = self.selected_run()
        if run is None:
            return None
        path = stored_path(run.get("probe"), self.path_provider())
        if path is not None and path.is_file():
            from cnnstudio.engine.probe_file import load_outputs

            return run, self.path_provider(), load_outputs(path)[0]
        if self.result is None:
            self.dropout.text.setText("Evaluate the run first, or train it with layer "
                                      "capture on: the view needs an image.")
            return None
        return run, self.path_provider(), self._as_trained(run, self.result.x[0])

    @staticmethod
    def _as_trained(run: dict, image):
        """An evaluated image scaled as the run's model saw images in training."""
        return image * dataset_config(run.get("dataset", {})).pixel_scale(image.dtype)

    def show_sample_maps(self, index: int) -> None:
        """Every layer's output for evaluated image `index`, with the run's final weights."""
        run, result = self.selected_run(), self.result
        if run is None or result is None or self.maps_task is not None:
            return
        project_file = self.path_provider()
        image = self._as_trained(run, result.x[index])
        names = result.class_names
        source = (f"{result.part.capitalize()} image #{index + 1} (true class "
                  f"{names[result.y_true[index]]}) with the final weights of {run['id']}: "
                  "click another image on the Predictions tab to compare.")

        def work(progress, cancelled):
            from cnnstudio.engine.layer_outputs import layer_outputs
            from cnnstudio.engine.run_model import model_for_run

            return layer_outputs(model_for_run(run, project_file), image)

        def done(outputs) -> None:
            self.maps_task = None
            self._maps_run = run
            self.feature_maps.set_outputs(result.x[index], {len(run.get("epochs", [])): outputs},
                                          names, source)
            self.tabs.setCurrentWidget(self.feature_maps)
            self._show_evaluated()  # the maps tab names the image itself
            self.sample_maps_shown.emit(index)

        def failed(message: str, details: str) -> None:
            self.maps_task = None
            self.status.setText(f"<span style='color:#a4262c'>Cannot compute the feature "
                                f"maps: {message}</span>")

        self.maps_task = Task(work, self)
        self.maps_task.done.connect(done)
        self.maps_task.failed.connect(failed)
        self.maps_task.start()
        self.status.setText(f"Computing every layer's output for {result.part} image "
                            f"#{index + 1}…")

    def _class_names(self, run: dict) -> list[str]:
        if self.result is not None:
            return self.result.class_names
        return self.loaded_data.class_names

    def selected_run(self) -> dict | None:
        run_id = self.run_choice.currentData()
        return next((r for r in self.trained_runs() if r["id"] == run_id), None)

    # evaluating --------------------------------------------------------------------
    def evaluate(self) -> None:
        run = self.selected_run()
        if run is None or self.task is not None:
            return
        project_file = self.path_provider()
        config = dataset_config(run.get("dataset", {}))
        training = training_config(run.get("settings", {}))
        data = self.loaded_data.data_for(config)

        def work(progress, cancelled):
            from cnnstudio.engine.data import load_data
            from cnnstudio.engine.evaluation import evaluate
            from cnnstudio.engine.run_model import model_for_run

            images = data if data is not None else load_data(config, project_file)
            model = model_for_run(run, project_file)
            return evaluate(model, images, config, training, training.loss)

        self.task = Task(work, self)
        self.task.done.connect(self._evaluated)
        self.task.failed.connect(self._failed)
        self.task.start()
        self.evaluate_button.setEnabled(False)
        self.status.setText(f"Evaluating {run['id']}…")

    def shutdown(self) -> None:
        for task in (self.task, self.maps_task):
            if task is not None:
                task.cancel()
                task.wait()
        self.dropout.shutdown()

    def _failed(self, message: str, details: str) -> None:
        self.task = None
        self.refresh()
        self.status.setText(f"<span style='color:#a4262c'>{message}</span>")

    def _show_evaluated(self) -> None:
        """The status line says what the page shows for every tab: the evaluation."""
        result = self.result
        if result is not None:
            self.status.setText(f"Evaluated {self.run_choice.currentData()} on "
                                f"{len(result.y_true):,} {result.part} images it never "
                                "trained on.")

    def _evaluated(self, result) -> None:
        self.task = None
        self.result = result
        self.refresh()
        n = len(result.y_true)
        self._show_evaluated()
        right = n - len(result.cases(mistakes_only=True))
        self.summary.setText(f"<b>{result.accuracy:.1%}</b> accuracy ({right:,} of {n:,} "
                             f"right) · loss {result.loss:.4g} · {result.part} part")
        self._show_matrix()
        self._show_per_class()
        self.clear_filter()
        self.evaluated.emit(result)

    # showing ------------------------------------------------------------------------
    def _show_matrix(self) -> None:
        result = self.result
        names = result.class_names
        matrix = result.confusion
        size = len(names)
        self.matrix.setRowCount(size)
        self.matrix.setColumnCount(size)
        self.matrix.setHorizontalHeaderLabels(names)
        self.matrix.setVerticalHeaderLabels(names)
        totals = matrix.sum(axis=1)
        for i in range(size):
            for j in range(size):
                count = int(matrix[i, j])
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignCenter)
                share = count / totals[i] if totals[i] else 0.0
                item.setBackground(heat(share))
                if share > 0.55:
                    item.setForeground(QColor("white"))
                item.setToolTip(f"{count} {names[i]} image{'s' * (count != 1)} predicted as "
                                f"{names[j]} ({share:.0%} of {names[i]})")
                self.matrix.setItem(i, j, item)

    def _show_per_class(self) -> None:
        result = self.result
        precision, recall = result.precision(), result.recall()
        counts = result.confusion.sum(axis=1)
        self.per_class.setRowCount(len(result.class_names))
        for i, name in enumerate(result.class_names):
            cells = [name, _share(precision[i]), _share(recall[i]), f"{int(counts[i]):,}"]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.per_class.setItem(i, j, item)

    def choose_cell(self, row: int, column: int) -> None:
        """Show the images of true class `row` predicted as `column`."""
        self.filter = (row, column)
        self._show_cases()

    def clear_filter(self) -> None:
        self.filter = (None, None)
        self.matrix.clearSelection()
        self._show_cases()

    def shown_cases(self):
        true_class, predicted = self.filter
        return self.result.cases(true_class, predicted, self.mistakes_only.isChecked())

    def _show_cases(self) -> None:
        if self.result is None:
            return
        result = self.result
        names = result.class_names
        cases = self.shown_cases()
        true_class, predicted = self.filter
        if true_class is None:
            what = "all images" if not self.mistakes_only.isChecked() else "all mistakes"
        else:
            what = f"{names[true_class]} predicted as {names[predicted]}"
        more = f" (first {GRID_LIMIT})" if len(cases) > GRID_LIMIT else ""
        self.filter_label.setText(f"<b>{len(cases):,}</b> {what}{more}")
        clear_layout(self.grid)
        for n, i in enumerate(cases[:GRID_LIMIT]):
            right = result.y_true[i] == result.y_pred[i]
            cell = Thumbnail(int(i))
            cell.clicked.connect(self.show_sample_maps)
            cell.setToolTip("Click to see this image's feature maps")
            cell.setPixmap(to_pixmap(result.x[i]))
            cell.setAlignment(Qt.AlignCenter)
            cell.setStyleSheet("border: 2px solid %s;" % ("#3a7d44" if right else "#c42b1c"))
            caption = QLabel(f"{names[result.y_true[i]]}\n→ {names[result.y_pred[i]]} "
                             f"{result.confidence[i]:.0%}")
            caption.setToolTip(f"true class {names[result.y_true[i]]}, predicted "
                               f"{names[result.y_pred[i]]} with probability "
                               f"{result.confidence[i]:.1%}")
            caption.setAlignment(Qt.AlignCenter)
            if not right:
                caption.setStyleSheet("color: #c42b1c;")
            self.grid.addWidget(cell, (n // COLUMNS) * 2, n % COLUMNS)
            self.grid.addWidget(caption, (n // COLUMNS) * 2 + 1, n % COLUMNS)

    def _report(self, text: str, _error: bool = False) -> None:
        self.status.setText(text)


def _share(value: float) -> str:
    return "–" if value != value else f"{value:.1%}"  # NaN: no images to measure


def _drops(type_name) -> bool:
    """Whether a recorded layer's type zeroes values at random in training (its catalogue
    declaration says; a type the catalogue no longer has does not)."""
    layer_type = LAYER_TYPES.get(type_name) if isinstance(type_name, str) else None
    return layer_type is not None and layer_type.drops
