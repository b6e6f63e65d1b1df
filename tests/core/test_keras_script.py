"""The Keras script export, read as text: what it says, without running TensorFlow.

tests/engine/test_keras_script_export.py runs the scripts.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from cnnstudio.core import LayerSpec, Project
from cnnstudio.core.keras_script import ExportError, keras_script, write_keras_script
from cnnstudio.core.templates import get_template, list_templates

SMALL = (LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
         LayerSpec("Flatten"),
         LayerSpec("Dense", {"units": 6, "activation": "softmax"}))


def project(dataset=None, training=None, layers=SMALL, shape=(12, 12, 1)) -> Project:
    return Project(name="small", input_shape=shape, layers=layers,
                   dataset=dataset or {"source": "shapes", "image_size": [12, 12]},
                   training=training or {})


def functions(text: str) -> set[str]:
    """Top-level functions and classes the script defines."""
    return {node.name for node in ast.parse(text).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def imports(text: str) -> set[str]:
    names = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def attributes(text: str) -> set[str]:
    """Every attribute the script's code reads (keras.datasets -> "datasets")."""
    return {node.attr for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Attribute)}


def test_generating_imports_neither_tensorflow_nor_qt():
    code = ("import sys; from cnnstudio.core.templates import get_template; "
            "from cnnstudio.core.keras_script import keras_script; "
            "t = get_template('mnist_cnn'); keras_script(t.project, t.path); "
            "print([m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def has_base(template) -> bool:
    """A pre-trained base (Application layer): not exported yet."""
    return any(spec.type == "Application" for spec in template.project.layers)


@pytest.mark.parametrize("template", list_templates(), ids=lambda t: t.key)
def test_every_template_gives_a_standalone_script(template):
    if has_base(template):
        pytest.skip("a pre-trained base is measured by Keras first: "
                    "tests/engine/test_keras_script_export.py exports it")
    text = keras_script(template.project, template.path, "script.py")
    compile(text, "script.py", "exec")
    assert not any(name.startswith("cnnstudio") for name in imports(text))
    assert {"keras", "tensorflow", "numpy"} <= imports(text)
    # each layer once, in order, with its class and CNN Studio's name
    calls = re.findall(r"\w+ = keras\.layers\.(\w+)\((?:.|\n)*?name=\"(\w+)\"", text)
    names = template.project.layer_names()
    assert calls == [(spec.type, name) for spec, name in zip(template.project.layers, names)]


def test_only_the_arguments_the_user_set_are_written():
    text = keras_script(project(layers=(
        LayerSpec("Conv2D", {"filters": 8, "kernel_size": [3, 5]}, name="edges"),
        LayerSpec("GlobalAveragePooling2D"),
        LayerSpec("Dense", {"units": 6, "activation": "softmax"}))))
    assert 'keras.layers.Conv2D(filters=8, kernel_size=(3, 5), name="edges")(x)' in text
    assert 'keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)' in text
    assert "padding=" not in text and "strides=" not in text
    assert 'keras.Input(shape=INPUT_SHAPE, name="input_layer")' in text
    assert "INPUT_SHAPE = (12, 12, 1)" in text


def test_frozen_layers_are_built_frozen():
    layers = (LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3}, trainable=False),
              LayerSpec("BatchNormalization", trainable=False),
              LayerSpec("Flatten"), LayerSpec("Dense", {"units": 6}))
    text = keras_script(project(layers=layers))
    frozen = [line for line in text.splitlines() if "trainable=False" in line]
    assert [re.search(r"name=\"(\w+)\"", line).group(1) for line in frozen] == \
        ["conv2d", "batch_normalization"]
    assert "# conv2d: (None, 10, 10, 4), 40 parameters; frozen" in text
    assert text.count("frozen: training leaves its weights as they are") == 2


