"""Training phases, batches, snapshots, divergence and exact resume."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from engine_lessons import random_lesson, seed000_lesson

from bpsim.core.spec import TrainingSpec
from bpsim.core.trainer import DivergenceError, Phase, PhaseError, Trainer, split_indices
from bpsim.fileformat import dumps_lesson, parse_lesson


def test_seed000_numbers() -> None:
    """Seed 000's worked example, to the digits the issue names."""
    t = Trainer(seed000_lesson())
    loss = t.forward()
    assert t.trace is not None
    assert round(t.trace.a[1][0, 0], 5) == 0.53842  # out_h1
    assert round(t.trace.a[2][0, 0], 5) == 0.63371  # out_y1
    assert round(loss, 6) == 0.184979  # E
    t.backward()
    dw5 = t.trace.weight_grads[1][0, 0]
    assert round(dw5, 6) == 0.072952
    # the chain rule's three factors, as the seed writes them
    assert round(t.trace.grad_a[2][0, 0], 5) == 0.58371
    assert round(t.trace.fprime[2][0, 0], 5) == 0.23212
    assert dw5 == pytest.approx(
        t.trace.grad_a[2][0, 0] * t.trace.fprime[2][0, 0] * t.trace.a[1][0, 0], rel=1e-15
    )
    t.update()
    w5 = t.network.weights[1][0, 0]
    assert round(w5, 6) == 0.179270  # subtracts: 0.18 − 0.01 × 0.072952
    assert w5 < 0.18  # the seed's text adds the gradient; gradient descent subtracts it


def test_phases_in_order_and_refusals() -> None:
    t = Trainer(seed000_lesson())
    assert t.phase is Phase.READY
    with pytest.raises(PhaseError):
        t.backward()
    with pytest.raises(PhaseError):
        t.update()
    t.forward()
    assert t.phase is Phase.FORWARDED
    with pytest.raises(PhaseError):
        t.update()
    before = [a.copy() for a in t.network.parameter_arrays()]
    t.backward()
    assert t.phase is Phase.BACKWARDED
    for a, b in zip(before, t.network.parameter_arrays(), strict=True):
        np.testing.assert_array_equal(a, b)  # backward changes no parameter
    t.update()
    assert t.phase is Phase.UPDATED
    assert (t.epoch, t.step_count) == (1, 1)


def test_layer_by_layer_equals_whole_pass() -> None:
    lesson = random_lesson([3, 4, 4, 2], ["tanh", "relu", "sigmoid"], "mse", samples=3)
    whole, layered = Trainer(lesson), Trainer(lesson)
    whole.forward()
    whole.backward()
    assert layered.forward_layer() == 1
    assert layered.phase is Phase.FORWARD
    assert layered.forward_layer() == 2
    assert layered.forward_layer() == 3
    assert layered.phase is Phase.FORWARDED
    assert [layered.backward_layer() for _ in range(3)] == [3, 2, 1]
    assert layered.phase is Phase.BACKWARDED
    assert whole.trace is not None and layered.trace is not None
    for g1, g2 in zip(whole.gradients(), layered.gradients(), strict=True):
        np.testing.assert_array_equal(g1, g2)


def test_forward_again_recomputes_the_same_batch_and_update_moves_on() -> None:
    lesson = random_lesson(
        [2, 3, 1], ["tanh", "sigmoid"], "mse", samples=4, training=TrainingSpec(batch_size=2)
    )
    t = Trainer(lesson)
    t.forward()
    assert t.trace is not None
    first = t.trace.indices.copy()
    t.forward()
    np.testing.assert_array_equal(t.trace.indices, first)
    t.step()
    t.forward()
    assert not np.array_equal(t.trace.indices, first)


def test_epochs_visit_every_training_sample_in_batches() -> None:
    lesson = random_lesson(
        [2, 3, 1], ["tanh", "sigmoid"], "mse", samples=7, training=TrainingSpec(batch_size=3)
    )
    t = Trainer(lesson)
    seen = []
    while t.epoch == 0:
        t.forward()
        assert t.trace is not None
        seen.append(t.trace.indices.copy())
        t.step()
    assert [len(b) for b in seen] == [3, 3, 1]  # the last batch may be smaller
    np.testing.assert_array_equal(np.concatenate(seen), np.arange(7))
    assert len(t.history.epoch_train_loss) == 1
    assert len(t.history.step_loss) == 3


def test_shuffle_is_reproducible_and_differs_between_epochs() -> None:
    spec = TrainingSpec(batch_size=2, shuffle=True, seed=5)
    lesson = random_lesson([2, 3, 1], ["tanh", "sigmoid"], "mse", samples=10, training=spec)
    t = Trainer(lesson)
    e0, e1 = t.epoch_order(0), t.epoch_order(1)
    assert sorted(e0) == list(range(10))
    assert not np.array_equal(e0, e1)
    np.testing.assert_array_equal(Trainer(lesson).epoch_order(1), e1)


