"""Predict, then reveal: quiz mode holds each phase back until the student has guessed one
of the numbers it is about to compute.

With quiz mode on, pressing Forward (or Backward, Update, a layer step, Step) does not run
the phase at once: the quiz panel names a value the phase will compute (an activation, a
delta, a gradient or an updated weight), gives the numbers it depends on, and shows "?"
with an input. Nothing on screen shows that value yet, because the phase has not run.
When the student enters a guess (or presses Reveal), the phase runs through the session
as usual (every view updates, the timeline records it) and the panel shows the true value
and how far off the guess was.

The quiz never computes the answer itself: the truth is read from the trainer after the
phase (the trace, or the parameters after an update). It holds phases back through the
session's ``phase_gate``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.trainer import Phase, Trainer
from bpsim.gui.state.session import Session
from bpsim.gui.style.appearance import Appearance
from bpsim.gui.widgets.controls import push_button
from bpsim.teaching.explain import Names, names_for
from bpsim.teaching.formulas import (
    LIGHT,
    LOSS_FORMULAS,
    Colors,
    activation_formula,
    has_fraction,
    rich,
    rich_block,
)
from bpsim.text import fmt, parse_number

#: Phases quiz mode holds back (epoch and Run are too many numbers at once).
QUIZZED = ("forward", "forward_layer", "backward", "backward_layer", "update", "step")
CLOSE_ENOUGH = 0.01  # a guess within 1 % of the true value counts as right
MAX_GIVEN = 6  # inputs listed for one question


@dataclass
class Question:
    """A value the held-back phase will compute. ``where`` locates it: ("out", layer,
    index), ("delta", layer, index), ("gradient", k, j, i) or ("weight", k, j, i)."""

    phase: str
    symbol: str
    given: list[str]
    where: tuple
    kind: str  # "activation", "delta", "gradient", "updated weight"


@dataclass
class QuizResult:
    question: Question
    guess: float | None
    truth: float

    @property
    def error(self) -> float | None:
        return None if self.guess is None else self.guess - self.truth

    @property
    def relative(self) -> float | None:
        if self.guess is None:
            return None
        return abs(self.guess - self.truth) / max(abs(self.truth), 1e-12)

    @property
    def close(self) -> bool:
        relative = self.relative
        return relative is not None and relative <= CLOSE_ENOUGH


@dataclass
class Score:
    asked: int = 0
    close: int = 0
    results: list[QuizResult] = field(default_factory=list)


def _values(pairs: list[tuple[str, float]]) -> str:
    shown = ", ".join(f"{name} = {fmt(value)}" for name, value in pairs[:MAX_GIVEN])
    return shown + (", …" if len(pairs) > MAX_GIVEN else "")


def _out_name(names: Names, layer: int, index: int) -> str:
    name = names.neurons[layer][index]
    return name if layer == 0 else f"out_{name}"


def next_forward_layer(trainer: Trainer) -> tuple[int, np.ndarray]:
    """The layer the next forward phase computes first, and the values feeding it."""
    trace = trainer.trace
    if trace is not None and trainer.phase is Phase.FORWARD:
        k = trace.forward_done + 1
        return k, trace.a[k - 1][0]
    if trace is not None and trainer.phase in (Phase.FORWARDED, Phase.BACKWARD, Phase.BACKWARDED):
        return 1, trace.a[0][0]  # the same batch, again
    row = int(trainer.next_batch()[0])
    return 1, trainer.inputs[row]


def _activation_question(trainer: Trainer, names: Names, phase: str, turn: int) -> Question:
    net = trainer.network
    k, inputs = next_forward_layer(trainer)
    j = turn % net.sizes[k]
    name = names.neurons[k][j]
    w = net.weights[k - 1]
    mask = net.masks[k - 1]
    pairs: list[tuple[str, float]] = []
    terms: list[str] = []
    for i in range(w.shape[1]):
        if mask is not None and mask[j, i] == 0:
            continue
        terms.append(f"{names.weight(k - 1, j, i)}·{_out_name(names, k - 1, i)}")
        pairs.append((names.weight(k - 1, j, i), float(w[j, i])))
        pairs.append((_out_name(names, k - 1, i), float(inputs[i])))
    layer = net.layers[k]
    if layer.bias != "none":
        bias_index = 0 if layer.bias == "shared" else j
        bias_name = names.bias(k - 1, bias_index, layer.bias == "shared")
        terms.append(bias_name)
        pairs.append((bias_name, float(net.biases[k - 1][bias_index])))
    shown = " + ".join(terms[:MAX_GIVEN]) + (" + …" if len(terms) > MAX_GIVEN else "")
    act = layer.activation
    given = [
        f"net_{name} = {shown}",
        _values(pairs),
        f"out_{name} = {activation_formula(act, f'net_{name}')}",
    ]
    return Question(phase, f"out_{name}", given, ("out", k, j), "activation")


def next_backward_layer(trainer: Trainer) -> int:
    trace = trainer.trace
    assert trace is not None
    if trainer.phase is Phase.BACKWARD:
        return trainer.network.depth - trace.backward_done
    return trainer.network.depth


def _delta_given(trainer: Trainer, names: Names, k: int, j: int) -> list[str]:
    """What δ of neuron j in layer k depends on (all known before the backward step)."""
    net = trainer.network
    trace = trainer.trace
    assert trace is not None
    name = names.neurons[k][j]
    out = float(trace.a[k][0, j])
    act = net.layers[k].activation
    if k == net.depth:
        t = float(trace.targets[0, j])
        return [
            f"δ_{name} = ∂E/∂out_{name} · ∂out_{name}/∂net_{name}",
            f"{LOSS_FORMULAS.get(net.loss.name, net.loss.name)}, out_{name} = "
            f"{activation_formula(act, f'net_{name}')}",
            _values([(f"t_{name}", t), (f"out_{name}", out)]),
        ]
    w_next = net.weights[k]
    mask = net.masks[k]
    terms, pairs = [], []
    for m in range(w_next.shape[0]):
        if mask is not None and mask[m, j] == 0:
            continue
        other = names.neurons[k + 1][m]
        terms.append(f"δ_{other}·{names.weight(k, m, j)}")
        pairs.append((f"δ_{other}", float(trace.delta[k + 1][0, m])))
        pairs.append((names.weight(k, m, j), float(w_next[m, j])))
    shown = " + ".join(terms[:MAX_GIVEN]) + (" + …" if len(terms) > MAX_GIVEN else "")
    return [
        f"δ_{name} = ({shown}) · ∂out_{name}/∂net_{name}",
        f"out_{name} = {activation_formula(act, f'net_{name}')}",
        _values([*pairs, (f"out_{name}", out)]),
    ]


def _backward_question(trainer: Trainer, names: Names, phase: str, turn: int) -> Question:
    net = trainer.network
    trace = trainer.trace
    assert trace is not None
    k = next_backward_layer(trainer)
    j = turn % net.sizes[k]
    name = names.neurons[k][j]
    given = _delta_given(trainer, names, k, j)
    ask_gradient = turn % 2 == 1 and trace.batch_size == 1
    if ask_gradient:
        mask = net.masks[k - 1]
        inputs = [i for i in range(net.sizes[k - 1]) if mask is None or mask[j, i] != 0]
        if inputs:
            i = inputs[(turn // 2) % len(inputs)]
            w = names.weight(k - 1, j, i)
            source = _out_name(names, k - 1, i)
            given = [
                f"∂E/∂{w} = δ_{name} · {source}",
                *given,
                _values([(source, float(trace.a[k - 1][0, i]))]),
            ]
            return Question(phase, f"∂E/∂{w}", given, ("gradient", k - 1, j, i), "gradient")
    return Question(phase, f"δ_{name}", given, ("delta", k, j), "delta")


def _update_question(trainer: Trainer, names: Names, phase: str, turn: int) -> Question | None:
    net = trainer.network
    trace = trainer.trace
    assert trace is not None
    flags = net.trainable_flags()
    candidates = []
    for k in range(net.depth - 1, -1, -1):
        if not flags[2 * k]:
            continue
        mask = net.masks[k]
        for j, i in np.ndindex(net.weights[k].shape):
            if mask is None or mask[j, i] != 0:
                candidates.append((k, j, i))
    if not candidates:
        return None
    k, j, i = candidates[turn % len(candidates)]
    w = names.weight(k, j, i)
    runner = trainer.optimizer
    hyper = runner.hyper
    pairs = [(w, float(net.weights[k][j, i])), (f"∂E/∂{w}", float(trace.weight_grads[k][j, i]))]
    plain = runner.name == "sgd" and not hyper.get("momentum") and not hyper.get("weight_decay")
    if plain:
        rule = f"{w} ← {w} − η·∂E/∂{w}"
        pairs.append(("η", float(hyper["learning_rate"])))
    else:
        rule = f"{w} ← {w} + Δ{w} by {runner.name} (its state below)"
        array, flat = 2 * k, j * net.weights[k].shape[1] + i
        for buffer, arrays in runner.buffers().items():
            pairs.append((buffer, float(arrays[array].reshape(-1)[flat])))
        pairs.append(("t", float(runner.steps()[array] + 1)))
        for key, value in hyper.items():
            if isinstance(value, bool) or (key == "weight_decay" and not value):
                continue
            pairs.append((key.replace("learning_rate", "η"), float(value)))
    given = [rule, ", ".join(f"{n} = {fmt(v)}" for n, v in pairs)]
    return Question(phase, f"{w} after the update", given, ("weight", k, j, i), "updated weight")


def make_question(trainer: Trainer, names: Names, phase: str, turn: int) -> Question | None:
    """A value ``phase`` is about to compute, with what it depends on; None when the phase
    has nothing to ask (or cannot run now)."""
    if phase not in QUIZZED:
        return None
    state = trainer.phase
    if phase in ("forward", "forward_layer"):
        return _activation_question(trainer, names, phase, turn)
    if phase in ("backward", "backward_layer"):
        if not trainer.can_backward():
            return None
        return _backward_question(trainer, names, phase, turn)
    if phase == "update":
        return _update_question(trainer, names, phase, turn) if trainer.can_update() else None
    # step: the first thing it computes
    if state in (Phase.READY, Phase.UPDATED, Phase.FORWARD):
        return _activation_question(trainer, names, phase, turn)
    if state in (Phase.FORWARDED, Phase.BACKWARD):
        return _backward_question(trainer, names, phase, turn)
    return _update_question(trainer, names, phase, turn)


def true_value(trainer: Trainer, question: Question) -> float | None:
    """The value asked for, read from the trainer after the phase ran."""
    where = question.where
    trace = trainer.trace
    if where[0] == "weight":
        _, k, j, i = where
        return float(trainer.network.weights[k][j, i])
    if trace is None:
        return None
    if where[0] == "out":
        return float(trace.a[where[1]][0, where[2]])
    if where[0] == "delta":
        return float(trace.delta[where[1]][0, where[2]])
    if where[0] == "gradient":
        _, k, j, i = where
        return float(trace.weight_grads[k][j, i])
    return None


class Quiz(QObject):
    """Quiz mode: the gate on the session's phases and the question under way.

    ``asked(Question)``: a phase is held back until a guess; ``revealed(QuizResult)``:
    the phase ran and here is the true value; ``message(str)``: for the status bar.
    """

    asked = Signal(object)
    revealed = Signal(object)
    enabledChanged = Signal(bool)
    message = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.enabled = False
        self.pending: Question | None = None
        self.last: QuizResult | None = None
        self.score = Score()
        self._releasing = False
        self._turn = 0
        session.lessonReplaced.connect(self.cancel)
        session.phaseFinished.connect(self._phase_finished)

    def set_enabled(self, on: bool) -> None:
        if on == self.enabled:
            return
        self.enabled = on
        self.session.phase_gate = self.gate if on else None
        if not on:
            self.cancel()
        self.enabledChanged.emit(on)
        self.message.emit(
            "Quiz mode on: each phase waits for your guess of one of its numbers."
            if on
            else "Quiz mode off."
        )

    def gate(self, phase: str) -> bool:
        """The session asks before running a phase: False holds it back for a guess."""
        if not self.enabled or self._releasing:
            return True
        if self.pending is not None:
            self.message.emit(
                f"First guess {self.pending.symbol} in the Quiz panel (or press Reveal)."
            )
            self.asked.emit(self.pending)
            return False
        trainer = self.session.trainer
        names = names_for(trainer.network, trainer.lesson.view)
        try:
            question = make_question(trainer, names, phase, self._turn)
        except (IndexError, ValueError):
            question = None
        if question is None:
            return True
        self._turn += 1
        self.pending = question
        self.asked.emit(question)
        self.message.emit(f"Quiz: what will {question.symbol} be? Type your guess.")
        return False

    def answer(self, guess: float | None) -> QuizResult | None:
        """Run the held-back phase and compare (``guess`` None: just reveal)."""
        question = self.pending
        if question is None:
            return None
        self.pending = None
        run: Callable[[], bool] = getattr(self.session, question.phase)
        self._releasing = True
        try:
            ran = run()
        finally:
            self._releasing = False
        truth = true_value(self.session.trainer, question) if ran else None
        if truth is None or not math.isfinite(truth):
            self.message.emit(f"The {question.phase} phase did not run; nothing to reveal.")
            self.last = None
            self.revealed.emit(None)
            return None
        result = QuizResult(question, guess, truth)
        self.last = result
        if guess is not None:
            self.score.asked += 1
            self.score.close += int(result.close)
        self.score.results.append(result)
        self.revealed.emit(result)
        return result

    def cancel(self) -> None:
        """Forget the question under way (the lesson changed, or training was rewound)."""
        if self.pending is not None:
            self.pending = None
            self.asked.emit(None)

    def _phase_finished(self, name: str) -> None:
        if name in ("rewind", "reset", "edit") and not self._releasing:
            self.cancel()


def result_text(result: QuizResult) -> str:
    """'Your guess 0.5 · true value 0.538424 · off by −0.038424 (7.1 %) ✗'."""
    symbol = result.question.symbol
    if result.guess is None:
        return f"{symbol} = {fmt(result.truth)} (revealed without a guess)"
    error = result.error
    relative = result.relative
    assert error is not None and relative is not None
    mark = "✓ within 1 %" if result.close else "✗"
    return (
        f"Your guess {fmt(result.guess)} · true value {fmt(result.truth)} · "
        f"off by {fmt(error)} ({fmt(relative * 100, 2)} %) {mark}"
    )


class QuizPanel(QWidget):
    """The quiz dock: the question with "?", an input, Check and Reveal, the result."""

    def __init__(self, quiz: Quiz, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quiz")
        self.quiz = quiz
        self.colors: Colors = LIGHT
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.status = QLabel()
        self.status.setObjectName("quiz_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.status)
        self.question = QLabel()
        self.question.setObjectName("quiz_question")
        self.question.setTextFormat(Qt.TextFormat.RichText)
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.question)
        row = QHBoxLayout()
        self.symbol = QLabel()
        self.symbol.setObjectName("quiz_symbol")
        self.symbol.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.symbol)
        self.guess = QLineEdit()
        self.guess.setObjectName("quiz_guess")
        self.guess.setPlaceholderText("your guess, e.g. 0.54")
        self.guess.setToolTip("Type your guess and press Enter; the phase then runs")
        self.guess.returnPressed.connect(self.check)
        row.addWidget(self.guess, 1)
        self.check_button = push_button(
            "Check", "quiz_check", "Compare your guess with the true value (Enter)", self.check
        )
        row.addWidget(self.check_button)
        self.reveal_button = push_button(
            "Reveal",
            "quiz_reveal",
            "Run the phase and show the value without guessing",
            self.reveal,
        )
        row.addWidget(self.reveal_button)
        layout.addLayout(row)
        self.result = QLabel()
        self.result.setObjectName("quiz_result")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.result)
        self.score = QLabel()
        self.score.setObjectName("quiz_score")
        layout.addWidget(self.score)
        layout.addStretch(1)
        quiz.asked.connect(self._asked)
        quiz.revealed.connect(self._revealed)
        quiz.enabledChanged.connect(lambda _on: self._show())
        self._show()

    def check(self) -> None:
        """Take the typed guess; a text that is not a number is refused with the reason."""
        if self.quiz.pending is None:
            return
        try:
            value = parse_number(self.guess.text())
        except ValueError as error:
            self.result.setText(
                f"<span style='color:{self.colors.bad}'>{html.escape(str(error))}</span>"
            )
            return
        self.quiz.answer(value)

    def reveal(self) -> None:
        if self.quiz.pending is not None:
            self.quiz.answer(None)

    def apply_appearance(self, appearance: Appearance) -> None:
        """The theme's text colours for right and wrong answers (4.5:1 on its background)."""
        self.colors = appearance.theme.formula_colors()
        if self.quiz.last is not None and self.quiz.pending is None:
            self._revealed(self.quiz.last)
        else:
            self._show()

    def question_text(self) -> str:
        return self.question.text()

    def _asked(self, question: Question | None) -> None:
        self._show()
        if question is not None:
            self.guess.clear()
            self.result.clear()
            self.guess.setFocus()

    def _revealed(self, result: QuizResult | None) -> None:
        self._show()
        if result is None:
            self.result.setText("The phase did not run.")
            return
        colors = self.colors
        color = (
            colors.good
            if result.close
            else (colors.bad if result.guess is not None else colors.text)
        )
        self.result.setText(
            f"<span style='color:{color}; font-weight:bold; font-size:large'>"
            f"{rich(result_text(result))}</span>"
        )
        self.symbol.setText(
            f"<span style='font-size:x-large'><b>{rich(result.question.symbol)}</b> = "
            f"{fmt(result.truth)}</span>"
        )

    def _show(self) -> None:
        quiz = self.quiz
        question = quiz.pending
        waiting = question is not None
        self.guess.setEnabled(waiting)
        self.check_button.setEnabled(waiting)
        self.reveal_button.setEnabled(waiting)
        score = quiz.score
        self.score.setText(
            f"Score: {score.close} of {score.asked} guesses within 1 %" if score.asked else ""
        )
        if not quiz.enabled:
            self.status.setText(
                "Quiz mode is off. Turn it on (Teach ▸ Quiz mode, key Q): every phase then "
                "waits until you have guessed one of the numbers it computes."
            )
            self.question.clear()
            self.symbol.clear()
            return
        if not waiting:
            self.status.setText(
                "Quiz mode is on: press Forward, Backward, Update or a layer step to be asked."
            )
            self.question.clear()
            if quiz.last is None:
                self.symbol.clear()
            return
        assert question is not None
        self.status.setText(
            f"Before the {question.phase.replace('_', ' ')} phase runs: what will the "
            f"{question.kind} <b>{rich(question.symbol)}</b> be?"
        )
        lines = "".join(
            rich_block(line, self.colors.text)
            if has_fraction(line)
            else f"<p style='margin:2px 0'>{rich(line)}</p>"
            for line in question.given
        )
        self.question.setText(f"<div style='font-size:large'>{lines}</div>")
        self.symbol.setText(
            f"<span style='font-size:x-large'><b>{rich(question.symbol)}</b> = <b>?</b></span>"
        )


def quiz_action(quiz: Quiz, parent: QWidget) -> QAction:
    """Teach ▸ Quiz mode (checkable, key Q)."""
    action = QAction("&Quiz mode", parent)
    action.setObjectName("quiz_mode")
    action.setCheckable(True)
    action.setShortcut(QKeySequence("Q"))
    tip = "Quiz mode: each phase waits until you have guessed one of the numbers it computes"
    action.setToolTip(f"{tip} (Q)")
    action.setStatusTip(tip)
    action.toggled.connect(quiz.set_enabled)
    quiz.enabledChanged.connect(action.setChecked)
    return action
