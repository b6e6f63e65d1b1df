"""Importing Keras model files: round trips, Sequential .h5, functional chains, the
files that are refused, and the imported weights as the next run's start."""

from __future__ import annotations

import zipfile
from dataclasses import replace

import numpy as np
import pytest

from cnnstudio.core import Project, edits, infer, load_project, project_from_dict, save_project
from cnnstudio.core.carried_files import carry_files
from cnnstudio.core.project_file import start_weights_change, start_weights_of
from cnnstudio.core.templates import list_templates
from cnnstudio.core.training_events import Started
from tests.training_projects import tiny_project

keras = pytest.importorskip("keras")
from cnnstudio.engine.builder import build_keras_model, model_name  # noqa: E402
from cnnstudio.engine.model_import import (  # noqa: E402
    ModelImportError, import_model, model_layers,
)

TEMPLATES = {t.key: t.project for t in list_templates()
             if all(hasattr(keras.layers, spec.type) for spec in t.project.layers)}
"""Templates of Keras layers; one with a pre-trained base (a whole keras.applications model
inside) is refused as a nested model, not imported."""


def save(model, path):
    model.save(str(path))
    return path


def same_weights(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def assert_same_stack(original: Project, imported: Project) -> None:
    """Same input, layer types, names, connections, frozen flags and arguments; an argument
    left out of the import is one that equals Keras's default, and none is added. A graph
    may come back in another order (Keras lists layers by their depth), never a chain."""
    assert imported.input_shape == original.input_shape

    def described(project):
        return {name: (spec.type, spec.trainable, inputs) for spec, name, inputs in
                zip(project.layers, project.layer_names(), project.layer_inputs())}

    assert described(imported) == described(original)
    assert imported.layer_names()[-1:] == original.layer_names()[-1:]
    if not original.is_graph:
        assert imported.layer_names() == original.layer_names()
    by_name = dict(zip(imported.layer_names(), imported.layers))
    for old, name in zip(original.layers, original.layer_names()):
        new = by_name[name]
        assert new.resolved == old.resolved, old.type
        assert set(new.params) <= set(old.params)
        for key in set(old.params) - set(new.params):
            assert old.resolved[key] == old.layer_type.arg_index[key].resolved_default()


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_survives_keras_and_back(key, tmp_path):
    original = TEMPLATES[key]
    path = save(build_keras_model(original), tmp_path / f"{key}.keras")
    imported = import_model(path, tmp_path / "p.cnnstudio.json")
    assert_same_stack(original, imported.project)
    assert imported.notes == []
    assert imported.project.name == model_name(original)  # Keras's name for the model
    assert infer(imported.project).total_params == infer(original).total_params
    assert imported.weights == tmp_path / "p-imported.weights.h5"
    assert start_weights_of(imported.project)["path"] == "p-imported.weights.h5"


IMAGE_STACK = {
    "name": "everything", "input": {"shape": [16, 16, 3]}, "layers": [
        {"type": "Rescaling", "name": "scale_in", "params": {"scale": 0.5, "offset": -1.0}},
        {"type": "RandomFlip", "name": "flip", "params": {"mode": "horizontal", "seed": 3}},
        {"type": "RandomRotation", "name": "turn",
         "params": {"factor": [-0.1, 0.1], "fill_mode": "nearest"}},
        {"type": "RandomZoom", "name": "zoom", "params": {"height_factor": 0.2}},
        {"type": "RandomTranslation", "name": "shift",
         "params": {"height_factor": 0.1, "width_factor": 0.2, "interpolation": "nearest"}},
        {"type": "GaussianNoise", "name": "noise", "params": {"stddev": 0.05}},
        {"type": "Conv2D", "name": "stem", "trainable": False,
         "params": {"filters": 8, "kernel_size": [3, 5], "strides": [2, 2], "padding": "same",
                    "activation": "elu", "use_bias": False}},
        {"type": "BatchNormalization", "name": "bn",
         "params": {"momentum": 0.9, "epsilon": 1e-05, "center": False}},
        {"type": "LeakyReLU", "name": "leaky", "params": {"negative_slope": 0.1}},
        {"type": "DepthwiseConv2D", "name": "depthwise",
         "params": {"kernel_size": [3, 3], "depth_multiplier": 2, "dilation_rate": [2, 2],
                    "padding": "same"}},
        {"type": "SeparableConv2D", "name": "separable",
         "params": {"filters": 12, "kernel_size": [3, 3], "activation": "relu"}},
        {"type": "MaxPooling2D", "name": "pool",
         "params": {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}},
        {"type": "SpatialDropout2D", "name": "spatial", "params": {"rate": 0.1, "seed": 5}},
        {"type": "ZeroPadding2D", "name": "pad", "params": {"padding": [[1, 2], [0, 1]]}},
        {"type": "Cropping2D", "name": "crop", "params": {"cropping": [[1, 1], [0, 1]]}},
        {"type": "Conv2DTranspose", "name": "up_conv",
         "params": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2],
                    "output_padding": [1, 1]}},
        {"type": "UpSampling2D", "name": "upsample",
         "params": {"size": [1, 2], "interpolation": "bilinear"}},
        {"type": "AveragePooling2D", "name": "avg",
         "params": {"pool_size": [2, 2], "strides": [1, 2]}},
        {"type": "LayerNormalization", "name": "ln", "params": {"epsilon": 0.0001,
                                                                "scale": False}},
        {"type": "ReLU", "name": "relu6", "params": {"max_value": 6.0}},
        {"type": "GlobalAveragePooling2D", "name": "gap", "params": {"keepdims": True}},
        {"type": "Reshape", "name": "reshape", "params": {"target_shape": [2, 2]}},
        {"type": "Flatten", "name": "flat"},
        {"type": "Dropout", "name": "drop", "params": {"rate": 0.3, "seed": 7}},
        {"type": "Dense", "name": "out", "params": {"units": 5, "use_bias": False}},
        {"type": "Activation", "name": "probs", "params": {"activation": "softmax"}},
    ]}

