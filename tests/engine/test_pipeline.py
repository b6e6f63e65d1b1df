"""In-memory arrays become float batches for model.fit."""

import numpy as np


def test_batches_are_rescaled_and_complete():
    from cnnstudio.engine.pipeline import array_dataset

    x = np.full((10, 4, 4, 1), 255, np.uint8)
    y = np.arange(10)
    batches = list(array_dataset(x, y, 4, shuffle=True, seed=1))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert all(np.allclose(b[0].numpy(), 1.0) for b in batches)
    assert sorted(np.concatenate([b[1].numpy() for b in batches]).tolist()) == list(range(10))
    raw = next(iter(array_dataset(x, y, 10, normalize=False)))
    assert raw[0].numpy().max() == 255.0


def test_augmentation_changes_training_batches_differently_each_epoch():
    from cnnstudio.core.dataset_config import dataset_config
    from cnnstudio.engine.augment import augment
    from cnnstudio.engine.pipeline import array_dataset

    config = dataset_config({"augmentation": [
        {"type": "RandomFlip", "params": {"mode": "horizontal"}},
        {"type": "RandomTranslation", "params": {"height_factor": 0.2, "width_factor": 0.2}}]})
    x = np.random.default_rng(0).integers(0, 255, (16, 12, 12, 1)).astype(np.uint8)
    y = np.arange(16)
    data = augment(array_dataset(x, y, 16), config.augmentation)
    first, second = (next(iter(data)) for _ in range(2))
    assert first[0].shape == (16, 12, 12, 1)
    assert np.array_equal(first[1].numpy(), y)  # labels untouched
    assert not np.allclose(first[0].numpy(), x / 255.0)
    assert not np.allclose(first[0].numpy(), second[0].numpy())
    assert augment(array_dataset(x, y, 16), ()) is not None


def test_augmented_batches_are_the_same_for_the_same_seed():
    """Same seed, same run, augmentation included (parallel calls would reorder draws)."""
    from cnnstudio.core import edits, infer
    from cnnstudio.core.dataset_config import dataset_config
    from cnnstudio.core.training_config import training_config
    from cnnstudio.engine.data import load_data
    from cnnstudio.engine.trainer import keras
    from cnnstudio.engine.training_data import fit_data
    from tests.training_projects import tiny_project

    project = edits.set_dataset(tiny_project(count=200), {
        "source": "shapes", "count": 200, "image_size": [12, 12], "augmentation": [
            {"type": "RandomFlip"}, {"type": "RandomRotation", "params": {"factor": 0.2}}]})
    runs = []
    for _ in range(2):
        training, data_config = training_config(project.training), dataset_config(project.dataset)
        keras.utils.set_random_seed(training.seed)
        fit = fit_data(project, infer(project).output_shape, load_data(data_config),
                       data_config, training)
        runs.append([x.numpy() for x, _ in fit.train])
    assert len(runs[0]) > 4
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
