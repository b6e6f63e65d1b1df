"""The PyTorch script export, read as text: no torch needed (engine tests run it).

What a user relies on: the script names every layer it could not translate
instead of guessing, flattens in Keras's order, documents each layer, and the
export itself never loads torch, TensorFlow or Qt.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnnstudio.core import LAYER_TYPES, ShapeError, project_from_dict
from cnnstudio.core.catalogue import Category, LayerType
from cnnstudio.core.catalogue.common import same_shape
from cnnstudio.core.catalogue.torch_common import HELPERS
from cnnstudio.core.pytorch_script import ScriptExport, pytorch_script, torch_shape
from cnnstudio.core.templates import get_template, list_templates


def _project(input_shape, *layers, name="Test"):
    return project_from_dict({"name": name, "input": {"shape": list(input_shape)},
                              "layers": list(layers)})


def _layer(type_name, **params):
    return {"type": type_name, "params": params}


MNIST_LIKE = _project(
    [28, 28, 1],
    _layer("Conv2D", filters=8, kernel_size=3, activation="relu"),
    _layer("RandomRotation", factor=0.1),
    _layer("MaxPooling2D", pool_size=2),
    _layer("Flatten"),
    _layer("Dense", units=10, activation="softmax"),
    name="Tiny MNIST",
)


def test_export_is_a_text_and_a_list_of_problems():
    export = pytorch_script(MNIST_LIKE)
    assert isinstance(export, ScriptExport)
    compile(export.text, "tiny_mnist.py", "exec")  # valid Python
    assert export.unsupported == [
        "layer 2 'random_rotation' (RandomRotation): no PyTorch equivalent; left out "
        "(it acts only in training)"]


def test_training_only_augmentation_is_left_out_as_identity_with_a_comment():
    text = pytorch_script(MNIST_LIKE).text
    line = next(line for line in text.splitlines() if '"random_rotation"' in line)
    assert "nn.Identity()" in line
    assert "acts only in training" in text
    assert "random_rotation" in text.split('"""')[1], "the header lists it too"


def test_header_names_the_project_and_explains_channels_first():
    header = pytorch_script(MNIST_LIKE).text.split('"""')[1]
    assert 'project "Tiny MNIST"' in header
    assert "channels-first, (N, C, H, W)" in header
    assert "channels-last, (N, H, W, C)" in header
    assert "(None, 28, 28, 1)" in header and "(N, 1, 28, 28)" in header


def test_flatten_is_written_out_in_keras_order_with_the_reason():
    text = pytorch_script(MNIST_LIKE).text
    assert '("flatten", KerasFlatten()),' in text
    flatten_class = text[text.index("class KerasFlatten"):text.index("def build_model")]
    assert "x.movedim(1, -1)" in flatten_class and "x.flatten(1)" in flatten_class
    assert "(N, C, H, W) -> (N, H, W, C)" in flatten_class
    assert "weights" in flatten_class, "the comment says why: weights carry over"


def test_each_layer_is_commented_with_its_keras_layer_and_output_shape():
    text = pytorch_script(MNIST_LIKE).text
    assert "# conv2d: Keras Conv2D(filters=8, kernel_size=3, activation='relu')" in text
    assert "Keras output (None, 26, 26, 8) -> here (N, 8, 26, 26); 80 params" in text
    assert "Keras output (None, 10) -> here (N, 10); 13,530 params" in text


def test_keras_activation_argument_becomes_its_own_module():
    text = pytorch_script(MNIST_LIKE).text
    assert ("nn.Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=0),\n"
            "            nn.ReLU(),") in text
    assert "nn.Softmax(dim=1)" in text


def test_only_the_helpers_a_script_uses_are_defined():
    text = pytorch_script(MNIST_LIKE).text
    assert "class KerasFlatten" in text
    for name in ("SamePool", "KerasReshape", "GaussianNoise", "def frozen", "def unsupported"):
        assert name not in text
    assert "import math" not in text and "torch.nn.functional" not in text


def test_strided_same_conv_writes_out_tf_asymmetric_padding():
    project = _project([28, 28, 3], _layer("Conv2D", filters=4, kernel_size=3, strides=2,
                                           padding="same"))
    text = pytorch_script(project).text
    # out = ceil(28/2) = 14; pad total = (14-1)*2 + 3 - 28 = 1: none before, one after
    assert "nn.ZeroPad2d((0, 1, 0, 1))," in text
    assert "nn.Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=0)" in text


