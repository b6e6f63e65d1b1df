"""Evaluation on held-out images: the confusion matrix agrees with NumPy, per-class figures."""

from __future__ import annotations

import pytest

import numpy as np

from cnnstudio.core.dataset_config import dataset_config
from cnnstudio.core.training_config import training_config
from cnnstudio.engine.arrays import ImageData
from tests.training_projects import tiny_project

pytestmark = pytest.mark.slow  # trains, or starts a TensorFlow process


def test_confusion_matrix_precision_and_recall_by_hand():
    from cnnstudio.engine.evaluation import Evaluation, confusion_matrix

    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 1])
    matrix = confusion_matrix(y_true, y_pred, 3)
    assert matrix.tolist() == [[1, 1, 0], [1, 2, 0], [0, 1, 0]]
    evaluation = Evaluation("test", ["a", "b", "c"], np.zeros((6, 2, 2, 1)), y_true, y_pred,
                            np.ones(6), np.eye(3)[y_pred], 0.0, matrix)
    assert evaluation.accuracy == 0.5
    assert np.allclose(evaluation.precision()[:2], [0.5, 0.5])
    assert np.isnan(evaluation.precision()[2])  # nothing predicted as c
    assert np.allclose(evaluation.recall(), [0.5, 2 / 3, 0.0])
    assert evaluation.cases(true_class=1, predicted=0).tolist() == [4]
    assert evaluation.cases(mistakes_only=True).tolist() == [1, 4, 5]


def test_evaluating_a_trained_model_matches_numpy_on_its_predictions():
    from cnnstudio.engine.data import load_data
    from cnnstudio.engine.evaluation import evaluate
    from cnnstudio.engine.trainer import Trainer

    project = tiny_project(count=240, epochs=2)
    config = dataset_config(project.dataset)
    data = load_data(config)
    trainer = Trainer(project, data=data)
    assert trainer.run().reason == "completed"
    training = training_config(project.training)
    result = evaluate(trainer.model, data, config, training, "sparse_categorical_crossentropy")
    assert result.part == "test" and len(result.y_true) == len(data.x_test) == 24
    assert result.confusion.sum() == 24
    probabilities = trainer.model.predict(data.x_test.astype("float32") / 255, verbose=0)
    predicted = probabilities.argmax(axis=1)
    expected = np.zeros((6, 6), int)
    np.add.at(expected, (data.y_test, predicted), 1)
    assert (result.confusion == expected).all()
    assert result.accuracy == np.mean(predicted == data.y_test)
    assert np.allclose(result.confidence, probabilities.max(axis=1), atol=1e-6)
    assert result.loss > 0


def test_without_a_test_part_the_validation_part_is_used():
    from cnnstudio.engine.evaluation import held_out

    x = np.arange(100 * 4).reshape(100, 2, 2, 1).astype(np.uint8)
    data = ImageData(x, np.arange(100) % 2, class_names=["a", "b"])
    part = held_out(data, dataset_config({}), training_config({"validation_split": 0.2}))
    assert part.part == "validation" and len(part.x) == 20
