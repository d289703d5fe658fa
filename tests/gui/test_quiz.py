"""Quiz mode: a phase waits for the student's guess of one of its numbers, then runs and
shows the true value and how far off the guess was."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import action, open_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from bpsim.core.trainer import Phase
from bpsim.gui import MainWindow
from bpsim.gui.panels.quiz import Quiz

TIMEOUT = 5000


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    return open_window(qtbot, animate=False)


def child(window: MainWindow, kind: type, name: str) -> Any:
    found = window.findChild(kind, name)
    assert found is not None, name
    return found


def quiz_of(window: MainWindow) -> Quiz:
    return window.teaching.quiz


def test_forward_waits_for_a_guess_then_reveals_the_activation(
    qtbot: QtBot, window: MainWindow
) -> None:
    trainer = window.session.trainer
    qtbot.keyClick(window, Qt.Key.Key_Q)  # Teach ▸ Quiz mode
    assert action(window, "quiz_mode").isChecked()
    assert child(window, QDockWidget, "quiz_dock").isVisible()

    with qtbot.assertNotEmitted(window.phaseFinished):
        action(window, "forward").trigger()
    assert trainer.phase is Phase.READY  # held back: nothing computed, nothing shown
    assert window.panels["network_editor"].value_text(1, 0) == ""
    symbol = child(window, QLabel, "quiz_symbol").text()
    assert "?" in symbol and "out" in symbol
    question = child(window, QLabel, "quiz_question").text()
    assert "0.95" in question and "0.1" in question  # x1 and w1: what it depends on

    guess = child(window, QLineEdit, "quiz_guess")
    assert guess.isEnabled()
    guess.setText("0.5")
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT) as finished:
        qtbot.keyClick(guess, Qt.Key.Key_Return)
    assert finished.args == ["forward"]
    assert trainer.phase is Phase.FORWARDED

    result = quiz_of(window).last
    assert result is not None
    assert result.truth == float(trainer.trace.a[1][0, 0])  # out_h1 = 0.538424
    assert result.guess == 0.5
    assert result.error == pytest.approx(0.5 - 0.538424, abs=1e-6)
    assert not result.close
    shown = child(window, QLabel, "quiz_result").text()
    assert "0.538424" in shown and "✗" in shown
    assert not guess.isEnabled()


def test_a_close_guess_counts_and_backward_asks_a_delta_or_gradient(
    qtbot: QtBot, window: MainWindow
) -> None:
    quiz = quiz_of(window)
    action(window, "quiz_mode").trigger()
    action(window, "forward").trigger()
    quiz.answer(0.5384)  # within 1 %
    assert quiz.last is not None and quiz.last.close
    assert "Score: 1 of 1" in child(window, QLabel, "quiz_score").text()

    action(window, "backward").trigger()
    pending = quiz.pending
    assert pending is not None and pending.kind in ("delta", "gradient")
    assert window.session.trainer.phase is Phase.FORWARDED
    result = quiz.answer(0.0)
    assert result is not None
    trace = window.session.trainer.trace
    if pending.kind == "delta":
        assert result.truth == float(trace.delta[pending.where[1]][0, pending.where[2]])
    else:
        _, k, j, i = pending.where
        assert result.truth == float(trace.weight_grads[k][j, i])

    action(window, "update").trigger()
    assert quiz.pending is not None and quiz.pending.kind == "updated weight"
    assert "η" in "\n".join(quiz.pending.given)
    child(window, QPushButton, "quiz_reveal").click()
    result = quiz.last
    _, k, j, i = result.question.where
    assert result.guess is None
    assert result.truth == float(window.session.trainer.network.weights[k][j, i])
    assert window.session.trainer.phase is Phase.UPDATED


def test_a_guess_that_is_not_a_number_is_refused(qtbot: QtBot, window: MainWindow) -> None:
    action(window, "quiz_mode").trigger()
    action(window, "forward_layer").trigger()
    guess = child(window, QLineEdit, "quiz_guess")
    guess.setText("about a half")
    child(window, QPushButton, "quiz_check").click()
    assert "not a number" in child(window, QLabel, "quiz_result").text()
    assert window.session.trainer.phase is Phase.READY  # still waiting
    assert quiz_of(window).pending is not None
    # pressing Forward again reminds instead of asking a second question
    with qtbot.waitSignal(quiz_of(window).message, timeout=TIMEOUT) as told:
        action(window, "forward_layer").trigger()
    assert "First guess" in told.args[0]


def test_quiz_mode_off_lets_phases_run_and_rewinding_cancels_a_question(
    qtbot: QtBot, window: MainWindow
) -> None:
    quiz = quiz_of(window)
    action(window, "step").trigger()
    assert window.session.trainer.step_count == 1  # quiz mode is off by default
    action(window, "quiz_mode").trigger()
    action(window, "forward").trigger()
    assert quiz.pending is not None
    action(window, "step_back").trigger()  # the question belonged to another moment
    assert quiz.pending is None
    action(window, "quiz_mode").trigger()  # off
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        action(window, "forward").trigger()
    assert window.session.trainer.phase is Phase.FORWARDED