SEQUENCE_STACK = {
    "name": "sequence", "input": {"shape": [20, 3]}, "layers": [
        {"type": "Conv1D", "name": "causal",
         "params": {"filters": 4, "kernel_size": [3], "padding": "causal",
                    "dilation_rate": [2], "activation": "tanh"}},
        {"type": "MaxPooling1D", "name": "pool1", "params": {"pool_size": [3]}},
        {"type": "AveragePooling1D", "name": "avg1",
         "params": {"pool_size": [2], "strides": [1]}},
        {"type": "GlobalMaxPooling1D", "name": "gmp"},
        {"type": "Dense", "name": "head", "params": {"units": 2, "activation": "sigmoid"}},
    ]}


@pytest.mark.parametrize("doc", [IMAGE_STACK, SEQUENCE_STACK], ids=["images", "sequence"])
def test_non_default_arguments_and_frozen_layers_come_back_as_written(doc, tmp_path):
    original = project_from_dict(doc)
    assert infer(original).valid
    path = save(build_keras_model(original), tmp_path / "stack.keras")
    imported = import_model(path, tmp_path / "p.cnnstudio.json")
    assert imported.notes == []
    assert [s.to_dict() for s in imported.project.layers] == doc["layers"]
    assert list(imported.project.input_shape) == doc["input"]["shape"]
    assert imported.project.name == doc["name"]


