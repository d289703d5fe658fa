"""A NaN or an infinity anywhere in the training state is divergence (issue 16): an epoch's
summed loss that overflows while every step's loss is finite, a validation loss that
overflows, an optimizer state that overflows while the parameters stay finite. Each
raises DivergenceError and leaves the trainer at the last state that is entirely finite,
which saves and reopens exactly; Run (the block loop) stops where stepping stops."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from bpsim.cli.main import main as cli_main
from bpsim.core.spec import (
    Dataset,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    Parameters,
    TrainingSpec,
)
from bpsim.core.trainer import DivergenceError, Trainer, split_indices
from bpsim.fileformat import dumps_lesson
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

#: 0.5·t² = 8.4e307 for this target: three such losses overflow a float64 sum.
HUGE_TARGET = math.sqrt(2 * 8.4e307)


def one_weight(
    inputs: list[float],
    targets: list[float],
    optimizer: OptimizerSpec,
    training: TrainingSpec | None = None,
) -> Lesson:
    """1 → 1 linear neuron, weight and bias 0, half SSE: the loss of a sample is 0.5·t²."""
    return Lesson(
        layers=[LayerSpec(1), LayerSpec(1, "linear")],
        loss="half_sse",
        optimizer=optimizer,
        dataset=Dataset(np.array([[x] for x in inputs]), np.array([[t] for t in targets])),
        parameters=Parameters([np.zeros((1, 1))], [np.zeros(1)]),
        training=training or TrainingSpec(batch_size=1, shuffle=False),
    )


def every_number_finite(trainer: Trainer) -> None:
    json.dumps(trainer.export_state(), allow_nan=False)  # raises on NaN or infinity
    assert np.isfinite(trainer.network.flat).all()
    for arrays in trainer.optimizer.buffers().values():
        for array in arrays:
            assert np.isfinite(array).all()


def diverge_both_ways(lesson: Lesson) -> tuple[Trainer, DivergenceError]:
    """Step until divergence; Run until divergence; they must agree to the bit."""
    stepped = Trainer(lesson)
    with pytest.raises(DivergenceError) as stepping:
        for _ in range(1000):
            stepped.step()
    ran = Trainer(lesson)
    with pytest.raises(DivergenceError) as running:
        ran.run_steps(1000)
    assert str(running.value) == str(stepping.value)
    assert ran.step_count == stepped.step_count
    assert ran.network.flat.tobytes() == stepped.network.flat.tobytes()
    assert ran.export_state() == stepped.export_state()
    return ran, running.value


def saves_and_reopens(trainer: Trainer, tmp_path: Path) -> None:
    path = tmp_path / "diverged.bpsim"
    save_trainer(trainer, path)
    again = trainer_from_lesson_file(path)
    assert again.export_state() == trainer.export_state()
    assert again.network.flat.tobytes() == trainer.network.flat.tobytes()


def test_summed_epoch_loss_overflowing_is_divergence(tmp_path: Path) -> None:
    # five ordinary samples, then three whose losses are 8.4e307 each: finite one by one
    lesson = one_weight(
        [0.0] * 8,
        [0.0] * 5 + [HUGE_TARGET] * 3,
        OptimizerSpec.with_defaults("sgd", learning_rate=1e-300),
    )
    trainer, error = diverge_both_ways(lesson)
    assert error.divergence.where == "the epoch's summed training loss"
    assert trainer.step_count == 7  # the eighth step is refused
    assert trainer.epoch_loss_sum == pytest.approx(2 * 8.4e307)
    every_number_finite(trainer)
    saves_and_reopens(trainer, tmp_path)


def test_validation_loss_overflowing_is_divergence(tmp_path: Path) -> None:
    training = TrainingSpec(batch_size=1, shuffle=False, seed=4, validation_fraction=0.2)
    _, held_out = split_indices(10, 0.2, 4)
    targets = [0.5] * 10
    targets[int(held_out[0])] = 1e155  # 0.5·t² overflows: the validation mean is inf
    lesson = one_weight(
        [1.0] * 10, targets, OptimizerSpec.with_defaults("sgd", learning_rate=0.1), training
    )
    trainer, error = diverge_both_ways(lesson)
    assert error.divergence.where == "the validation loss"
    assert (trainer.epoch, trainer.step_count, trainer.batch_index) == (0, 7, 7)
    every_number_finite(trainer)
    saves_and_reopens(trainer, tmp_path)


@pytest.mark.parametrize(("name", "buffer"), [("adam", "exp_avg_sq"), ("adadelta", "square_avg")])
def test_optimizer_state_overflowing_is_divergence(
    name: str, buffer: str, tmp_path: Path, capsys
) -> None:
    """The gradient 1e157 squares to infinity in the optimizer's running average while
    Δ = m/√v stays finite (it is 0): the parameters are fine, the state is not."""
    lesson = one_weight(
        [1.0] * 5 + [1000.0], [0.5] * 5 + [1e154], OptimizerSpec.with_defaults(name)
    )
    trainer, error = diverge_both_ways(lesson)
    assert error.divergence.where == f"the optimizer state ({buffer})"
    assert trainer.step_count == 5
    every_number_finite(trainer)
    saves_and_reopens(trainer, tmp_path)
    # bpsim train: exit 3, and the last finite state saved
    source, out = tmp_path / "lesson.bpsim", tmp_path / "out.bpsim"
    source.write_text(dumps_lesson(lesson), encoding="utf-8")
    assert cli_main(["train", str(source), "--epochs", "3", "--save", str(out)]) == 3
    assert "optimizer state" in capsys.readouterr().err
    assert trainer_from_lesson_file(out).export_state() == trainer.export_state()


def test_a_refused_step_changes_nothing() -> None:
    """The step that would overflow the optimizer state leaves parameters, optimizer state
    and counters as they were, and can be looked at again (phase BACKWARDED)."""
    lesson = one_weight([1000.0], [1e154], OptimizerSpec.with_defaults("adam"))
    trainer = Trainer(lesson)
    before = trainer.export_state(), trainer.network.flat.tobytes()
    trainer.forward()
    trainer.backward()
    with pytest.raises(DivergenceError):
        trainer.update()
    assert (trainer.export_state(), trainer.network.flat.tobytes()) == before
    assert not trainer.flat_update.any()
    assert trainer.can_update()
