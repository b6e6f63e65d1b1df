"""BatchEnd works out a batch's own values, its rate and the time left when read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnstudio.core.training_events import BatchEnd, EpochPace


def running_means(losses: list[float], sizes: list[int]) -> list[dict[str, float]]:
    """Keras's logs after each batch: the mean over the epoch so far, weighed by size."""
    means, total, seen = [], 0.0, 0
    for loss, size in zip(losses, sizes):
        total += loss * size
        seen += size
        means.append({"loss": total / seen})
    return means


@given(st.lists(st.floats(0.01, 10.0), min_size=1, max_size=12), st.integers(1, 64),
       st.integers(0, 63))
def test_a_batch_works_its_own_loss_back_from_the_means_a_short_last_batch_too(
        losses, batch_size, short):
    sizes = [batch_size] * len(losses)
    sizes[-1] = max(1, batch_size - short)  # the last batch holds what is left
    pace = EpochPace(batch_size, sum(sizes), len(losses))
    means = running_means(losses, sizes)
    events = [BatchEnd(1, step, step, mean, means[step - 2] if step > 1 else None, 0.1, pace)
              for step, mean in enumerate(means, start=1)]
    assert [event.loss for event in events] == pytest.approx(losses, rel=1e-6)


def test_rate_and_time_left_are_taken_at_the_epochs_pace_so_far():
    pace = EpochPace(batch_size=32, train_samples=3200, steps_to_go=300)  # 3 epochs of 100
    event = BatchEnd(1, 40, 40, {"loss": 1.0}, {"loss": 1.1}, 2.0, pace)
    assert event.samples_per_second == 40 * 32 / 2.0
    assert event.eta_seconds == pytest.approx(260 * 2.0 / 40)  # 260 batches at 0.05 s
    last = BatchEnd(3, 100, 300, {"loss": 1.0}, {"loss": 1.1}, 5.0,
                    EpochPace(32, 3200, steps_to_go=100))
    assert last.eta_seconds == 0


def test_the_first_batch_of_an_epoch_is_its_own_mean():
    event = BatchEnd(2, 1, 11, {"loss": 0.7, "accuracy": 0.4}, None, 0.01, EpochPace(8, 80, 10))
    assert event.batch == {"loss": 0.7, "accuracy": 0.4}
