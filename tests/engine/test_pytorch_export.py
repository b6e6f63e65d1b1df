"""The exported PyTorch scripts run, and their model matches the Keras model.

Each script is run as a user would, `python script.py --summary-json`, and every
layer's output shape (channels moved to axis 1) and trainable / non-trainable
counts must equal the shape engine's, which equals Keras's (test_parity.py).
A wider sweep runs the scripts of random catalogue stacks in this process, and
a few stacks carry Keras's weights over and compare the outputs value by value.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from math import prod

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnnstudio.core import ProjectError, infer, project_from_dict
from cnnstudio.core.project import Project
from cnnstudio.core.pytorch_script import pytorch_script, torch_shape
from cnnstudio.core.templates import list_templates
from cnnstudio.core.catalogue import LAYER_TYPES
from tests.script_runner import Job, Result, run_scripts
from tests.strategies import layer_dict

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed; pip install -e '.[test]' (or '.[pytorch]') "
                    "to run the exported scripts")


def _project(input_shape, *layers, name="Test") -> Project:
    return project_from_dict({"name": name, "input": {"shape": list(input_shape)},
                              "layers": list(layers)})


def _layer(type_name, **params):
    return {"type": type_name, "params": params}


def expected_rows(project: Project) -> list[dict]:
    """What --summary-json must print: the shape engine's figures, channels-first."""
    return [{"name": r.name, "output_shape": list(torch_shape(r.output_shape)),
             "trainable_params": r.trainable_params,
             "non_trainable_params": r.non_trainable_params}
            for r in infer(project).layers]


def run_script(project: Project, tmp_path, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "model.py"
    script.write_text(pytorch_script(project).text, encoding="utf-8")
    return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)


def _blocked(project: Project) -> bool:
    return any("NotImplementedError" in p for p in pytorch_script(project).unsupported)


TEMPLATES = {t.key: t.project for t in list_templates()}

EXTRA_STACKS = {
    "batchnorm": _project(
        [16, 16, 3],
        _layer("Conv2D", filters=8, kernel_size=3, use_bias=False),
        _layer("BatchNormalization", momentum=0.9),
        _layer("Activation", activation="relu"),
        _layer("Flatten"), {"type": "BatchNormalization", "trainable": False},
        _layer("Dense", units=4)),
    "strided_same_conv": _project(
        [15, 16, 3],
        _layer("Conv2D", filters=6, kernel_size=3, strides=2, padding="same"),
        _layer("Conv2D", filters=6, kernel_size=4, strides=3, padding="same"),
        _layer("MaxPooling2D", pool_size=3, strides=2, padding="same"),
        _layer("Flatten"), _layer("Dense", units=3)),
    "conv1d": _project(
        [40, 4],
        _layer("Conv1D", filters=8, kernel_size=5, activation="relu"),
        _layer("Conv1D", filters=8, kernel_size=3, padding="causal", dilation_rate=2),
        _layer("Conv1D", filters=8, kernel_size=3, strides=2, padding="same"),
        _layer("MaxPooling1D", pool_size=2), _layer("GlobalMaxPooling1D"),
        _layer("Dense", units=2, activation="softmax")),
    "global_average_pooling": _project(
        [20, 20, 3],
        _layer("Conv2D", filters=16, kernel_size=3, padding="same", activation="relu"),
        _layer("DepthwiseConv2D", kernel_size=3, depth_multiplier=2),
        _layer("SeparableConv2D", filters=8, kernel_size=3, strides=2),
        _layer("GlobalAveragePooling2D"), _layer("Dense", units=5)),
    "dropout": _project(
        [12, 12, 3],
        _layer("Dropout", rate=0.2, noise_shape=[None, 1, 1, None]),
        _layer("SpatialDropout2D", rate=0.2), _layer("GaussianNoise", stddev=0.1),
        _layer("Flatten"), _layer("Dropout", rate=0.5), _layer("Dense", units=3)),
    "reshape": _project(
        [64],
        _layer("Dense", units=48), _layer("Reshape", target_shape=[4, 4, 3]),
        _layer("Conv2DTranspose", filters=5, kernel_size=3, strides=2, padding="same"),
        _layer("UpSampling2D", size=2), _layer("ZeroPadding2D", padding=[1, 2]),
        _layer("Cropping2D", cropping=[[2, 0], [1, 1]]), _layer("LayerNormalization"),
        _layer("Reshape", target_shape=[-1, 5]), _layer("Dense", units=2)),
    "variable_size": _project(  # None: the summary tries two sizes, reports None
        [None, None, 3],
        _layer("Conv2D", filters=4, kernel_size=3, strides=2, padding="same"),
        _layer("MaxPooling2D", pool_size=2, padding="same"),
        _layer("AveragePooling2D", pool_size=3, strides=2, padding="same"),
        _layer("GlobalAveragePooling2D"), _layer("Dense", units=2)),
}


