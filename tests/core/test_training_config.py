"""The `training` section: defaults, every refusal names its field, the declaration table."""

from __future__ import annotations

import pytest

from cnnstudio.core.errors import ProjectError
from cnnstudio.core.training_config import SETTINGS, TrainingConfig, training_config


def test_an_empty_section_is_a_short_keras_script():
    config = training_config({})
    assert config == TrainingConfig()
    assert (config.optimizer, config.learning_rate, config.batch_size, config.epochs) == \
        ("adam", 0.001, 64, 5)
    assert config.to_dict()["early_stopping"]["patience"] == 3
    assert training_config(config.to_dict()) == config  # a run's settings read back


@pytest.mark.parametrize("section, field, words", [
    ({"epochs": 0}, "training.epochs", "from 1 to"),
    ({"learning_rate": 0}, "training.learning_rate", "above 0"),
    ({"optimizer": "nadam"}, "training.optimizer", "adam, sgd"),
    ({"momentum": 1}, "training.momentum", "below 1"),
    ({"early_stopping": {"patience": -1}}, "training.early_stopping.patience", "from 0"),
    ({"early_stopping": []}, "training.early_stopping", "expected an object"),
    ({"reduce_lr": {"factor": 1}}, "training.reduce_lr.factor", "below 1"),
    ({"reduce_lr": {"colour": 1}}, "training.reduce_lr.colour", "not a setting"),
    ({"metrics": ["acc"]}, "training.metrics", "unknown metric 'acc'"),
    ({"metrics": "accuracy"}, "training.metrics", "a list"),
    ({"batch_size": True}, "training.batch_size", "whole number"),
    ({"tensorboard_dir": 3}, "training.tensorboard_dir", "folder path"),
    ({"fancy": 1}, "training.fancy", "not a setting"),
])
def test_bad_values_name_the_field(section, field, words):
    with pytest.raises(ProjectError) as caught:
        training_config(section)
    assert caught.value.field == field
    assert words in caught.value.problem


def test_every_setting_has_a_label_help_and_a_valid_default():
    for setting in SETTINGS:
        assert setting.label and setting.help.endswith(".")
        setting.read({}, "training")  # the default passes its own check
    assert training_config({"optimizer": "SGD"}).optimizer == "sgd"  # Keras ignores case
    assert training_config({"tensorboard_dir": ""}).tensorboard_dir is None


def test_metric_classes_follow_the_label_form():
    from cnnstudio.core.training_config import metric_class

    assert metric_class("accuracy", False) is None  # Keras adapts 'accuracy' itself
    assert metric_class("top_k_categorical_accuracy", False) == "SparseTopKCategoricalAccuracy"
    assert metric_class("top_k_categorical_accuracy", True) == "TopKCategoricalAccuracy"
    assert metric_class("precision", True) == "Precision"
