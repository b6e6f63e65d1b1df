"""Graphs (project format version 2): layers that name their inputs, merge layers, the
shape engine over branches, and the edits that keep a graph joined."""

from __future__ import annotations

import json

import pytest

from cnnstudio.core import LayerSpec, Project, ProjectError, edits, infer, project_from_dict
from cnnstudio.core.inference import Unconnected
from cnnstudio.core.templates import get_template


def conv(name, filters, inputs=None, **params):
    return LayerSpec("Conv2D", {"filters": filters, "kernel_size": params.pop("kernel_size", 3),
                                "padding": "same", **params}, name=name, inputs=inputs)


def residual(shortcut_filters=32, strides=1) -> Project:
    """conv_a (28x28 -> 14x14, 64 channels) added to a shortcut of the 28x28x32 input."""
    return Project((28, 28, 32), (
        conv("conv_a", 64, ("input",), strides=2),
        LayerSpec("Conv2D", {"filters": shortcut_filters, "kernel_size": 1, "strides": strides},
                  name="shortcut", inputs=("input",)),
        LayerSpec("Add", name="add", inputs=("conv_a", "shortcut")),
        LayerSpec("GlobalAveragePooling2D", name="pool")))


def test_a_chain_is_written_as_version_1_and_a_graph_as_version_2():
    chain = get_template("mnist_cnn").project
    assert not chain.is_graph and chain.to_dict()["version"] == 1
    assert all("inputs" not in layer for layer in chain.to_dict()["layers"])
    graph = residual(64, 2)
    doc = graph.to_dict()
    assert graph.is_graph and doc["version"] == 2
    assert doc["layers"][2]["inputs"] == ["conv_a", "shortcut"]
    assert "inputs" not in doc["layers"][3]  # the layer before it: the default
    assert project_from_dict(json.loads(json.dumps(doc))) == graph


def test_inputs_that_name_the_layer_before_are_the_default():
    project = Project((8, 8, 1), (conv(None, 4, ("input",)), conv(None, 4, ("conv2d",))))
    assert not project.is_graph and all(layer.inputs is None for layer in project.layers)
    assert [layer.name for layer in project.layers] == [None, None]


def test_a_graph_pins_every_name_so_an_insert_renames_nothing():
    project = Project((8, 8, 1), (conv(None, 4), conv(None, 4, ("input",)),
                                  LayerSpec("Add", inputs=("conv2d", "conv2d_1"))))
    assert project.layer_names() == ["conv2d", "conv2d_1", "add"]
    assert all(layer.name for layer in project.layers)
    inserted = edits.insert_layers(project, 0, [conv(None, 4)])
    assert inserted.layers[3].inputs == ("conv2d", "conv2d_1")
    assert infer(inserted).layers[0].name == "conv2d_2"


def c(name, inputs=None):
    layer = {"type": "Conv2D", "name": name, "params": {"filters": 4, "kernel_size": 1}}
    return layer if inputs is None else {**layer, "inputs": inputs}


@pytest.mark.parametrize("layers, field, says", [
    ([c("a", ["b"]), c("b")], "layers[0].inputs[0]", '"b" is a layer below it'),
    ([c("a", ["nowhere"])], "layers[0].inputs[0]", '"nowhere" is no layer above it'),
    ([c("a", ["a"])], "layers[0].inputs[0]", '"a" is this layer itself'),
    ([c("a"), c("b", ["a", "input"])], "layers[1].inputs",
     "Conv2D takes one input: it needs exactly 1 input, got 2. To join branches, add a "
     "merge layer"),
    ([c("a"), {"type": "Subtract", "inputs": ["a"]}], "layers[1].inputs",
     "Subtract merges branches: it needs exactly 2 inputs, got 1."),
    ([c("input")], "layers[0].name", "'input' is the name of the model's input"),
])
def test_wrong_inputs_are_refused_naming_the_field(layers, field, says):
    with pytest.raises(ProjectError) as refused:
        project_from_dict({"version": 2, "input": {"shape": [8, 8, 1]}, "layers": layers})
    assert refused.value.field == field
    assert says in refused.value.problem


def test_inputs_in_a_file_are_checked_like_any_field():
    with pytest.raises(ProjectError) as refused:
        project_from_dict({"version": 2, "input": {"shape": [4]}, "layers": [
            {"type": "Dense", "params": {"units": 2}, "inputs": "input"}]})
    assert refused.value.field == "layers[0].inputs"
    assert 'expected a list of layer names such as ["conv_a", "shortcut"]' in str(refused.value)