SUMMARIES = {**TEMPLATES, **EXTRA_STACKS}


@pytest.fixture(scope="module")
def summaries(tmp_path_factory) -> dict[str, Result]:
    """Every stack's `--summary-json`, the scripts run in one process (tests/script_runner)."""
    jobs = []
    for key, project in SUMMARIES.items():
        script = tmp_path_factory.mktemp(key) / "model.py"
        script.write_text(pytorch_script(project).text, encoding="utf-8")
        jobs.append(Job(script, ("--summary-json",)))
    return dict(zip(SUMMARIES, run_scripts(jobs)))


@pytest.mark.parametrize("key", list(SUMMARIES))
def test_summary_json_equals_the_shape_engine(key, summaries):
    project, result = SUMMARIES[key], summaries[key]
    if _blocked(project):  # e.g. a pre-trained base: building stops at that layer
        assert result.returncode != 0
        blocked = [p for p in pytorch_script(project).unsupported if "NotImplemented" in p]
        assert blocked[0].split(";")[0] in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected_rows(project)


def test_plain_run_prints_a_summary_table(tmp_path):
    result = run_script(TEMPLATES["mnist_cnn"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "Layer"
    assert any(line.split()[0] == "conv2d" and "(None, 32, 26, 26)" in line for line in lines)
    report = infer(TEMPLATES["mnist_cnn"])
    assert f"Total params: {report.total_params:,}" in result.stdout


def test_unsupported_layer_stops_the_script_naming_it(tmp_path):
    project = _project([8, 8, 3], _layer("UpSampling2D", interpolation="lanczos3"))
    result = run_script(project, tmp_path, "--summary-json")
    assert result.returncode == 1
    assert "layer 1 'up_sampling2d' (UpSampling2D)" in result.stderr
    assert "Traceback" not in result.stderr


def test_augmentation_layers_are_identities(tmp_path):
    project = _project([16, 16, 3], _layer("RandomFlip"), _layer("RandomZoom", height_factor=0.2),
                       _layer("Conv2D", filters=2, kernel_size=3))
    result = run_script(project, tmp_path, "--summary-json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected_rows(project)


# A wider sweep, in this process (torch is imported once) -----------------------------

MAX_VALUES = 2_000_000  # per sample, in any layer: keeps the sweep fast


TRANSLATED = sorted(name for name, t in LAYER_TYPES.items() if t.torch is not None or t.augments)
"""The layer types a script builds: those with a torch rule, and the augmentations."""


@st.composite
def torch_stacks(draw, max_layers: int = 6):
    """(input_shape, layers) drawn from the translated layer types, fitting each rank."""
    rank = draw(st.sampled_from([2, 3, 4, 4]))
    input_shape = [draw(st.integers(1, 24)) for _ in range(rank - 1)]
    layers = []
    for _ in range(draw(st.integers(1, max_layers))):
        fitting = [n for n in TRANSLATED if not LAYER_TYPES[n].ranks or rank in LAYER_TYPES[n].ranks]
        layer = draw(layer_dict(LAYER_TYPES[draw(st.sampled_from(fitting))],
                                allow_invalid=False))
        layers.append(layer)
        rank = len(_last_shape(input_shape, layers))
    return input_shape, layers


def _last_shape(input_shape, layers) -> tuple:
    """The last output shape, or the input's where the stack is already invalid."""
    try:
        report = infer(_project(input_shape, *layers))
    except ProjectError:  # an argument combination Keras refuses
        return (None, *input_shape)
    return report.output_shape or (None, *input_shape)


def _summary_in_process(project: Project, tmp_path) -> list[dict]:
    script = tmp_path / "sweep.py"
    script.write_text(pytorch_script(project).text, encoding="utf-8")
    namespace = runpy.run_path(str(script))
    return namespace["summarize"](namespace["build_model"]())


@settings(deadline=None,  # examples: the profile's (tests/conftest.py)
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])
@given(torch_stacks())
def test_random_catalogue_stacks_match_the_shape_engine(tmp_path, stack):
    input_shape, layers = stack
    try:
        project = _project(input_shape, *layers)
    except ProjectError:  # an argument combination Keras refuses: not this test's concern
        assume(False)
    report = infer(project)
    assume(report.valid)
    assume(all(prod(r.output_shape[1:]) <= MAX_VALUES for r in report.layers))
    if _blocked(project):
        with pytest.raises(NotImplementedError):
            _summary_in_process(project, tmp_path)
        return
    assert _summary_in_process(project, tmp_path) == expected_rows(project)


# Values: Keras's weights carried over give Keras's outputs ----------------------------

keras_stacks = {
    "flatten_after_conv": _project(
        [5, 6, 3], _layer("Conv2D", filters=4, kernel_size=2, activation="relu"),
        _layer("Flatten"), _layer("Dense", units=3, activation="softmax")),
    "same_padding": _project(
        [7, 8, 3], _layer("Conv2D", filters=4, kernel_size=3, strides=2, padding="same"),
        _layer("MaxPooling2D", pool_size=3, strides=2, padding="same"),
        _layer("AveragePooling2D", pool_size=2, strides=1, padding="same"),
        _layer("Conv2DTranspose", filters=2, kernel_size=3, strides=2, padding="same")),
    "depthwise_separable_batchnorm": _project(
        [9, 9, 3], _layer("DepthwiseConv2D", kernel_size=3, depth_multiplier=2),
        _layer("BatchNormalization"),
        _layer("SeparableConv2D", filters=5, kernel_size=3, padding="same"),
        _layer("LayerNormalization"), _layer("Reshape", target_shape=[-1, 5]),
        _layer("Conv1D", filters=2, kernel_size=3, padding="causal")),
    **{key: TEMPLATES[key] for key in ("resnet_small", "inception_small", "densenet_small")},
}


def _torch_weight(layer_type: str, path: str, value: np.ndarray) -> np.ndarray:
    """A Keras weight in PyTorch's layout."""
    if layer_type == "DepthwiseConv2D" and value.ndim == 4 or "depthwise_kernel" in path:
        rows, cols, channels, multiplier = value.shape  # one kernel per input channel
        return value.reshape(rows, cols, channels * multiplier, 1).transpose(2, 3, 0, 1)
    axes = {4: (3, 2, 0, 1), 3: (2, 1, 0), 2: (1, 0)}.get(value.ndim)
    return value.transpose(axes) if axes else value


def _carry_weights(keras_model, torch_model) -> None:
    """Each Keras layer's weights into the child of its name (Keras lists a graph's layers
    in its own order)."""
    for name, child in torch_model.named_children():
        keras_layer = keras_model.get_layer(name)
        targets = [*child.parameters(), *(b for n, b in child.named_buffers()
                                         if not n.endswith("num_batches_tracked"))]
        assert len(keras_layer.weights) == len(targets), keras_layer.name
        for weight, target in zip(keras_layer.weights, targets):
            value = _torch_weight(type(keras_layer).__name__, weight.path, weight.numpy())
            assert tuple(value.shape) == tuple(target.shape), keras_layer.name
            with torch.no_grad():
                target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


@pytest.mark.parametrize("key", list(keras_stacks))
def test_outputs_equal_keras_with_its_weights(key, tmp_path):
    pytest.importorskip("keras")
    from cnnstudio.engine.builder import build_keras_model

    project = keras_stacks[key]
    rng = np.random.default_rng(0)
    keras_model = build_keras_model(project)
    for layer in keras_model.layers:  # random values everywhere, moving variances > 0
        layer.set_weights([np.abs(rng.normal(size=w.shape)).astype("float32") + 0.5
                           if "variance" in w.path else
                           rng.normal(size=w.shape).astype("float32") for w in layer.weights])
    script = tmp_path / f"{key}.py"
    script.write_text(pytorch_script(project).text, encoding="utf-8")
    torch_model = runpy.run_path(str(script))["build_model"]().eval()
    _carry_weights(keras_model, torch_model)
    x = rng.normal(size=(2, *project.input_shape)).astype("float32")
    expected = keras_model(x, training=False).numpy()
    with torch.no_grad():
        got = torch_model(torch.from_numpy(x).movedim(-1, 1))
    got = (got.movedim(1, -1) if got.dim() > 2 else got).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
