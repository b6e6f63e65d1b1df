"""The network as a diagram: blocks and wires laid out in layers, built by drag and drop.

The project stays the core's immutable Project: every gesture here is an edit through
the editor (undoable, named), and the diagram redraws from the project after each.
A structural edit lays the blocks out again (core.diagram_layout), keeping the order
of the blocks the edit did not touch; an argument edit only repaints the blocks.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QMenu

from cnnstudio.core import edits
from cnnstudio.core.diagram_layout import layered_layout
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.ui.editor import ProjectEditor
from cnnstudio.ui.pages.design.diagram.overview import Overview
from cnnstudio.ui.pages.design.diagram.items import (
    BlockItem, WireItem, input_state, layer_state,
)
from cnnstudio.ui.pages.design.stack import LAYER_TYPE_MIME, new_layer

MARGIN = 40.0
ZOOM_LIMITS = (0.1, 4.0)
READABLE = 0.7  # the smallest zoom at which a block's text is read without effort
EXPORT_SCALE = 2.0  # PNG pixels per scene unit: sharp on print and high-density screens


class DiagramView(QGraphicsView):
    """Blocks and wires. Selecting blocks selects the same layers everywhere (`rows`);
    Delete, Ctrl+D, Ctrl+C and Ctrl+V act on them through the stack's commands."""

    rows_selected = Signal(list)
    status = Signal(str)

    def __init__(self, editor: ProjectEditor, commands, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.commands = commands  # the stack view: delete, duplicate, copy, paste
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self.setBackgroundBrush(QColor("#f7f8fa"))
        self.horizontal = False
        self.blocks: dict[str, BlockItem] = {}
        self.wires: dict[tuple[str, str], WireItem] = {}
        self._structure = None
        self._centres: dict[str, tuple[float, float]] = {}
        self._syncing = False
        self._start_pending = True
        self._wiring: tuple[str, WireItem] | None = None  # a connection being drawn
        self.scene().selectionChanged.connect(self._selection_changed)
        self.overview = Overview(self)
        editor.changed.connect(self.refresh)
        self.refresh()

    # drawing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw from the project: a new layout when the connections changed, else new
        contents in the same places."""
        project, report = self.editor.project, self.editor.report
        names = [r.name for r in report.layers]
        inputs = [r.inputs for r in report.layers]
        pinned = tuple((name, (spec.ui["x"], spec.ui["y"]))
                       for name, spec in zip(names, project.layers)
                       if spec.ui and "x" in spec.ui and "y" in spec.ui)
        structure = (tuple(names), tuple(inputs), self.horizontal, project.input_shape, pinned)
        if structure != self._structure:
            opened = self._structure is None or not set(names) & set(self._structure[0])
            self._structure = structure
            self._relayout(names, inputs, dict(pinned) if not self.horizontal else {})
            if opened:  # another project, not an edit of this one: show it from the top
                self._start_pending = True
        if self._start_pending and self.isVisible():
            self._start_pending = False
            self.show_start()
        hints = self.editor.hint_texts()
        self.blocks[MODEL_INPUT].set_state(input_state(report.input_shape), None)
        for index, (spec, result) in enumerate(zip(project.layers, report.layers)):
            self.blocks[result.name].set_state(layer_state(spec, result, hints.get(index, [])),
                                               index)
        shapes = {MODEL_INPUT: report.input_shape,
                  **{r.name: r.output_shape for r in report.layers}}
        results = {r.name: r for r in report.layers}
        for (source, target), wire in self.wires.items():
            bad = results[target].error is not None and not results[target].pending \
                and len(results[target].inputs) > 1
            wire.set_tensor(shapes.get(source), bad)

    def _relayout(self, names: list[str], inputs: list[tuple[str, ...]],
                  pinned: dict[str, tuple[float, float]]) -> None:
        layout = layered_layout(names, inputs, self._centres, self.horizontal, pinned)
        self._centres = layout.centres
        scene = self.scene()
        self._syncing = True
        try:
            for name in [n for n in self.blocks if n not in layout.centres]:
                scene.removeItem(self.blocks.pop(name))
            for name, (x, y) in layout.centres.items():
                block = self.blocks.get(name)
                if block is None:
                    block = self.blocks[name] = BlockItem(input_state((None,)), None)
                    scene.addItem(block)
                block.moved = None  # placed by the layout, not dragged
                block.setPos(x, y)
                block.moved = self._follow
                block.horizontal = self.horizontal
            for key in [k for k in self.wires if k not in layout.waypoints]:
                scene.removeItem(self.wires.pop(key))
            for (source, target), points in layout.waypoints.items():
                wire = self.wires.get((source, target))
                if wire is None:
                    wire = self.wires[(source, target)] = WireItem(source, target)
                    scene.addItem(wire)
                route = [self._port(source, out=True), *(QPointF(*p) for p in points),
                         self._port(target, out=False)]
                wire.set_route(route, self.horizontal)
        finally:
            self._syncing = False
        scene.setSceneRect(QRectF(-MARGIN, -MARGIN, layout.width + 2 * MARGIN,
                                  layout.height + 2 * MARGIN))

    def _follow(self, block: BlockItem) -> None:
        """While a block is dragged, its wires run straight to where it is."""
        name = block.state.name
        for (source, target), wire in self.wires.items():
            if name in (source, target):
                wire.set_route([self._port(source, out=True), self._port(target, out=False)],
                               self.horizontal)

    def _port(self, name: str, out: bool) -> QPointF:
        """Where wires leave (`out`) or enter a block: its bottom or top (right or left
        when the diagram runs left to right)."""
        block = self.blocks[name]
        return block.pos() + block.port(out)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.overview.refit()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.overview.viewport().update()

    def scale(self, sx: float, sy: float) -> None:
        super().scale(sx, sy)
        self.overview.refit()

    def resetTransform(self) -> None:
        super().resetTransform()
        self.overview.refit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._start_pending:
            self._start_pending = False
            self.show_start()

    def set_horizontal(self, on: bool) -> None:
        self.horizontal = on
        self._centres = {}
        self._structure = None
        self.refresh()
        self.fit()

    # selection ------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted(item.index for item in self.scene().selectedItems()
                      if isinstance(item, BlockItem) and item.index is not None)

    def select_rows(self, rows: list[int]) -> None:
        """Show the selection made elsewhere (the list), without echoing it back."""
        names = [self.editor.report.layers[r].name for r in rows
                 if 0 <= r < len(self.editor.report.layers)]
        if any(name not in self.blocks for name in names):
            self.refresh()  # the list heard of the edit first
        self._syncing = True
        try:
            self.scene().clearSelection()
            for name in names:
                self.blocks[name].setSelected(True)
        finally:
            self._syncing = False
        if names:
            self.ensureVisible(self.blocks[names[-1]], 40, 40)

    def _selection_changed(self) -> None:
        if not self._syncing:
            self.rows_selected.emit(self.selected_rows())

    # navigation -----------------------------------------------------------------------
    def fit(self) -> None:
        """The whole network in view (F), never larger than 100 %."""
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
        if self.transform().m11() > 1.0:
            self.actual_size()
        self.overview.refit()

    def show_start(self) -> None:
        """How a project opens: the whole network when it fits at a readable size,
        else the readable size from the top."""
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
        scale = max(READABLE, min(1.0, self.zoom()))
        self.resetTransform()
        self.scale(scale, scale)
        rect = self.scene().sceneRect()
        self.centerOn(rect.center().x(), rect.top() + self.viewport().height() / scale / 2)

    def actual_size(self) -> None:
        """100 % (1): one scene unit a pixel, the selection (or the top) in view."""
        self.resetTransform()
        rows = self.selected_rows()
        target = self.blocks[self.editor.report.layers[rows[-1]].name] if rows else \
            self.blocks[MODEL_INPUT]
        self.centerOn(target)

    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        factor = 1.15 ** steps
        low, high = ZOOM_LIMITS
        factor = max(low / self.zoom(), min(high / self.zoom(), factor))
        self.scale(factor, factor)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key_F and not mods:
            self.fit()
        elif key == Qt.Key_1 and not mods:
            self.actual_size()
        elif key in (Qt.Key_Up, Qt.Key_Down, Qt.Key_Left, Qt.Key_Right) and not mods:
            self._step(key)
        elif event.matches(QKeySequence.Delete) or key == Qt.Key_Backspace:
            self.commands.delete_selected()
        elif key == Qt.Key_D and mods == Qt.ControlModifier:
            self.commands.duplicate_selected()
        elif event.matches(QKeySequence.Copy):
            self.commands.copy_selected()
        elif event.matches(QKeySequence.Paste):
            self.commands.paste()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _step(self, key) -> None:
        """Arrows move the selection: up to the block's (first) input, down to the first
        block that takes it, left and right along its row."""
        report = self.editor.report
        rows = self.selected_rows()
        if not rows:
            self._select_name(report.layers[0].name if report.layers else MODEL_INPUT)
            return
        current = report.layers[rows[-1]]
        target = None
        if key == Qt.Key_Up:
            target = current.inputs[0] if current.inputs else None
        elif key == Qt.Key_Down:
            target = next((r.name for r in report.layers if current.name in r.inputs), None)
        else:  # along the step the block sits on: x top to bottom, y left to right
            along = 1 if self.horizontal else 0
            mine = self._centres[current.name]
            beside = sorted((at[along], name) for name, at in self._centres.items()
                            if name != current.name and abs(at[1 - along] - mine[1 - along]) < 1)
            before = [name for at, name in beside if at < mine[along]]
            after = [name for at, name in beside if at > mine[along]]
            side = before[-1:] if key == Qt.Key_Left else after[:1]
            target = side[0] if side else None
        if target is not None and target != MODEL_INPUT:
            self._select_name(target)

    def _select_name(self, name: str) -> None:
        if name not in self.blocks or self.blocks[name].index is None:
            return
        self.scene().clearSelection()
        self.blocks[name].setSelected(True)
        self.ensureVisible(self.blocks[name], 40, 40)

    # mouse: select, rubber band, pan, connect ports, context menu ---------------------
    def mousePressEvent(self, event) -> None:
        at = self.mapToScene(event.position().toPoint())
        block = self._block_at(at)
        if event.button() == Qt.LeftButton and block is not None and \
                block.near_output(block.mapFromScene(at)):
            self._wiring = (block.state.name, WireItem(block.state.name, ""))
            self._wiring[1].setPen(QPen(QColor("#1565c0"), 1.6, Qt.DashLine))
            self.scene().addItem(self._wiring[1])
            self._wiring[1].set_route([self._port(block.state.name, True), at], self.horizontal)
            event.accept()
            return
        if event.button() == Qt.LeftButton and block is None and \
                event.modifiers() & (Qt.ShiftModifier | Qt.ControlModifier):
            self.setDragMode(QGraphicsView.RubberBandDrag)  # select by a rectangle
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._wiring is not None:
            source, wire = self._wiring
            wire.set_route([self._port(source, True), self.mapToScene(event.position().toPoint())],
                           self.horizontal)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        moved = [b for b in self.scene().selectedItems()
                 if isinstance(b, BlockItem) and b.index is not None
                 and b.state.name in self._centres
                 and (b.pos() - QPointF(*self._centres[b.state.name])).manhattanLength() > 2]
        if moved and self._wiring is None:
            super().mouseReleaseEvent(event)
            self.keep_positions(moved)
            return
        if self._wiring is not None:
            source, wire = self._wiring
            self._wiring = None
            self.scene().removeItem(wire)
            target = self._block_at(self.mapToScene(event.position().toPoint()))
            if target is not None and target.index is not None and target.state.name != source:
                self.connect_blocks(source, target.index)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.setDragMode(QGraphicsView.ScrollHandDrag)

    def keep_positions(self, blocks: list[BlockItem]) -> None:
        """Blocks dragged by hand stay there: their places go into the project (the
        layers' `ui`), one undoable step."""
        moves = [(b.index, b.pos().x(), b.pos().y()) for b in blocks]

        def move(project):
            for index, x, y in moves:
                project = edits.set_position(project, index, x, y)
            return project
        text = "Move block" if len(moves) == 1 else f"Move {len(moves)} blocks"
        self._apply([m[0] for m in moves], text, move)

    def reset_layout(self) -> None:
        self._apply(self.selected_rows(), "Reset layout", edits.clear_positions)

    def connect_blocks(self, source: str, index: int) -> None:
        """A wire drawn from `source`'s output to the layer at `index`: a merge takes it as
        one more input, any other layer takes it instead of what it took."""
        result = self.editor.report.layers[index]
        merges = self.editor.project.layers[index].layer_type.merge is not None
        if merges and source in result.inputs:
            return
        inputs = [*result.inputs, source] if merges else [source]
        self._apply([index], "Connect layer", edits.set_inputs, index, inputs)

    def _block_at(self, at: QPointF) -> BlockItem | None:
        for item in self.scene().items(at):
            if isinstance(item, BlockItem):
                return item
        return None

    def contextMenuEvent(self, event) -> None:
        block = self._block_at(self.mapToScene(event.pos()))
        if block is not None and block.index is not None and not block.isSelected():
            self.scene().clearSelection()
            block.setSelected(True)
        rows = self.selected_rows()
        menu = QMenu(self)
        for text, action in (("Wrap in Residual Block", self.commands.wrap_in_residual),
                             ("Add Parallel Branch", self.commands.add_branch),
                             ("Duplicate", self.commands.duplicate_selected),
                             ("Delete", self.commands.delete_selected)):
            menu.addAction(text, action).setEnabled(bool(rows))
        menu.addSeparator()
        menu.addAction("Reset Layout", self.reset_layout).setEnabled(
            any(spec.ui and "x" in spec.ui for spec in self.editor.project.layers))
        menu.addAction("Fit (F)", self.fit)
        menu.addAction("100 % (1)", self.actual_size)
        menu.exec(event.globalPos())

    # drag and drop from the palette ---------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_TYPE_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_TYPE_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if not data.hasFormat(LAYER_TYPE_MIME):
            super().dropEvent(event)
            return
        type_name = bytes(data.data(LAYER_TYPE_MIME)).decode()
        self.drop_layer(type_name, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    def drop_layer(self, type_name: str, at: QPointF) -> None:
        """A layer from the palette: onto a block, after it; onto a wire, into it; onto
        empty canvas, after the selected block (at the end when none is)."""
        spec = new_layer(type_name)
        names = [r.name for r in self.editor.report.layers]
        item = self._item_at(at)
        text = f"Insert {type_name}"
        if isinstance(item, WireItem):
            index = names.index(item.target)
            self._apply([index], text, edits.insert_between, index, item.source, spec)
        elif isinstance(item, BlockItem) and item.index is None:  # the model input
            self._apply([0], text, edits.insert_layers, 0, [spec])
        else:
            rows = [item.index] if isinstance(item, BlockItem) else self.selected_rows()
            if rows:
                self._apply([rows[-1] + 1], text, edits.insert_after, rows[-1], spec)
            else:
                self._apply([len(names)], text, edits.insert_layers, len(names), [spec])

    def _item_at(self, at: QPointF):
        for item in self.scene().items(QRectF(at.x() - 3, at.y() - 3, 6, 6)):
            if isinstance(item, (BlockItem, WireItem)):
                return item
            if isinstance(item.parentItem(), WireItem):
                return item.parentItem()
        return None

    def _apply(self, select: list[int], text: str, change, *args) -> None:
        error = self.commands.apply_edit(select, text, change, *args)
        if error is None:
            self.select_rows(select)
            self.rows_selected.emit(select)

    # export -----------------------------------------------------------------------------
    def export_image(self, path: str | Path) -> Path:
        """The whole diagram as a PNG (twice the screen's scale) or an SVG, by suffix."""
        path = Path(path)
        scene = self.scene()
        rect = scene.sceneRect()
        selected = scene.selectedItems()
        for item in selected:  # a figure shows the network, not this session's selection
            item.setSelected(False)
        for block in self.blocks.values():  # drawn as vectors and text, not cached pixmaps
            block.setCacheMode(QGraphicsItem.NoCache)
        try:
            if path.suffix.lower() == ".svg":
                from PySide6.QtSvg import QSvgGenerator

                generator = QSvgGenerator()
                generator.setFileName(str(path))
                generator.setSize(QSize(int(rect.width()), int(rect.height())))
                generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
                generator.setTitle(self.editor.project.name)
                painter = QPainter(generator)
                scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
                painter.end()
            else:
                image = QImage(int(rect.width() * EXPORT_SCALE),
                               int(rect.height() * EXPORT_SCALE), QImage.Format_ARGB32)
                image.fill(QColor("white"))
                painter = QPainter(image)
                painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
                scene.render(painter, QRectF(image.rect()), rect)
                painter.end()
                if not image.save(str(path)):
                    raise OSError(f"cannot write {path}")
        finally:
            for block in self.blocks.values():
                block.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
            for item in selected:
                item.setSelected(True)
        return path
