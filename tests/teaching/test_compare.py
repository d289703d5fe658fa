"""Comparing runs: one starting network, several optimizers, overlaid loss curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from engine_lessons import random_lesson

from bpsim.core.spec import Lesson, OptimizerSpec, TrainingSpec
from bpsim.core.trainer import Trainer
from bpsim.teaching.compare import ComparisonRun, compare_runs


def lesson(**training: object) -> Lesson:
    spec = TrainingSpec(batch_size=3, shuffle=True, seed=1, validation_fraction=0.2)
    return random_lesson(
        [2, 4, 1],
        ["tanh", "sigmoid"],
        "mse",
        samples=11,
        training=spec,
        optimizer="adam",
        **training,
    )  # type: ignore[arg-type]


VARIANTS = [
    ("SGD η=0.5", OptimizerSpec("sgd", {"learning_rate": 0.5})),
    ("SGD η=0.05", OptimizerSpec("sgd", {"learning_rate": 0.05})),
    ("Adam", OptimizerSpec("adam", {"learning_rate": 0.01})),
]


def test_runs_start_from_the_same_bits_and_match_training_alone() -> None:
    base = lesson()
    results = compare_runs(base, VARIANTS, steps=20)
    assert [r.label for r in results] == [label for label, _ in VARIANTS]
    for (_, spec), result in zip(VARIANTS, results, strict=True):
        alone = Trainer(base)
        alone.set_optimizer(OptimizerSpec.with_defaults(spec.name, **spec.hyper))
        alone.run_steps(20)
        assert result.steps == 20 and len(result.step_loss) == 20
        np.testing.assert_array_equal(result.step_loss, alone.history.step_loss.values)
        np.testing.assert_array_equal(result.step_numbers, np.arange(1, 21))
        for got, want in zip(
            result.parameters.arrays(), alone.network.parameter_arrays(), strict=True
        ):
            assert got.tobytes() == want.tobytes()
        assert result.final_loss == result.step_loss[-1]
    # the same first batch from the same start: the first losses agree to the bit
    assert len({r.step_loss[0] for r in results}) == 1
    assert len({r.step_loss[-1] for r in results}) == 3
    assert results[2].optimizer.hyper["beta2"] == 0.999  # defaults filled in


def test_epochs_and_incremental_advance_agree() -> None:
    base = lesson()
    by_epochs = compare_runs(base, VARIANTS, epochs=3)
    comparison = ComparisonRun(base, VARIANTS)
    taken = [0, 0, 0]
    while taken[0] < by_epochs[0].steps:
        for n, count in enumerate(comparison.advance(4)):
            taken[n] += count
        curves = comparison.step_losses()
        assert [len(c) for c in curves] == taken
    for result, run in zip(by_epochs, comparison.results(), strict=True):
        assert result.epochs == 3 == len(result.epoch_loss)
        np.testing.assert_array_equal(result.epoch_loss, run.epoch_loss[:3])
        np.testing.assert_array_equal(result.epoch_val_loss, run.epoch_val_loss[:3])
        np.testing.assert_array_equal(result.step_loss, run.step_loss[: result.steps])
    assert comparison.labels == [label for label, _ in VARIANTS]
    assert [len(e) for e in comparison.epoch_losses()] == [4, 4, 4]  # 12 steps of 3 an epoch


def test_a_diverging_run_stops_and_the_others_go_on() -> None:
    base = random_lesson([2, 3, 1], ["linear", "linear"], "half_sse", samples=4)
    variants = [
        ("too big", OptimizerSpec("sgd", {"learning_rate": 1e150})),
        ("fine", OptimizerSpec("sgd", {"learning_rate": 0.01})),
    ]
    comparison = ComparisonRun(base, variants)
    for _ in range(10):
        comparison.advance(20)
    wild, fine = comparison.runs
    assert wild.finished and wild.divergence is not None
    assert not fine.finished and len(fine.step_loss) == 200
    assert all(np.isfinite(a).all() for a in wild.result().parameters.arrays())
    assert comparison.advance(5) == [0, 5]
    assert math.isfinite(comparison.results()[1].final_loss)


def test_start_from_where_the_simulator_stands() -> None:
    trainer = Trainer(lesson())
    trainer.run_steps(7)
    comparison = ComparisonRun(trainer.to_lesson(), VARIANTS[:1])
    run = comparison.runs[0].trainer
    assert run.network.flat.tobytes() == trainer.network.flat.tobytes()
    assert run.step_count == 0 and len(run.history.step_loss) == 0
    assert trainer.step_count == 7  # the simulator's own trainer is left alone


def test_refusals() -> None:
    with pytest.raises(ValueError):
        compare_runs(lesson(), VARIANTS)
    with pytest.raises(ValueError):
        compare_runs(lesson(), VARIANTS, steps=3, epochs=1)
    with pytest.raises(ValueError):
        ComparisonRun(lesson(), [])
    with pytest.raises(ValueError):
        ComparisonRun(lesson(), [("no rate", OptimizerSpec("sgd", {}))])
