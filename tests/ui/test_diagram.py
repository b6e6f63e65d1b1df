"""The Design page's diagram, driven as a user drives it: clicks, keys, palette drops."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from cnnstudio.core import LayerSpec, Project
from cnnstudio.core.graph import MODEL_INPUT
from cnnstudio.core.templates import get_template
from cnnstudio.ui.pages.design.diagram.items import ERROR
from tests.ui.conftest import drop


def resnet(make_window):
    return make_window(get_template("resnet_small").project)


def click_block(window, qtbot, name: str, modifier=Qt.NoModifier) -> None:
    view = window.design.diagram
    view.ensureVisible(view.blocks[name])
    at = view.mapFromScene(view.blocks[name].scenePos())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, modifier, at)


def drop_on_diagram(window, type_name: str, scene_point: QPointF) -> None:
    """Drag a layer type from the palette and drop it at a point of the diagram."""
    view = window.design.diagram
    palette = window.design.palette.tree
    mime = palette.mimeData([palette.item_for(type_name)])
    view.centerOn(scene_point)
    drop(view.viewport(), mime, view.mapFromScene(scene_point))


def test_a_project_opens_as_a_diagram_a_block_a_layer_and_a_wire_a_connection(make_window):
    window = resnet(make_window)
    view = window.design.diagram
    assert window.design.view_mode == "diagram" and view.isVisible()
    project = window.editor.project
    assert set(view.blocks) == {MODEL_INPUT, *project.layer_names()}
    assert len(view.wires) == sum(len(inputs) for inputs in project.layer_inputs())
    add = view.blocks["s2_add"].state
    assert (add.type, add.shape, add.params) == ("Add", "16x16x32", "0 params")
    assert view.wires[("s2_shortcut_bn", "s2_add")].label.text() == "16x16x32"
    conv = view.blocks["s1_conv1"].state
    assert conv.args == "16 · 3x3 · same" and conv.params == "2,304 params"
    assert 0.69 < view.zoom() <= 1.0  # readable, from the top


def test_a_block_clicked_is_the_layer_selected_everywhere(make_window, qtbot):
    window = resnet(make_window)
    names = window.editor.project.layer_names()
    click_block(window, qtbot, "s1_add")
    assert window.design.stack.selected_rows() == [names.index("s1_add")]
    assert window.design.properties.inputs_edit.text() == "s1_bn2, stem_relu"
    window.design.show_view("list")
    window.design.stack.select_rows([names.index("s2_conv1")])
    window.design.show_view("diagram")
    assert window.design.diagram.selected_rows() == [names.index("s2_conv1")]


def test_keys_fit_zoom_and_walk_the_graph(make_window, qtbot):
    window = resnet(make_window)
    view = window.design.diagram
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_F)
    assert view.zoom() < 0.7  # a tall network fits only smaller
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(view.scene().sceneRect().adjusted(1, 1, -1, -1))
    qtbot.keyClick(view, Qt.Key_1)
    assert view.zoom() == 1.0
    click_block(window, qtbot, "s2_out")
    qtbot.keyClick(view, Qt.Key_Down)
    names = window.editor.project.layer_names()
    assert [names[r] for r in view.selected_rows()] == ["s3_conv1"]
    qtbot.keyClick(view, Qt.Key_Right)  # the projection shortcut beside it
    assert [names[r] for r in view.selected_rows()] == ["s3_shortcut"]
    qtbot.keyClick(view, Qt.Key_Up)
    assert [names[r] for r in view.selected_rows()] == ["s2_out"]


def test_palette_drops_on_a_block_a_wire_and_empty_canvas(make_window):
    window = resnet(make_window)
    view = window.design.diagram
    drop_on_diagram(window, "Dropout", view.blocks["s1_out"].scenePos())
    project = window.editor.project
    names = project.layer_names()
    assert names[names.index("s1_out") + 1] == "dropout"
    inputs = dict(zip(names, project.layer_inputs()))
    assert inputs["dropout"] == ("s1_out",)
    assert inputs["s2_conv1"] == ("dropout",) and inputs["s2_shortcut"] == ("dropout",)
    assert window.design.stack.selected_rows() == [names.index("dropout")]
    window.editor.undo_stack.undo()
    wire = view.wires[("s2_shortcut", "s2_shortcut_bn")]
    drop_on_diagram(window, "ReLU", wire.path().pointAtPercent(0.5))
    project = window.editor.project
    inputs = dict(zip(project.layer_names(), project.layer_inputs()))
    assert inputs["s2_shortcut_bn"] == ("re_lu",) and inputs["re_lu"] == ("s2_shortcut",)
    window.editor.undo_stack.undo()
    view.scene().clearSelection()
    drop_on_diagram(window, "Dense", view.scene().sceneRect().bottomRight() - QPointF(5, 5))
    assert window.editor.project.layers[-1].type == "Dense"
    assert window.editor.undo_stack.undoText() == "Insert Dense"


def test_delete_reconnects_and_undo_brings_the_block_back(make_window, qtbot):
    window = resnet(make_window)
    view = window.design.diagram
    click_block(window, qtbot, "s2_shortcut_bn")
    qtbot.keyClick(view, Qt.Key_Delete)
    project = window.editor.project
    assert "s2_shortcut_bn" not in project.layer_names()
    assert "s2_shortcut_bn" not in view.blocks
    inputs = dict(zip(project.layer_names(), project.layer_inputs()))
    assert inputs["s2_add"] == ("s2_bn2", "s2_shortcut")
    assert ("s2_shortcut", "s2_add") in view.wires
    window.editor.undo_stack.undo()
    assert "s2_shortcut_bn" in view.blocks and ("s2_shortcut_bn", "s2_add") in view.wires


def test_an_edit_keeps_the_blocks_it_did_not_touch_in_their_order(make_window, qtbot):
    window = make_window(get_template("inception_small").project)
    view = window.design.diagram
    branches = ["inc1_1x1", "inc1_3x3_reduce", "inc1_5x5_reduce", "inc1_pool"]

    def order():
        return sorted(branches, key=lambda n: view.blocks[n].scenePos().x())

    before = order()
    click_block(window, qtbot, "inc1_5x5")
    qtbot.keyClick(view, Qt.Key_Delete)
    assert order() == before
    click_block(window, qtbot, "inc1_3x3")
    window.design.properties.fields["filters"].spin.setValue(40)  # an argument: no relayout
    assert order() == before and view.blocks["inc1_3x3"].state.args.startswith("40")


def test_an_invalid_merge_is_red_with_its_wires(make_window):
    project = Project((28, 28, 32), (
        LayerSpec("Conv2D", {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same"},
                  name="conv_a", inputs=("input",)),
        LayerSpec("Conv2D", {"filters": 32, "kernel_size": 1}, name="shortcut",
                  inputs=("input",)),
        LayerSpec("Add", name="add", inputs=("conv_a", "shortcut")),
        LayerSpec("GlobalAveragePooling2D", name="pool")))
    window = make_window(project)
    view = window.design.diagram
    add = view.blocks["add"]
    assert add.state.error.startswith("Add needs equal shapes")
    assert "Give shortcut a 1x1 Conv2D with 64 filters and strides 2" in add.toolTip()
    assert view.wires[("shortcut", "add")].pen().color() == ERROR
    assert view.wires[("input", "conv_a")].pen().color() != ERROR
    assert view.blocks["pool"].state.shape == "no input"


def test_the_diagram_exports_as_svg_and_png(make_window, tmp_path):
    window = resnet(make_window)
    svg = tmp_path / "resnet.svg"
    assert window.export_diagram(svg)
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "s2_shortcut" in text and "16x16x32" in text
    png = tmp_path / "resnet.png"
    assert window.export_diagram(png)
    image = QImage(str(png))
    rect = window.design.diagram.scene().sceneRect()
    assert (image.width(), image.height()) == (int(rect.width() * 2), int(rect.height() * 2))
    assert "Exported the diagram" in window.statusBar().currentMessage()


def test_the_list_shows_the_same_network(make_window, qtbot):
    window = resnet(make_window)
    buttons = {b.text(): b for b in window.design.view_buttons.buttons()}
    qtbot.mouseClick(buttons["List"], Qt.LeftButton)
    assert window.design.view_mode == "list" and window.design.stack.isVisible()
    qtbot.mouseClick(buttons["Diagram"], Qt.LeftButton)
    assert window.design.view_mode == "diagram"


def test_a_wire_drawn_from_an_output_port_connects(make_window, qtbot):
    window = make_window(get_template("inception_small").project)
    view = window.design.diagram
    source, target = view.blocks["inc1_1x1"], view.blocks["inc1_concat"]
    view.ensureVisible(source)
    start = view.mapFromScene(source.mapToScene(source.port(out=True)))
    qtbot.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    view.centerOn(target)
    end = view.mapFromScene(view.blocks["inc2_1x1"].scenePos())
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, end)
    names = window.editor.project.layer_names()
    inputs = dict(zip(names, window.editor.project.layer_inputs()))
    assert inputs["inc2_1x1"] == ("inc1_1x1",)  # one input: the new one replaces pool2
    assert window.editor.undo_stack.undoText() == "Connect layer"
    assert "pool2's output goes nowhere" not in (window.editor.report.layers[
        names.index("pool2")].error or "")  # pool2 still feeds the other branches


def test_shift_drag_selects_by_a_rectangle(make_window, qtbot):
    window = make_window(get_template("inception_small").project)
    view = window.design.diagram
    view.fit()
    blocks = [view.blocks[n] for n in ("inc1_3x3_reduce", "inc1_3x3")]
    corner_a = view.mapFromScene(blocks[0].sceneBoundingRect().topLeft() - QPointF(8, 8))
    corner_b = view.mapFromScene(blocks[1].sceneBoundingRect().bottomRight() + QPointF(8, 8))
    qtbot.mousePress(view.viewport(), Qt.LeftButton, Qt.ShiftModifier, corner_a)
    qtbot.mouseMove(view.viewport(), corner_b)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, Qt.ShiftModifier, corner_b)
    names = window.editor.project.layer_names()
    assert [names[r] for r in window.design.stack.selected_rows()] == [
        "inc1_3x3_reduce", "inc1_3x3"]


def test_wrap_in_residual_and_add_branch_from_the_edit_menu(make_window, qtbot):
    window = make_window(get_template("resnet_small").project)
    menu = {a.text().replace("&", ""): a for a in window.menuBar().actions()}["Edit"].menu()
    actions = {a.text().replace("&", ""): a for a in menu.actions()}
    click_block(window, qtbot, "s1_conv2")
    click_block(window, qtbot, "s1_bn2", Qt.ControlModifier)
    actions["Wrap in Residual Block"].trigger()
    project = window.editor.project
    inputs = dict(zip(project.layer_names(), project.layer_inputs()))
    assert inputs["add"] == ("s1_bn2", "s1_relu1") and inputs["s1_add"] == ("add", "stem_relu")
    assert window.editor.report.valid
    window.editor.undo_stack.undo()
    click_block(window, qtbot, "s3_conv2")
    actions["Add Parallel Branch"].trigger()
    project = window.editor.project
    inputs = dict(zip(project.layer_names(), project.layer_inputs()))
    assert inputs["concatenate"] == ("s3_conv2", "conv2d") and inputs["conv2d"] == ("s3_relu1",)
    assert inputs["s3_bn2"] == ("concatenate",)
    assert "concatenate" in window.design.diagram.blocks


def test_find_selects_layers_by_name_or_type(make_window, qtbot):
    window = make_window(get_template("resnet_small").project)
    design = window.design
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    design.diagram.setFocus()
    qtbot.keyClick(design.diagram, Qt.Key_F, Qt.ControlModifier)
    qtbot.keyClick(design.diagram, Qt.Key_Escape)  # a plain key: lets Ctrl go
    assert design.find.hasFocus()
    qtbot.keyClicks(design.find, "shortcut_bn")
    names = window.editor.project.layer_names()
    assert [names[r] for r in design.diagram.selected_rows()] == ["s2_shortcut_bn"]
    qtbot.keyClick(design.find, Qt.Key_Return)
    assert [names[r] for r in design.diagram.selected_rows()] == ["s3_shortcut_bn"]
    design.find.clear()
    qtbot.keyClicks(design.find, "nothing like it")
    assert "No layer matches" in window.statusBar().currentMessage()


def test_the_diagram_turns_to_run_left_to_right(make_window, qtbot):
    window = make_window(get_template("inception_small").project)
    view = window.design.diagram
    qtbot.mouseClick(window.design.direction, Qt.LeftButton)
    stem, pool = view.blocks["stem_conv"].scenePos(), view.blocks["stem_pool"].scenePos()
    assert pool.x() > stem.x() and pool.y() == stem.y()
    wire = view.wires[("stem_conv", "stem_pool")]
    assert wire.path().pointAtPercent(0).x() == stem.x() + view.blocks["stem_conv"].port(True).x()


def test_copied_blocks_paste_with_their_wires(make_window, qtbot):
    window = make_window(get_template("inception_small").project)
    view = window.design.diagram
    names = window.editor.project.layer_names()
    window.design.stack.select_rows([names.index(n) for n in (
        "inc1_5x5_reduce", "inc1_5x5")])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_C, Qt.ControlModifier)
    click_block(window, qtbot, "pool2")
    qtbot.keyClick(view, Qt.Key_V, Qt.ControlModifier)
    project = window.editor.project
    inputs = dict(zip(project.layer_names(), project.layer_inputs()))
    assert inputs["conv2d"] == ("pool2",) and inputs["conv2d_1"] == ("conv2d",)


def test_a_block_dragged_by_hand_stays_there_and_is_saved(make_window, qtbot, tmp_path):
    from cnnstudio.core import load_project
    from cnnstudio.core.runs import same_architecture

    window = make_window(get_template("inception_small").project)
    view = window.design.diagram
    block = view.blocks["inc1_pool"]
    view.ensureVisible(block)
    start = view.mapFromScene(block.scenePos() + QPointF(-40, -10))  # not on a port
    end = start + QPointF(60, 30).toPoint()
    qtbot.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    for step in range(1, 6):
        qtbot.mouseMove(view.viewport(), start + (end - start) * step / 5)
    dragging = view.wires[("stem_pool", "inc1_pool")].path().pointAtPercent(1)
    assert dragging == block.pos() + block.port(out=False)  # the wire follows the drag
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, end)
    names = window.editor.project.layer_names()
    spec = window.editor.project.layers[names.index("inc1_pool")]
    assert spec.ui is not None and window.editor.undo_stack.undoText() == "Move block"
    assert (round(block.pos().x()), round(block.pos().y())) == (round(spec.ui["x"]),
                                                                 round(spec.ui["y"]))
    wire = view.wires[("stem_pool", "inc1_pool")]
    assert wire.path().pointAtPercent(1) == block.pos() + block.port(out=False)
    record = {"input": {"shape": [28, 28, 1]},
              "layers": [{**s.to_dict(ui=False), "name": n}
                         for s, n in zip(get_template("inception_small").project.layers, names)]}
    assert same_architecture(record, window.editor.project)  # a drawing, not a model change
    path = tmp_path / "moved.cnnstudio.json"
    assert window.save_to(path)
    assert load_project(path).layers[names.index("inc1_pool")].ui == spec.ui
    window.design.diagram.reset_layout()
    assert all(layer.ui is None for layer in window.editor.project.layers)
    window.editor.undo_stack.undo()
    window.editor.undo_stack.undo()
    assert window.editor.project.layers[names.index("inc1_pool")].ui is None


def test_the_overview_shows_a_tall_network_and_moves_the_view(make_window, qtbot):
    window = resnet(make_window)
    view = window.design.diagram
    overview = view.overview
    assert overview.isVisible()  # ResNet is taller than the view
    top = view.mapToScene(view.viewport().rect()).boundingRect().center()
    bottom = overview.mapFromScene(view.scene().sceneRect().bottomLeft()
                                   + QPointF(view.scene().sceneRect().width() / 2, -20))
    qtbot.mouseClick(overview.viewport(), Qt.LeftButton, Qt.NoModifier, bottom)
    moved = view.mapToScene(view.viewport().rect()).boundingRect().center()
    assert moved.y() > top.y() + 500
    qtbot.keyClick(view, Qt.Key_F)
    assert not overview.isVisible()  # all of it in view: no overview
    small = make_window(get_template("lenet5").project)
    small.design.diagram.fit()
    assert not small.design.diagram.overview.isVisible()


def test_the_window_opens_no_taller_than_the_screen(make_window):
    window = make_window()
    free = window.screen().availableGeometry()
    assert window.minimumSizeHint().height() < 680 - 40  # a 1024x680 screen holds it
    assert window.frameGeometry().height() <= max(free.height(), 680)
