"""The model summary under the stack: parameters, size, memory, FLOPs."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QPainter, QTextDocument
from PySide6.QtWidgets import QSizePolicy, QWidget

from cnnstudio.core.analysis import format_bytes, format_count, summarize
from cnnstudio.ui.editor import ProjectEditor

DEFAULT_BATCH = 32


class SummaryBar(QWidget):
    """Rich text painted by hand in a fixed height of three lines.

    A QLabel asks its parents for a new layout whenever its text changes, and
    the whole window is then laid out and repainted on every keystroke; this
    widget only repaints itself.
    """

    PADDING = 4

    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.document = QTextDocument(self)
        self.document.setDefaultFont(self.font())
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 2 * self.PADDING + 4)
        editor.changed.connect(self.refresh)
        self.refresh()

    def text(self) -> str:
        return self._html

    def setText(self, html: str) -> None:
        self._html = html
        self.document.setHtml(html)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.translate(self.PADDING, self.PADDING)
        self.document.setTextWidth(self.width() - 2 * self.PADDING)
        self.document.drawContents(painter)
        painter.end()

    def batch_size(self) -> int:
        value = self.editor.project.training.get("batch_size", DEFAULT_BATCH)
        return value if isinstance(value, int) and value > 0 else DEFAULT_BATCH

    def refresh(self) -> None:
        project, report = self.editor.project, self.editor.report
        s = summarize(project, report, self.batch_size())
        text = (f"<b>Params</b> {s.total_params:,} (trainable {s.trainable_params:,}, "
                f"non-trainable {s.non_trainable_params:,}) · <b>Size</b> "
                f"{format_bytes(s.size_bytes)} · "
                f"<b>Activations</b> {s.activation_mb_per_batch:,.1f} MB per batch of "
                f"{s.batch_size} · <b>FLOPs</b> {format_count(s.flops_per_sample)} per sample"
                + (f" (without {', '.join(s.flops_left_out)})" if s.flops_left_out else ""))
        if report.pending is not None:
            text += (f"<br><span style='color:#5c5c5c'>Measuring {report.pending.name}, a "
                     f"pre-trained base, in the background…</span>")
        elif not report.valid:
            bad = report.layers[report.error_index]
            text += (f"<br><span style='color:#a4262c'>Invalid at {bad.name}: counts cover "
                     f"the layers above it.</span>")
        if text != getattr(self, "_html", None):
            self.setText(text)
