"""Presentation mode: bpsim in front of a class.

F11 (or View ▸ Presentation mode, or ``bpsim --present``) fills the screen, switches to
the presentation theme and zoom (high contrast and 150 % unless the teacher chose others
while presenting; both are remembered) and lays the window out for the room: the network
takes most of the screen (its primary numbers sized for the back row), the chain-rule
strip of the focus weight runs under it, and a large readout at the bottom shows the
loss, where the step stands (✓ forward → ✓ backward → ▶ update), what Page Down does
next, the epoch, step and sample, and, switchable with K, a legend of the keys. Menus,
status bar, toolbars and the other panels are put away. A presentation clicker sends
Page Down and Page Up: Page Down takes the next phase (forward, backward, update,
forward …), or, with V (reveal) on, first shows the chain rule's factors one by one;
Page Up steps back with the rewind, when the window has one. Esc or F11 leaves, and
everything is as it was before.

The readout is a thin view: it shows the window's own status text (the same words as
the status bar) and the trainer's phase; it computes nothing. The mode is given the
window as a :class:`~bpsim.gui.host.Host`, and finds the editor and the strip by their
dock names (``network_editor``, ``chain_rule_strip``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.trainer import Phase
from bpsim.gui.style.appearance import (
    DEFAULT_PRESENTATION_THEME,
    DEFAULT_PRESENTATION_ZOOM,
    Appearance,
    make_action,
    nearest_zoom,
    qcolor,
)

if TYPE_CHECKING:
    from bpsim.gui.host import Host

#: Object names a rewind feature may give its "step back one phase" action; Page Up
#: triggers the first one the window has (see :meth:`PresentationMode.previous_phase`).
STEP_BACK_ACTIONS: tuple[str, ...] = ("step_back", "rewind_back", "back_one_phase")
#: The phase Page Down takes next, by where the step stands.
NEXT_PHASE: dict[Phase, str] = {
    Phase.READY: "forward",
    Phase.FORWARD: "forward",
    Phase.FORWARDED: "backward",
    Phase.BACKWARD: "backward",
    Phase.BACKWARDED: "update",
    Phase.UPDATED: "forward",
}
PHASES = ("forward", "backward", "update")
#: The legend: action name and what its key does, in the order a lesson uses them.
LEGEND: tuple[tuple[str, str], ...] = (
    ("next_phase", "next phase"),
    ("previous_phase", "back"),
    ("forward", "forward"),
    ("backward", "backward"),
    ("update", "update"),
    ("step", "step"),
    ("epoch", "epoch"),
    ("run", "run/pause"),
    ("reset", "reset"),
    ("zoom", "zoom"),
    ("key_legend", "keys"),
    ("reveal_factors", "reveal"),
    ("presentation", "leave"),
)
#: Phase texts the three marks already say.
SHOWN_BY_MARKS = frozenset({"forward done", "backward done", "update done"})
#: Readout text sizes, relative to the window's (zoomed) font.
LOSS_SIZE = 2.3
PHASE_SIZE = 1.5
POSITION_SIZE = 1.15
LEGEND_SIZE = 1.0
#: The widest loss the readout makes room for (so the marks never shift as it changes).
WIDEST_LOSS = "Loss 0.000000·10⁻⁰⁰"
#: The widest "what comes next" text.
WIDEST_NEXT = "Press PgDown: next factor"


#: The panels presentation mode keeps (by dock name); every other dock and toolbar is put
#: away while presenting and comes back when presenting ends.
PANELS_KEPT_WHEN_PRESENTING = ("network_editor", "chain_rule_strip")
#: The smallest window presentation mode needs: it fits a 1024×768 projector.
PRESENTATION_MINIMUM = (1024, 768)


@runtime_checkable
class PresentingEditor(Protocol):
    """What presentation mode asks of the network editor."""

    def set_presentation(self, on: bool) -> None: ...


@runtime_checkable
class RevealingStrip(Protocol):
    """What presentation mode asks of the chain-rule strip."""

    def hidden_count(self) -> int: ...

    def reveal_next(self) -> bool: ...

    def revealing(self) -> bool: ...

    def set_revealing(self, on: bool) -> None: ...


def phase_states(phase: Phase, running: bool) -> dict[str, str]:
    """Each of forward, backward and update as "done", "doing" (begun layer by layer),
    "next" or "" — what the readout's three marks show."""
    if running:
        return dict.fromkeys(PHASES, "")
    done = {
        Phase.READY: (),
        Phase.FORWARD: (),
        Phase.FORWARDED: ("forward",),
        Phase.BACKWARD: ("forward",),
        Phase.BACKWARDED: ("forward", "backward"),
        Phase.UPDATED: PHASES,
    }[phase]
    states = {name: "done" if name in done else "" for name in PHASES}
    following = NEXT_PHASE[phase]
    if phase in (Phase.FORWARD, Phase.BACKWARD):
        states[following] = "doing"
    elif phase is not Phase.UPDATED:
        states[following] = "next"
    return states