def test_a_sequential_h5_with_its_compile_settings_and_weights(tmp_path):
    model = keras.Sequential([
        keras.Input((10, 10, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1",
                            kernel_initializer="he_normal",
                            kernel_regularizer=keras.regularizers.L2(0.01)),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax", name="head"),
    ], name="shapes_net")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = save(model, tmp_path / "net.h5")
    imported = import_model(path, tmp_path / "net.cnnstudio.json")
    project = imported.project
    assert project.name == "shapes_net" and project.input_shape == (10, 10, 1)
    assert [s.to_dict() for s in project.layers] == [
        {"type": "Conv2D", "name": "c1",
         "params": {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}},
        {"type": "MaxPooling2D", "name": model.layers[1].name},
        {"type": "Flatten", "name": model.layers[2].name},
        {"type": "Dense", "name": "head", "params": {"units": 3, "activation": "softmax"}},
    ]
    assert project.training == {"optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.5,
                                "loss": "sparse_categorical_crossentropy",
                                "metrics": ["accuracy"]}
    assert len(imported.notes) == 2
    assert "'c1'" in imported.notes[0] and "kernel_initializer HeNormal" in imported.notes[0]
    assert "kernel_regularizer L2(l2=0.01" in imported.notes[1]
    assert "penalty" in imported.notes[1]
    rebuilt = build_keras_model(project)
    rebuilt.load_weights(str(imported.weights))
    for layer in model.layers:
        assert same_weights(rebuilt.get_layer(layer.name).get_weights(), layer.get_weights())


def test_a_functional_chain_keeps_its_names(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the weights' temporary folder
    inputs = keras.Input((8, 8, 1), name="pixels")
    x = keras.layers.Conv2D(3, 3, padding="same", name="features")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="classes")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.AUC(), "mae"])
    path = save(model, tmp_path / "chain.keras")
    imported = import_model(path)
    project = imported.project
    assert project.name == "chain"  # Keras's own "functional" is no name
    assert project.layer_names() == ["features", "pool", "classes"]
    assert project.layers[0].params == {"filters": 3, "kernel_size": [3, 3],
                                        "padding": "same"}
    assert project.training == {"optimizer": "adam", "learning_rate": 0.0001,
                                "metrics": ["auc"]}
    assert "sparse_categorical_crossentropy (from logits)" in imported.notes[0]
    assert "The metrics mae were not imported" in imported.notes[1]
    assert imported.weights.parent.name.startswith("cnnstudio-import-")
    assert start_weights_of(project)["path"] == str(imported.weights)


def test_without_a_project_file_the_weights_move_beside_it_when_saved(tmp_path):
    path = save(build_keras_model(tiny_project()), tmp_path / "tiny.keras")
    imported = import_model(path)
    temp_folder = imported.weights.parent
    target = tmp_path / "saved" / "mine.cnnstudio.json"
    target.parent.mkdir()
    placed = carry_files(imported.project, target)
    assert start_weights_of(placed)["path"] == "mine-imported.weights.h5"
    assert (target.parent / "mine-imported.weights.h5").is_file()
    assert not temp_folder.exists()
    save_project(placed, target)
    again = load_project(target)
    assert again == placed and start_weights_of(again) == start_weights_of(placed)
    assert carry_files(again, target) == again  # already in place


# files that are refused ---------------------------------------------------------------

@pytest.fixture(scope="module")
def good_keras(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.keras"
    return save(build_keras_model(tiny_project()), path)


def refused(path) -> str:
    with pytest.raises(ModelImportError) as caught:
        import_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def test_a_missing_file_or_a_folder(tmp_path):
    assert "file not found" in refused(tmp_path / "nope.keras")
    (tmp_path / "saved_model").mkdir()
    assert "is a folder" in refused(tmp_path / "saved_model")


def test_corrupt_and_truncated_keras_files(tmp_path, good_keras):
    noise = tmp_path / "noise.keras"
    noise.write_bytes(np.random.default_rng(0).bytes(4000))
    assert "damaged or not a Keras model" in refused(noise)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good_keras.read_bytes()[:3000])
    message = refused(truncated)
    assert "damaged" in message and "model.save('model.keras')" in message
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    assert "is empty" in refused(empty)


def test_files_that_are_not_models(tmp_path):
    archive = tmp_path / "photos.keras"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("cat.txt", "meow")
    assert "not a Keras model (it has no config.json)" in refused(archive)
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    assert "damaged or not a Keras model" in refused(text)
    import h5py

    data = tmp_path / "data.h5"
    with h5py.File(data, "w") as handle:
        handle["x"] = np.zeros(3)
    assert "HDF5 file but not a Keras model" in refused(data)
    other = tmp_path / "model.onnx"
    other.write_bytes(b"\x08\x07")
    assert "imports .keras files and legacy .h5" in refused(other)
    project = tmp_path / "p.cnnstudio.json"
    save_project(tiny_project(), project)
    assert "is a CNN Studio project" in refused(project)


def test_weights_only_files(tmp_path):
    model = build_keras_model(tiny_project())
    weights = tmp_path / "tiny.weights.h5"
    model.save_weights(str(weights))
    assert "holds only weights" in refused(weights)
    renamed = tmp_path / "tiny.h5"
    renamed.write_bytes(weights.read_bytes())
    assert "holds only weights" in refused(renamed)
    disguised = tmp_path / "tiny.keras"
    disguised.write_bytes(weights.read_bytes())
    assert "holds only weights" in refused(disguised)


