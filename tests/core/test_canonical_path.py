"""One canonical path: phase stepping, Run (``run_steps``), Epoch (``run_epoch``), the CLI's
``bpsim train`` and save-then-resume give the same bits, for every optimizer, on a tiny
network (batch 1) and a general one (batch 32, an uneven last batch, a validation set,
shuffling). The Run loop computes losses per block, checks finiteness per block and
updates the optimizer in place; these tests are what keeps that honest."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from engine_lessons import random_lesson

from bpsim.cli.main import main as cli_main
from bpsim.core.scalar_run import block_kernel
from bpsim.core.spec import Lesson, TrainingSpec
from bpsim.core.trainer import BLOCK_STEPS, DivergenceError, Trainer
from bpsim.fileformat import dumps_lesson, parse_lesson
from bpsim.lessons.files import trainer_from_lesson_file

OPTIMIZERS: list[tuple[str, dict[str, float | bool]]] = [
    ("sgd", {"learning_rate": 0.1}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (
        "adagrad",
        {
            "learning_rate": 0.1,
            "lr_decay": 0.01,
            "weight_decay": 1e-3,
            "initial_accumulator_value": 0.1,
        },
    ),
    ("rmsprop", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 1e-3}),
    ("adam", {"learning_rate": 0.01}),
    ("adam", {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 1e-3}),
    ("adadelta", {"learning_rate": 1.0}),
    ("adadelta", {"learning_rate": 0.5, "rho": 0.8, "weight_decay": 1e-3}),
]
OPTIMIZER_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in hyper.items() if k != 'learning_rate') or 'plain'}"
    for name, hyper in OPTIMIZERS
]


def tiny(name: str, hyper: dict[str, float | bool]) -> tuple[Lesson, int]:
    """2-2-2 sigmoid, shared biases, half SSE, batch 1, four samples shuffled: 4 steps an
    epoch. Returns the lesson and how many epochs to train (more than one Run block)."""
    lesson = random_lesson(
        [2, 2, 2],
        ["sigmoid", "sigmoid"],
        "half_sse",
        bias="shared",
        samples=4,
        seed=1,
        optimizer=name,
        training=TrainingSpec(batch_size=1, shuffle=True, seed=3),
        **hyper,
    )
    return lesson, 60


def general(name: str, hyper: dict[str, float | bool]) -> tuple[Lesson, int]:
    """64-20-20-10 (sigmoid, relu, softmax + cross-entropy), batch 32: 150 samples, a
    fifth held out, so an epoch is 32 + 32 + 32 + 24 rows, shuffled."""
    lesson = random_lesson(
        [64, 20, 20, 10],
        ["sigmoid", "relu", "softmax"],
        "cross_entropy",
        samples=150,
        seed=2,
        optimizer=name,
        training=TrainingSpec(batch_size=32, shuffle=True, seed=7, validation_fraction=0.2),
        **hyper,
    )
    return lesson, 40


NETWORKS = {"tiny-2-2-2": tiny, "general-64-20-20-10": general}


def fingerprint(trainer: Trainer) -> dict[str, object]:
    """Everything a run leaves behind, as exact bits."""
    return {
        "parameters": trainer.network.flat.tobytes(),
        "last_update": trainer.flat_update.tobytes(),
        "state": json.dumps(trainer.export_state(), sort_keys=True),
    }


def by_phases(lesson: Lesson, steps: int) -> Trainer:
    """Every step phase by phase, in the three ways the window steps (layer by layer;
    forward/backward/update; step)."""
    t = Trainer(lesson)
    for n in range(steps):
        if n % 3 == 0:
            for _ in range(t.network.depth):
                t.forward_layer()
            for _ in range(t.network.depth):
                t.backward_layer()
            t.update()
        elif n % 3 == 1:
            t.forward()
            t.backward()
            t.update()
        else:
            t.step()
    return t


def by_run(lesson: Lesson, steps: int) -> Trainer:
    """Run in uneven slices: single steps, short ones (checked each step) and blocks
    longer than BLOCK_STEPS, crossing epoch ends anywhere."""
    t = Trainer(lesson)
    done = 0
    for size in (1, 3, 5, BLOCK_STEPS + 9, 2, 50):
        done += t.run_steps(min(size, steps - done))
    done += t.run_steps(steps - done)
    assert done == steps
    return t


def by_epochs(lesson: Lesson, epochs: int) -> Trainer:
    t = Trainer(lesson)
    for _ in range(epochs):
        t.run_epoch()
    return t


def by_epoch_chunks(lesson: Lesson, epochs: int) -> Trainer:
    """run_epochs: many epochs in one call, as ``bpsim train`` may between progress lines."""
    t = Trainer(lesson)
    done = t.run_epochs(1) + t.run_epochs(3)
    done += t.run_epochs(epochs - done)
    assert done == epochs
    return t


def by_resume(lesson: Lesson, steps: int) -> Trainer:
    """Train part of the way (stopping mid-epoch), save to text, reopen, go on."""
    t = Trainer(lesson)
    first = steps // 2 + 1
    t.run_steps(first)
    resumed = Trainer(parse_lesson(dumps_lesson(t.to_lesson())))
    resumed.run_steps(steps - first)
    return resumed


@pytest.mark.parametrize("make", NETWORKS.values(), ids=NETWORKS.keys())
@pytest.mark.parametrize(("name", "hyper"), OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_every_mode_gives_the_same_bits(
    make, name: str, hyper: dict[str, float | bool], tmp_path: Path, capsys
) -> None:
    lesson, epochs = make(name, hyper)
    steps = epochs * Trainer(lesson).batches_per_epoch
    reference = by_phases(lesson, steps)
    assert reference.epoch == epochs
    assert np.isfinite(reference.network.flat).all()
    expected = fingerprint(reference)
    assert fingerprint(by_run(lesson, steps)) == expected
    assert fingerprint(by_epochs(lesson, epochs)) == expected
    assert fingerprint(by_epoch_chunks(lesson, epochs)) == expected
    assert fingerprint(by_resume(lesson, steps)) == expected
    # the CLI, in process: its saved file reopens to the same bits
    source, out = tmp_path / "lesson.bpsim", tmp_path / "trained.bpsim"
    source.write_text(dumps_lesson(lesson), encoding="utf-8")
    code = cli_main(["train", str(source), "--epochs", str(epochs), "--save", str(out)])
    capsys.readouterr()
    assert code == 0
    assert fingerprint(trainer_from_lesson_file(out))["state"] == expected["state"]
    assert trainer_from_lesson_file(out).network.flat.tobytes() == expected["parameters"]


def test_run_epochs_finishes_a_step_begun_phase_by_phase_like_run_epoch() -> None:
    lesson, _ = general("rmsprop", {"learning_rate": 0.01, "momentum": 0.5})
    one, many = Trainer(lesson), Trainer(lesson)
    for t in (one, many):
        t.run_steps(2)
        t.forward()  # a step begun: the epoch finishes from here
    for _ in range(5):
        one.run_epoch()
    assert many.run_epochs(5) == 5
    assert fingerprint(many) == fingerprint(one)


def test_the_inspector_sees_the_same_last_pass_after_run() -> None:
    """After Run, the trace on screen (z, a, f', ∂L/∂a, δ, gradients, losses) is the one
    the last step computed phase by phase, ∂L/∂o included."""
    lesson, _ = general("adam", {"learning_rate": 0.01})
    stepped, ran = Trainer(lesson), Trainer(lesson)
    for _ in range(11):
        stepped.step()
    ran.run_steps(11)
    a, b = stepped.trace, ran.trace
    assert a is not None and b is not None
    for name in ("z", "a", "fprime", "grad_a", "delta"):
        for x, y in zip(getattr(a, name)[1:], getattr(b, name)[1:], strict=True):
            assert x.tobytes() == y.tobytes(), name
    assert a.flat_grads.tobytes() == b.flat_grads.tobytes()
    assert a.sample_losses.tobytes() == b.sample_losses.tobytes()
    assert a.loss == b.loss
    assert stepped.phase is ran.phase


def test_early_stopping_stops_every_mode_at_the_same_step() -> None:
    lesson, _ = general("sgd", {"learning_rate": 0.5})
    lesson = replace(lesson, training=replace(lesson.training, patience=2))
    stepped = Trainer(lesson)
    while stepped.stopped is None:
        stepped.step()
    ran = Trainer(lesson)
    done = ran.run_steps(10_000)
    assert done == ran.step_count == stepped.step_count < 10_000
    assert ran.stopped == stepped.stopped
    assert fingerprint(ran) == fingerprint(stepped)


@pytest.mark.parametrize(
    ("hyper", "batch"),
    [
        ({"learning_rate": 40.0}, 2),
        ({"learning_rate": 8.0, "momentum": 0.9}, 2),
        ({"learning_rate": 9.0}, 1),  # the scalar path's SGD blocks
        ({"learning_rate": 9.0, "weight_decay": 0.5}, 1),
    ],
)
def test_divergence_in_a_run_block_stops_where_stepping_stops(
    hyper: dict[str, float], batch: int
) -> None:
    """A learning rate that blows up in the middle of a Run block: the block is rewound
    and replayed, so Run stops at the same step, with the same message and the same last
    finite state, as stepping phase by phase."""
    lesson = random_lesson(
        [3, 4, 2],
        ["linear", "linear"],
        "half_sse",
        samples=6,
        training=TrainingSpec(batch_size=batch),
        **hyper,
    )
    assert (block_kernel(Trainer(lesson)) is not None) == (batch == 1)
    stepped = Trainer(lesson)
    with pytest.raises(DivergenceError) as by_step:
        for _ in range(10_000):
            stepped.step()
    ran = Trainer(lesson)
    with pytest.raises(DivergenceError) as by_run_error:
        ran.run_steps(10_000)
    assert ran.step_count > 4  # the divergence came inside a block, not at its start
    assert str(by_run_error.value) == str(by_step.value)
    assert fingerprint(ran) == fingerprint(stepped)
    assert ran.phase is stepped.phase
    assert np.isfinite(ran.network.flat).all()


def test_history_compaction_inside_a_rewound_block_is_undone() -> None:
    """A block that compacts the loss history and then diverges is rewound to the history
    as it was, so the replay compacts exactly as stepping did."""
    lesson = random_lesson(
        [2, 2, 1], ["tanh", "linear"], "half_sse", samples=1, training=TrainingSpec(batch_size=1)
    )
    stepped, ran = Trainer(lesson), Trainer(lesson)
    for t in (stepped, ran):
        t.history = type(t.history)(capacity=100)
    for _ in range(90):
        stepped.step()
    ran.run_steps(90)
    # from here on the steps diverge within a dozen steps, past the compaction at 99
    for t in (stepped, ran):
        t.set_learning_rate(50.0)
    with pytest.raises(DivergenceError):
        for _ in range(1000):
            stepped.step()
    with pytest.raises(DivergenceError):
        ran.run_steps(1000)
    assert stepped.history.step_loss.compacted
    assert fingerprint(ran) == fingerprint(stepped)


def test_a_sample_loss_does_not_depend_on_its_batch() -> None:
    """Every loss is computed row by row (cross-entropy picks ln o or log-sum-exp per
    sample), which is what lets Run compute a block's losses in one call."""
    from bpsim.core.losses import LOSS_CLASSES

    rng = np.random.default_rng(0)
    z = rng.normal(scale=3.0, size=(12, 5))
    z[3, 0] = 800.0  # softmax rounds the other four probabilities of sample 3 to 0
    o = np.exp(z - z.max(axis=1, keepdims=True))
    o /= o.sum(axis=1, keepdims=True)
    t = rng.random((12, 5))
    t /= t.sum(axis=1, keepdims=True)
    assert not o[3].all() and o[4:].all()
    for cls in LOSS_CLASSES.values():
        loss = cls()
        whole = loss.per_sample(o, t, z)
        assert np.isfinite(whole).all()
        parts = np.concatenate(
            [loss.per_sample(o[i : i + 3], t[i : i + 3], z[i : i + 3]) for i in range(0, 12, 3)]
        )
        assert whole.tobytes() == parts.tobytes(), cls.name
        alone = loss.per_sample(o[5:6], t[5:6], z[5:6])
        assert alone.tobytes() == whole[5:6].tobytes(), cls.name


def test_a_block_keeps_a_bounded_number_of_outputs_aside() -> None:
    """Run keeps each step's outputs until the block's losses are computed; a lesson whose
    batch × output width is over BLOCK_ROWS steps checked, one by one, instead of
    allocating block × batch × width numbers, and gives the same bits."""
    from bpsim.core.trainer import BLOCK_ROWS

    lesson = random_lesson(
        [2, 600], ["sigmoid"], "mse", samples=2000, training=TrainingSpec(batch_size=None)
    )
    assert BLOCK_ROWS < 2000 * 600
    ran, stepped = Trainer(lesson), Trainer(lesson)
    assert ran.run_steps(3) == 3
    for _ in range(3):
        stepped.step()
    assert ran._block_outputs == []
    assert fingerprint(ran) == fingerprint(stepped)
    small = Trainer(general("sgd", {"learning_rate": 0.1})[0])
    small.run_steps(20)
    assert sum(b.size for b in small._block_outputs) <= 2 * BLOCK_ROWS


#: Tiny networks on the straight-line scalar path (bpsim/core/scalar.py), one sample a
#: step: every activation and loss it covers, every bias mode.
SCALAR_SHAPES = {
    "2-3-2-sigmoid-bce-none": ([2, 3, 2], ["sigmoid", "sigmoid"], "binary_cross_entropy", "none"),
    "2-4-1-tanh-bce": ([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy", "per_neuron"),
    "3-3-2-relu-linear-mse": ([3, 3, 2], ["relu", "linear"], "mse", "per_neuron"),
    "2-2-2-1-tanh-half-sse-shared": (
        [2, 2, 2, 1],
        ["tanh", "sigmoid", "linear"],
        "half_sse",
        "shared",
    ),
}
SCALAR_OPTIMIZERS = [OPTIMIZERS[0], ("sgd", {"learning_rate": 0.1, "weight_decay": 0.01})]
SCALAR_OPTIMIZERS += [OPTIMIZERS[1], OPTIMIZERS[2], OPTIMIZERS[6]]
# β₁ = 0.3: torch.lerp's other formula (weight 0.7 ≥ 0.5)
SCALAR_OPTIMIZERS += [("adam", {"learning_rate": 0.01, "beta1": 0.3, "weight_decay": 1e-3})]


@pytest.mark.parametrize("shape", SCALAR_SHAPES.values(), ids=SCALAR_SHAPES.keys())
@pytest.mark.parametrize(
    ("name", "hyper"),
    SCALAR_OPTIMIZERS,
    ids=["sgd", "sgd-decay", "nesterov", "dampened", "adam", "adam-lerp-decay"],
)
def test_every_mode_gives_the_same_bits_on_the_scalar_path(
    shape, name: str, hyper: dict[str, float | bool]
) -> None:
    """Plain SGD runs whole blocks in the generated code, the others step through the
    generated per-layer functions; phases, Run, Epoch, run_epochs and resume agree."""
    sizes, activations, loss, bias = shape
    lesson = random_lesson(
        sizes,
        activations,
        loss,
        bias=bias,
        samples=3,
        seed=4,
        optimizer=name,
        training=TrainingSpec(batch_size=1, shuffle=True, seed=5),
        **hyper,
    )
    trainer = Trainer(lesson)
    assert trainer.network.scalar_kernel() is not None
    # SGD runs whole blocks in the generated code (with momentum once its buffer started)
    fast = name == "adam" or (name == "sgd" and "momentum" not in hyper)
    assert (block_kernel(trainer) is not None) == fast
    if name == "sgd":
        trainer.run_steps(1)
        assert block_kernel(trainer) is not None
    epochs = 70
    reference = by_phases(lesson, 3 * epochs)
    assert np.isfinite(reference.network.flat).all()
    expected = fingerprint(reference)
    assert fingerprint(by_run(lesson, 3 * epochs)) == expected
    assert fingerprint(by_epochs(lesson, epochs)) == expected
    assert fingerprint(by_epoch_chunks(lesson, epochs)) == expected
    assert fingerprint(by_resume(lesson, 3 * epochs)) == expected


def test_the_inspector_sees_the_same_last_pass_after_a_scalar_run() -> None:
    lesson, _ = tiny("sgd", {"learning_rate": 0.1})
    stepped, ran = Trainer(lesson), Trainer(lesson)
    for _ in range(BLOCK_STEPS + 11):
        stepped.step()
    ran.run_steps(BLOCK_STEPS + 11)
    a, b = stepped.trace, ran.trace
    assert a is not None and b is not None
    for name in ("z", "a", "fprime", "grad_a", "delta"):
        for x, y in zip(getattr(a, name)[1:], getattr(b, name)[1:], strict=True):
            assert x.tobytes() == y.tobytes(), name
    assert a.flat_grads.tobytes() == b.flat_grads.tobytes()
    assert a.sample_losses.tobytes() == b.sample_losses.tobytes()
    assert fingerprint(ran) == fingerprint(stepped)


def test_frozen_arrays_on_the_scalar_path_give_the_same_bits() -> None:
    """A frozen layer keeps the tiny network on the scalar pass but off the SGD
    blocks (which move every parameter): every mode still agrees, the frozen weights
    never move."""
    lesson = random_lesson(
        [2, 3, 1],
        ["tanh", "sigmoid"],
        "binary_cross_entropy",
        samples=3,
        training=TrainingSpec(batch_size=1, shuffle=True, seed=1),
    )
    layers = list(lesson.layers)
    layers[1] = replace(layers[1], train_weights=False)
    lesson = replace(lesson, layers=layers)
    trainer = Trainer(lesson)
    assert trainer.network.scalar_kernel() is not None and block_kernel(trainer) is None
    frozen = trainer.network.weights[0].copy()
    expected = fingerprint(by_phases(lesson, 300))
    ran = by_run(lesson, 300)
    assert fingerprint(ran) == expected
    assert fingerprint(by_resume(lesson, 300)) == expected
    assert ran.network.weights[0].tobytes() == frozen.tobytes()