def test_validation_split_holds_out_samples_by_seed() -> None:
    train, val = split_indices(10, 0.3, seed=1)
    assert len(val) == 3 and len(train) == 7
    assert set(train) | set(val) == set(range(10)) and not set(train) & set(val)
    _train2, val2 = split_indices(10, 0.3, seed=1)
    np.testing.assert_array_equal(val, val2)
    spec = TrainingSpec(batch_size=2, validation_fraction=0.3, seed=1)
    t = Trainer(random_lesson([2, 3, 1], ["tanh", "sigmoid"], "mse", samples=10, training=spec))
    t.run_epoch()
    val_loss = t.history.epoch_val_loss.values[-1]
    assert val_loss == pytest.approx(t.network.loss_on(t.inputs[val], t.targets[val]))


def test_early_stopping_stops_after_patience_epochs_without_improvement() -> None:
    spec = TrainingSpec(batch_size=None, validation_fraction=0.5, seed=0, patience=2)
    lesson = random_lesson(
        [2, 8, 1], ["tanh", "linear"], "mse", samples=6, training=spec, learning_rate=5.0
    )
    t = Trainer(lesson)
    epochs = 0
    while t.stopped is None and epochs < 500:
        t.run_epoch()
        epochs += 1
    assert t.stopped is not None and "early stopping" in t.stopped
    vals = t.history.epoch_val_loss.values
    best = int(np.argmin(vals))
    assert len(vals) - 1 - best == 2  # two epochs without a better validation loss


