"""Hand-written shape cases: the classic networks and the edge cases learners hit."""

from __future__ import annotations

import pytest

from cnnstudio import infer_shapes
from cnnstudio.core import infer, load_project, project_from_dict
from cnnstudio.core.resources import templates_dir


def run(input_shape, *layers):
    doc = {"input": {"shape": list(input_shape)}, "layers": [
        {"type": t, "params": p} for t, p in layers]}
    return infer(project_from_dict(doc))


def shapes(report):
    return [r.output_shape for r in report.layers]


MNIST_CNN = [
    ("Conv2D", {"filters": 32, "kernel_size": 3, "activation": "relu"}),
    ("Conv2D", {"filters": 64, "kernel_size": [3, 3], "activation": "relu"}),
    ("MaxPooling2D", {"pool_size": [2, 2]}),
    ("Dropout", {"rate": 0.25}),
    ("Flatten", {}),
    ("Dense", {"units": 128, "activation": "relu"}),
    ("Dropout", {"rate": 0.5}),
    ("Dense", {"units": 10, "activation": "softmax"}),
]


def test_keras_mnist_cnn():
    report = run((28, 28, 1), *MNIST_CNN)
    assert shapes(report) == [(None, 26, 26, 32), (None, 24, 24, 64), (None, 12, 12, 64),
                              (None, 12, 12, 64), (None, 9216), (None, 128), (None, 128),
                              (None, 10)]
    assert [r.params for r in report.layers] == [320, 18496, 0, 0, 0, 1179776, 0, 1290]
    assert report.total_params == 1_199_882  # the Keras example itself: 10 digits
    assert report.layers[1].arithmetic_lines() == ["height and width: (26 - 3 + 2*0)/1 + 1 = 24"]


def test_alexnet_template_and_its_55():
    report = infer(load_project(templates_dir() / "alexnet.cnnstudio.json"))
    spatial = [r.output_shape[1] for r in report.layers[:8]]
    assert spatial == [55, 27, 27, 13, 13, 13, 13, 6]
    assert report.layers[8].output_shape == (None, 9216)
    assert report.layers[0].arithmetic_lines() == [
        "height and width: (227 - 11 + 2*0)/4 + 1 = 55"]
    assert report.layers[1].arithmetic_lines() == [
        "height and width: (55 - 3 + 2*0)/2 + 1 = 27"]
    assert report.total_params == 62_378_344


def test_kernel_that_does_not_fit_explains_the_negative_size():
    report = run((3, 3, 1), ("Conv2D", {"filters": 8, "kernel_size": 5}), ("Flatten", {}))
    assert report.error_index == 0
    message = report.layers[0].error
    assert "kernel 5x5 does not fit its 3x3 input: (3 - 5 + 2*0)/1 + 1 = -1" in message
    assert "padding='same'" in message
    assert report.layers[1].output_shape is None and report.layers[1].error is None
    assert infer_shapes({"input": {"shape": [3, 3, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 8, "kernel_size": 5}}]})["valid"] is False


def test_same_padding_with_strides_is_ceil_and_shows_the_padding():
    report = run((227, 227, 3), ("Conv2D", {"filters": 4, "kernel_size": 11, "strides": 4,
                                             "padding": "same"}))
    assert report.layers[0].output_shape == (None, 57, 57, 4)
    assert report.layers[0].arithmetic_lines() == [
        "height and width: (227 - 11 + 2*4)/4 + 1 = 57  (padding='same' adds 8)"]


