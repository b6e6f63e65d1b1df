"""Epoch / iteration / batch arithmetic and the split, in numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnstudio.core.epochs import iterations, split_counts


def test_the_learners_example():
    it = iterations(1000, 500, 3)
    assert (it.per_epoch, it.total, it.last_batch) == (2, 6, 500)
    assert it.explain() == ("1,000 / 500 = 2 iterations (batches) per epoch; "
                            "3 epochs x 2 = 6 iterations in all")


def test_uneven_last_batch():
    it = iterations(1000, 64, 5)
    assert (it.per_epoch, it.total, it.last_batch) == (16, 80, 40)
    assert "ceil(1,000 / 64) = 16" in it.explain()
    assert "last batch of each epoch has 40 samples" in it.explain()


@given(st.integers(0, 10**6), st.integers(1, 4096), st.integers(0, 200))
def test_iterations_cover_every_sample_once_per_epoch(n, b, e):
    it = iterations(n, b, e)
    assert (it.per_epoch - 1) * b < n <= it.per_epoch * b or n == 0
    assert it.total == e * it.per_epoch


def test_split_counts_round_down_and_keep_the_rest_for_training():
    split = split_counts(1003, 0.2, 0.1)
    assert (split.train, split.validation, split.test) == (703, 200, 100)
    assert split.total == 1003


@pytest.mark.parametrize("args", [(10, 1.0), (10, -0.1), (10, 0.6, 0.5), (-1, 0.1)])
def test_bad_split_is_refused(args):
    with pytest.raises(ValueError):
        split_counts(*args)


def test_bad_batch_is_refused():
    with pytest.raises(ValueError):
        iterations(10, 0, 1)
