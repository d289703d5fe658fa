"""Rewinding: stepping back and forth, seeking, branching and bounded memory."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from engine_lessons import random_lesson

from bpsim.core.spec import Lesson, OptimizerSpec, TrainingSpec
from bpsim.core.trainer import DivergenceError, Phase, PhaseError, Trainer
from bpsim.teaching.timeline import PHASES, STEPS_PREFIX, Timeline, TimelineError

OPTIMIZERS = [
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr_decay": 0.01}),
    ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adam", {"amsgrad": True, "weight_decay": 0.01}),
    ("adadelta", {}),
]


def lesson_for(optimizer: str = "adam", samples: int = 7, **hyper: Any) -> Lesson:
    spec = TrainingSpec(batch_size=3, shuffle=True, seed=4, validation_fraction=0.2)
    return random_lesson(
        [3, 4, 2],
        ["tanh", "sigmoid"],
        "mse",
        samples=samples,
        optimizer=optimizer,
        training=spec,
        **hyper,
    )


def run(trainer: Trainer, action: str) -> None:
    """Take one recorded action on a trainer, as the window would."""
    try:
        if action.startswith(STEPS_PREFIX):
            trainer.run_steps(int(action[len(STEPS_PREFIX) :]))
        else:
            PHASES[action](trainer)
    except DivergenceError:
        pass


def state_of(t: Trainer) -> dict[str, Any]:
    """Everything that makes a trainer's state, the valid part of the pass included."""
    out: dict[str, Any] = {
        "flat": t.network.flat.copy(),
        "optimizer": t.optimizer.state_dict(),
        "steps": t.optimizer.steps(),
        "hyper": dict(t.optimizer.hyper),
        "last_update": t.flat_update.copy(),
        "counters": (
            t.epoch,
            t.step_count,
            t.batch_index,
            t.phase,
            t.epoch_samples,
            t.bad_epochs,
            t.stopped,
            t.batch_size,
        ),
        "sums": np.array([t.epoch_loss_sum, t.best_val]),
        "step_loss": t.history.step_loss.values.copy(),
        "epoch_train": t.history.epoch_train_loss.values.copy(),
        "epoch_val": t.history.epoch_val_loss.values.copy(),
        "curve_x": [
            np.array(getattr(series, "x", []))
            for series in (
                t.history.step_loss,
                t.history.epoch_train_loss,
                t.history.epoch_val_loss,
            )
        ],
        "override": None if t.override is None else t.override.copy(),
    }
    trace = t.trace
    if trace is not None and t.phase is not Phase.READY:
        depth = t.network.depth
        fd, bd = trace.forward_done, trace.backward_done
        out["trace"] = {
            "indices": trace.indices.copy(),
            "done": (fd, bd),
            "a": [trace.a[k].copy() for k in range(fd + 1)],
            "z": [trace.z[k].copy() for k in range(1, fd + 1)],
            "fprime": [trace.fprime[k].copy() for k in range(1, fd + 1)],
            "loss": np.array(trace.loss if fd == depth else 0.0),
            "delta": [trace.delta[k].copy() for k in range(depth - bd + 1, depth + 1)],
            "grad_a": [trace.grad_a[k].copy() for k in range(depth - bd + 1, depth + 1)],
            "grads": [
                g.copy()
                for k in range(depth - bd + 1, depth + 1)
                for g in (trace.weight_grads[k - 1], trace.bias_grads[k - 1])
            ],
        }
    return out