def test_stride_one_same_conv_uses_pytorch_same_padding():
    project = _project([9, 9, 3], _layer("Conv2D", filters=4, kernel_size=3, padding="same"))
    assert 'padding="same")' in pytorch_script(project).text


def test_batchnorm_converts_keras_momentum_and_keeps_epsilon():
    project = _project([8, 8, 3], _layer("BatchNormalization", momentum=0.9, epsilon=0.01))
    assert "nn.BatchNorm2d(3, eps=0.01, momentum=0.1)" in pytorch_script(project).text
    default = _project([8], {"type": "BatchNormalization"})
    assert "nn.BatchNorm1d(8, eps=0.001, momentum=0.01)" in pytorch_script(default).text


def test_frozen_layer_is_wrapped_and_explained():
    project = _project([4], {"type": "Dense", "params": {"units": 2}, "trainable": False})
    text = pytorch_script(project).text
    assert '("dense", frozen(nn.Linear(4, 2))),' in text
    assert "def frozen" in text


def test_argument_without_equivalent_blocks_build_model_with_the_reason():
    project = _project([4, 4, 2], _layer("UpSampling2D", interpolation="bicubic"))
    export = pytorch_script(project)
    assert len(export.unsupported) == 1
    problem = export.unsupported[0]
    assert problem.startswith("layer 1 'up_sampling2d' (UpSampling2D): interpolation="
                              "'bicubic'")
    assert problem.endswith("build_model() raises NotImplementedError")
    assert '("up_sampling2d", unsupported("layer 1' in export.text
    assert "def unsupported" in export.text and "raise NotImplementedError" in export.text


def test_layer_type_without_a_torch_rule_is_named_not_guessed(monkeypatch):
    """Any layer type declared without a torch rule (a pre-trained base, say)."""
    fake = LayerType(name="Mystery", category=Category.CORE, summary="test only", args=(),
                     output=same_shape)
    monkeypatch.setitem(LAYER_TYPES, "Mystery", fake)
    project = _project([6], {"type": "Mystery"}, _layer("Dense", units=2))
    export = pytorch_script(project)
    assert export.unsupported == ["layer 1 'mystery' (Mystery): no PyTorch equivalent; "
                                  "build_model() raises NotImplementedError"]
    assert ('("mystery", unsupported("layer 1 \'mystery\' (Mystery): no PyTorch '
            'equivalent")),') in export.text
    assert '("dense", nn.Linear(6, 2)),' in export.text, "later layers are still written"


def test_invalid_stack_is_refused_naming_the_layer():
    project = _project([4, 4, 1], _layer("Conv2D", filters=2, kernel_size=5))
    with pytest.raises(ShapeError,
                       match=r"layers\[0\] \(conv2d\) is invalid: kernel 5x5 does not fit"):
        pytorch_script(project)


def test_odd_names_stay_valid_python():
    # Layer names are letters, digits, '_', '.' and '-' (refused otherwise at load);
    # the project's name may be anything.
    project = _project([4], {"type": "Dense", "name": "say.hi-now_2",
                             "params": {"units": 2}}, name='say "hi"\\ \n now """ \\')
    compile(pytorch_script(project).text, "odd.py", "exec")


@pytest.mark.parametrize("key", [t.key for t in list_templates()])
def test_every_template_exports_valid_python(key):
    export = pytorch_script(get_template(key).project)
    compile(export.text, f"{key}.py", "exec")
    graph = get_template(key).project.is_graph
    assert ("def build_model() -> nn.Module:" if graph else
            "def build_model() -> nn.Sequential:") in export.text
    assert ("class Network(nn.Module):" in export.text) == graph
    assert "--summary-json" in export.text


def test_helpers_are_declared_once_and_called_by_their_own_names():
    for name, helper in HELPERS.items():
        assert f"{name}" in helper.source
        assert all(need in HELPERS for need in helper.needs)


def test_torch_shape_moves_channels_to_axis_one():
    assert torch_shape((None, 28, 28, 3)) == (None, 3, 28, 28)
    assert torch_shape((None, 100, 8)) == (None, 8, 100)
    assert torch_shape((None, 10)) == (None, 10)


def test_export_imports_neither_torch_nor_tensorflow_nor_qt():
    code = ("import sys\n"
            "from cnnstudio.core.pytorch_script import pytorch_script\n"
            "from cnnstudio.core.templates import list_templates\n"
            "for t in list_templates(): pytorch_script(t.project)\n"
            "heavy = [m for m in ('torch', 'tensorflow', 'keras', 'PySide6') if m in sys.modules]\n"
            "print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
