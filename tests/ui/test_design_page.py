"""The Design page driven the way a user drives it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from cnnstudio.core import load_project
from cnnstudio.core.templates import list_templates
from cnnstudio.ui.pages.design.stack import INPUTS, PARAMS, SHAPE
from tests.ui.conftest import assert_png_of, drop_on_stack, project_json, save_screenshot


def types(window):
    return [layer.type for layer in window.editor.project.layers]


def cell(window, row, col):
    model = window.design.stack.stack_model
    return model.index(row, col).data(Qt.DisplayRole)


def test_drag_from_palette_inserts_where_dropped(make_window):
    window = make_window()
    palette = window.design.palette.tree
    mime = palette.mimeData([palette.item_for("BatchNormalization")])
    drop_on_stack(window.design.stack, mime, row=2)
    assert types(window)[:4] == ["Conv2D", "Conv2D", "BatchNormalization", "MaxPooling2D"]
    assert cell(window, 2, SHAPE) == "(None, 24, 24, 64)"
    assert window.design.stack.selected_rows() == [2]
    drop_on_stack(window.design.stack, palette.mimeData([palette.item_for("ReLU")]), row=99)
    assert types(window)[-1] == "ReLU"


def test_drag_a_row_to_reorder(make_window):
    window = make_window()
    view = window.design.stack
    mime = view.stack_model.mimeData([view.stack_model.index(3, 0)])  # first Dropout
    drop_on_stack(view, mime, row=0)
    assert types(window)[:3] == ["Dropout", "Conv2D", "Conv2D"]
    assert view.selected_rows() == [0]
    window.editor.undo_stack.undo()
    assert types(window)[3] == "Dropout"


def test_double_click_and_enter_append_after_the_selection(make_window, qtbot):
    window = make_window()
    window.design.stack.select_rows([0])
    tree = window.design.palette.tree
    item = tree.item_for("ZeroPadding2D")
    tree.setCurrentItem(item)
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key_Return)
    assert types(window)[1] == "ZeroPadding2D"
    assert cell(window, 1, SHAPE) == "(None, 28, 28, 32)"


def test_palette_search_filters(make_window, qtbot):
    window = make_window()
    palette = window.design.palette
    qtbot.keyClicks(palette.search, "pool")
    visible = [palette.tree.topLevelItem(i).child(j).text(0)
               for i in range(palette.tree.topLevelItemCount())
               for j in range(palette.tree.topLevelItem(i).childCount())
               if not palette.tree.topLevelItem(i).child(j).isHidden()]
    assert "MaxPooling2D" in visible and "Conv2D" not in visible


def test_editing_an_argument_updates_shape_and_params_at_once(make_window, qtbot):
    window = make_window()
    window.design.stack.select_rows([0])
    field = window.design.properties.fields["filters"]
    field.spin.setValue(16)
    assert cell(window, 0, SHAPE) == "(None, 26, 26, 16)"
    assert cell(window, 0, PARAMS) == "160"
    assert cell(window, 1, PARAMS) == f"{3 * 3 * 16 * 64 + 64:,}"
    kernel = window.design.properties.fields["kernel_size"]
    kernel.spins[0].setValue(5)  # linked: 5x5
    assert window.editor.project.layers[0].params["kernel_size"] == 5
    assert cell(window, 0, SHAPE) == "(None, 24, 24, 16)"
    kernel.link.setChecked(False)
    kernel.spins[1].setValue(3)
    assert window.editor.project.layers[0].params["kernel_size"] == [5, 3]
    assert window.undo_action.text() == "Undo Change kernel_size"


def test_typing_into_a_spin_box_merges_into_one_undo_step(make_window, qtbot):
    window = make_window()
    window.design.stack.select_rows([5])  # Dense 128
    spin = window.design.properties.fields["units"].spin
    before = project_json(window)
    spin.selectAll()
    qtbot.keyClicks(spin, "256")
    assert window.editor.project.layers[5].params["units"] == 256
    window.editor.undo_stack.undo()
    assert project_json(window) == before


def test_invalid_layer_shows_the_arithmetic_and_a_fix(make_window):
    window = make_window()
    window.design.stack.select_rows([1])
    window.design.properties.fields["kernel_size"].spins[0].setValue(30)
    assert cell(window, 1, SHAPE) == "invalid"
    text = window.design.explain.text.text()
    assert "does not fit" in text and "(26 - 30 + 2*0)/1 + 1 = -3" in text
    assert "Invalid at conv2d_1" in window.design.summary.text()
    buttons = {b.text(): b for b in window.design.explain.findChildren(QPushButton)}
    buttons["Use padding='same'"].click()
    assert cell(window, 1, SHAPE) == "(None, 26, 26, 64)"
    assert window.undo_action.text() == "Undo Use padding='same'"


def test_refused_value_shows_inline_and_changes_nothing(make_window):
    window = make_window()
    window.design.stack.select_rows([0])
    before = project_json(window)
    window.design.properties.fields["dilation_rate"].spins[0].setValue(2)
    window.design.properties.fields["strides"].spins[0].setValue(2)
    error = window.design.properties.errors["strides"]
    assert not error.isHidden() and "dilation_rate" in error.text()
    assert window.editor.project.layers[0].resolved["strides"] == (1, 1)
    window.editor.undo_stack.undo()
    assert project_json(window) == before


def test_explanation_shows_formula_receptive_field_and_memory(make_window):
    window = make_window()
    window.design.stack.select_rows([1])
    text = window.design.explain.text.text()
    assert "3*3*32*64 + 64 = 18,496" in text
    assert "5x5 input pixels" in text
    assert "144.00 KB per sample" in text


EDITS = {
    "insert": lambda w: drop_on_stack(w.design.stack, w.design.palette.tree.mimeData(
        [w.design.palette.tree.item_for("Dense")]), row=1),
    "delete": lambda w: (w.design.stack.select_rows([2]), w.design.stack.delete_selected()),
    "move": lambda w: drop_on_stack(w.design.stack, w.design.stack.stack_model.mimeData(
        [w.design.stack.stack_model.index(4, 0)]), row=1),
    "duplicate": lambda w: (w.design.stack.select_rows([0, 1]),
                            w.design.stack.duplicate_selected()),
    "paste": lambda w: (w.design.stack.select_rows([5]), w.design.stack.copy_selected(),
                        w.design.stack.select_rows([0]), w.design.stack.paste()),
    "argument": lambda w: (w.design.stack.select_rows([2]),
                           w.design.properties.fields["pool_size"].spins[0].setValue(3)),
    "input shape": lambda w: w.design.input_editor.spins[0].setValue(64),
    "template": lambda w: w.editor.replace(list_templates()[0].project, "Load template"),
    "freeze": lambda w: (w.design.stack.select_rows([0]),
                         w.design.properties.trainable_box.setChecked(False)),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_undo_and_redo_restore_the_identical_project(make_window, kind):
    window = make_window()
    before = project_json(window)
    EDITS[kind](window)
    after = project_json(window)
    assert after != before, f"{kind} changed nothing"
    assert window.isWindowModified()
    window.undo_action.trigger()
    assert project_json(window) == before
    assert not window.isWindowModified()
    window.redo_action.trigger()
    assert project_json(window) == after


def test_copy_paste_goes_through_the_clipboard_as_json(make_window):
    window = make_window()
    window.design.stack.select_rows([5])
    window.design.stack.copy_selected()
    pasted = json.loads(QApplication.clipboard().text())
    assert pasted == [{"type": "Dense", "params": {"units": 128, "activation": "relu"}}]


def test_pasting_garbage_says_so_and_changes_nothing(make_window):
    window = make_window()
    before = project_json(window)
    for text in ("hello", "[1, 2]", '{"type": "Nope"}', "[]", "{}", ""):
        QApplication.clipboard().setText(text)
        window.design.stack.paste()
        assert project_json(window) == before
    assert "Nothing pasted" in window.statusBar().currentMessage()


def test_delete_key_and_ctrl_d(make_window, qtbot):
    window = make_window()
    view = window.design.stack
    view.setFocus()
    view.select_rows([3])
    qtbot.keyClick(view, Qt.Key_Delete)
    assert types(window) == ["Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense",
                             "Dropout", "Dense"]
    view.select_rows([0])
    qtbot.keyClick(view, Qt.Key_D, Qt.ControlModifier)
    assert types(window)[:3] == ["Conv2D", "Conv2D", "Conv2D"]
    assert view.selected_rows() == [1]


def test_no_input_crashes_the_window(make_window):
    window = make_window()
    spins = window.design.input_editor.spins
    spins[0].setValue(0)  # None
    assert window.editor.project.input_shape[0] is None
    assert cell(window, 4, SHAPE) == "(None, None)"
    assert cell(window, 5, SHAPE) == "invalid"  # Dense after a Flatten of unknown size
    spins[0].setValue(1)
    spins[1].setValue(1)  # a 1-pixel input
    assert cell(window, 0, SHAPE) == "invalid"
    spins[0].setValue(28)
    spins[1].setValue(28)
    window.design.stack.select_rows([5])
    window.design.properties.fields["units"].spin.setValue(100_000)
    assert cell(window, 5, PARAMS) == f"{9216 * 100_000 + 100_000:,}"
    assert "3.44 GB" in window.design.summary.text()  # 922,718,826 float32 weights


def test_save_and_reopen_give_the_same_project(make_window, tmp_path):
    window = make_window()
    window.design.stack.select_rows([0])
    window.design.properties.fields["filters"].spin.setValue(8)
    path = tmp_path / "mine.cnnstudio.json"
    assert window.save_to(path)
    assert not window.isWindowModified()
    assert window.windowTitle() == "CNN Studio — MNIST CNN[*]"  # Qt shows [*] only if modified
    saved = window.editor.project
    other = make_window()
    assert other.open_path(path)
    assert other.editor.project == saved == load_project(path)
    assert str(path.resolve()) in other.recent_files()


def test_close_with_unsaved_changes_asks(make_window, dialog_answers, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    window = make_window()
    window.design.input_editor.spins[2].setValue(3)
    dialog_answers.append(QMessageBox.Cancel)
    assert not window.close()
    dialog_answers.append(QMessageBox.Discard)
    assert window.close()


def test_recovery_copy_written_after_an_edit_and_offered(make_window, qtbot, dialog_answers):
    from PySide6.QtWidgets import QMessageBox

    from cnnstudio.ui.window import recovery
    from cnnstudio.ui.window.app import offer_recovery

    window = make_window()
    window.autosave_timer.setInterval(50)
    window.design.input_editor.spins[2].setValue(3)
    qtbot.waitUntil(lambda: bool(recovery.pending()), timeout=3000)
    edited = window.editor.project
    fresh = make_window()
    dialog_answers.append(QMessageBox.Yes)
    offer_recovery(fresh)
    assert fresh.editor.project == edited
    assert fresh.isWindowModified()
    assert recovery.pending() == []


@pytest.mark.parametrize("template", [t.key for t in list_templates()])
def test_design_page_screenshot_for_each_template(make_window, template):
    from cnnstudio.core.templates import get_template

    window = make_window(get_template(template).project)
    window.design.stack.select_rows([0])
    path = save_screenshot(window, f"design_{template}.png")
    assert_png_of(path, window)


def test_hint_icon_and_fix_on_a_row(make_window):
    window = make_window()
    model = window.design.stack.stack_model
    assert all(model.index(row, 0).data(Qt.DecorationRole) is None  # the template: none
               for row in range(model.rowCount()))
    window.design.stack.select_rows([0])
    window.design.properties.fields["kernel_size"].spins[0].setValue(4)
    assert model.index(0, 0).data(Qt.DecorationRole) is not None
    assert "Hint: Even kernel size 4x4" in window.design.explain.text.text()
    buttons = {b.text(): b for b in window.design.explain.findChildren(QPushButton)}
    buttons["Use kernel_size 5x5"].click()
    assert window.editor.project.layers[0].params["kernel_size"] == 5
    assert model.index(0, 0).data(Qt.DecorationRole) is None


def test_new_from_template_dialog(make_window, monkeypatch, qtbot):
    from cnnstudio.ui.window.template_dialog import TemplateDialog

    dialog = TemplateDialog()
    qtbot.addWidget(dialog)
    titles = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert {"MNIST CNN", "LeNet-5", "AlexNet", "Small VGG", "Dense baseline"} <= set(titles)
    dialog.list.setCurrentRow(titles.index("LeNet-5"))
    assert "61,366 parameters" in dialog.description.text()
    monkeypatch.setattr(TemplateDialog, "exec", lambda self: (
        self.list.setCurrentRow(titles.index("AlexNet")), True)[1])
    window = make_window()
    window.new_from_template()
    assert window.editor.project.name == "AlexNet" and window.path is None


def test_drop_a_project_file_on_the_window_opens_it(make_window, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    from cnnstudio.core.templates import get_template
    from cnnstudio.core import save_project

    path = tmp_path / "lenet.cnnstudio.json"
    save_project(get_template("lenet5").project, path)
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(50, 50), Qt.CopyAction, mime,
                                              Qt.LeftButton, Qt.NoModifier))
    qtbot.waitUntil(lambda: window.editor.project.name == "LeNet-5", timeout=2000)
    assert window.path == path


def test_opening_a_corrupt_file_keeps_the_work(make_window, tmp_path, dialog_answers):
    from PySide6.QtWidgets import QMessageBox

    window = make_window()
    window.design.input_editor.spins[0].setValue(30)
    before = project_json(window)
    bad = tmp_path / "bad.cnnstudio.json"
    bad.write_text('{"input": {"shape": [28, 28')
    dialog_answers.append(QMessageBox.Discard)
    assert not window.open_path(bad)
    assert project_json(window) == before
    dialog_answers.append(QMessageBox.Cancel)
    assert not window.open_path(bad)  # cancelled at the unsaved-changes prompt


def test_geometry_and_recent_files_persist(make_window, tmp_path):
    window = make_window()
    window.resize(760, 520)
    size = window.size()  # as the window manager granted it
    path = tmp_path / "a.cnnstudio.json"
    window.save_to(path)
    window.close()
    again = make_window()
    assert again.size() == size
    assert again.recent_files()[0] == str(path.resolve())
    assert [a.text() for a in again.recent_menu.actions()] == [str(path.resolve())]


def test_text_fields_take_python_tuples():
    from cnnstudio.ui.pages.design.fields import parse_text_value

    assert parse_text_value("(7, 7, 64)") == [7, 7, 64]
    assert parse_text_value("((1, 2), (3, 4))") == [[1, 2], [3, 4]]
    assert parse_text_value("2, -1") == [2, -1]
    assert parse_text_value("None") is None
    with pytest.raises(ValueError):
        parse_text_value("[1, ")


def test_refusal_message_goes_away_after_undo(make_window):
    window = make_window()
    window.design.stack.select_rows([0])
    window.design.properties.fields["dilation_rate"].spins[0].setValue(2)
    window.design.properties.fields["strides"].spins[0].setValue(2)
    error = window.design.properties.errors["strides"]
    assert not error.isHidden()
    window.undo_action.trigger()
    assert error.isHidden()


def test_recovering_a_saved_project_keeps_the_file_as_the_undo_base(
        make_window, qtbot, tmp_path, dialog_answers):
    from PySide6.QtWidgets import QMessageBox

    from cnnstudio.ui.window import recovery
    from cnnstudio.ui.window.app import offer_recovery

    path = tmp_path / "mine.cnnstudio.json"
    window = make_window()
    window.save_to(path)
    saved = window.editor.project
    window.design.input_editor.spins[2].setValue(3)
    edited = window.editor.project
    window.write_recovery()
    (entry,) = recovery.pending()
    assert entry.original == path
    fresh = make_window()
    dialog_answers.append(QMessageBox.Yes)
    offer_recovery(fresh)
    assert fresh.editor.project == edited and fresh.path == path
    assert fresh.isWindowModified()
    fresh.undo_action.trigger()
    assert fresh.editor.project == saved and not fresh.isWindowModified()


def test_a_graph_opens_with_its_connections_and_they_are_edited_in_the_inputs_column(
        make_window, qtbot):
    from cnnstudio.core.templates import get_template
    from PySide6.QtWidgets import QLineEdit

    window = make_window(get_template("resnet_small").project)
    names = window.editor.project.layer_names()
    add = names.index("s1_add")
    assert cell(window, add, INPUTS) == "s1_bn2, stem_relu"
    assert cell(window, add, SHAPE) == "(None, 32, 32, 16)"
    assert cell(window, 0, INPUTS) == "input"
    view = window.design.stack
    index = view.stack_model.index(add, INPUTS)
    view.scrollTo(index)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.findChild(QLineEdit)
    assert editor is not None and editor.text() == "s1_bn2, stem_relu"
    editor.selectAll()
    qtbot.keyClicks(editor, "s1_bn2, s1_conv1")
    qtbot.keyClick(editor, Qt.Key_Return)  # the view commits it on its next turn
    qtbot.waitUntil(lambda: window.editor.project.layers[add].inputs == ("s1_bn2", "s1_conv1"))
    assert cell(window, add, INPUTS) == "s1_bn2, s1_conv1"
    window.editor.undo_stack.undo()
    assert window.editor.project.layers[add].inputs == ("s1_bn2", "stem_relu")
    view.stack_model.setData(index, "predictions")  # a layer below it: refused, in words
    assert window.editor.project.layers[add].inputs == ("s1_bn2", "stem_relu")
    assert "is a layer below it" in window.statusBar().currentMessage()


def test_a_chain_branches_from_the_properties_inputs_field(make_window, qtbot):
    window = make_window()
    view = window.design.stack
    assert view.isColumnHidden(INPUTS)  # a chain: each layer takes the one above it
    view.select_rows([3])  # the Dropout after max_pooling2d
    field = window.design.properties.inputs_edit
    assert field.text() == "max_pooling2d"
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "conv2d_1")
    qtbot.keyClick(field, Qt.Key_Return)
    assert window.editor.project.is_graph and not view.isColumnHidden(INPUTS)
    tooltip = view.stack_model.index(2, SHAPE).data(Qt.ToolTipRole)  # the row is red
    assert "max_pooling2d's output goes nowhere" in tooltip
    window.editor.undo_stack.undo()
    assert not window.editor.project.is_graph and view.isColumnHidden(INPUTS)


def test_at_1024_pixels_the_list_cuts_no_text_and_shows_the_shapes(make_window):
    from cnnstudio.core.templates import get_template
    from cnnstudio.ui.pages.design.stack import ARGS, NAME, PARAMS, SHAPE, TYPE

    window = make_window(get_template("alexnet").project)
    window.resize(1024, 640)
    window.design.show_view("list")
    QApplication.processEvents()
    view = window.design.stack
    metrics = view.fontMetrics()
    for column in (NAME, TYPE, SHAPE, PARAMS, ARGS):  # a narrow window scrolls sideways
        width = view.columnWidth(column)
        for row in range(view.model().rowCount()):
            text = view.model().index(row, column).data(Qt.DisplayRole)
            assert metrics.horizontalAdvance(text) + 8 <= width, (column, text, width)
    shape_right = view.columnViewportPosition(SHAPE) + view.columnWidth(SHAPE)
    assert shape_right <= view.viewport().width()  # the shapes in view without scrolling
    window.design.stack.select_rows([0])
    window.design.properties.fields["filters"].spin.setValue(512)  # wider numbers follow
    assert metrics.horizontalAdvance("(None, 55, 55, 512)") + 8 <= view.columnWidth(SHAPE)