def assert_same(a: Any, b: Any, where: str = "state") -> None:
    """Bit-identical: arrays equal element by element (NaN matching NaN), the rest equal."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, (list, tuple)) and not isinstance(a, str):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{n}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def play(lesson: Lesson, actions: list[str]) -> dict[str, Any]:
    """A fresh trainer taken through ``actions``, for comparison."""
    t = Trainer(lesson)
    for action in actions:
        run(t, action)
    return state_of(t)


def record_all(
    lesson: Lesson, actions: list[str], **options: Any
) -> tuple[Trainer, Timeline, list[dict[str, Any]]]:
    """Train through ``actions`` recording each, keeping the state after each."""
    t = Trainer(lesson)
    timeline = Timeline(t, **options)
    states = [state_of(t)]
    for action in actions:
        run(t, action)
        timeline.record(action)
        states.append(state_of(t))
    return t, timeline, states


@pytest.mark.parametrize(("optimizer", "hyper"), OPTIMIZERS)
def test_ten_steps_forward_and_back_are_bit_identical(optimizer: str, hyper: dict) -> None:
    actions = ["forward", "backward", "update"] * 10
    t, timeline, states = record_all(lesson_for(optimizer, **hyper), actions, keep_every=4)
    assert (timeline.length, timeline.position) == (30, 30)
    for position in range(29, -1, -1):
        assert timeline.back()
        assert timeline.position == position
        assert_same(state_of(t), states[position], f"back to {position}")
    assert not timeline.back()
    assert t.step_count == 0 and len(t.history.step_loss) == 0
    for position in range(1, 31):
        assert timeline.forward_again()
        assert_same(state_of(t), states[position], f"again to {position}")
    assert not timeline.forward_again()
    np.testing.assert_array_equal(t.history.step_loss.values, states[-1]["step_loss"])


def script(seed: int, length: int, layers: int) -> list[str]:
    """A random but valid sequence of phases (layer by layer too)."""
    rng = random.Random(seed)
    actions: list[str] = []
    phase = "ready"  # ready, forward k, forwarded, backward k, backwarded
    fwd = bwd = 0
    while len(actions) < length:
        choices = ["forward", "forward_layer", "step", "epoch", "steps:3"]
        if phase in ("forwarded", "backward"):
            choices += ["backward", "backward_layer", "backward_layer"]
        if phase == "backwarded":
            choices += ["update", "update", "forward"]
        action = rng.choice(choices)
        actions.append(action)
        if action == "forward_layer":
            fwd = 1 if phase != "forward" else fwd + 1
            phase, bwd = ("forwarded", 0) if fwd == layers else ("forward", 0)
        elif action == "forward":
            phase, fwd, bwd = "forwarded", layers, 0
        elif action == "backward_layer":
            bwd = 1 if phase != "backward" else bwd + 1
            phase = "backwarded" if bwd == layers else "backward"
        elif action == "backward":
            phase = "backwarded"
        else:
            phase = "ready"
    return actions


@pytest.mark.parametrize(("optimizer", "hyper"), OPTIMIZERS)
@pytest.mark.parametrize("keep_traces", [None, True, False])
def test_seek_anywhere_equals_a_fresh_trainer_taken_that_far(
    optimizer: str, hyper: dict, keep_traces: bool | None
) -> None:
    lesson = lesson_for(optimizer, samples=9, **hyper)
    actions = script(seed=len(optimizer), length=60, layers=2)
    t, timeline, states = record_all(lesson, actions, keep_every=5, keep_traces=keep_traces)
    order = list(range(len(actions) + 1))
    random.Random(1).shuffle(order)
    for position in [*order[:25], 0, len(actions), 3, 2, 1]:
        timeline.seek(position)
        assert timeline.position == position
        state = state_of(t)
        assert_same(state, states[position], f"seek {position}")
    for position in (7, 31, 60):
        assert_same(states[position], play(lesson, actions[:position]), f"fresh {position}")


def test_seek_with_frozen_masked_and_shared_arrays_and_an_optimizer_switch() -> None:
    lesson = random_lesson(
        [3, 4, 2],
        ["relu", "softmax"],
        "cross_entropy",
        bias="shared",
        samples=8,
        optimizer="adam",
        mask_first=True,
        training=TrainingSpec(batch_size=3, shuffle=True, seed=9),
    )
    lesson.layers[2].train_bias = False  # per-array optimizer state
    t = Trainer(lesson)
    timeline = Timeline(t, keep_every=3)
    states = [state_of(t)]
    for action in script(seed=5, length=20, layers=2):
        timeline.perform(action)
        states.append(state_of(t))
    t.set_optimizer(OptimizerSpec.with_defaults("sgd", learning_rate=0.1, momentum=0.9))
    timeline.record_edit("optimizer")
    states.append(state_of(t))
    for _ in range(5):
        timeline.perform("step")
        states.append(state_of(t))
    assert timeline.length == len(states) - 1
    for position in [3, 26, 0, 21, 20, 22, 11, 1, 26, 17]:
        timeline.seek(position)
        assert_same(state_of(t), states[position], f"seek {position}")
    assert t.optimizer.name == "adam"


def test_labels_name_the_step_and_the_phase() -> None:
    lesson = lesson_for("sgd", learning_rate=0.1)
    actions = [
        "forward_layer",
        "forward_layer",
        "backward_layer",
        "backward",
        "update",
        "step",
        "epoch",
        "steps:4",
    ]
    _, timeline, _ = record_all(lesson, actions)
    assert timeline.labels == [
        "step 0 · start",
        "step 1 · forward layer 1",
        "step 1 · forward layer 2",
        "step 1 · backward layer 2",
        "step 1 · backward",
        "step 1 · update",
        "step 2 · step",
        "step 4 · epoch 2",  # 6 training samples in batches of 3: two steps an epoch
        "step 8 · run 4 steps",
    ]
    assert timeline.action(6) == "step" and timeline.action(0) == "start"
    with pytest.raises(IndexError):
        timeline.seek(len(actions) + 1)
    with pytest.raises(ValueError):
        timeline.record("sideways")


def test_going_on_from_the_past_starts_a_new_branch() -> None:
    lesson = lesson_for("adam")
    old = ["step"] * 10
    t, timeline, states = record_all(lesson, old, keep_every=3)
    timeline.seek(4)
    assert timeline.can_go_forward()
    new = ["forward_layer", "forward", "backward_layer", "backward", "update", "steps:5", "epoch"]
    for action in new:
        run(t, action)
        timeline.record(action)
    assert timeline.branch_count == 1
    assert timeline.length == 4 + len(new) == timeline.position
    assert not timeline.can_go_forward()
    branch = old[:4] + new
    assert_same(state_of(t), play(lesson, branch), "branch end")
    assert all(p <= timeline.length for p in timeline.snapshot_positions)
    # the past before the branch point is unchanged, the new future replays exactly
    timeline.seek(2)
    assert_same(state_of(t), states[2], "before the branch")
    for position in (5, 8, 11, 6):
        timeline.seek(position)
        assert_same(state_of(t), play(lesson, branch[:position]), f"branch {position}")
    np.testing.assert_array_equal(t.history.step_loss.values, play(lesson, branch[:6])["step_loss"])
    # a second branch from the start
    timeline.seek(0)
    run(t, "steps:3")
    timeline.record("steps:3")
    assert timeline.branch_count == 2 and timeline.length == 1
    timeline.seek(0)
    timeline.seek(1)
    assert_same(state_of(t), play(lesson, ["steps:3"]))


def test_perform_records_and_refused_phases_are_not_recorded() -> None:
    t = Trainer(lesson_for("sgd", learning_rate=0.1))
    timeline = Timeline(t)
    with pytest.raises(PhaseError):
        timeline.perform("update")
    assert timeline.length == 0
    loss = timeline.perform("forward")
    assert isinstance(loss, float) and loss == t.trace.loss
    assert timeline.perform("forward_layer") == 1
    timeline.perform("steps:2")
    assert timeline.length == 3 and t.step_count == 2


def test_divergence_is_recorded_and_replays_the_same_way() -> None:
    lesson = random_lesson(
        [2, 3, 1], ["linear", "linear"], "half_sse", samples=4, learning_rate=1e150
    )
    t = Trainer(lesson)
    timeline = Timeline(t, keep_every=2)
    with pytest.raises(DivergenceError):
        for _ in range(100):
            timeline.perform("steps:3")
            timeline.perform("forward")
            timeline.perform("step")
    end = state_of(t)
    divergence = t.divergence
    assert divergence is not None
    timeline.seek(0)
    assert t.divergence is None
    timeline.seek(timeline.length)
    assert_same(state_of(t), end)
    assert t.divergence == divergence


def test_edits_between_phases_are_positions_of_their_own() -> None:
    lesson = lesson_for("sgd", learning_rate=0.1, momentum=0.5)
    t = Trainer(lesson)
    timeline = Timeline(t, keep_every=4, max_snapshots=8)
    straight = Trainer(lesson)
    states = [state_of(t)]

    def both(action: str) -> None:
        run(t, action)
        run(straight, action)
        timeline.record(action)
        states.append(state_of(t))

    def edit(change: Any, note: str) -> None:
        change(t)
        change(straight)
        timeline.record_edit(note)
        states.append(state_of(t))

    for _ in range(3):
        both("step")
    both("forward")
    edit(lambda tr: tr.set_weight(1, 0, 1, 0.25), "weight")
    both("step")
    edit(lambda tr: tr.set_learning_rate(0.02), "learning rate")
    for _ in range(6):
        both("step")
    edit(lambda tr: tr.set_batch_size(2), "batch size")
    edit(lambda tr: tr.select_samples([4]), "sample 5")
    for _ in range(5):
        both("step")
    edit(lambda tr: tr.set_loss("half_sse"), "loss")
    both("steps:7")
    assert_same(state_of(t), state_of(straight))
    assert timeline.label(5) == "step 3 · weight"
    assert timeline.snapshot_count <= 8
    assert {5, 7, 14, 15, 21} <= set(timeline.snapshot_positions)  # edits are kept for good
    for position in [0, 3, 5, 6, 7, 12, 2, 17, 19, len(states) - 1, 14, 8, 1]:
        timeline.seek(position)
        assert_same(state_of(t), states[position], f"seek {position}")
    timeline.seek(2)
    assert t.batch_size == 3 and t.network.loss.name == "mse"
    assert t.optimizer.hyper["learning_rate"] == 0.1


def test_reset_behind_the_timeline_restarts_it_or_is_undone_by_seek() -> None:
    t = Trainer(lesson_for("adam"))
    timeline = Timeline(t)
    for _ in range(4):
        timeline.perform("step")
    t.reset()
    timeline.seek(2)  # seeking puts everything back, the loss curve too
    assert t.step_count == 2 and len(t.history.step_loss) == 2
    t.reset()
    t.step()
    timeline.record("step")  # going on after a reset: the timeline starts again here
    assert timeline.length == 0 and timeline.position == 0
    assert t.step_count == 1


def test_an_unrecorded_edit_is_reported_not_silently_replayed() -> None:
    t = Trainer(lesson_for("sgd", learning_rate=0.1))
    timeline = Timeline(t, keep_every=100)
    timeline.perform("step")
    t.set_batch_size(1)  # not recorded
    for _ in range(4):
        timeline.perform("step")
    with pytest.raises(TimelineError):
        timeline.seek(4)  # replayed with the recorded batch size, the epochs come out different


def test_loss_curve_follows_the_slider() -> None:
    lesson = lesson_for("rmsprop")
    t, timeline, states = record_all(
        lesson, ["steps:6", "epoch", "steps:6", "epoch"], keep_every=1, max_snapshots=3
    )
    for position in (0, 4, 1, 3, 2, 4):
        timeline.seek(position)
        np.testing.assert_array_equal(t.history.step_loss.values, states[position]["step_loss"])
        np.testing.assert_array_equal(
            t.history.epoch_val_loss.values, states[position]["epoch_val"]
        )


def test_more_edits_than_snapshots_forget_the_oldest_history() -> None:
    lesson = lesson_for("sgd", learning_rate=0.1)
    t = Trainer(lesson)
    timeline = Timeline(t, keep_every=2, max_snapshots=3)
    for n in range(5):
        timeline.perform("step")
        t.set_learning_rate(0.1 / (n + 2))
        timeline.record_edit("learning rate")
    assert timeline.snapshot_count <= 3
    assert timeline.length == 4 and timeline.label(0) == "step 3 · learning rate"
    end = state_of(t)
    timeline.seek(0)
    assert t.step_count == 3
    timeline.seek(4)
    assert_same(state_of(t), end)


@pytest.mark.slow
def test_long_runs_keep_memory_bounded_and_stay_exact() -> None:
    lesson = random_lesson(
        [2, 3, 1],
        ["tanh", "sigmoid"],
        "mse",
        samples=5,
        optimizer="adam",
        training=TrainingSpec(batch_size=2),
    )
    t = Trainer(lesson)
    timeline = Timeline(t, keep_every=10, max_snapshots=32)
    one = timeline.memory_bytes()  # the start: parameters, optimizer state, update, pass
    checkpoints: dict[int, np.ndarray] = {}
    for n in range(1, 20_001):
        run(t, "step")
        timeline.record("step")
        if n % 997 == 0:
            assert timeline.snapshot_count <= 32
            assert timeline.memory_bytes() <= 32 * one
        if n in (5, 9_999, 19_990):
            checkpoints[n] = t.network.flat.copy()
    assert timeline.length == 20_000 and timeline.snapshot_count <= 32
    positions = timeline.snapshot_positions
    gaps = np.diff(positions)
    assert positions[0] == 0 and positions[-1] == 20_000
    assert gaps[-1] == 10 and gaps.max() <= 20_000 // 2  # dense at the end, spread out before
    end = t.network.flat.copy()
    for n, flat in checkpoints.items():
        timeline.seek(n)
        np.testing.assert_array_equal(t.network.flat, flat)
        assert len(t.history.step_loss) == n
    timeline.seek(20_000)
    np.testing.assert_array_equal(t.network.flat, end)


def test_byte_budget_thins_snapshots_of_a_large_batch() -> None:
    lesson = random_lesson(
        [4, 16, 3],
        ["relu", "softmax"],
        "cross_entropy",
        samples=400,
        training=TrainingSpec(batch_size=None),
    )
    t = Trainer(lesson)
    timeline = Timeline(t, keep_every=1, max_bytes=60_000)
    start = timeline.memory_bytes()
    for _ in range(40):
        timeline.perform("step")
    assert timeline.memory_bytes() <= 60_000
    assert 2 < timeline.snapshot_count < 40
    # between steps the pass of 400 samples (368 kB) is left out: it is far bigger than the
    # parameters and not needed to go on
    assert start < 8_000
    states = []
    for position in range(41):
        timeline.seek(position)
        states.append(state_of(t))
    fresh = Trainer(lesson)
    for position in range(41):
        assert_same(states[position], state_of(fresh), f"{position}")
        if position < 40:
            fresh.step()
