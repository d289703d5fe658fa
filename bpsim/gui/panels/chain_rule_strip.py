"""The chain rule of one weight, always on screen while presenting.

A strip across the window: ``∂E/∂w5 = ∂E/∂out(y1) × ∂out(y1)/∂net(y1) × ∂net(y1)/∂w5``
over ``= 0.58371 × 0.232122 × 0.538424 = 0.072952``, with the engine's numbers, updated
on every phase. A factor not known yet shows "?" (after Forward, ∂E/∂out waits for the
backward pass). The weight in focus is the one the lesson names in its ``view``
(``"focus": "w5"``), else the first weight into the output layer; clicking a link moves
it. With *reveal* on, the numbers of a backward pass appear one factor at a time (Page
Down in presentation mode), so a class can say each one before it is shown.

The strip is a thin view: every number comes from the trainer's trace through
:func:`chain_rule` (the one place that reads the teaching back-end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QGridLayout, QLabel, QSizePolicy, QWidget

from bpsim.core.trainer import Phase, Trainer
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.gui.style import palette
from bpsim.teaching.explain import names_for, weight_gradient
from bpsim.text import fmt

if TYPE_CHECKING:
    from bpsim.gui.host import Host
    from bpsim.gui.panels.network.editor import NetworkEditor

#: How much larger than the window's font the numbers are (the symbols a little less).
NUMBER_SIZE = 2.0
SYMBOL_SIZE = 1.35
_WEIGHT_KEY = re.compile(r"weights\[(\d+)\]\[(\d+)\]\[(\d+)\]")


@dataclass(frozen=True)
class Factor:
    """One factor of the chain rule: its symbol, and its value (None: not known yet)."""

    symbol: str
    value: float | None


@dataclass(frozen=True)
class ChainRule:
    """∂E/∂w as a product of factors, for the first sample of the pass on screen."""

    lhs: str  # "∂E/∂w5"
    factors: tuple[Factor, ...]
    product: float | None  # the product of the factors (this sample's ∂E/∂w)
    gradient: float | None  # the engine's ∂E/∂w (the batch mean)
    batch_size: int


def chain_rule(trainer: Trainer, key: ParameterKey) -> ChainRule:
    """The chain rule of weight ``key`` with the numbers the trace has so far.

    The only function here that reads :mod:`bpsim.teaching.explain` (to switch to a
    common formula model later, change this one)."""
    net = trainer.network
    names = names_for(net, trainer.lesson.view)
    k, j, i = key.k, key.j, key.i
    w_name = names.weight(k, j, i)
    target = names.neurons[k + 1][j]
    trace = trainer.trace if trainer.phase is not Phase.READY else None
    forward = trace is not None and trace.forward_done >= k + 1
    backward = trace is not None and trace.backward_done >= net.depth - k
    grad = weight_gradient(net, trace, names, k, j, i) if forward and trace is not None else None
    out_net = f"∂out({target})/∂net({target})"
    net_w = f"∂net({target})/∂{w_name}"
    fused = grad is not None and backward and _fused(grad.grad_out, grad.fprime, grad.delta)
    if fused and grad is not None:  # softmax with cross-entropy: δ = out − target at once
        factors: tuple[Factor, ...] = (
            Factor(f"δ({target}) = ∂E/∂net({target})", grad.delta),
            Factor(net_w, grad.input_value),
        )
    else:
        factors = (
            Factor(f"∂E/∂out({target})", grad.grad_out if grad and backward else None),
            Factor(out_net, grad.fprime if grad else None),
            Factor(net_w, grad.input_value if grad else None),
        )
    values = [f.value for f in factors]
    product = None
    if all(v is not None for v in values):
        product = 1.0
        for v in values:
            product *= float(v)  # type: ignore[arg-type]
    gradient = grad.gradient if grad is not None and backward else None
    return ChainRule(f"∂E/∂{w_name}", factors, product, gradient, trace.batch_size if trace else 1)


def _fused(grad_out: float, fprime: float, delta: float) -> bool:
    """Whether δ was not formed as ∂E/∂out × f'(net) (softmax, cross-entropy)."""
    return abs(grad_out * fprime - delta) > 1e-9 * max(abs(delta), 1e-12)


def focus_from_view(trainer: Trainer) -> tuple[ParameterKey, str | None]:
    """The weight the lesson's ``view`` names as ``focus`` (a name such as "w5" or
    "weights[1][0][0]"), else the first weight into the output layer; and a note when
    the named one is not a weight of this network (it is ignored)."""
    net = trainer.network
    fallback = ParameterKey(net.depth - 1, 0, 0)
    view = trainer.lesson.view if isinstance(trainer.lesson.view, dict) else {}
    wanted = view.get("focus")
    if wanted is None:
        return fallback, None
    names = names_for(net, view)
    by_name = {v: k for k, v in names.parameters.items()}
    spelled = by_name.get(str(wanted), str(wanted))
    match = _WEIGHT_KEY.fullmatch(spelled.replace(" ", ""))
    if match is not None:
        k, j, i = (int(g) for g in match.groups())
        if k < net.depth and j < net.weights[k].shape[0] and i < net.weights[k].shape[1]:
            return ParameterKey(k, j, i), None
    return fallback, (
        f"The lesson's focus '{wanted}' is not a weight of this network; "
        f"the chain rule shows {names.weight(fallback.k, fallback.j, fallback.i)}"
    )


