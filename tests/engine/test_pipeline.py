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