def test_snapshot_restore_is_bit_identical_for_every_optimizer() -> None:
    for name in ("sgd", "adagrad", "rmsprop", "adam", "adadelta"):
        extra = {"momentum": 0.9} if name in ("sgd", "rmsprop") else {}
        lesson = random_lesson(
            [3, 4, 2], ["tanh", "sigmoid"], "mse", samples=6, optimizer=name, **extra
        )
        t = Trainer(lesson)
        for _ in range(3):
            t.step()
        t.forward()
        snap = t.snapshot()
        t.backward()
        t.update()
        for _ in range(5):
            t.step()
        t.restore(snap)
        assert t.phase is Phase.FORWARDED
        t.backward()
        t.update()
        for _ in range(5):
            t.step()
        again = [a.copy() for a in t.network.parameter_arrays()]
        t2 = Trainer(lesson)
        for _ in range(3):
            t2.step()
        for _ in range(6):
            t2.step()
        for a, b in zip(again, t2.network.parameter_arrays(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)
        assert t.step_count == t2.step_count == 9


def test_ten_steps_forward_and_back_return_to_bit_identical_parameters() -> None:
    t = Trainer(
        random_lesson([2, 3, 2], ["sigmoid", "sigmoid"], "half_sse", samples=4, optimizer="adam")
    )
    start = t.snapshot()
    first = [a.copy() for a in t.network.parameter_arrays()]
    snaps = []
    for _ in range(10):
        snaps.append(t.snapshot())
        t.step()
    for snap in reversed(snaps):
        t.restore(snap)
    t.restore(start)
    for a, b in zip(first, t.network.parameter_arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert t.step_count == 0 and len(t.history.step_loss) == 0


@pytest.mark.parametrize(
    ("optimizer", "hyper"),
    [
        ("sgd", {"momentum": 0.9, "nesterov": True}),
        ("adagrad", {"lr_decay": 0.01}),
        ("rmsprop", {"centered": True, "momentum": 0.5}),
        ("adam", {"amsgrad": True, "weight_decay": 0.01}),
        ("adadelta", {}),
    ],
)
def test_save_in_the_middle_and_resume_is_bit_identical(optimizer: str, hyper: dict) -> None:
    spec = TrainingSpec(batch_size=3, shuffle=True, seed=3, validation_fraction=0.2)
    lesson = random_lesson(
        [3, 4, 2],
        ["tanh", "sigmoid"],
        "binary_cross_entropy",
        samples=11,
        optimizer=optimizer,
        training=spec,
        **hyper,
    )
    straight = Trainer(lesson)
    for _ in range(7):  # into the middle of the third epoch
        straight.step()
    text = dumps_lesson(straight.to_lesson())
    resumed = Trainer(parse_lesson(text))
    for _ in range(9):
        straight.step()
        resumed.step()
    for a, b in zip(
        straight.network.parameter_arrays(), resumed.network.parameter_arrays(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        straight.history.step_loss.values, resumed.history.step_loss.values
    )
    np.testing.assert_array_equal(
        straight.history.epoch_val_loss.values, resumed.history.epoch_val_loss.values
    )
    assert (straight.epoch, straight.batch_index) == (resumed.epoch, resumed.batch_index)
    resumed.reset()
    for a, b in zip(
        resumed.network.parameter_arrays(), Trainer(lesson).network.parameter_arrays(), strict=True
    ):
        np.testing.assert_array_equal(a, b)  # reset goes back to the very first parameters


def test_divergence_stops_with_place_and_keeps_the_last_finite_state() -> None:
    lesson = random_lesson(
        [2, 3, 1], ["linear", "linear"], "half_sse", samples=4, learning_rate=1e150
    )
    t = Trainer(lesson)
    last_good = None
    with pytest.raises(DivergenceError) as info:
        for _ in range(100):
            last_good = [a.copy() for a in t.network.parameter_arrays()]
            t.step()
    div = info.value.divergence
    assert "weights[" in div.where or "biases[" in div.where or div.where == "the loss"
    assert "smaller learning rate" in str(info.value)
    assert all(np.all(np.isfinite(a)) for a in t.network.parameter_arrays())
    assert last_good is not None
    for a, b in zip(last_good, t.network.parameter_arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    json.dumps(t.export_state(), allow_nan=False)  # nothing non-finite to save


def test_edits_invalidate_the_pass_and_refuse_bad_values() -> None:
    t = Trainer(seed000_lesson())
    t.forward()
    t.set_weight(1, 0, 0, 0.5)
    assert t.phase is Phase.READY
    assert t.forward() != pytest.approx(0.184979, abs=1e-6)
    with pytest.raises(ValueError):
        t.set_weight(1, 0, 0, math.nan)
    with pytest.raises(ValueError):
        t.set_learning_rate(0.0)
    with pytest.raises(ValueError):
        t.set_batch_size(0)


def test_select_sample_uses_that_row_once_without_moving_the_epoch() -> None:
    t = Trainer(
        random_lesson(
            [2, 3, 1], ["tanh", "sigmoid"], "mse", samples=5, training=TrainingSpec(batch_size=1)
        )
    )
    t.select_samples([3])
    t.forward()
    assert t.trace is not None and list(t.trace.indices) == [3]
    t.step()
    assert t.batch_index == 0 and t.step_count == 1
    t.forward()
    assert list(t.trace.indices) == [0]
    with pytest.raises(ValueError):
        t.select_samples([9])


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adadelta"])
def test_fast_loop_equals_phase_by_phase_stepping(optimizer: str) -> None:
    """Run mode's loop and pressing Forward, Backward, Update give the same bits."""
    spec = TrainingSpec(batch_size=3, shuffle=True, seed=2, validation_fraction=0.25)
    lesson = random_lesson(
        [3, 5, 2],
        ["relu", "softmax"],
        "cross_entropy",
        samples=13,
        optimizer=optimizer,
        training=spec,
    )
    fast, slow = Trainer(lesson), Trainer(lesson)
    fast.run_steps(20)
    for _ in range(20):
        slow.forward()
        slow.backward()
        slow.update()
    np.testing.assert_array_equal(fast.network.flat, slow.network.flat)
    np.testing.assert_array_equal(fast.history.step_loss.values, slow.history.step_loss.values)
    np.testing.assert_array_equal(
        fast.history.epoch_val_loss.values, slow.history.epoch_val_loss.values
    )
    assert (fast.epoch, fast.batch_index, fast.step_count) == (slow.epoch, slow.batch_index, 20)


def test_frozen_layers_do_not_change_and_keep_no_optimizer_state() -> None:
    lesson = random_lesson([2, 3, 1], ["tanh", "sigmoid"], "mse", samples=4, optimizer="adam")
    lesson.layers[1].train_weights = False
    lesson.layers[2].train_bias = False
    t = Trainer(lesson)
    w0, b1 = t.network.weights[0].copy(), t.network.biases[1].copy()
    t.run_steps(5)
    np.testing.assert_array_equal(t.network.weights[0], w0)
    np.testing.assert_array_equal(t.network.biases[1], b1)
    assert not np.array_equal(t.network.weights[1], lesson_weights := t.initial.weights[1])
    assert lesson_weights.shape == (1, 3)
    assert t.optimizer.steps() == [0, 5, 5, 0]
    state = json.loads(json.dumps(t.export_state()))
    resumed = Trainer(parse_lesson(dumps_lesson(t.to_lesson())))
    assert resumed.optimizer.steps() == [0, 5, 5, 0]
    assert state["optimizer"]["step"] == [0, 5, 5, 0]