def test_add_of_unequal_shapes_says_which_and_how_to_project_the_shortcut():
    report = infer(residual())
    add = report.layers[2]
    assert not report.valid and report.error_index == 2
    assert add.error == (
        "Add needs equal shapes (or size 1 where one should be repeated): conv_a gives "
        "(None, 14, 14, 64) and shortcut (None, 28, 28, 32). Give shortcut a 1x1 Conv2D "
        "with 64 filters and strides 2 (a projection shortcut).")
    assert report.layers[3].output_shape is None and report.layers[3].error is None
    fixed = infer(residual(64, 2))
    assert fixed.valid and fixed.layers[2].output_shape == (None, 14, 14, 64)
    assert fixed.layers[2].inputs == ("conv_a", "shortcut")
    assert fixed.layers[2].input_shapes == ((None, 14, 14, 64), (None, 14, 14, 64))


def test_concatenate_sums_the_channels_and_says_so():
    template = get_template("inception_small").project
    report = infer(template)
    concat = next(r for r in report.layers if r.name == "inc1_concat")
    assert concat.output_shape == (None, 14, 14, 56)
    assert concat.arithmetic_lines() == ["channels: 16 + 24 + 8 + 8 = 56 channels"]


def test_an_error_in_one_branch_leaves_the_other_branch_worked_out():
    project = Project((8, 8, 1), (
        LayerSpec("Conv2D", {"filters": 4, "kernel_size": 20}, name="too_big", inputs=("input",)),
        conv("fine", 4, ("input",)),
        LayerSpec("Add", name="add", inputs=("too_big", "fine"))))
    report = infer(project)
    assert report.error_index == 0
    assert report.layers[1].output_shape == (None, 8, 8, 4) and report.layers[1].valid
    assert report.layers[2].output_shape is None and report.layers[2].error is None


def test_a_layer_whose_output_goes_nowhere_is_an_error_naming_it():
    project = Project((8, 8, 1), (conv("lost", 4, ("input",)), conv("kept", 4, ("input",)),
                                  LayerSpec("Flatten", name="flat")))
    report = infer(project)
    lost = report.layers[0]
    assert isinstance(lost.problem, Unconnected) and not lost.valid
    assert lost.output_shape == (None, 8, 8, 4)  # its shape is still shown
    assert "lost's output goes nowhere" in lost.error and "flat" in lost.error
    assert report.error_index == 0 and not report.valid


def test_subtract_takes_exactly_two():
    project = Project((4,), (LayerSpec("Dense", {"units": 3}, name="a"),
                             LayerSpec("Subtract", name="minus")))
    assert "Subtract takes exactly 2 inputs" in infer(project).layers[1].error


def test_removing_a_layer_reconnects_what_took_it():
    project = residual(64, 2)
    without_shortcut = edits.remove_layers(project, [1])
    assert without_shortcut.layers[1].inputs == ("conv_a", "input")
    chainlike = Project((8, 8, 4), (conv("a", 4, ("input",)), conv("b", 4),
                                    conv("c", 4, ("a",)), LayerSpec("Add", name="add",
                                                                    inputs=("b", "c"))))
    removed = edits.remove_layers(chainlike, [2])  # c took a: add now takes b and a
    assert removed.layer_inputs()[-1] == ("b", "a")
    assert infer(removed).valid


def test_renaming_a_layer_renames_it_where_it_is_taken():
    renamed = edits.rename_layer(residual(64, 2), 0, "main")
    assert renamed.layers[2].inputs == ("main", "shortcut")
    cleared = edits.rename_layer(renamed, 1, None)
    assert cleared.layers[2].inputs == ("main", cleared.layer_names()[1])
    assert infer(cleared).valid


def test_connections_are_edits_like_any_other():
    project = residual(64, 2)
    chained = edits.set_inputs(project, 2, ["conv_a", "conv_a"])
    assert chained.layers[2].inputs == ("conv_a", "conv_a")
    with pytest.raises(ProjectError):
        edits.set_inputs(project, 0, ["add"])


def test_duplicates_join_as_a_chain():
    project, rows = edits.duplicate_layers(residual(64, 2), [1])
    assert rows == [2] and project.layers[2].inputs is None


