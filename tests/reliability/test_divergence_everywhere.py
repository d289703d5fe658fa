"""Training that blows up stops at once, says where, keeps the last finite state, and
nothing is ever saved with NaN or infinity: in the engine with every optimizer, and in
the window in Run mode.

(``bpsim train`` exiting 3 on divergence is tests/cli/test_cli.py::
test_train_divergence_exits_3_and_still_saves.)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bpsim.core.spec import OPTIMIZER_DEFAULTS, OptimizerSpec
from bpsim.core.trainer import DivergenceError, Trainer
from bpsim.gui import MainWindow
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

TIMEOUT = 10_000
#: Learning rates that make each optimizer blow up on the house-price line within a few
#: dozen steps (the adaptive ones scale their steps, so they need absurd rates).
HUGE = {"sgd": 1e6, "adagrad": 1e300, "rmsprop": 1e300, "adam": 1e300, "adadelta": 1e300}


def house() -> Path:
    example = find_example("house-prices")
    assert example is not None
    return example.path


def diverging_trainer(optimizer: str) -> Trainer:
    trainer = trainer_from_lesson_file(house())
    trainer.set_optimizer(OptimizerSpec.with_defaults(optimizer, learning_rate=HUGE[optimizer]))
    return trainer


def arrays(trainer: Trainer) -> list[np.ndarray]:
    return [a.copy() for a in trainer.network.parameter_arrays()]


def assert_clean_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    reloaded = trainer_from_lesson_file(path)
    assert all(np.all(np.isfinite(a)) for a in reloaded.network.parameter_arrays())


def test_every_optimizer_is_covered() -> None:
    assert set(HUGE) == set(OPTIMIZER_DEFAULTS)


@pytest.mark.parametrize("optimizer", sorted(HUGE))
def test_divergence_keeps_the_last_finite_state_and_saves_clean(
    tmp_path: Path, optimizer: str
) -> None:
    trainer = diverging_trainer(optimizer)
    last: list[np.ndarray] = []
    with pytest.raises(DivergenceError) as info:
        for _ in range(10_000):
            last = arrays(trainer)
            steps = trainer.step_count
            trainer.step()
    text = str(info.value)
    div = info.value.divergence
    assert f"epoch {div.epoch + 1}, step {div.step + 1}" in text
    assert "weights[" in text or "biases[" in text  # which parameter
    assert "smaller learning rate" in text
    assert trainer.step_count == steps  # the failing step did not count
    for a, b in zip(last, arrays(trainer), strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit the state before it
    path = tmp_path / "diverged.bpsim"
    save_trainer(trainer, path)
    assert_clean_file(path)
    reloaded = trainer_from_lesson_file(path)  # exactly the last finite state
    assert reloaded.step_count == trainer.step_count
    for a, b in zip(arrays(reloaded), arrays(trainer), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_fast_loop_stops_at_the_same_place() -> None:
    by_step, fast = diverging_trainer("sgd"), diverging_trainer("sgd")
    with pytest.raises(DivergenceError) as slow_info:
        for _ in range(10_000):
            by_step.step()
    with pytest.raises(DivergenceError) as fast_info:
        fast.run_steps(10_000)
    assert str(fast_info.value) == str(slow_info.value)
    for a, b in zip(arrays(by_step), arrays(fast), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_non_finite_state_is_never_written_and_the_run_is_kept(tmp_path: Path) -> None:
    trainer = trainer_from_lesson_file(house())
    trainer.set_optimizer(OptimizerSpec.with_defaults("adam"))
    trainer.run_steps(3)
    path = tmp_path / "lesson.bpsim"
    trainer.optimizer.buffers()["exp_avg_sq"][0][0] = math.inf  # as if a bug let one in
    notes = save_trainer(trainer, path)
    # what cannot be written is left out, and said so; everything else is saved
    assert "state.optimizer" in notes[0] and "finite" in notes[0]
    assert "optimizer" in notes[1]
    again = trainer_from_lesson_file(path)
    assert again.step_count == 3
    saved, kept = again.network.parameter_arrays(), trainer.network.parameter_arrays()
    for a, b in zip(saved, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not any(np.any(s) for s in again.optimizer.buffers()["exp_avg_sq"])  # a fresh one


# -- in the window ----------------------------------------------------------------------


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    win = MainWindow(house())
    qtbot.addWidget(win, before_close_func=lambda w: w.setWindowModified(False))
    win.show()
    return win


def test_run_stops_at_once_and_says_where(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    reference = diverging_trainer("sgd")
    with pytest.raises(DivergenceError) as info:
        reference.run_steps(10**6)
    window.controller.set_learning_rate(HUGE["sgd"])
    run = window.findChild(QAction, "run")
    with qtbot.waitSignal(window.session.diverged, timeout=TIMEOUT) as diverged:
        run.trigger()
    qtbot.waitUntil(lambda: not window.session.running, timeout=TIMEOUT)
    trainer = window.session.trainer
    assert trainer.step_count == reference.step_count  # not one step more
    for a, b in zip(arrays(reference), arrays(trainer), strict=True):
        np.testing.assert_array_equal(a, b)  # the last finite parameters
    banner = window.banner.text()
    assert window.banner.isVisible() and QApplication.activeModalWidget() is None
    div = info.value.divergence
    assert f"epoch {div.epoch + 1}, step {div.step + 1}" in banner
    assert "weights[" in banner or "biases[" in banner
    assert "smaller learning rate" in banner
    assert diverged.args[0] == str(info.value)
    # Saving afterwards writes the last finite state, with no NaN anywhere
    path = tmp_path / "after.bpsim"
    assert window.save(path)
    assert_clean_file(path)
    assert trainer_from_lesson_file(path).step_count == reference.step_count