def test_an_unsupported_layer_is_named(tmp_path):
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.Permute((2, 1), name="swap"),
                              keras.layers.Flatten()])
    message = refused(save(model, tmp_path / "permute.keras"))
    assert "layer 'swap' is of type Permute" in message and "Conv2D" in message

    @keras.saving.register_keras_serializable(package="cnnstudio_test")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    custom = keras.Sequential([keras.Input((4,)), Twice(name="double"),
                               keras.layers.Dense(2)])
    assert "layer 'double' is of type Twice" in refused(save(custom, tmp_path / "custom.keras"))
    inner = keras.Sequential([keras.layers.Dense(3)], name="inner")
    nested = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(2)])
    assert "layer 'inner' is a whole Sequential model" in refused(
        save(nested, tmp_path / "nested.keras"))


@pytest.mark.filterwarnings("ignore:You are saving a model that has not yet been built")
def test_a_model_never_built_has_no_input_to_import(tmp_path):
    unbuilt = keras.Sequential([keras.layers.Dense(3, name="head")])
    assert "has no input shape" in refused(save(unbuilt, tmp_path / "unbuilt.keras"))


def test_an_argument_a_project_cannot_express_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 4)),
                              keras.layers.Conv2D(4, 3, groups=2, name="grouped")])
    message = refused(save(model, tmp_path / "groups.keras"))
    assert "layer 'grouped' (Conv2D) sets groups=2" in message and "default (1)" in message


def test_a_project_that_would_differ_from_the_model_is_refused(tmp_path, monkeypatch):
    from cnnstudio.engine.model_import import layers

    real = layers.minimal_params

    def losing_strides(*args):
        return {k: v for k, v in real(*args).items() if k != "strides"}

    monkeypatch.setattr(layers, "minimal_params", losing_strides)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              keras.layers.Conv2D(2, 3, strides=2, name="strided")])
    message = refused(save(model, tmp_path / "strided.keras"))
    assert "layer 'strided' (Conv2D) gives (None, 3, 3, 2)" in message
    assert "but (None, 6, 6, 2)" in message and "was stopped" in message


def test_a_branching_model_imports_as_a_graph_with_its_connections(tmp_path):
    inputs = keras.Input((8, 8, 1), name="image")
    a = keras.layers.Conv2D(2, 3, padding="same", name="conv_a")(inputs)
    b = keras.layers.Conv2D(2, 3, padding="same", name="conv_b")(a)
    merged = keras.layers.Add(name="skip")([a, b])
    residual = keras.Model(inputs, keras.layers.Flatten(name="flat")(merged))
    project = import_model(save(residual, tmp_path / "residual.keras"), None).project
    assert project.is_graph
    assert [(spec.name, inputs) for spec, inputs in zip(project.layers, project.layer_inputs())] \
        == [("conv_a", ("input",)), ("conv_b", ("conv_a",)), ("skip", ("conv_a", "conv_b")),
            ("flat", ("skip",))]
    assert infer(project).total_params == residual.count_params()


def test_what_a_project_cannot_hold_is_refused_by_name(tmp_path):
    left = keras.Input((4,), name="left")
    right = keras.Input((4,), name="right")
    joined = keras.layers.Concatenate(name="join")([left, right])
    two_inputs = keras.Model([left, right], keras.layers.Dense(2)(joined))
    assert "the model has 2 inputs (left, right)" in refused(
        save(two_inputs, tmp_path / "two.keras"))
    image = keras.Input((4,), name="image")
    shared = keras.layers.Dense(4, name="shared")
    twice = keras.Model(image, keras.layers.Add()([shared(image), shared(shared(image))]))
    assert "layer 'shared' is called 3 times (a shared layer)" in refused(
        save(twice, tmp_path / "shared.keras"))


# the imported weights start the next run --------------------------------------------