def test_a_merge_sees_what_its_widest_input_sees():
    from cnnstudio.core.analysis import receptive_fields

    project = Project((32, 32, 4), (
        conv("wide", 4, ("input",), kernel_size=5),  # sees 5 pixels
        conv("narrow", 4, ("input",), kernel_size=1),  # sees 1
        LayerSpec("Add", name="add", inputs=("narrow", "wide")),
        conv("after", 4, kernel_size=3)))
    assert receptive_fields(project, infer(project)) == [5, 1, 5, 7]


def test_a_layer_inserted_before_another_takes_its_input():
    project = Project((8, 8, 4), (conv("a", 4, ("input",)), conv("b", 4, ("input",)),
                                  LayerSpec("Add", name="add", inputs=("a", "b")),
                                  LayerSpec("Dense", {"units": 2}, name="out")))
    fixed = edits.insert_between(project, 3, "add", LayerSpec("Flatten"))
    assert fixed.layer_inputs()[3:] == [("add",), ("flatten",)]
    chain = get_template("mnist_cnn").project
    assert not edits.insert_between(chain, 4, "dropout", LayerSpec("Flatten")).is_graph


def test_a_changed_connection_is_a_change_in_the_run_diff():
    from cnnstudio.core.runs import run_changes, same_architecture

    project = residual(64, 2)
    def record(p):
        return {"input": {"shape": list(p.input_shape)},
                "layers": [{**spec.to_dict(), "name": name}
                           for spec, name in zip(p.layers, p.layer_names())]}

    rewired = edits.set_inputs(project, 2, ["shortcut", "conv_a"])
    assert run_changes(record(project), record(rewired)) == [
        "layer add: inputs conv_a, shortcut -> shortcut, conv_a"]
    assert same_architecture(record(project), project)
    assert not same_architecture(record(project), rewired)
    chain = get_template("mnist_cnn").project
    assert run_changes(record(chain), record(chain)) == []


def test_a_template_with_an_unmeasured_base_says_computing_not_a_wrong_count():
    transfer = get_template("inception_transfer")
    assert transfer.parameters_text({}).startswith("parameters: computing…")
    assert get_template("resnet_small").parameters_text({}) == "78,454 parameters"


def test_a_mismatched_add_offers_the_projection_shortcut_and_it_makes_it_valid():
    from cnnstudio.core.fixes import fixes_for

    project = residual()  # conv_a (14x14x64) + shortcut (28x28x32)
    report = infer(project)
    fixes = fixes_for(project, report, 2)
    assert [fix.label for fix in fixes] == ["Give shortcut a 1x1 Conv2D (64 filters, strides 2)"]
    fixed = fixes[0].apply(project)
    assert infer(fixed).valid
    names = fixed.layer_names()
    assert fixed.layer_inputs()[names.index("add")] == ("conv_a", "conv2d")
    assert fixed.layer_inputs()[names.index("conv2d")] == ("shortcut",)


def test_a_layer_inserted_after_a_block_takes_its_place_for_what_took_it():
    project = residual(64, 2)
    after = edits.insert_after(project, 0, LayerSpec("BatchNormalization"))
    names = after.layer_names()
    assert after.layer_inputs()[names.index("add")] == ("batch_normalization", "shortcut")
    assert after.layer_inputs()[1] == ("conv_a",)
    chain = get_template("mnist_cnn").project
    inserted = edits.insert_after(chain, 1, LayerSpec("BatchNormalization"))
    assert not inserted.is_graph and inserted.layers[2].type == "BatchNormalization"
    last = edits.insert_after(chain, len(chain.layers) - 1, LayerSpec("Dense", {"units": 2}))
    assert not last.is_graph and last.layers[-1].params == {"units": 2}


def test_selected_layers_wrap_in_a_residual_block():
    chain = get_template("mnist_cnn").project  # conv2d, conv2d_1, max_pooling2d, ...
    wrapped = edits.wrap_in_residual(chain, [1])  # around conv2d_1: 24x24x64 + 26x26x32
    names = wrapped.layer_names()
    assert wrapped.is_graph and names[2] == "add"
    assert wrapped.layer_inputs()[2] == ("conv2d_1", "conv2d")
    assert wrapped.layer_inputs()[3] == ("add",)
    report = infer(wrapped)
    assert report.error_index == 2  # the shapes differ: the one-click fix projects it
    from cnnstudio.core.fixes import fixes_for
    assert [f.label for f in fixes_for(wrapped, report, 2)] == []  # 26 vs 24: no projection
    same = Project((8, 8, 4), (conv("a", 4), conv("b", 4), LayerSpec("Flatten", name="f")))
    assert infer(edits.wrap_in_residual(same, [0, 1])).valid
    with pytest.raises(ProjectError, match="select layers that follow one another"):
        edits.wrap_in_residual(residual(64, 2), [0, 1])


