"""The palette: every catalogue layer, grouped by category, searchable, draggable."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from cnnstudio.ui.common.markup import rich
from cnnstudio.core.catalogue import by_category
from cnnstudio.ui.pages.design.stack import LAYER_TYPE_MIME

TYPE_ROLE = Qt.UserRole + 1


class PaletteTree(QTreeWidget):
    activated_type = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragOnly)
        self.setRootIsDecorated(True)
        for category, layers in by_category().items():
            group = QTreeWidgetItem(self, [category.value])
            group.setFlags(Qt.ItemIsEnabled)
            for layer in layers:
                item = QTreeWidgetItem(group, [layer.name])
                item.setData(0, TYPE_ROLE, layer.name)
                item.setToolTip(0, f"<b>{layer.name}</b><br>{rich(layer.summary)}")
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        self.expandAll()
        self.itemActivated.connect(self._on_activated)

    def mimeTypes(self) -> list[str]:
        return [LAYER_TYPE_MIME]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if names:
            data.setData(LAYER_TYPE_MIME, QByteArray(names[0].encode()))
            data.setText(names[0])
        return data

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        name = item.data(0, TYPE_ROLE)
        if name:
            self.activated_type.emit(name)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentItem():
            self._on_activated(self.currentItem())
            return
        super().keyPressEvent(event)

    def item_for(self, name: str) -> QTreeWidgetItem | None:
        for group in range(self.topLevelItemCount()):
            parent = self.topLevelItem(group)
            for i in range(parent.childCount()):
                if parent.child(i).data(0, TYPE_ROLE) == name:
                    return parent.child(i)
        return None

    def filter(self, text: str) -> None:
        text = text.strip().lower()
        for group in range(self.topLevelItemCount()):
            parent = self.topLevelItem(group)
            visible = 0
            for i in range(parent.childCount()):
                child = parent.child(i)
                hit = (not text or text in child.text(0).lower()
                       or text in parent.text(0).lower())
                child.setHidden(not hit)
                visible += hit
            parent.setHidden(visible == 0)


class Palette(QWidget):
    """Search box over the layer tree. Double-click or Enter asks to append a layer."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = PaletteTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self.tree.filter)
        self.activated_type = self.tree.activated_type