@pytest.mark.parametrize("name, files", [
    ("mnist", ["mnist.npz"]),
    ("fashion_mnist", ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz"]),
    ("cifar10", ["cifar-10-batches-py", "data_batch_"]),
    ("cifar100", ["cifar-100-python", '"train"']),
])
def test_keras_sources_read_the_cache_and_never_download(name, files):
    text = keras_script(project(dataset={"source": "keras", "name": name}))
    assert f"return load_{name}()" in text
    assert "is not in the Keras cache: {path} is missing." in text
    assert "never downloads: on a connected machine fetch {source}" in text.replace(
        '"\n                     f"', "")
    assert "require_cached(" in text and "KERAS_HOME" in text
    for file in files:
        assert file in text
    assert not {"datasets", "get_file", "urlopen", "urlretrieve"} & attributes(text)
    others = {"load_mnist", "load_fashion_mnist", "load_cifar10", "load_cifar100"}
    assert functions(text) & others == {f"load_{name}"}  # only its own reader
    assert "def generate(" not in text and "def load_npz(" not in text


def test_shapes_source_embeds_the_generator_and_nothing_else():
    text = keras_script(project(dataset={"source": "shapes", "count": 300,
                                         "image_size": [12, 12], "seed": 7, "classes": 4}))
    assert {"generate", "ShapesSpec", "_masks", "_colours", "ArrayData"} <= functions(text)
    assert "ShapesSpec(count=300, height=12, width=12, channels=1, seed=7, classes=4)" in text
    assert "ArrayData(images, labels, class_count=4)" in text
    assert not functions(text) & {"load_mnist", "load_npz", "load_folder", "scan_folder", "FolderData"}
    assert "gzip" not in imports(text) and "pickle" not in imports(text)
    assert text.count("from __future__ import annotations") == 1


def test_npz_and_folder_paths_are_absolute_from_the_project_file(tmp_path):
    project_file = tmp_path / "work" / "p.cnnstudio.json"
    npz = keras_script(project(dataset={"source": "npz", "path": "data/x.npz"}), project_file)
    assert f'DATA_FILE = Path("{tmp_path / "work" / "data" / "x.npz"}")' in npz
    assert "load_npz(DATA_FILE, test_split=0.1, seed=0)" in npz
    folder = keras_script(project(dataset={"source": "folder", "path": "../pictures",
                                           "image_size": [12, 12]}), project_file)
    assert f'DATA_FOLDER = Path("{tmp_path / "pictures"}")' in folder
    assert "load_folder(DATA_FOLDER, image_size=(12, 12), channels=1" in folder
    assert "FolderData" in functions(folder) and "ArrayData" not in functions(folder)


@pytest.mark.parametrize("training, expected", [
    ({}, "optimizer=keras.optimizers.Adam(learning_rate=learning_rate)"),
    ({"optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.8},
     "optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.8)"),
    ({"optimizer": "adamw", "weight_decay": 0.01},
     "optimizer=keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=0.01)"),
    ({"optimizer": "rmsprop", "learning_rate": 0.0005},
     "optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate)"),
    ({"metrics": ["accuracy", "top_k_categorical_accuracy", "precision"]},
     'metrics=["accuracy", top_k(name="top_k_categorical_accuracy"), '
     'keras.metrics.Precision(name="precision")]'),
    ({"batch_size": 16, "epochs": 3, "validation_split": 0.2, "seed": 5, "shuffle": False},
     "BATCH_SIZE = 16"),
])
def test_compiled_and_trained_as_the_trainer_does(training, expected):
    text = keras_script(project(training=training))
    assert expected in " ".join(line.strip() for line in text.splitlines()).replace("( ", "(")
    rate = training.get("learning_rate", 0.001)
    assert f"loss: str, learning_rate: float = {rate}) -> None:" in text
    if "epochs" in training:
        for line in ("EPOCHS = 3", "VALIDATION_SPLIT = 0.2", "SEED = 5", "SHUFFLE = False"):
            assert line in text


@pytest.mark.parametrize("layers, dataset, training, loss", [
    (SMALL, None, {}, '"sparse_categorical_crossentropy"'),
    (SMALL[:2] + (LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}),), None, {},
     '"binary_crossentropy"'),
    (SMALL, {"source": "npz", "path": "/x.npz"}, {}, '"auto"'),  # one-hot or not: the file says
    (SMALL, None, {"loss": "categorical_crossentropy"}, '"categorical_crossentropy"'),
])
def test_the_loss_is_the_one_the_trainer_picks(layers, dataset, training, loss):
    text = keras_script(project(layers=layers, dataset=dataset, training=training))
    assert re.search(rf"^LOSS = {loss}", text, re.MULTILINE)


def test_callbacks_follow_the_settings():
    plain = keras_script(project(training={"save_best": False}))
    assert "EarlyStopping" not in plain and "ReduceLROnPlateau" not in plain
    assert "ModelCheckpoint" not in plain and "BEST_WEIGHTS" not in plain
    full = keras_script(project(training={
        "early_stopping": {"enabled": True, "monitor": "val_accuracy", "patience": 4,
                           "restore_best_weights": False},
        "reduce_lr": {"enabled": True, "factor": 0.2, "patience": 1, "min_lr": 1e-05}}))
    flat = " ".join(line.strip() for line in full.splitlines())
    assert ('keras.callbacks.EarlyStopping(monitor=monitored("val_accuracy", has_validation),'
            ' patience=4, restore_best_weights=False)') in flat
    assert ('keras.callbacks.ReduceLROnPlateau(monitor=monitored("val_loss", has_validation),'
            ' factor=0.2, patience=1, min_lr=1e-05)') in flat
    assert ('keras.callbacks.ModelCheckpoint(BEST_WEIGHTS, monitor=monitored("val_accuracy",'
            ' has_validation), save_best_only=True, save_weights_only=True)') in flat


