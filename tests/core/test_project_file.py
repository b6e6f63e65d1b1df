"""Project files: round trip, atomic save, versions, and errors that name the field."""

from __future__ import annotations

import json
import os

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
