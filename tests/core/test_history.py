"""The loss history stays bounded on long runs and keeps what a plot must show."""

from __future__ import annotations

import numpy as np

from bpsim.core.history import History, LossSeries


def test_a_million_points_fit_in_bounded_memory_and_keep_spikes() -> None:
    series = LossSeries(capacity=4096)
    rng = np.random.default_rng(0)
    losses = rng.random(1_000_000)
    losses[123_457] = 50.0  # a spike early on must survive the thinning
    sizes = []
    for step, loss in enumerate(losses, start=1):
        series.append(step, loss)
        if step % 100_000 == 0:
            sizes.append(series._x._data.nbytes + series._y._data.nbytes)
    assert len(series) < 4096
    assert max(sizes) == min(sizes)  # flat after warm-up
    assert series.values.max() == 50.0
    assert np.all(np.diff(series.x) > 0)
    np.testing.assert_array_equal(series.values[-100:], losses[-100:])  # recent at full resolution
    np.testing.assert_array_equal(series.x[-100:], np.arange(999_901, 1_000_001))


def test_truncating_after_a_step_works_across_compaction() -> None:
    series = LossSeries(capacity=256)
    for step in range(1, 2001):
        series.append(step, float(step))
    series.truncate_after(1500.5)
    assert series.x[-1] <= 1500 and series.values[-1] == series.x[-1]
    series.append(1501, -1.0)
    assert series.x[-1] == 1501


def test_history_round_trips_through_its_dict_after_compaction() -> None:
    history = History(capacity=128)
    for step in range(1, 1001):
        history.add_step(step, 1.0 / step)
        if step % 10 == 0:
            history.add_epoch(step // 10, 1.0 / step, float("nan"))
    again = History.from_dict(history.to_dict())
    np.testing.assert_array_equal(again.step_loss.x, history.step_loss.x)
    np.testing.assert_array_equal(again.step_loss.values, history.step_loss.values)
    np.testing.assert_array_equal(again.epoch_train_loss.x, history.epoch_train_loss.x)
    assert np.isnan(again.epoch_val_loss.values).all()
