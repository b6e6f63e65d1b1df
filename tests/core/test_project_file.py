"""Project files: round trip, atomic save, versions, and errors that name the field."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cnnstudio.core import (
    LayerSpec, Project, ProjectError, load_project, project_from_dict, save_project,
)
from cnnstudio.core.project_file import project_to_json
from cnnstudio.core.resources import templates_dir


def write(tmp_path, doc, name="p.cnnstudio.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_round_trip_keeps_the_users_values_exactly(tmp_path):
    source = templates_dir() / "mnist_cnn.cnnstudio.json"
    project = load_project(source)
    target = tmp_path / "copy.cnnstudio.json"
    save_project(project, target)
    assert json.loads(target.read_text()) == json.loads(source.read_text())
    assert load_project(target) == project


def test_minimal_file_is_a_complete_project(tmp_path):
    project = load_project(write(tmp_path, {"input": {"shape": [8, 8, 1]}, "layers": [
        {"type": "Flatten"}, {"type": "Dense", "params": {"units": 2}}]}))
    assert project.dataset == {"source": "shapes"}
    assert project.name == "Untitled"
    assert project.layer_names() == ["flatten", "dense"]


def test_generated_names_follow_keras_and_skip_taken_names():
    project = project_from_dict({"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "params": {"units": 2}, "name": "dense_1"},
        {"type": "Dense", "params": {"units": 2}},
        {"type": "Dense", "params": {"units": 2}},
        {"type": "ReLU"}, {"type": "LeakyReLU"}]})
    assert project.layer_names() == ["dense_1", "dense", "dense_2", "re_lu", "leaky_re_lu"]


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "p.cnnstudio.json"
    project = Project((4,), (LayerSpec("Dense", {"units": 3}),), name="First")
    save_project(project, path)
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_project(Project((4,), (), name="Second"), path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.cnnstudio.json"]


def test_newer_version_is_refused_and_the_file_is_left_alone(tmp_path):
    doc = {"format": "cnnstudio", "version": 99, "input": {"shape": [4]}, "layers": []}
    path = write(tmp_path, doc)
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="version 99, written by a newer CNN Studio"):
        load_project(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("doc, field, words", [
    ('{"input": ', "", "not valid JSON"),
    ("[1, 2]", "", "expected a JSON object"),
    ({"layers": []}, "input", "missing"),
    ({"input": {"shape": [28, 0, 1]}}, "input.shape[1]", "whole number >= 1"),
    ({"input": {"shape": "big"}}, "input.shape", "list of 1 to 4 sizes"),
    ({"input": {"shape": [4]}, "layers": {}}, "layers", "expected a list"),
    ({"input": {"shape": [4]}, "layers": [{"type": "Conv9D"}]}, "layers[0].type",
     "unknown layer type"),
    ({"input": {"shape": [4]}, "layers": [{"type": "Dense", "params": {"units": 2}},
                                          {"type": "Dense"}]},
     "layers[1].params.units", "needs 'units'"),
    ({"input": {"shape": [4]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 8, "kernel_size": "big"}}]},
     "layers[0].params.kernel_size", 'got "big"'),
    ({"input": {"shape": [4]}, "layers": [
        {"type": "Conv2D", "params": {"filters": -3, "kernel_size": 3}}]},
     "layers[0].params.filters", "got -3, expected a whole number >= 1"),
    ({"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "params": {"units": 2, "unit": 3}}]},
     "layers[0].params.unit", "has no argument 'unit'"),
    ({"input": {"shape": [4]}, "layers": [
        {"type": "Dropout", "params": {"rate": 1.5}}]},
     "layers[0].params.rate", "<= 1"),
    ({"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "params": {"units": 2}, "trainable": "no"}]},
     "layers[0].trainable", "true or false"),
    ({"input": {"shape": [4]}, "layers": [
        {"type": "Dense", "name": "d", "params": {"units": 2}},
        {"type": "Dense", "name": "d", "params": {"units": 2}}]},
     "layers[1].name", "already the name of layers[0]"),
    ({"input": {"shape": [8, 8, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 2, "kernel_size": 3, "strides": 2,
                                      "dilation_rate": 2}}]},
     "layers[0].params.strides", "dilation_rate"),
    ({"format": "other", "input": {"shape": [4]}}, "format", "not a CNN Studio project"),
    ({"input": {"shape": [4]}, "layers": [{"type": ["Dense"]}]}, "layers[0].type",
     "unknown layer type"),
    ({"input": {"shape": [4]}, "layers": [{"type": "Flatten", "name": "input_layer"}]},
     "layers[0].name", "name of the model's input"),
])
def test_bad_input_names_file_and_field(tmp_path, doc, field, words):
    path = write(tmp_path, doc)
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    error = caught.value
    assert error.field == field
    assert words in str(error)
    assert str(path) in str(error)


def test_unreadable_files(tmp_path):
    with pytest.raises(ProjectError, match="file not found"):
        load_project(tmp_path / "missing.cnnstudio.json")
    with pytest.raises(ProjectError, match="is a folder"):
        load_project(tmp_path)
    bad = tmp_path / "bin.cnnstudio.json"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectError, match="not UTF-8"):
        load_project(bad)


def test_unknown_top_level_keys_survive_a_save():
    doc = {"input": {"shape": [4]}, "layers": [], "description": "kept"}
    assert json.loads(project_to_json(project_from_dict(doc)))["description"] == "kept"


# start_weights: an imported model's weights, and the layers they fit --------------------

IMPORTED = {"input": {"shape": [8, 8, 1]}, "layers": [
    {"type": "Conv2D", "name": "conv2d", "params": {"filters": 4, "kernel_size": [3, 3]}},
    {"type": "Flatten", "name": "flatten"},
    {"type": "Dense", "name": "dense", "params": {"units": 2, "activation": "softmax"}}]}
START = {"path": "p-imported.weights.h5", "source": "/models/p.keras",
         "input": {"shape": [8, 8, 1]}, "layers": IMPORTED["layers"]}


def test_start_weights_round_trip_and_default_to_absent(tmp_path):
    from cnnstudio.core.project_file import start_weights_of

    plain = project_from_dict(IMPORTED)
    assert start_weights_of(plain) is None
    assert "start_weights" not in json.loads(project_to_json(plain))
    path = write(tmp_path, {**IMPORTED, "start_weights": START})
    project = load_project(path)
    assert start_weights_of(project) == START
    target = tmp_path / "copy.cnnstudio.json"
    save_project(project, target)
    assert json.loads(target.read_text())["start_weights"] == START
    assert load_project(target) == project


@pytest.mark.parametrize("entry, field, words", [
    ("weights.h5", "start_weights", "expected an object"),
    ({**START, "path": ""}, "start_weights.path", "a file's path relative to the project file"),
    ({**START, "origin": "x"}, "start_weights.origin", "not a start_weights field"),
    ({**START, "source": 3}, "start_weights.source", "model file"),
    ({**START, "input": [8, 8, 1]}, "start_weights.input", "e.g. {\"shape\""),
    ({**START, "input": {"shape": [8, 0]}}, "start_weights.input.shape[1]", "whole number"),
    ({**START, "layers": {}}, "start_weights.layers", "list of layers"),
    ({**START, "layers": [{"type": "Dense"}]}, "start_weights.layers[0].params.units",
     "needs 'units'"),
])
def test_a_bad_start_weights_entry_names_its_field(tmp_path, entry, field, words):
    path = write(tmp_path, {**IMPORTED, "start_weights": entry})
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    assert caught.value.field == field and words in str(caught.value)
    assert str(path) in str(caught.value)


def test_start_weights_fit_while_type_name_arguments_and_input_are_unchanged():
    from cnnstudio.core import edits
    from cnnstudio.core.project_file import start_weights_change, start_weights_entry

    project = project_from_dict(IMPORTED)
    entry = start_weights_entry(project, "w.weights.h5")
    assert entry["layers"] == IMPORTED["layers"] and entry["input"] == IMPORTED["input"]
    assert start_weights_change(project, entry) is None
    same = edits.set_param(project, 0, "kernel_size", 3)  # [3, 3] written another way
    assert start_weights_change(same, entry) is None
    assert start_weights_change(edits.set_trainable(project, 0, False), entry) is None
    changes = {
        "the input changed from [8, 8, 1] to [9, 9, 1]":
            edits.set_input_shape(project, [9, 9, 1]),
        "had 3 layers when its weights were imported and has 4 now":
            edits.insert_layers(project, 2, [LayerSpec("Dense", {"units": 3})]),
        "layers[2] (dense) changed units from 2 to 3": edits.set_param(project, 2, "units", 3),
        "layers[2] (dense) changed activation from \"softmax\" to null":
            edits.set_param(project, 2, "activation", None),
        "layers[0] (first) was renamed (was 'conv2d')": edits.rename_layer(project, 0, "first"),
        "layers[1] (max_pooling2d) became a MaxPooling2D (was a Flatten)":
            edits.replace_layer(project, 1, LayerSpec("MaxPooling2D")),
    }
    for words, changed in changes.items():
        assert words in start_weights_change(changed, entry)


def test_saving_moves_an_imports_temporary_weights_beside_the_project(tmp_path):
    import tempfile

    from cnnstudio.core.carried_files import carry_files
    from cnnstudio.core.project_file import (
        IMPORT_FOLDER_PREFIX, start_weights_entry, start_weights_of, with_start_weights,
    )

    temp = Path(tempfile.mkdtemp(prefix=IMPORT_FOLDER_PREFIX))
    (temp / "m-imported.weights.h5").write_bytes(b"weights")
    project = project_from_dict(IMPORTED)
    project = with_start_weights(project, start_weights_entry(
        project, str(temp / "m-imported.weights.h5")))
    target = tmp_path / "home" / "net.cnnstudio.json"
    target.parent.mkdir()
    placed = carry_files(project, target)
    assert start_weights_of(placed)["path"] == "net-imported.weights.h5"
    assert (target.parent / "net-imported.weights.h5").read_bytes() == b"weights"
    assert not temp.exists()
    assert carry_files(placed, target) == placed
    assert start_weights_of(with_start_weights(placed, None)) is None
