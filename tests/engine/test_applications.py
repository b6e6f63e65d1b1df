"""Pre-trained bases: figures equal Keras's, frozen weights stay put, bad input is explained."""

from __future__ import annotations

import numpy as np
import pytest

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core import LayerSpec, Project, infer, project_from_dict
from cnnstudio.core.errors import ProjectError
from cnnstudio.engine.builder import build_keras_model, keras, measure_bases


def base_project(application: str, size: int, trainable: bool = False, **params) -> Project:
    return Project(
        name="transfer", input_shape=(size, size, 3),
        layers=(LayerSpec("Application", {"application": application, **params},
                          trainable=trainable),
                *(() if params.get("pooling") else (LayerSpec("GlobalAveragePooling2D"),)),
                LayerSpec("Dense", {"units": 3, "activation": "softmax"})),
        dataset={"source": "shapes", "count": 60, "image_size": [size, size], "channels": 3,
                 "classes": 3},
        training={"epochs": 1, "batch_size": 16, "capture": False, "save_best": False})


def keras_counts(model) -> list[tuple[tuple, int, int]]:
    def count(weights) -> int:
        return int(sum(np.prod(w.shape) for w in weights))

    return [(tuple(layer.output.shape), count(layer.trainable_weights),
             count(layer.non_trainable_weights)) for layer in model.layers[1:]]


def engine_counts(project: Project) -> list[tuple[tuple, int, int]]:
    return [(r.output_shape, r.trainable_params, r.non_trainable_params)
            for r in infer(project, known_figures()).layers]


CASES = [  # (application, input size, extra params, trainable)
    ("MobileNetV2", 32, {}, False),
    ("MobileNetV2", 32, {"trainable_top": 10}, True),
    ("ResNet50", 32, {}, False),
    ("VGG16", 32, {"cut": "block4_pool"}, False),
    ("VGG16", 32, {}, True),
    ("InceptionV3", 75, {"cut": "mixed7"}, False),
    ("InceptionV3", 75, {"pooling": "avg"}, True),
    ("EfficientNetB0", 32, {}, False),
]


@pytest.mark.slow
@pytest.mark.parametrize("application,size,params,trainable", CASES,
                         ids=[f"{a}-{s}-{'-'.join(map(str, p.values())) or 'whole'}-"
                              f"{'trainable' if t else 'frozen'}" for a, s, p, t in CASES])
def test_base_figures_equal_keras(application, size, params, trainable):
    project = base_project(application, size, trainable, **params)
    assert infer(project, known_figures()).pending is not None  # not measured yet
    measure_bases(project)
    report = infer(project, known_figures())
    assert report.valid, report.layers[0].error
    model = build_keras_model(project)
    assert engine_counts(project) == keras_counts(model)
    if not trainable:
        assert report.layers[0].trainable_params == 0
    if params.get("trainable_top"):
        assert 0 < report.layers[0].trainable_params < report.layers[0].non_trainable_params


def test_the_transfer_learning_template_matches_the_course_figures():
    from cnnstudio.core.templates import get_template

    project = get_template("inception_transfer").project
    measure_bases(project)
    report = infer(project, known_figures())
    base, flatten, dense, dense_1, dropout, out = report.layers
    assert base.output_shape == (None, 7, 7, 768)
    assert (base.trainable_params, base.non_trainable_params) == (0, 8_975_264)
    assert flatten.output_shape == (None, 37_632)
    assert dense.trainable_params == 19_268_096 and out.output_shape == (None, 1)
    assert report.trainable_params == 19_794_433
    assert engine_counts(project) == keras_counts(build_keras_model(project))
    assert project.training["loss"] == "binary_crossentropy"


def test_a_cut_layer_keras_lacks_lists_close_names():
    project = base_project("InceptionV3", 75, cut="mixed_7")
    measure_bases(project)
    error = infer(project, known_figures()).layers[0].error
    assert "no layer named 'mixed_7'" in error and "mixed7" in error


def test_an_input_too_small_is_refused_before_building():
    report = infer(base_project("InceptionV3", 64), known_figures())
    assert report.pending is None and "at least 75x75" in report.layers[0].error


def test_an_application_keras_does_not_have_is_refused_with_the_choices():
    document = {"format": "cnnstudio", "version": 1, "name": "x", "input": {"shape": [32, 32, 3]},
                "layers": [{"type": "Application", "params": {"application": "ResNet51"}}]}
    with pytest.raises(ProjectError) as caught:
        project_from_dict(document)
    assert "layers[0].params.application" in str(caught.value)
    assert "'ResNet50'" in str(caught.value)


@pytest.fixture(scope="module")
def mobilenet_weights(tmp_path_factory):
    """A MobileNetV2 'notop' weights file as keras.applications would give (random values)."""
    path = tmp_path_factory.mktemp("weights") / "mobilenet_notop.weights.h5"
    keras.utils.set_random_seed(7)
    network = keras.applications.MobileNetV2(include_top=False, weights=None,
                                             input_shape=(32, 32, 3))
    network.save_weights(str(path))
    return path, [w.numpy() for w in network.weights]


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_training_with_a_frozen_base_leaves_its_weights_bit_identical(mobilenet_weights,
                                                                      tmp_path):
    from cnnstudio.engine.run_model import model_for_run
    from cnnstudio.engine.trainer import Trainer

    path, before = mobilenet_weights
    project = base_project("MobileNetV2", 32, weights=str(path))
    project_file = tmp_path / "transfer.cnnstudio.json"
    finished = Trainer(project, project_file=project_file).run()
    assert finished.reason == "completed", finished.message
    model = model_for_run(finished.run, project_file)
    after = [w.numpy() for w in model.get_layer("application").weights]
    assert len(after) == len(before)
    assert all(np.array_equal(a, b) for a, b in zip(after, before))  # BN statistics too
    head = model.layers[-1].get_weights()[0]
    assert np.abs(head).sum() > 0 and finished.run["epochs"][0]["loss"] is not None