def test_augmentation_layers_are_named_as_cnn_studio_names_them():
    text = keras_script(project(dataset={"source": "shapes", "image_size": [12, 12],
                                         "augmentation": [
                                             {"type": "RandomFlip",
                                              "params": {"mode": "horizontal"}},
                                             {"type": "RandomRotation",
                                              "params": {"factor": 0.1}}]}))
    assert 'keras.layers.RandomFlip(mode="horizontal", name="augment_0_random_flip"),' in text
    assert ('keras.layers.RandomRotation(factor=0.1, name="augment_1_random_rotation"),'
            in text)


def test_long_layer_calls_are_wrapped():
    layers = (LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 1,
                                   "padding": "same", "activation": "relu",
                                   "use_bias": False, "dilation_rate": 1},
                        name="a_rather_long_layer_name"),) + SMALL[1:]
    text = keras_script(project(layers=layers))
    assert max(len(line) for line in text.splitlines() if "keras.layers" in line) <= 96
    compile(text, "script.py", "exec")


def test_invalid_stacks_and_outputs_are_refused_with_the_reason():
    with pytest.raises(ExportError,
                       match=r"layers\[0\] \(conv2d\) is invalid: kernel 5x5 does not fit"):
        keras_script(project(shape=(3, 3, 1), layers=(
            LayerSpec("Conv2D", {"filters": 1, "kernel_size": 5}),)))
    with pytest.raises(ExportError, match=r"output is \(None, 10, 10, 4\).*Add Flatten"):
        keras_script(project(layers=SMALL[:1]))


def test_write_keras_script(tmp_path):
    template = get_template("lenet5")
    out = write_keras_script(template.project, tmp_path / "lenet.py", template.path)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env python3\n")
    assert "python lenet.py --summary-json" in text
    assert f"Exported from {template.path.resolve()}." in text
    with pytest.raises(ExportError, match="keras.py would import itself"):
        write_keras_script(template.project, tmp_path / "keras.py")
    assert not (tmp_path / "keras.py").exists()
    with pytest.raises(ExportError, match="Cannot write"):
        write_keras_script(template.project, tmp_path / "missing" / "x.py")


def test_imported_weights_are_the_start_while_the_layers_are_unchanged(tmp_path):
    from cnnstudio.core.project_file import start_weights_entry, with_start_weights

    plain = project()
    imported = with_start_weights(plain, start_weights_entry(plain, "w/imported.weights.h5"))
    text = keras_script(imported, tmp_path / "p.cnnstudio.json")
    assert f'START_WEIGHTS = Path("{tmp_path / "w" / "imported.weights.h5"}")' in text
    assert "load_start_weights(model)" in text
    edited = imported.with_layers(imported.layers[:2] + (LayerSpec("Dense", {"units": 7}),))
    text = keras_script(edited, tmp_path / "p.cnnstudio.json")
    assert re.search(r"# the imported weights no longer fit: layers\[2\] \(dense\) .*\n"
                     r"START_WEIGHTS = None", text)
    assert "START_WEIGHTS = None  # no imported weights" in keras_script(plain)




def test_a_pretrained_base_and_fine_tuning_are_written_as_a_keras_user_would():
    from cnnstudio.core.base_figures import BaseFigures, figures_key, remember

    base = LayerSpec("Application", {"application": "MobileNetV2", "weights": "w/notop.h5",
                                     "cut": "block_6_expand_relu"}, name="mobile",
                     trainable=False)
    layers = (base, LayerSpec("GlobalAveragePooling2D"),
              LayerSpec("Dense", {"units": 6, "activation": "softmax"}))
    made = project(layers=layers, training={
        "fine_tune": {"enabled": True, "epochs": 2, "unfreeze_top": 20,
                      "learning_rate": 1e-5}})
    made = Project(name=made.name, input_shape=(32, 32, 3), layers=made.layers,
                   dataset={**made.dataset, "channels": 3}, training=made.training)
    remember(figures_key((None, 32, 32, 3), base.resolved),
             BaseFigures((None, 4, 4, 192), 0, 27_968), persist=False)  # as Keras measures it
    text = keras_script(made, "/projects/p.cnnstudio.json")
    compile(text, "script.py", "exec")
    flat = " ".join(line.strip() for line in text.splitlines()).replace("( ", "(")
    assert "keras.applications.MobileNetV2(include_top=False, weights=None, " \
           "input_shape=(32, 32, 3))" in flat
    assert ('load_base_weights(base, Path("/projects/w/notop.h5"), '
            '"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"') in flat
    assert 'base.get_layer("block_6_expand_relu").output, name="mobile")' in flat
    assert "base.trainable = False" in text and "x = base(images, training=False)" in text
    assert "images = keras.applications.mobilenet_v2.preprocess_input(x * 255.0)" in text
    assert ('FINE_TUNE = {"bases": ["mobile"], "epochs": 2, "unfreeze_top": 20, '
            '"learning_rate": 1e-05}').replace('["mobile"]', '("mobile",)') in text
    assert "def fine_tune(" in text and "compile_model(model, loss, FINE_TUNE[" in text