class ChainRuleStrip(QWidget):
    """The focus weight's chain rule in large type; see the module doc.

    ``focusChanged(key)`` when the weight in focus changes; ``message(text)`` for a note
    in the status bar (an unknown focus in the lesson)."""

    focusChanged = Signal(object)
    message = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chain_rule_strip")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.session = session
        self._key: ParameterKey | None = None
        self._revealing = False
        self._revealed = 0  # how many numbers of this backward pass are shown
        self._rule: ChainRule | None = None
        self._fitted = (0, 0.0)
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 6, 16, 6)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(0)
        self.lhs = self._label("chain_lhs")
        self.result = self._label("chain_result")
        self.symbols: list[QLabel] = []
        self.numbers: list[QLabel] = []
        self.signs: list[QLabel] = []
        self._grid = grid
        self.note = self._label("chain_note")
        self.note.setWordWrap(False)
        self.setToolTip(
            "The chain rule of the weight in focus, with the engine's numbers (click a "
            "link to move the focus)"
        )
        session.stateChanged.connect(self.refresh)
        session.traceChanged.connect(self.refresh)
        session.parametersChanged.connect(self.refresh)
        session.lessonReplaced.connect(self.reset_focus)
        self.reset_focus()

    # -- focus ---------------------------------------------------------------------------

    def focus_key(self) -> ParameterKey | None:
        return self._key

    def set_focus(self, key: object) -> None:
        """Move the focus to a weight (other keys, such as a neuron or a bias, are
        ignored: the strip explains weights)."""
        if not isinstance(key, ParameterKey) or key.bias or key == self._key:
            return
        net = self.session.trainer.network
        if key.k >= net.depth:
            return
        mask = net.masks[key.k]
        if mask is not None and mask[key.j, key.i] == 0:
            return
        self._key = key
        self._revealed = 0
        self.refresh()
        self.focusChanged.emit(key)

    def reset_focus(self) -> None:
        """The lesson's focus (a new lesson was opened)."""
        key, note = focus_from_view(self.session.trainer)
        self._key = None
        self.set_focus(key)
        if note:
            self.message.emit(note)

    # -- revealing -----------------------------------------------------------------------

    def revealing(self) -> bool:
        return self._revealing

    def set_revealing(self, on: bool) -> None:
        self._revealing = bool(on)
        self._revealed = 0
        self.refresh()

    def hidden_count(self) -> int:
        """Numbers of this backward pass not revealed yet (0 when not revealing)."""
        rule = self._rule
        if not self._revealing or rule is None or rule.product is None:
            return 0
        return max(len(rule.factors) + 1 - self._revealed, 0)

    def reveal_next(self) -> bool:
        """Show the next hidden number; returns False when all are shown."""
        if self.hidden_count() == 0:
            return False
        self._revealed += 1
        self.refresh()
        return True

    # -- drawing -------------------------------------------------------------------------

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        return label

    def _ensure_cells(self, n: int) -> None:
        """Grid cells for ``n`` factors: lhs = f1 × f2 × … = result, symbols above."""
        if len(self.numbers) == n:
            return
        for label in self.symbols + self.numbers + self.signs:
            self._grid.removeWidget(label)
            label.hide()  # at once: deleteLater waits for the event loop
            label.deleteLater()
        for label in (self.lhs, self.result, self.note):
            self._grid.removeWidget(label)
        self.symbols, self.numbers, self.signs = [], [], []
        column = 0
        self._grid.addWidget(self.lhs, 1, column)
        column += 1
        for index in range(n):
            sign = self._label(f"chain_sign_{index}")
            sign.setText("=" if index == 0 else "×")
            self._grid.addWidget(sign, 1, column)
            self.signs.append(sign)
            symbol = self._label(f"chain_symbol_{index}")
            number = self._label(f"chain_factor_{index}")
            self._grid.addWidget(symbol, 0, column + 1)
            self._grid.addWidget(number, 1, column + 1)
            self.symbols.append(symbol)
            self.numbers.append(number)
            column += 2
        equals = self._label("chain_sign_result")
        equals.setText("=")
        self.signs.append(equals)
        self._grid.addWidget(equals, 1, column)
        self._grid.addWidget(self.result, 1, column + 1)
        self._grid.addWidget(self.note, 2, 0, 1, column + 2)
        self._grid.setColumnStretch(column + 2, 1)
        self._fitted = (0, 0.0)

    def refresh(self) -> None:
        key = self._key
        if key is None:
            return
        trainer = self.session.trainer
        if key.k >= trainer.network.depth or key.j >= trainer.network.weights[key.k].shape[0]:
            self.reset_focus()  # the network changed under the focus
            return
        rule = chain_rule(trainer, key)
        if self._rule is not None and (self._rule.product is None) != (rule.product is None):
            self._revealed = 0  # a new backward pass (or none): reveal from the start
        self._rule = rule
        self._ensure_cells(len(rule.factors))
        digits = palette.precision()
        shown = len(rule.factors) + 1 if not self.hidden_count() else self._revealed
        self.lhs.setText(rule.lhs)
        for index, factor in enumerate(rule.factors):
            self.symbols[index].setText(factor.symbol)
            text = "?" if factor.value is None else fmt(factor.value, digits)
            if rule.product is not None and index >= shown:
                text = "…"
            self.numbers[index].setText(text)
        result = "?" if rule.product is None else fmt(rule.product, digits)
        if rule.product is not None and shown <= len(rule.factors):
            result = "…"
        self.result.setText(result)
        self.note.setText(self._note(rule))
        self.note.setVisible(bool(self.note.text()))
        self._fitted = (0, 0.0)
        self.fit()

    def _note(self, rule: ChainRule) -> str:
        if rule.product is None and rule.factors[-1].value is None:
            return "Press Forward, then Backward, to fill in the numbers"
        if rule.product is None:
            return "? is known after the backward pass"
        if rule.batch_size > 1 and rule.gradient is not None:
            return (
                f"for the first sample of a batch of {rule.batch_size}; the update uses the "
                f"mean over the batch, {rule.lhs} = {fmt(rule.gradient, palette.precision())}"
            )
        return ""

    def texts(self) -> list[str]:
        """What the strip shows, left to right (numbers row), for tests and screenshots."""
        return [self.lhs.text()] + [n.text() for n in self.numbers] + [self.result.text()]

    # -- size ----------------------------------------------------------------------------

    def _fonts(self, shrink: float) -> tuple[QFont, QFont]:
        base = QFont(self.font())
        size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
        number, symbol = QFont(base), QFont(base)
        number.setPointSizeF(size * NUMBER_SIZE * shrink)
        number.setBold(True)
        symbol.setPointSizeF(size * SYMBOL_SIZE * shrink)
        return number, symbol

    def _natural_width(self, shrink: float) -> float:
        number, symbol = self._fonts(shrink)
        big, small = QFontMetricsF(number), QFontMetricsF(symbol)
        width = big.horizontalAdvance(self.lhs.text()) + big.horizontalAdvance(self.result.text())
        for sym, num in zip(self.symbols, self.numbers, strict=True):
            width += max(small.horizontalAdvance(sym.text()), big.horizontalAdvance(num.text()))
        width += sum(big.horizontalAdvance(s.text()) for s in self.signs)
        cells = 2 * len(self.numbers) + 3
        return width + 14 * cells + 32

    def fit(self) -> None:
        """Fonts as large as the window's font asks, or smaller so the whole rule fits
        the strip's width (it never scrolls and never widens the window)."""
        width = self.width()
        font_size = self.font().pointSizeF()
        if self._fitted == (width, font_size) or width <= 0:
            return
        self._fitted = (width, font_size)
        shrink = min(1.0, max(width - 8, 100) / self._natural_width(1.0))
        if shrink < 1.0:  # symbols are wider than numbers: fit once more at the new size
            shrink *= min(1.0, max(width - 8, 100) / self._natural_width(shrink))
        number, symbol = self._fonts(max(shrink, 0.35))
        for label in [self.lhs, self.result, *self.numbers, *self.signs]:
            label.setFont(number)
        for label in self.symbols:
            label.setFont(symbol)
        symbol.setItalic(True)
        self.note.setFont(symbol)
        color = palette.GRADIENT.name()
        self.result.setStyleSheet(f"color: {color};")
        self.lhs.setStyleSheet(f"color: {color};")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fitted = (0, 0.0)
            self.fit()


