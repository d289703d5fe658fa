"""Rewinding in the window: Step back / Step forward again, the timeline slider, and
branching when training goes on from an earlier point. Every position must come back bit
for bit: parameters, optimizer state, counters, phase and the pass on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from gui_helpers import action, open_window, step
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QSlider
from pytestqt.qtbot import QtBot

from bpsim.core.trainer import Phase, Trainer
from bpsim.gui import MainWindow
from bpsim.lessons.examples import find_example

TIMEOUT = 5000
TEN_PHASES = (
    "forward",
    "backward",
    "update",
    "step",
    "forward_layer",
    "forward_layer",
    "backward_layer",
    "backward",
    "update",
    "epoch",
)


@dataclass
class Point:
    """Everything that must come back when rewinding to a position."""

    flat: np.ndarray
    optimizer: dict
    step: int
    epoch: int
    phase: Phase
    loss: float | None
    history: int

    @classmethod
    def of(cls, trainer: Trainer) -> Point:
        trace = trainer.trace
        return cls(
            flat=trainer.network.flat.copy(),
            optimizer=trainer.optimizer.state_dict(),
            step=trainer.step_count,
            epoch=trainer.epoch,
            phase=trainer.phase,
            loss=None if trace is None else trace.loss,
            history=len(trainer.history.step_loss),
        )

    def check(self, trainer: Trainer) -> None:
        assert np.array_equal(trainer.network.flat, self.flat)  # bit for bit
        assert trainer.optimizer.state_dict() == self.optimizer
        assert (trainer.step_count, trainer.epoch, trainer.phase) == (
            self.step,
            self.epoch,
            self.phase,
        )
        if self.phase is not Phase.READY:
            assert trainer.trace is not None and trainer.trace.loss == self.loss
        assert len(trainer.history.step_loss) == self.history


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    return open_window(qtbot, animate=False)


def test_ten_phases_back_and_forth_return_bit_identical(qtbot: QtBot, window: MainWindow) -> None:
    trainer = window.session.trainer
    window.controller.set_optimizer("adam")  # a state that must come back too
    back, forward = action(window, "step_back"), action(window, "step_forward")
    rewind = window.teaching.rewind
    start = rewind.position
    points = [Point.of(trainer)]
    for name in TEN_PHASES:
        step(qtbot, window, name)
        points.append(Point.of(trainer))
    assert rewind.position == start + 10
    assert back.isEnabled() and not forward.isEnabled()

    for expected in reversed(points[:-1]):
        with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT) as finished:
            back.trigger()
        assert finished.args == ["rewind"]
        expected.check(window.session.trainer)
    assert rewind.position == start
    assert forward.isEnabled()

    for expected in points[1:]:
        forward.trigger()
        expected.check(window.session.trainer)
    assert not forward.isEnabled()
    assert window.session.trainer is trainer


def test_ten_steps_back_and_forward_again(qtbot: QtBot, window: MainWindow) -> None:
    points = [Point.of(window.session.trainer)]
    for _ in range(10):
        step(qtbot, window, "step")
        points.append(Point.of(window.session.trainer))
    for expected in reversed(points[:-1]):
        action(window, "step_back").trigger()
        expected.check(window.session.trainer)
    assert window.session.trainer.network.weights[1][0, 0] == 0.18  # the file's w5
    for expected in points[1:]:
        action(window, "step_forward").trigger()
        expected.check(window.session.trainer)


def test_keys_step_back_and_forward(qtbot: QtBot, window: MainWindow) -> None:
    for name in ("forward", "backward", "update"):
        step(qtbot, window, name)
    after = window.session.trainer.network.flat.copy()
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert window.session.trainer.phase is Phase.BACKWARDED
    assert window.session.trainer.network.weights[1][0, 0] == 0.18  # before the update
    assert "Phase: backward done" in window.status_text()
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(window.session.trainer.network.flat, after)


def test_going_on_from_the_past_starts_a_new_branch(qtbot: QtBot, window: MainWindow) -> None:
    rewind = window.teaching.rewind
    for _ in range(4):
        step(qtbot, window, "step")
    assert rewind.length == 4
    for _ in range(2):
        action(window, "step_back").trigger()
    assert rewind.position == 2 and rewind.length == 4
    at_two = Point.of(window.session.trainer)

    with qtbot.waitSignal(window.session.message, timeout=TIMEOUT) as told:
        step(qtbot, window, "forward")  # a new phase from step 2
    assert "new branch" in told.args[0]
    assert rewind.length == rewind.position == 3  # the old steps 3 and 4 are gone
    assert not action(window, "step_forward").isEnabled()
    assert rewind.timeline.branch_count == 1
    action(window, "step_back").trigger()
    at_two.check(window.session.trainer)
    # the new branch replays: forward again gives the same forward pass
    action(window, "step_forward").trigger()
    assert window.session.trainer.phase is Phase.FORWARDED


def test_the_slider_scrubs_through_the_training(qtbot: QtBot, window: MainWindow) -> None:
    slider = window.findChild(QSlider, "timeline_slider")
    assert slider is not None
    points = [Point.of(window.session.trainer)]
    for _ in range(6):
        step(qtbot, window, "step")
        points.append(Point.of(window.session.trainer))
    assert (slider.minimum(), slider.maximum(), slider.value()) == (0, 6, 6)
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        slider.setValue(2)  # a click or a key: seeks at once (coalesced)
    points[2].check(window.session.trainer)
    label = window.teaching.timeline_bar.label.text()
    assert label.startswith("step 2 · step") and label.endswith("2 of 6")
    # dragging only previews; letting go seeks
    slider.setSliderDown(True)
    slider.setValue(5)
    points[2].check(window.session.trainer)
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        slider.setSliderDown(False)
    points[5].check(window.session.trainer)
    # the loss plot follows the rewound history
    assert len(window.session.trainer.history.step_loss) == 5


def test_run_and_edits_are_recorded(qtbot: QtBot, window: MainWindow) -> None:
    session = window.session
    rewind = window.teaching.rewind
    step(qtbot, window, "step")
    before_edit = Point.of(session.trainer)
    window.controller.set_learning_rate(0.5)  # an edit between phases: its own position
    assert rewind.length == 2 and "edit" in rewind.label()
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT):
        action(window, "run").trigger()
    with qtbot.waitSignal(session.historyChanged, timeout=TIMEOUT):
        pass
    action(window, "run").trigger()  # pause
    assert not session.running
    ran = Point.of(session.trainer)
    assert ran.step > 1
    assert rewind.length >= 3
    assert "run" in rewind.label(3)
    # back to before the run: the learning rate edit is still there
    rewind.seek(2)
    assert session.trainer.step_count == 1
    assert session.trainer.optimizer.hyper["learning_rate"] == 0.5
    # and before the edit, the old learning rate (the controls follow)
    rewind.seek(1)
    before_edit.check(session.trainer)
    assert session.trainer.optimizer.hyper["learning_rate"] == 0.01
    field = window.findChild(QLineEdit, "learning_rate")
    assert field is not None and field.text() == "0.01"
    # and all the way forward again: the run replays exactly
    rewind.seek(rewind.length)
    ran.check(session.trainer)


def test_reset_and_a_new_lesson_start_a_new_timeline(qtbot: QtBot, window: MainWindow) -> None:
    rewind = window.teaching.rewind
    step(qtbot, window, "step")
    step(qtbot, window, "step")
    step(qtbot, window, "reset")
    assert rewind.length == 0 and not action(window, "step_back").isEnabled()
    step(qtbot, window, "step")
    assert rewind.length == 1
    example = find_example("xor")
    assert example is not None
    window.open_example(example)
    assert rewind.length == 0 and rewind.timeline.trainer is window.session.trainer
    step(qtbot, window, "forward")
    assert rewind.length == 1
    action(window, "step_back").trigger()
    assert window.session.trainer.phase is Phase.READY
    # edited data cannot be replayed: the timeline starts again, with no "edit" position
    step(qtbot, window, "step")
    window.controller.set_data_value("inputs", 0, 0, 0.25)
    assert rewind.length == 0
    window.controller.set_learning_rate(0.3)  # a later edit is recorded again
    assert rewind.length == 1