def split_status(text: str) -> tuple[str, str, str]:
    """The status bar's text as (loss, phase, the rest): ``Loss 0.184979``,
    ``forward done`` and ``Epoch 1 · Step 1 · Sample 1 (of 1)``."""
    loss, phase, rest = "Loss —", "", []
    for part in text.split(" · "):
        if part.startswith("Loss "):
            loss = part
        elif part.startswith("Phase: "):
            phase = part.removeprefix("Phase: ")
        elif part:
            rest.append(part)
    return loss, phase, " · ".join(rest)


class ReadoutBar(QToolBar):
    """The large readout along the bottom of the window in presentation mode: the loss,
    the phase marks and what Page Down does next on one line; where the step stands and
    the legend of keys below."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__("Presentation readout", window)
        self.setObjectName("presentation_readout")
        self.setMovable(False)
        self.setFloatable(False)
        self.setAllowedAreas(Qt.ToolBarArea.BottomToolBarArea)
        toggle = self.toggleViewAction()
        toggle.setObjectName("show_presentation_readout")
        toggle.setToolTip("Show or hide the presentation readout of loss and phase")
        toggle.setStatusTip(toggle.toolTip())
        self._window = window
        self._colors: dict[str, str] = {}
        self._muted = "#7f7f7f"  # phases not reached yet
        self._fitted = (0, 0.0)  # window width and font size the fonts were fitted to

        body = QWidget(self)
        body.setObjectName("presentation_readout_body")
        # Ignored: the readout never holds the window wider than the screen; its fonts
        # shrink to the width it gets instead (fit)
        body.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.loss = QLabel("Loss —")
        self.loss.setObjectName("presentation_loss")
        self.loss.setToolTip("The loss of the pass on screen (½ Σ (target − output)² …)")
        self.phase = QLabel("")
        self.phase.setObjectName("presentation_phase")
        self.phase.setToolTip("Where the step stands")
        self.next = QLabel("")
        self.next.setObjectName("presentation_next")
        self.next.setToolTip("What the next press of Page Down (a clicker's forward) does")
        self.next.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.marks: dict[str, QLabel] = {}
        marks = QHBoxLayout()
        marks.setSpacing(6)
        for index, name in enumerate(PHASES):
            if index:
                arrow = QLabel("→")
                arrow.setObjectName(f"presentation_arrow_{index}")
                marks.addWidget(arrow)
                self.marks[f"arrow_{index}"] = arrow
            mark = QLabel(name)
            mark.setObjectName(f"presentation_mark_{name}")
            mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
            mark.setToolTip(f"{name.capitalize()}: ✓ done, ▶ next (Page Down), … under way")
            marks.addWidget(mark)
            self.marks[name] = mark
        self.position = QLabel("")
        self.position.setObjectName("presentation_position")
        # takes the room left and never widens the window (a long batch text is cut)
        self.position.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.position.setToolTip("Epoch, step and the sample or batch in use")
        self.legend = QLabel("")
        self.legend.setObjectName("key_legend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip("The keys of presentation mode (K hides this line)")
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        top = QHBoxLayout()
        top.setSpacing(24)
        top.addWidget(self.loss)
        top.addSpacing(12)
        top.addLayout(marks)
        top.addSpacing(12)
        top.addWidget(self.next, 1)
        second = QHBoxLayout()
        second.setSpacing(24)
        second.addWidget(self.phase)
        second.addWidget(self.position, 1)
        column = QVBoxLayout(body)
        column.setContentsMargins(12, 6, 12, 6)
        column.setSpacing(4)
        column.addLayout(top)
        column.addLayout(second)
        column.addWidget(self.legend)
        self.addWidget(body)

    def show_state(self, status: str, states: dict[str, str], next_text: str = "") -> None:
        loss, phase, position = split_status(status)
        self.loss.setText(loss)
        self.phase.setText("" if phase in SHOWN_BY_MARKS else phase)
        self.phase.setVisible(bool(self.phase.text()))
        self.position.setText(position)
        self.next.setText(next_text)
        for name in PHASES:
            state = states[name]
            prefix = {"done": "✓ ", "next": "▶ ", "doing": "… "}.get(state, "")
            self.marks[name].setText(prefix + name)
            self.marks[name].setProperty("state", state)
            self._style_mark(name, state)

    def _style_mark(self, name: str, state: str) -> None:
        color = self._colors.get(name, "#444444")
        if state == "done":
            style = f"background: {color}; color: white; border: 3px solid {color};"
        elif state in ("next", "doing"):
            style = f"color: {color}; border: 3px solid {color}; font-weight: bold;"
        else:
            style = f"color: {self._muted}; border: 3px solid transparent;"
        self.marks[name].setStyleSheet(
            f"QLabel {{ {style} border-radius: 8px; padding: 2px 10px; }}"
        )

    def set_legend(self, text: str, shown: bool) -> None:
        self.legend.setText(text)
        self.legend.setVisible(shown)

    def apply_appearance(self, appearance: Appearance) -> None:
        """Large type at the window's zoom, and the theme's phase colours."""
        self._colors = {name: qcolor(c).name() for name, c in appearance.theme.phases.items()}
        self._muted = qcolor(appearance.theme.qt.get("PlaceholderText", "#7f7f7f")).name()
        for name in PHASES:
            self._style_mark(name, str(self.marks[name].property("state") or ""))
        self._fitted = (0, 0.0)
        self.fit()

    def _font(self, factor: float, bold: bool = False) -> QFont:
        font = QFont(self._window.font())
        base = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
        font.setPointSizeF(base * factor)
        font.setBold(bold)
        return font

    def _row_width(self, shrink: float) -> int:
        """How wide the top row is at ``shrink`` times the full size (widest loss)."""
        loss = QFontMetrics(self._font(LOSS_SIZE * shrink, bold=True))
        mark = QFontMetrics(self._font(PHASE_SIZE * shrink, bold=True))
        marks = sum(mark.horizontalAdvance(f"✓ {name}") + 26 for name in PHASES)
        arrows = 2 * (mark.horizontalAdvance("→") + 12)
        return (
            loss.horizontalAdvance(WIDEST_LOSS)
            + marks
            + arrows
            + mark.horizontalAdvance(WIDEST_NEXT)
            + 2 * 24
            + 2 * 12
            + 80
        )

    def fit(self) -> None:
        """Fonts as large as the zoom asks, or smaller when the top row would not fit
        the window's width (so large zooms never widen the window past the screen)."""
        width = self._window.width()
        zoom_font = self._window.font().pointSizeF()
        if self._fitted == (width, zoom_font):
            return
        self._fitted = (width, zoom_font)
        shrink = min(1.0, max(width - 16, 200) / (1.1 * self._row_width(1.0)))
        self.loss.setFont(self._font(LOSS_SIZE * shrink, bold=True))
        self.loss.setMinimumWidth(self.loss.fontMetrics().horizontalAdvance(WIDEST_LOSS))
        for label in self.marks.values():
            label.setFont(self._font(PHASE_SIZE * shrink, bold=True))
        self.next.setFont(self._font(PHASE_SIZE * shrink, bold=True))
        self.phase.setFont(self._font(POSITION_SIZE * shrink))
        self.position.setFont(self._font(POSITION_SIZE * shrink))
        self.legend.setFont(self._font(LEGEND_SIZE * max(shrink, 0.8)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()


class PresentationMode(QObject):
    """Presentation mode of one window (given as a :class:`~bpsim.gui.host.Host`):
    ``toggled(bool)`` when it starts or ends, ``preferencesChanged`` when its theme,
    zoom or legend choice changes (for saving)."""

    toggled = Signal(bool)
    preferencesChanged = Signal()

    def __init__(self, host: Host, appearance: Appearance) -> None:
        window = host.main_window()
        super().__init__(window)
        self.host = host
        self.window = window
        self.appearance = appearance
        self._active = False
        self._normal = (appearance.theme.name, appearance.zoom)
        self._presenting = (DEFAULT_PRESENTATION_THEME, DEFAULT_PRESENTATION_ZOOM)
        self._legend = True
        self._geometry = QByteArray()
        self._layout = QByteArray()
        self._state = Qt.WindowState.WindowNoState
        self._minimum = window.minimumSize()
        self._hidden: list[QWidget] = []
        self.readout = ReadoutBar(window)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.readout)
        window.insertToolBarBreak(self.readout)  # a line of its own, whole width
        self.readout.hide()
        self.actions = self._make_actions()
        appearance.changed.connect(self._remember_appearance)
        session = host.session
        for signal in (session.stateChanged, session.phaseFinished, session.lessonReplaced):
            signal.connect(self.refresh)
        window.installEventFilter(self)
        self.refresh()

    # -- actions -----------------------------------------------------------------------

    def _make_actions(self) -> dict[str, QAction]:
        w = self.window
        actions = {
            "presentation": make_action(
                w,
                "presentation",
                "&Presentation mode",
                "Presentation mode: full screen, high contrast, the network large with the "
                "chain rule under it and a big readout of loss and phase; Page Down and "
                "Page Up step through the phases",
                ["F11", "F5"],
                self.toggle,
                checkable=True,
            ),
            "next_phase": make_action(
                w,
                "next_phase",
                "&Next phase",
                "Next phase: forward, then backward, then update, then the next forward "
                "(what a presentation clicker's forward button sends; in presentation mode)",
                "PgDown",
                self.next_phase,
            ),
            "previous_phase": make_action(
                w,
                "previous_phase",
                "&Step back",
                "Step back one phase (a presentation clicker's back button; in presentation "
                "mode, when the window can rewind)",
                "PgUp",
                self.previous_phase,
            ),
            "key_legend": make_action(
                w,
                "key_legend",
                "&Key legend",
                "Show or hide the legend of keys at the bottom in presentation mode",
                "K",
                self.toggle_legend,
                checkable=True,
            ),
            "reveal_factors": make_action(
                w,
                "reveal_factors",
                "&Reveal factors one by one",
                "After a backward pass, Page Down shows the chain rule's factors one at a "
                "time before going on to the update (in presentation mode)",
                "V",
                self.toggle_reveal,
                checkable=True,
            ),
        }
        actions["key_legend"].setChecked(self._legend)
        # Page Up/Down belong to the table's scrolling outside presentation mode.
        actions["next_phase"].setEnabled(False)
        actions["previous_phase"].setEnabled(False)
        self.host.add_actions(actions)
        menu = self.host.menu("view")
        menu.addSeparator()
        for name in ("presentation", "key_legend", "reveal_factors", "next_phase"):
            menu.addAction(actions[name])
        menu.addAction(actions["previous_phase"])
        return actions

    # -- state -------------------------------------------------------------------------

    def is_active(self) -> bool:
        return self._active

    def normal_appearance(self) -> tuple[str, float]:
        """Theme and zoom outside presentation mode."""
        return self._normal

    def presenting_appearance(self) -> tuple[str, float]:
        """Theme and zoom presentation mode uses."""
        return self._presenting

    def key_legend_wanted(self) -> bool:
        return self._legend

    def set_preferences(self, theme: str, zoom: float, legend: bool) -> None:
        """What presentation mode uses next time (from the saved settings)."""
        self._presenting = (theme, nearest_zoom(zoom))
        self._legend = bool(legend)
        self.actions["key_legend"].setChecked(self._legend)
        if self._active:
            self.appearance.set(*self._presenting)
            self._update_legend()

    def restore_defaults(self) -> None:
        if self._active:
            self.leave()
        self.set_preferences(DEFAULT_PRESENTATION_THEME, DEFAULT_PRESENTATION_ZOOM, True)
        self.preferencesChanged.emit()

    def _remember_appearance(self) -> None:
        current = (self.appearance.theme.name, self.appearance.zoom)
        if self._active:
            self._presenting = current
        else:
            self._normal = current
        self.preferencesChanged.emit()

    # -- the panels it works with ------------------------------------------------------

    def _panel(self, name: str) -> QWidget | None:
        dock = self.host.dock(name)
        return None if dock is None else dock.widget()

    def editor(self) -> PresentingEditor | None:
        panel = self._panel("network_editor")
        return panel if isinstance(panel, PresentingEditor) else None

    def strip(self) -> RevealingStrip | None:
        panel = self._panel("chain_rule_strip")
        return panel if isinstance(panel, RevealingStrip) else None

    # -- entering and leaving ----------------------------------------------------------

    def toggle(self) -> None:
        if self._active:
            self.leave()
        else:
            self.enter()

    def enter(self, full_screen: bool = True) -> None:
        """Start presenting (``full_screen`` False: keep the window's size, as the
        screenshots do). Works at any time after the window is built, also right after
        it is shown (``bpsim --present``)."""
        if self._active:
            self.actions["presentation"].setChecked(True)
            return
        w = self.window
        self._geometry = w.saveGeometry()
        self._state = w.windowState()
        self._layout = w.saveState()  # panels and toolbars put away come back afterwards
        self._minimum = w.minimumSize()
        self._active = True
        self._keep_menu_keys()
        self._hidden = [bar for bar in (w.menuBar(), w.statusBar()) if bar.isVisible()]
        for bar in (w.menuBar(), w.statusBar()):
            bar.hide()
        self._lay_out_for_the_room()
        self.readout.show()
        self.actions["presentation"].setChecked(True)
        self.actions["next_phase"].setEnabled(True)
        self.actions["previous_phase"].setEnabled(True)
        self.appearance.set(*self._presenting)
        editor = self.editor()
        if editor is not None:
            editor.set_presentation(True)
        self._update_legend()
        self.refresh()
        if full_screen:
            w.showFullScreen()
        self.toggled.emit(True)

    def _lay_out_for_the_room(self) -> None:
        """The network and the chain-rule strip only, docked; every other panel and the
        toolbars put away (the saved layout brings them back)."""
        w = self.window
        for dock in w.findChildren(QDockWidget):
            name = dock.objectName().removesuffix("_dock")
            if name in PANELS_KEPT_WHEN_PRESENTING:
                dock.setFloating(False)
                dock.setTitleBarWidget(QWidget(dock))  # no title: more room for the class
                dock.show()
            elif not dock.isHidden():
                dock.hide()
        strip = self.host.dock("chain_rule_strip")
        if strip is not None:
            w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, strip)
        for bar in w.findChildren(QToolBar):
            if bar is not self.readout and not bar.isHidden():
                bar.hide()
        w.setMinimumSize(0, 0)

    def leave(self) -> None:
        """Back to the window as it was: theme, zoom, size, panels, menu and status bar."""
        if not self._active:
            self.actions["presentation"].setChecked(False)
            return
        w = self.window
        self._active = False
        editor = self.editor()
        if editor is not None:
            editor.set_presentation(False)
        for name in PANELS_KEPT_WHEN_PRESENTING:
            dock = self.host.dock(name)
            if dock is not None:
                # (Qt takes no widget to bring the native title bar back; PySide6's stub
                # does not say so)
                dock.setTitleBarWidget(None)  # type: ignore[arg-type]
        w.restoreState(self._layout)
        w.setMinimumSize(self._minimum)
        self.readout.hide()
        for bar in self._hidden:
            bar.show()
        self._hidden = []
        self.actions["presentation"].setChecked(False)
        self.actions["next_phase"].setEnabled(False)
        self.actions["previous_phase"].setEnabled(False)
        self.appearance.set(*self._normal)
        if w.isFullScreen():
            w.setWindowState(self._state & ~Qt.WindowState.WindowFullScreen)
            if not self._state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
                w.restoreGeometry(self._geometry)
        self.toggled.emit(False)

    def _keep_menu_keys(self) -> None:
        """Actions that live only in a menu lose their keys when the menu bar hides:
        give them to the window too."""
        w = self.window
        owned = set(w.actions())
        for menu in w.menuBar().findChildren(QMenu):
            for action in menu.actions():
                if not action.shortcut().isEmpty() and action not in owned:
                    w.addAction(action)
                    owned.add(action)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc that no panel used (an open editor, a selection) leaves presentation."""
        if (
            self._active
            and watched is self.window
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.leave()
            return True
        return super().eventFilter(watched, event)

    # -- the clicker -------------------------------------------------------------------

    def next_phase(self) -> bool:
        """Reveal the chain rule's next factor (reveal on, after a backward pass), else
        take the next phase of the step (pause first if training is running). Returns
        whether something happened."""
        session = self.host.session
        if session.running:
            run = self.host.action("run")
            if run is not None:
                run.trigger()  # pause
            return True
        strip = self.strip()
        if strip is not None and strip.hidden_count() > 0:
            strip.reveal_next()
            self.refresh()
            return True
        action = self.host.action(NEXT_PHASE[session.trainer.phase])
        if action is None or not action.isEnabled():
            return False
        action.trigger()
        return True

    def next_text(self) -> str:
        """What Page Down does next, as the readout says it: "Press PgDown: backward"."""
        action = self.actions["next_phase"]
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText) or "Page Down"
        session = self.host.session
        if session.running:
            return f"Press {key}: pause"
        strip = self.strip()
        if strip is not None and strip.hidden_count() > 0:
            return f"Press {key}: next factor"
        return f"Press {key}: {NEXT_PHASE[session.trainer.phase]}"

    def toggle_reveal(self) -> None:
        strip = self.strip()
        on = self.actions["reveal_factors"].isChecked()
        if strip is not None:
            strip.set_revealing(on)
        self.refresh()

    def step_back_action(self) -> QAction | None:
        """The rewind's "step back one phase" action, when the window has one."""
        for name in STEP_BACK_ACTIONS:
            action = self.host.action(name) or self.window.findChild(QAction, name)
            if action is not None:
                return action
        return None

    def previous_phase(self) -> bool:
        """Step back one phase with the rewind; says so in the window when there is
        nothing to step back to or no rewind. Returns whether it stepped back."""
        action = self.step_back_action()
        if action is None:
            self.host.show_status("Stepping back needs the rewind, which this window lacks")
            return False
        if not action.isEnabled():
            self.host.show_status("Nothing to step back to")
            return False
        action.trigger()
        return True

    # -- the readout -------------------------------------------------------------------

    def refresh(self) -> None:
        if not self._active:
            return
        session = self.host.session
        self.readout.show_state(
            self.host.status_text(),
            phase_states(session.trainer.phase, session.running),
            self.next_text(),
        )

    def toggle_legend(self) -> None:
        self._legend = not self._legend
        self.actions["key_legend"].setChecked(self._legend)
        self._update_legend()
        self.preferencesChanged.emit()

    def legend_text(self) -> str:
        """The legend as rich text, with the keys as they are set now."""
        items = []
        native = QKeySequence.SequenceFormat.NativeText
        for name, meaning in LEGEND:
            if name == "zoom":
                keys = [self.host.action(n) for n in ("zoom_in", "zoom_out")]
                key = " ".join(a.shortcut().toString(native) for a in keys if a is not None)
            else:
                action = self.host.action(name)
                if action is None or (name == "previous_phase" and self.step_back_action() is None):
                    continue
                key = action.shortcut().toString(native)
            if key:
                items.append(f"<b>{key}</b>&nbsp;{meaning}")
        return " &nbsp;&nbsp; ".join(items)

    def _update_legend(self) -> None:
        self.readout.set_legend(self.legend_text(), self._legend)