def test_a_missing_weights_file_names_the_file_to_provide(tmp_path):
    from cnnstudio.engine.trainer import Trainer

    project = base_project("MobileNetV2", 32, weights="missing/notop.h5")
    finished = Trainer(project, project_file=tmp_path / "t.cnnstudio.json").run()
    assert finished.reason == "error"
    assert "does not exist" in finished.message
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in finished.message
    assert "never downloads" in finished.message


def test_weights_of_another_network_are_refused(tmp_path):
    from cnnstudio.engine.applications import WeightsError, build_base

    wrong = tmp_path / "vgg.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None,
                             input_shape=(32, 32, 3)).save_weights(str(wrong))
    params = base_project("MobileNetV2", 32, weights=str(wrong)).layers[0].resolved
    with pytest.raises(WeightsError) as caught:
        build_base(params, (32, 32, 3), "base")
    assert "does not fit MobileNetV2" in str(caught.value)


@pytest.mark.slow  # trains, or starts a TensorFlow process
def test_two_phase_fine_tuning_unfreezes_the_top_at_a_lower_rate(mobilenet_weights, tmp_path):
    from cnnstudio.core import edits
    from cnnstudio.core.training_events import EpochEnd, PhaseStarted
    from cnnstudio.engine.trainer import Trainer

    path, _ = mobilenet_weights
    project = edits.set_training(base_project("MobileNetV2", 32, weights=str(path)), {
        "epochs": 1, "batch_size": 16, "capture": True, "save_best": False,
        "learning_rate": 0.001,
        "fine_tune": {"enabled": True, "epochs": 1, "unfreeze_top": 12,
                      "learning_rate": 1e-5}})
    events = []
    finished = Trainer(project, project_file=tmp_path / "t.cnnstudio.json",
                       on_event=events.append).run()
    assert finished.reason == "completed", finished.message
    phases = [e for e in events if isinstance(e, PhaseStarted)]
    assert len(phases) == 1 and phases[0].epoch == 1 and "top 12 layers" in phases[0].message
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert epochs[0].logs["learning_rate"] == pytest.approx(0.001)
    assert epochs[1].logs["learning_rate"] == pytest.approx(1e-5)
    run = finished.run
    assert run["fine_tune"]["from_epoch"] == 1 and run["fine_tune"]["trainable_params"] > 0
    dynamics = run["dynamics"]
    base = dynamics["layers"].index("application")
    assert dynamics["weight_change"][0][base] == 0.0  # frozen in the first phase
    assert dynamics["weight_change"][1][base] > 0.0  # its top learns in the second


def test_fine_tuning_without_a_base_is_refused_with_the_fix():
    from cnnstudio.core import edits
    from cnnstudio.engine.trainer import Trainer
    from tests.training_projects import tiny_project

    project = edits.set_training(tiny_project(), {"fine_tune": {"enabled": True}})
    finished = Trainer(project).run()
    assert finished.reason == "error" and "add an Application layer" in finished.message


@pytest.mark.slow  # builds MobileNetV2
def test_a_base_with_weights_sees_images_as_its_weights_were_trained(mobilenet_weights,
                                                                     tmp_path):
    """MobileNetV2's preprocess_input (-1..1 from 0..255 pixels) runs inside the model, so
    training, evaluation, feature maps and the dropout view all feed it the same; the
    data set's 0..1 pixels are taken back to 0..255 first."""
    from cnnstudio.core.catalogue.applications import input_preprocessing
    from cnnstudio.engine.layer_outputs import layer_outputs

    path, _ = mobilenet_weights
    project = base_project("MobileNetV2", 32, weights=str(path))
    model = build_keras_model(project)
    base = model.get_layer("application")
    image = np.random.default_rng(0).random((32, 32, 3)).astype("float32")  # 0..1
    expected = base(keras.applications.mobilenet_v2.preprocess_input(image[None] * 255.0),
                    training=False)
    outputs = layer_outputs(model, image)
    assert np.allclose(outputs["application"], np.asarray(expected)[0], atol=1e-5)
    assert len(model.layers) == 4  # input, base, pooling, dense: no layer added
    assert "mobilenet_v2.preprocess_input" in input_preprocessing(project.layers[0].resolved)
    plain = build_keras_model(base_project("MobileNetV2", 32))  # no weights: no preprocessing
    assert not any("get_item" in op.name or op.name.startswith("subtract")
                   for op in plain.operations)


@pytest.mark.slow  # builds MobileNetV2 twice
def test_the_exported_script_preprocesses_as_cnn_studio_does(mobilenet_weights, tmp_path):
    import runpy

    from cnnstudio.core.keras_script import write_keras_script

    path, _ = mobilenet_weights
    project = base_project("MobileNetV2", 32, weights=str(path))
    measure_bases(project)  # the export needs its figures, as the GUI has them
    script = write_keras_script(project, tmp_path / "transfer.py")
    text = script.read_text()
    assert "images = keras.applications.mobilenet_v2.preprocess_input(x * 255.0)" in text
    built = runpy.run_path(str(script))["build_model"]()
    ours = build_keras_model(project)
    ours.get_layer("dense").set_weights(built.get_layer("dense").get_weights())
    image = np.random.default_rng(1).random((2, 32, 32, 3)).astype("float32")
    assert np.allclose(built(image, training=False), ours(image, training=False), atol=1e-5)
