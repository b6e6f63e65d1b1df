"""Edits and undo commands, without Qt."""

from __future__ import annotations

import pytest

from cnnstudio.core import LayerSpec, ProjectError, load_project
from cnnstudio.core import edits
from cnnstudio.core.commands import Command, Document
from cnnstudio.core.resources import default_example


@pytest.fixture
def project():
    return load_project(default_example())


def test_insert_move_remove(project):
    p = edits.insert_layers(project, 1, [LayerSpec("BatchNormalization")])
    assert p.layers[1].type == "BatchNormalization" and len(p.layers) == 9
    p = edits.move_layers(p, [1], 0)
    assert p.layers[0].type == "BatchNormalization"
    assert edits.remove_layers(p, [0]) == project
    moved = edits.move_layers(project, [0, 2], 5)
    assert [l.type for l in moved.layers][:5] == ["Conv2D", "Dropout", "Flatten", "Conv2D",
                                                 "MaxPooling2D"]
    assert edits.moved_rows([0, 2], 5) == [3, 4]
    assert [moved.layers[i] for i in (3, 4)] == [project.layers[0], project.layers[2]]


def test_duplicate_clears_names_and_paste_keeps_free_names(project):
    named = edits.rename_layer(project, 0, "first")
    p, rows = edits.duplicate_layers(named, [0])
    assert rows == [1] and p.layers[1].name is None and p.layer_names()[:2] == ["first",
                                                                                   "conv2d"]
    pasted = edits.insert_layers(named, 8, [named.layers[0], LayerSpec("Dense", {"units": 2},
                                                                        name="free")])
    assert [layer.name for layer in pasted.layers[8:]] == [None, "free"]


def test_set_param_validates_and_none_restores_the_default(project):
    with pytest.raises(ProjectError, match="whole number >= 1"):
        edits.set_param(project, 0, "filters", 0)
    p = edits.set_param(project, 0, "strides", 2)
    assert p.layers[0].resolved["strides"] == (2, 2)
    assert edits.reset_param(p, 0, "strides").layers[0] == project.layers[0]
    with pytest.raises(ProjectError):
        edits.rename_layer(project, 0, "a/b")
    with pytest.raises(ProjectError):
        edits.set_input_shape(project, [28, -1, 1])


def test_commands_undo_to_the_identical_project_and_merge(project):
    document = Document(project)
    seen = []
    document.subscribe(seen.append)
    first = Command("Change filters", project, edits.set_param(project, 0, "filters", 3),
                    ("param", 0, "filters"))
    first.do(document)
    second = Command("Change filters", document.project,
                     edits.set_param(document.project, 0, "filters", 32 * 10),
                     ("param", 0, "filters"))
    assert first.merge(second)
    first.do(document)
    assert document.project.layers[0].params["filters"] == 320
    first.undo(document)
    assert document.project is project
    assert len(seen) == 3
    other = Command("Change rate", project, project, ("param", 3, "rate"))
    assert not first.merge(other)


def test_dataset_and_training_edits(project):
    p = edits.set_dataset(project, {"source": "keras", "name": "cifar10"})
    assert p.dataset == {"source": "keras", "name": "cifar10"}
    with pytest.raises(ProjectError, match="dataset.source"):
        edits.set_dataset(project, {"source": "web"})
    t = edits.set_training(project, {"loss": "categorical_crossentropy"})
    assert t.training["loss"] == "categorical_crossentropy"
    assert t.training["batch_size"] == project.training["batch_size"]
