"""Why the selected layer has its shape: the sums, the receptive field, the weights."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QFrame, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from cnnstudio.core.catalogue.applications import input_preprocessing
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.core.analysis import activation_bytes, format_bytes, receptive_fields
from cnnstudio.core.catalogue.common import show_shape
from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.fixes import fixes_for, sound_fixes
from cnnstudio.ui.editor import ProjectEditor


class ExplainText(QTextBrowser):
    """Read-only rich text that scrolls; `text()` returns the HTML shown."""

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.NoFrame)
        self.setOpenLinks(False)
        self._html = ""

    def setText(self, html_text: str) -> None:
        self._html = html_text
        self.setHtml(html_text)

    def text(self) -> str:
        return self._html


class ExplainPanel(QWidget):
    def __init__(self, editor: ProjectEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.index: int | None = None
        self.text = ExplainText()
        self.fix_box = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addLayout(self.fix_box)
        self.fix_buttons: list[QPushButton] = []
        editor.changed.connect(self.refresh)
        self.refresh()

    def show_layer(self, index: int | None) -> None:
        self.index = index
        self.refresh()

    def refresh(self) -> None:
        for button in self.fix_buttons:
            button.deleteLater()
        self.fix_buttons = []
        project, report = self.editor.project, self.editor.report
        if self.index is None or self.index >= len(report.layers):
            self.text.setText("<span style='color:#666'>Select a layer to see how its output "
                              "shape and parameter count come about.</span>")
            return
        result = report.layers[self.index]
        spec = project.layers[self.index]
        parts = [f"<b>{html.escape(result.name)}</b> ({spec.type})"]
        if len(result.input_shapes) > 1:  # a merge: every input, named
            parts.append("inputs " + ", ".join(
                f"{html.escape(name)} {show_shape(shape)}"
                for name, shape in zip(result.inputs, result.input_shapes)))
        elif result.input_shape is not None:
            parts.append(f"input {show_shape(result.input_shape)}")
        if result.error:
            parts.append(f"<p style='color:#a4262c'><b>Invalid:</b> "
                         f"{html.escape(result.error)}</p>")
            self.text.setText("<br>".join(parts))
            self._add_fixes(fixes_for(project, report, self.index, known_figures()))
            return
        if result.output_shape is None:
            parts.append("<span style='color:#666'>No shape: a layer it takes (directly or "
                         "further up) is invalid.</span>")
            self.text.setText("<br>".join(parts))
            return
        parts.append(f"output <b>{show_shape(result.output_shape)}</b>")
        lines = result.arithmetic_lines()
        if lines:
            parts.append("<b>Output size</b><br>" + "<br>".join(
                f"<code>{html.escape(line)}</code>" for line in lines))
        rf = receptive_fields(project, report)[self.index]
        if rf is not None:
            parts.append(f"<b>Receptive field</b>: each output value sees {rf}x{rf} input "
                         f"pixels")
        if spec.layer_type.formula is not None:
            parts.append(f"<b>Parameters</b>: <code>"
                         f"{html.escape(spec.layer_type.formula(result.input_shape, spec.resolved))}"
                         f"</code>")
        else:
            parts.append("<b>Parameters</b>: none (this layer learns nothing)")
        if not spec.trainable:
            parts.append("Frozen: its weights stay as they are during training.")
        if spec.layer_type.opaque:
            what = (input_preprocessing(spec.resolved) if result.inputs == (MODEL_INPUT,)
                    else "none: it takes another layer's output, not the images")
            parts.append(f"<b>Input preprocessing</b>: {html.escape(what)}")
        size = activation_bytes(result)
        if size is not None:
            parts.append(f"<b>Activation memory</b>: {format_bytes(size)} per sample")
        hints = [h for h in self.editor.hints if h.index == self.index]
        for hint in hints:
            parts.append(f"<p style='color:#8a5a00'><b>Hint: {html.escape(hint.title)}.</b> "
                         f"{html.escape(hint.why)}</p>")
        self.text.setText("<br>".join(parts))
        self._add_fixes(sound_fixes(project, report, [h.fix for h in hints if h.fix],
                                    known_figures()))

    def _add_fixes(self, fixes) -> None:
        for fix in fixes:
            button = QPushButton(fix.label)
            button.clicked.connect(lambda _=False, f=fix: self.editor.edit(f.label, f.apply))
            self.fix_box.addWidget(button)
            self.fix_buttons.append(button)