def train(project, project_file):
    from cnnstudio.engine.trainer import Trainer

    start = {}

    def on_event(event):  # the model is built and its start weights set before Started
        if isinstance(event, Started):
            start.update({layer.name: layer.get_weights() for layer in trainer.model.layers})

    trainer = Trainer(project, project_file=project_file, on_event=on_event)
    finished = trainer.run()
    assert finished.reason == "completed", finished.message
    return finished.run, start


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_a_run_starts_from_the_imported_weights_until_the_layers_change(tmp_path):
    keras.utils.set_random_seed(123)  # not the trainer's seed, so the weights differ
    tiny = tiny_project(count=48, epochs=1, capture=False)
    source = build_keras_model(tiny)
    path = save(source, tmp_path / "tiny.keras")
    project_file = tmp_path / "imported.cnnstudio.json"
    imported = import_model(path, project_file).project
    project = replace(imported, dataset=tiny.dataset, training=tiny.training)
    imported_conv = source.get_layer("conv2d").get_weights()

    run, start = train(project, project_file)
    assert run["started_from"] == "imported weights"
    assert run["start_weights"] == "imported-imported.weights.h5"
    for layer in source.layers:  # every layer, not only the first
        assert same_weights(start[layer.name], layer.get_weights()), layer.name

    frozen = edits.set_trainable(project, 0, False)  # fine-tuning keeps the start
    assert start_weights_change(frozen, start_weights_of(frozen)) is None

    renamed = edits.rename_layer(project, 0, "features")
    run, start = train(renamed, project_file)
    assert run["started_from"] == "scratch"
    assert "layers[0] (features) was renamed" in run["start_note"]
    assert not same_weights(start["features"], imported_conv)

    wider = edits.set_param(project, 0, "filters", 5)
    assert "changed filters from 4 to 5" in start_weights_change(
        wider, start_weights_of(wider))


def test_a_missing_weights_file_means_training_from_scratch(tmp_path):
    tiny = tiny_project(count=48, epochs=1, capture=False)
    path = save(build_keras_model(tiny), tmp_path / "tiny.keras")
    project_file = tmp_path / "p.cnnstudio.json"
    imported = import_model(path, project_file)
    imported.weights.unlink()
    project = replace(imported.project, dataset=tiny.dataset, training=tiny.training)
    run, _ = train(project, project_file)
    assert run["started_from"] == "scratch" and "is missing" in run["start_note"]


def legacy_layer(kind, name, *sources):
    """A layer as Keras 2 wrote functional models: inbound nodes as [layer, node, tensor]."""
    nodes = [[[source, 0, 0, {}] for source in sources]] if sources else []
    return {"class_name": kind, "name": name, "config": {"name": name}, "inbound_nodes": nodes}


def test_keras_2_functional_files_are_read_the_same_way():
    chain = {"class_name": "Functional", "config": {
        "layers": [legacy_layer("InputLayer", "input_1"),
                   legacy_layer("Flatten", "flat", "input_1"),
                   legacy_layer("Dense", "out", "flat")],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["out", 0, 0]]}}
    assert [(entry["name"], inputs) for entry, inputs in model_layers(chain, "old.h5")] == [
        ("flat", ["input"]), ("out", ["flat"])]
    merge = {"class_name": "Model", "config": {
        "layers": [legacy_layer("InputLayer", "a"), legacy_layer("Dense", "b", "a"),
                   legacy_layer("Add", "sum", "a", "b")],
        "input_layers": [["a", 0, 0]], "output_layers": [["sum", 0, 0]]}}
    assert [(entry["name"], inputs) for entry, inputs in model_layers(merge, "old.h5")] == [
        ("b", ["input"]), ("sum", ["input", "b"])]


def test_the_import_command_writes_a_graph_project_and_its_weights(tmp_path):
    from tests.core.test_cli import cnnstudio

    inputs = keras.Input((8, 8, 3), name="image")
    a = keras.layers.Conv2D(4, 3, padding="same", name="conv_a")(inputs)
    joined = keras.layers.Concatenate(name="join")([inputs, a])
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D(name="pool")(joined))
    path = save(model, tmp_path / "joined.keras")
    out = tmp_path / "joined.cnnstudio.json"
    result = cnnstudio("import", path, out)
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}: 3 layers (a graph), {model.count_params():,} parameters." \
        in result.stdout
    project = load_project(out)
    assert project.layer_inputs()[1] == ("input", "conv_a")
    assert project.to_dict()["version"] == 2
    assert start_weights_of(project) is not None
    again = cnnstudio("import", path, out)
    assert again.returncode == 2 and "already exists" in again.stderr
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    refused_run = cnnstudio("import", broken, tmp_path / "b.cnnstudio.json")
    assert refused_run.returncode == 2 and "broken.keras" in refused_run.stderr
    assert not (tmp_path / "b.cnnstudio.json").exists()