def install_chain_rule_strip(host: Host, editor: NetworkEditor) -> ChainRuleStrip:
    """The strip as a dock along the bottom (hidden until presenting or asked for from
    View), following the editor: a click on a link moves the focus, and the editor keeps
    the focused link's label in crowded drawings."""
    strip = ChainRuleStrip(host.session)
    dock = QDockWidget("Chain rule", host.main_window())
    dock.setObjectName("chain_rule_strip_dock")
    dock.setWidget(strip)
    toggle = dock.toggleViewAction()
    toggle.setObjectName("show_chain_rule_strip")
    toggle.setShortcut(QKeySequence("Ctrl+4"))
    toggle.setToolTip("Show or hide the chain rule of the weight in focus (Ctrl+4)")
    toggle.setStatusTip(toggle.toolTip())
    host.add_dock(dock, Qt.DockWidgetArea.BottomDockWidgetArea, hidden=True)
    host.add_to_menu("view", "panels", toggle)
    host.add_actions({"show_chain_rule_strip": toggle})
    editor.selectionChangedTo.connect(strip.set_focus)
    strip.focusChanged.connect(editor.set_focus)
    strip.message.connect(host.show_status)
    editor.set_focus(strip.focus_key())
    return strip


__all__ = [
    "ChainRule",
    "ChainRuleStrip",
    "Factor",
    "chain_rule",
    "focus_from_view",
    "install_chain_rule_strip",
]