def test_dilation_widens_the_kernel():
    report = run((28, 28, 1), ("Conv2D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2}))
    assert report.layers[0].output_shape == (None, 24, 24, 2)
    assert "dilated kernel 2*(3 - 1) + 1 = 5" in report.layers[0].arithmetic_lines()[0]


def test_pooling_strides_default_to_pool_size_and_uneven_axes_are_shown_apart():
    report = run((11, 10, 3), ("MaxPooling2D", {"pool_size": 3}),
                 ("AveragePooling2D", {"pool_size": [2, 1], "strides": [1, 2]}))
    assert shapes(report) == [(None, 3, 3, 3), (None, 2, 2, 3)]
    assert report.layers[0].arithmetic_lines() == [
        "height: floor((11 - 3 + 2*0)/3) + 1 = 3", "width: floor((10 - 3 + 2*0)/3) + 1 = 3"]


def test_dense_on_a_4d_tensor_acts_on_the_last_axis():
    report = run((5, 5, 3), ("Dense", {"units": 7}))
    assert report.layers[0].output_shape == (None, 5, 5, 7)
    assert report.layers[0].params == 3 * 7 + 7


def test_flatten_of_a_vector_is_unchanged():
    assert shapes(run((10,), ("Flatten", {}))) == [(None, 10)]


def test_frozen_layers_count_as_non_trainable():
    doc = {"input": {"shape": [8, 8, 3]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 4, "kernel_size": 3}, "trainable": False},
        {"type": "BatchNormalization"},
        {"type": "Flatten"}, {"type": "Dense", "params": {"units": 2}}]}
    report = infer(project_from_dict(doc))
    assert [(r.trainable_params, r.non_trainable_params) for r in report.layers] == [
        (0, 112), (8, 8), (0, 0), (290, 0)]
    assert (report.trainable_params, report.non_trainable_params) == (298, 120)


def test_none_dimensions_flow_through_and_dense_after_flatten_explains():
    report = run((None, None, 3), ("Conv2D", {"filters": 4, "kernel_size": 3}),
                 ("GlobalAveragePooling2D", {}), ("Dense", {"units": 2}))
    assert shapes(report) == [(None, None, None, 4), (None, 4), (None, 2)]
    report = run((None, 32, 3), ("Conv2D", {"filters": 4, "kernel_size": 3}), ("Flatten", {}),
                 ("Dense", {"units": 2}))
    assert report.layers[1].output_shape == (None, None)
    assert report.error_index == 2
    assert "GlobalAveragePooling2D" in report.layers[2].error


def test_conv_after_flatten_says_why():
    report = run((28, 28, 1), ("Flatten", {}), ("Conv2D", {"filters": 4, "kernel_size": 3}))
    assert report.error_index == 1
    assert "receives (None, 784)" in report.layers[1].error
    assert "Flatten" in report.layers[1].error


def test_reshape_works_out_its_minus_one_or_explains():
    assert shapes(run((4, 5), ("Reshape", {"target_shape": [2, -1]}))) == [(None, 2, 10)]
    report = run((4, 5), ("Reshape", {"target_shape": [3, -1]}))
    assert "20 values per sample, which is not a multiple of 3" in report.layers[0].error


def test_transpose_convolution_grows():
    report = run((5, 7, 3), ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}))
    assert report.layers[0].output_shape == (None, 11, 15, 4)
    assert report.layers[0].params == 3 * 3 * 3 * 4 + 4
    assert report.layers[0].arithmetic_lines()[0] == "height: (5 - 1)*2 + max(3, 2) = 11"


def test_cropping_too_much_explains():
    report = run((5, 5, 1), ("Cropping2D", {"cropping": [[2, 3], [0, 0]]}))
    assert "5 - 2 - 3 = 0" in report.layers[0].error


@pytest.mark.parametrize("template", sorted(p.name for p in templates_dir().glob("*.json")))
def test_every_template_is_valid(template):
    report = infer(load_project(templates_dir() / template))
    if report.pending is not None:  # a pre-trained base: Keras measures it (test_applications)
        assert report.pending.type == "Application"
        return
    assert report.valid


def test_inference_depends_on_its_arguments_alone():
    """A pre-trained base's figures come in as an argument, never from a shared store:
    without them the base is pending, with them it has Keras's measured figures."""
    from cnnstudio.core.base_figures import BaseFigures, figures_key, remember

    doc = {"input": {"shape": [96, 96, 3]}, "layers": [
        {"type": "Application", "params": {"application": "MobileNetV2", "pooling": "avg"}},
        {"type": "Dense", "params": {"units": 3}}]}
    project = project_from_dict(doc)
    spec = project.layers[0]
    key = figures_key((None, 96, 96, 3), spec.resolved)
    figures = BaseFigures((None, 1280), 2_223_872, 34_112)
    remember(key, figures, persist=False)  # in the store: infer must not read it
    assert infer(project).pending is not None
    report = infer(project, {key: figures})
    assert report.valid and report.layers[0].output_shape == (None, 1280)
    assert report.layers[0].params == 2_257_984 and report.layers[1].params == 1280 * 3 + 3
    assert infer(project, {key: figures}) == report
