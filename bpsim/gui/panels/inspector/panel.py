"""The inspector: the numbers behind the link or neuron the student clicked, written out
the way the seeds write them by hand.

A link shows its gradient as the chain rule with the current numbers, e.g.
∂E/∂w₅ = ∂E/∂out_y1 · ∂out_y1/∂net_y1 · ∂net_y1/∂w₅ = 0.58371 × 0.232122 × 0.538424
= 0.072952, and then its update with the optimizer's own rule and state; a weight of a
hidden layer shows the sum over the paths through the next layer, as seed 000 writes
∂E/∂w₁. A neuron shows its net input as the weighted sum, its activation, the activation's
derivative and its delta. While stepping layer by layer the inspector follows the layer
just computed (unless "Follow the pass" is off).

Nothing is computed here: :mod:`bpsim.teaching.formulas` builds the content as data
(:func:`~bpsim.teaching.formulas.explain_selection`, :func:`~bpsim.teaching.formulas.
explain_layer`; tests compare its numbers with the engine's) from the trainer's trace,
parameters and optimizer, and :class:`Inspector` renders it in the theme's colours.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from bpsim.gui.state.rewind import PhaseMemory
from bpsim.gui.state.session import Session
from bpsim.gui.style.appearance import Appearance
from bpsim.teaching.explain import names_for
from bpsim.teaching.formulas import (
    LIGHT,
    Colors,
    Content,
    Formula,
    InspectorContent,
    Section,
    explain_layer,
    explain_selection,
    live_trace,
    rich,
    update_formulas,
)

RUNNING_REFRESH_MS = 250  # while Run is on, the inspector redraws at most 4 times a second


# -- the widget -------------------------------------------------------------------------


class Inspector(QWidget):
    """The dock's widget: a rich-text view of :func:`explain_selection` for the selected
    item, or of :func:`explain_layer` while following a layer-by-layer pass."""

    def __init__(
        self, session: Session, memory: PhaseMemory | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.session = session
        self.memory = memory if memory is not None else PhaseMemory(session, self)
        self._key: object | None = None
        self._layer: tuple[int, str] | None = None
        self._names = names_for(session.trainer.network, session.trainer.lesson.view)
        self._content = Content("Inspector")
        self._colors: Colors = LIGHT
        self._dirty = True
        self._scale = 1.0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        row = QHBoxLayout()
        self.hint = QLabel("Click a link or a neuron")
        self.hint.setObjectName("inspector_hint")
        row.addWidget(self.hint, 1)
        self.follow = QCheckBox("Follow the pass")
        self.follow.setObjectName("inspector_follow")
        self.follow.setChecked(True)
        self.follow.setToolTip(
            "While stepping layer by layer (Shift+F, Shift+B), show the layer just computed"
        )
        self.follow.toggled.connect(self._follow_toggled)
        row.addWidget(self.follow)
        layout.addLayout(row)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("inspector_text")
        self.browser.setOpenLinks(False)
        self.browser.setReadOnly(True)
        layout.addWidget(self.browser, 1)
        self.browser.installEventFilter(self)
        self._apply_font()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        session.traceChanged.connect(self._schedule)
        session.parametersChanged.connect(self._schedule)
        session.settingsChanged.connect(self._schedule)
        session.phaseFinished.connect(self._phase_finished)
        session.lessonReplaced.connect(self._lesson_replaced)
        self.refresh()

    # -- public ----------------------------------------------------------------------

    def show_key(self, key: object | None) -> None:
        """Show a link or bias (ParameterKey) or a neuron (("neuron", layer, index))."""
        self._key = key
        self._layer = None
        self.refresh()

    def selected_key(self) -> object | None:
        return self._key

    def shown_layer(self) -> int | None:
        """The layer being followed during layer-by-layer stepping, or None."""
        return self._layer[0] if self._layer is not None else None

    def content(self) -> Content:
        """What is on screen, as data (refreshed first if anything changed)."""
        if self._dirty:
            self.refresh(force=True)
        return self._content

    def plain_text(self) -> str:
        return self.browser.toPlainText()

    def refresh(self, force: bool = False) -> None:
        """Rebuild the content from the trainer (cheap: one item's numbers); a hidden
        inspector waits until it is shown."""
        self._timer.stop()
        if not (force or self.isVisible()):
            self._dirty = True
            return
        self._dirty = False
        trainer = self.session.trainer
        try:
            if self._layer is not None:
                layer, direction = self._layer
                self._content = explain_layer(trainer, self._names, layer, direction)
                self.hint.setText(f"Following layer {layer}")
            else:
                self._content = explain_selection(trainer, self._names, self._key, self.memory)
                self.hint.setText(
                    "Click a link or a neuron" if self._key is None else "Selected in the network"
                )
        except (IndexError, KeyError, ValueError):
            # a selection from a structure that has just changed: start afresh
            self._key, self._layer = None, None
            self._content = explain_selection(trainer, self._names, None)
        scroll = self.browser.verticalScrollBar().value()
        self.browser.setHtml(self._content.to_html(self._colors))
        self.browser.verticalScrollBar().setValue(scroll)

    # -- following the session -----------------------------------------------------------

    def _schedule(self) -> None:
        self._dirty = True
        if self._timer.isActive():
            return
        self._timer.start(RUNNING_REFRESH_MS if self.session.running else 0)

    def _phase_finished(self, name: str) -> None:
        trace = live_trace(self.session.trainer)
        depth = self.session.trainer.network.depth
        if self.follow.isChecked() and trace is not None and name == "forward_layer":
            self._layer = (trace.forward_done, "forward")
        elif self.follow.isChecked() and trace is not None and name == "backward_layer":
            self._layer = (depth - trace.backward_done + 1, "backward")
        elif name not in ("run",):
            self._layer = None
        self._schedule()

    def _follow_toggled(self, on: bool) -> None:
        if not on:
            self._layer = None
            self.refresh()

    def _lesson_replaced(self) -> None:
        trainer = self.session.trainer
        self._names = names_for(trainer.network, trainer.lesson.view)
        self._key, self._layer = None, None
        self.refresh()

    # -- looks -----------------------------------------------------------------------

    def apply_appearance(self, appearance: Appearance) -> None:
        """The theme's formula colours (each 4.5:1 on its background) for the next draw."""
        colors = appearance.theme.formula_colors()
        if colors != self._colors:
            self._colors = colors
            self._dirty = True
            self.refresh()

    def colors(self) -> Colors:
        return self._colors

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh(force=True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Larger text in a larger dock, so a projected inspector reads from the back."""
        super().resizeEvent(event)
        width = event.size().width()
        scale = min(max(round(width / 800 * 4) / 4, 1.0), 1.5)
        if scale != self._scale:
            self._scale = scale
            self._apply_font()

    def changeEvent(self, event: QEvent) -> None:
        """The window's zoom (View ▸ Zoom, presentation mode) changes the widget's font:
        the formulas follow it."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._apply_font()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.browser and event.type() == QEvent.Type.FontChange:
            self._apply_font()
        return super().eventFilter(watched, event)

    def _apply_font(self) -> None:
        base = self.browser.font()
        size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
        font = QFont(base)
        font.setPointSizeF(max(size, 9.0) * 1.2 * self._scale)
        self.browser.document().setDefaultFont(font)


__all__ = [
    "Formula",
    "Inspector",
    "InspectorContent",
    "Section",
    "explain_layer",
    "explain_selection",
    "rich",
    "update_formulas",
]