def test_a_parallel_branch_copies_the_selection_and_concatenates():
    project = Project((8, 8, 4), (conv("a", 4), conv("b", 8), LayerSpec("Flatten", name="f")))
    branched = edits.add_branch(project, [0, 1])
    names = branched.layer_names()
    assert names == ["a", "b", "conv2d", "conv2d_1", "concatenate", "f"]
    inputs = dict(zip(names, branched.layer_inputs()))
    assert inputs["conv2d"] == ("input",) and inputs["conv2d_1"] == ("conv2d",)
    assert inputs["concatenate"] == ("b", "conv2d_1") and inputs["f"] == ("concatenate",)
    assert infer(branched).layers[4].output_shape == (None, 8, 8, 16)


def test_pasted_layers_keep_their_wires_among_themselves():
    from cnnstudio.core.clipboard import layers_from_text, layers_to_text

    source = residual(64, 2)
    copied = layers_from_text(layers_to_text(source.layers[:3]))  # conv_a, shortcut, add
    target = Project((16, 16, 8), (conv("stem", 32),))
    pasted = edits.paste_layers(target, 1, copied)
    names = pasted.layer_names()
    assert names == ["stem", "conv_a", "shortcut", "add"]
    assert pasted.layer_inputs()[1:] == [("stem",), ("stem",), ("conv_a", "shortcut")]
    again = edits.paste_layers(pasted, 4, copied)  # the names are taken: new ones, rewired
    names = again.layer_names()
    assert again.layer_inputs()[6] == (names[4], names[5])


def test_a_layers_ui_field_is_checked_kept_and_left_out_of_the_model():
    doc = {"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "params": {"units": 2}, "ui": {"x": 10, "y": 20.5, "later": [1]}}]}
    project = project_from_dict(doc)
    assert project.layers[0].ui == {"x": 10, "y": 20.5, "later": [1]}
    assert project.to_dict()["layers"][0]["ui"] == {"x": 10, "y": 20.5, "later": [1]}
    assert "ui" not in project.layers[0].to_dict(ui=False)
    for bad, field in (({"x": "left"}, "layers[0].ui.x"), ([1, 2], "layers[0].ui"),
                       ({"y": float("nan")}, "layers[0].ui.y")):
        with pytest.raises(ProjectError) as refused:
            project_from_dict({**doc, "layers": [{**doc["layers"][0], "ui": bad}]})
        assert refused.value.field == field
    moved = edits.set_position(get_template("mnist_cnn").project, 2, 100.04, 50)
    assert moved.layers[2].ui == {"x": 100.0, "y": 50.0} and not moved.is_graph
    assert edits.clear_positions(moved).layers[2].ui is None


from hypothesis import given, strategies as st  # noqa: E402

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats()
                       | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
_names = st.sampled_from(["input", "a", "b", "c", "nowhere", ""])


@given(st.lists(st.fixed_dictionaries(
    {"type": st.sampled_from(["Conv2D", "Add", "Concatenate", "Flatten", "Dense"]),
     "name": st.sampled_from(["a", "b", "c", "d"])},
    optional={"inputs": st.one_of(st.lists(_names, max_size=3), _values),
              "ui": st.one_of(st.fixed_dictionaries({"x": st.floats(), "y": st.integers()}),
                              _values),
              "params": st.just({"filters": 2, "kernel_size": 1, "units": 2})}),
    min_size=1, max_size=5))
def test_any_inputs_and_ui_give_a_project_or_a_sentence(layers):
    for layer in layers:  # each type takes only the arguments it has
        params = layer.get("params", {})
        layer["params"] = {k: v for k, v in params.items()
                           if k in {"Conv2D": ("filters", "kernel_size"),
                                    "Dense": ("units",)}.get(layer["type"], ())}
        if layer["type"] == "Conv2D":
            layer["params"] = {"filters": 2, "kernel_size": 1}
        if layer["type"] == "Dense":
            layer["params"] = {"units": 2}
    try:
        project = project_from_dict({"version": 2, "input": {"shape": [4, 4, 2]},
                                     "layers": layers})
    except ProjectError:
        return
    report = infer(project)  # never raises: errors are in the report
    assert len(report.layers) == len(project.layers)
    assert project_from_dict(json.loads(json.dumps(project.to_dict()))) == project
