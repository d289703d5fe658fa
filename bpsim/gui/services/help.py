"""Help ▸ About, Help ▸ Quick help (F1) and the tour of the window (Shift+F1).

Nothing here blocks: About opens window-modal with ``open()``, Quick help is an ordinary
window, and the tour is an overlay drawn over the main window that lets every click and
key through, so a student can follow it while using the panels it points at. The tour
runs by itself once, the first time bpsim starts (the settings remember it), and again
whenever Help ▸ Tour is chosen.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTextDocumentFragment,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bpsim.gui.host import STEP_ACTIONS
from bpsim.gui.style.appearance import make_action
from bpsim.gui.widgets.controls import push_button
from bpsim.resources import resource

if TYPE_CHECKING:
    from bpsim.gui.host import Host

ICON_PATH = resource("icons", "bpsim.svg")
USER_GUIDE = resource("help", "user-guide.md")  # shipped in the wheel with its pictures
#: Keys the Quick help lists, in lesson order.
KEY_TABLE: tuple[str, ...] = (
    *STEP_ACTIONS,
    "undo",
    "redo",
    "presentation",
    "next_phase",
    "previous_phase",
    "key_legend",
    "zoom_in",
    "zoom_out",
    "zoom_reset",
    "open",
    "save",
    "help",
    "tour",
)


def app_icon() -> QIcon:
    """bpsim's icon (a vector image: sharp at every size and screen density)."""
    return QIcon(str(ICON_PATH)) if ICON_PATH.exists() else QIcon()


def version() -> str:
    try:
        return metadata.version("bpsim")
    except metadata.PackageNotFoundError:
        return "development version"


@dataclass(frozen=True)
class TourStep:
    """One stop of the tour: the dock it highlights and what it says there."""

    dock: str
    title: str
    text: str


TOUR: tuple[TourStep, ...] = (
    TourStep(
        "network_editor_dock",
        "The network",
        "The network as a teacher draws it: inputs on the left, outputs on the right. "
        "Press <b>F</b> for a forward pass and every neuron shows its output; <b>B</b> "
        "runs the backward pass and red arrows carry ∂E/∂w back along the links; <b>U</b> "
        "updates the weights. Orange lines are positive weights, dashed blue ones "
        "negative; thicker means larger. Double-click a weight to change it.",
    ),
    TourStep(
        "loss_plot_dock",
        "The loss",
        "The loss after every step: it should fall as the network learns. <b>S</b> takes a "
        "whole step (forward, backward and update), <b>E</b> a whole epoch, and "
        "<b>Space</b> trains until you press it again. Hover over the curve to read a value.",
    ),
    TourStep(
        "parameter_table_dock",
        "The numbers",
        "Every weight and bias with its gradient ∂E/∂w and its last change; cells that "
        "changed in the last phase turn yellow. Click a column's title to sort, e.g. by "
        "the largest gradient; double-click a value to edit it. <b>Ctrl+Z</b> undoes.",
    ),
)


class _Dimmer(QWidget):
    """The tour's shade over the window, with a clear hole over the panel it points at.
    It takes no mouse events: everything under it keeps working."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("tour_dimmer")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hole = QRect()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        shade = QPainterPath()
        shade.setFillRule(Qt.FillRule.OddEvenFill)
        shade.addRect(QRectF(self.rect()))
        if not self.hole.isNull():
            shade.addRoundedRect(QRectF(self.hole), 10, 10)
        painter.fillPath(shade, QColor(0, 0, 0, 115))
        if not self.hole.isNull():
            painter.setPen(QPen(QColor("#ffbf00"), 5))
            painter.drawRoundedRect(QRectF(self.hole).adjusted(2, 2, -2, -2), 10, 10)
        painter.end()


class Tour(QObject):
    """The tour over ``window``: one stop per visible panel, Next / Back / Close (Esc).
    ``finished`` when it closes."""

    finished = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.steps = [
            step
            for step in TOUR
            if (dock := window.findChild(QWidget, step.dock)) is not None and dock.isVisible()
        ]
        self.index = 0
        self.dimmer = _Dimmer(window)
        self.callout = QFrame(window)
        self.callout.setObjectName("tour_callout")
        self.callout.setFrameShape(QFrame.Shape.StyledPanel)
        self.callout.setAutoFillBackground(True)
        self.callout.setStyleSheet(
            "#tour_callout { background: palette(base); border: 3px solid #ffbf00;"
            " border-radius: 10px; }"
        )
        self.title = QLabel(self.callout)
        self.title.setObjectName("tour_title")
        self.text = QLabel(self.callout)
        self.text.setObjectName("tour_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.counter = QLabel(self.callout)
        self.counter.setObjectName("tour_counter")
        self.back_button = push_button(
            "Back", "tour_back", "The previous panel of the tour", self.back, parent=self.callout
        )
        self.next_button = push_button(
            "Next", "tour_next", "The next panel of the tour", self.next, parent=self.callout
        )
        self.next_button.setDefault(True)
        self.close_button = push_button(
            "Close",
            "tour_close",
            "End the tour (Esc); Help ▸ Tour shows it again",
            self.close,
            parent=self.callout,
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.counter)
        buttons.addStretch(1)
        for button in (self.back_button, self.next_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self.callout)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        window.installEventFilter(self)
        for step in TOUR:
            dock = window.findChild(QWidget, step.dock)
            if dock is not None:
                dock.installEventFilter(self)
        self._closed = False

    def start(self) -> None:
        self.index = 0
        self._show_step()

    def is_open(self) -> bool:
        return not self._closed

    def current_dock(self) -> QWidget | None:
        """The panel highlighted now (None when no panel is visible)."""
        if not self.steps or self._closed:
            return None
        return self.window.findChild(QWidget, self.steps[self.index].dock)

    def next(self) -> None:
        if self.index + 1 >= len(self.steps):
            self.close()
            return
        self.index += 1
        self._show_step()

    def back(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._show_step()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.window.removeEventFilter(self)
        for step in TOUR:
            dock = self.window.findChild(QWidget, step.dock)
            if dock is not None:
                dock.removeEventFilter(self)
        self.dimmer.hide()
        self.callout.hide()
        self.dimmer.deleteLater()
        self.callout.deleteLater()
        self.finished.emit()

    def _show_step(self) -> None:
        window = self.window
        font = window.font()
        title_font = window.font()
        title_font.setPointSizeF(font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        for widget in (self.text, self.counter, self.back_button, self.next_button):
            widget.setFont(font)
        self.close_button.setFont(font)
        if not self.steps:
            self.title.setText("No panel is shown")
            self.text.setText(
                "Show the panels again with View ▸ Reset layout (Ctrl+Shift+R), then Help ▸ Tour."
            )
            self.counter.setText("")
            self.back_button.hide()
            self.next_button.hide()
        else:
            step = self.steps[self.index]
            self.title.setText(step.title)
            self.text.setText(step.text)
            self.counter.setText(f"{self.index + 1} of {len(self.steps)}")
            self.back_button.setEnabled(self.index > 0)
            last = self.index + 1 == len(self.steps)
            self.next_button.setText("Done" if last else "Next")
        self._place()
        self.dimmer.show()
        self.callout.show()
        self.dimmer.raise_()
        self.callout.raise_()
        self.next_button.setFocus()

    def _place(self) -> None:
        window = self.window
        self.dimmer.setGeometry(window.rect())
        dock = self.current_dock()
        hole = QRect()
        if dock is not None and dock.isVisible():
            top_left = dock.mapTo(window, QPoint(0, 0))
            hole = QRect(top_left, dock.size()).adjusted(-4, -4, 4, 4)
        self.dimmer.hole = hole
        self.dimmer.update()
        width = min(max(360, window.font().pointSizeF() * 40), window.width() - 40)
        self.callout.setFixedWidth(int(width))
        self.callout.adjustSize()
        size = self.callout.size()
        room = window.rect().adjusted(16, 16, -16, -16)
        if hole.isNull():
            x, y = room.center().x() - size.width() // 2, room.center().y() - size.height() // 2
        else:
            # beside the panel, on the side with more room; over it when neither has
            right_room = room.right() - hole.right()
            left_room = hole.left() - room.left()
            if right_room >= size.width() + 16:
                x = hole.right() + 16
            elif left_room >= size.width() + 16:
                x = hole.left() - 16 - size.width()
            else:
                x = hole.center().x() - size.width() // 2
            y = hole.center().y() - size.height() // 2
        x = min(max(x, room.left()), max(room.right() - size.width(), room.left()))
        y = min(max(y, room.top()), max(room.bottom() - size.height(), room.top()))
        self.callout.move(x, y)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.LayoutRequest):
            if not self._closed:
                self._place()
        elif (
            kind == QEvent.Type.KeyPress
            and watched is self.window
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and not self._closed
        ):
            self.close()
            return True
        return super().eventFilter(watched, event)


class QuickHelp(QDialog):
    """A short, non-modal help window: the panels, a first lesson, the keys."""

    def __init__(self, host: Host) -> None:
        window = host.main_window()
        super().__init__(window)
        self.setObjectName("quick_help")
        self.setWindowTitle("bpsim — quick help")
        self.setModal(False)
        self.setPalette(window.palette())
        self.setFont(window.font())
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("quick_help_text")
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(quick_help_html(host))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        scale = max(window.font().pointSizeF() / 10.0, 1.0)
        self.resize(QSize(int(640 * scale), int(620 * scale)))


def _key(host: Host, name: str) -> str:
    action = host.action(name)
    if action is None:
        return ""
    keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
    return " or ".join(k for k in keys if k)


def quick_help_html(host: Host) -> str:
    """The quick help's text, with the keys as the window has them."""
    rows = []
    for name in KEY_TABLE:
        action = host.action(name)
        key = _key(host, name)
        if action is None or not key:
            continue
        what = action.statusTip() or action.toolTip()
        rows.append(
            f'<tr><td width="24%"><b>{html.escape(key)}</b></td><td>{html.escape(what)}</td></tr>'
        )
    guide = USER_GUIDE.as_uri() if USER_GUIDE.exists() else ""
    more = (
        f'<p>The <a href="{guide}">user guide</a> walks through a whole lesson.</p>'
        if guide
        else ""
    )
    return f"""
<h2>bpsim in one page</h2>
<p>Three panels show one network learning:</p>
<ul>
<li><b>Network</b> (left): neurons fill with their outputs after a forward pass; after a
backward pass red arrows carry ∂E/∂w back along every link and each neuron shows its δ.
Orange lines are positive weights, dashed blue lines negative ones; thicker is larger.</li>
<li><b>Loss</b> (top right): the loss after every step or epoch.</li>
<li><b>Parameters</b> (bottom right): every weight and bias with ∂E/∂w and its last change;
what the last phase changed is yellow.</li>
</ul>
<h3>A first lesson</h3>
<ol>
<li>File ▸ New from example ▸ <i>The 2-2-2 worked example (seed 000)</i>.</li>
<li><b>F</b>: the forward pass. h1 = σ(0.154) = 0.538; the loss is 0.184979.</li>
<li><b>B</b>: the backward pass. Click the link h1 → y1: ∂E/∂w5 = 0.58371 × 0.23212 ×
0.53842 = 0.072952, the chain rule one factor at a time.</li>
<li><b>U</b>: the update. w5 = 0.18 − 0.01 × 0.072952 = 0.179270.</li>
<li><b>E</b> or <b>Space</b>: many steps; watch the loss fall.</li>
</ol>
<h3>In front of a class</h3>
<p><b>F11</b> starts presentation mode: full screen, high contrast, large text and a big
readout of loss and phase. A presentation clicker's buttons (Page Down, Page Up) step
through forward → backward → update. <b>Ctrl+=</b> and <b>Ctrl+-</b> zoom everything.</p>
<h3>Keys</h3>
<table width="100%" cellspacing="0" cellpadding="3">{"".join(rows)}</table>
{more}
"""


class HelpCenter(QObject):
    """The Help menu's actions for one window."""

    def __init__(self, host: Host) -> None:
        window = host.main_window()
        super().__init__(window)
        self.host = host
        self.window = window
        self.tour: Tour | None = None
        self.tour_timer: QTimer | None = None  # set when the first start shows the tour
        self.quick_help: QuickHelp | None = None
        self.about_box: QMessageBox | None = None
        self.actions = {
            "help": make_action(
                window,
                "help",
                "&Quick help",
                "Quick help: the three panels, a first lesson and every key",
                "F1",
                self.show_help,
            ),
            "tour": make_action(
                window,
                "tour",
                "&Tour of the window",
                "A short tour that points at the three panels in turn",
                "Shift+F1",
                self.start_tour,
            ),
        }
        host.add_actions(self.actions)
        host.add_to_menu("help", "help", self.actions["help"], self.actions["tour"])
        fill_status_tips(window)
        window.installEventFilter(self)  # and again when shown: panels made later

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show:
            fill_status_tips(self.window)
        return super().eventFilter(watched, event)

    def show_help(self) -> QuickHelp:
        """Open (or raise) the quick help window; never modal."""
        if self.quick_help is None:
            self.quick_help = QuickHelp(self.host)
        else:
            self.quick_help.browser.setHtml(quick_help_html(self.host))
        self.quick_help.show()
        self.quick_help.raise_()
        return self.quick_help

    def start_tour_soon(self, delay_ms: int = 300) -> QTimer:
        """Start the tour once the window has settled on screen (the first start)."""
        self.tour_timer = QTimer(self)
        self.tour_timer.setSingleShot(True)
        self.tour_timer.timeout.connect(self.start_tour)
        self.tour_timer.start(delay_ms)
        return self.tour_timer

    def start_tour(self) -> Tour:
        """Start the tour from its first panel (closing one that is open)."""
        if self.tour is not None and self.tour.is_open():
            self.tour.close()
        self.tour = Tour(self.window)
        self.tour.start()
        return self.tour

    def show_about(self) -> QMessageBox:
        """About bpsim, opened window-modal without blocking."""
        window = self.window
        box = QMessageBox(window)
        box.setObjectName("about_box")
        box.setWindowTitle("About bpsim")
        icon = app_icon()
        if not icon.isNull():
            box.setIconPixmap(icon.pixmap(QSize(96, 96), window.devicePixelRatio()))
        else:
            box.setIcon(QMessageBox.Icon.Information)
        box.setText(
            f"<b>bpsim</b> {html.escape(version())}<br>"
            "A simulator that teaches backpropagation and gradient descent, one forward "
            "pass, backward pass and update at a time."
        )
        named = {
            n: action
            for n in ("forward", "backward", "update", "step", "epoch", "run", "reset")
            if (action := self.host.action(n)) is not None
        }
        keys = ", ".join(
            f"{action.text().replace('&', '')} {_key(self.host, n)}" for n, action in named.items()
        )
        box.setInformativeText(
            f"Keys: {keys}.<br>Presentation mode: {_key(self.host, 'presentation')}. "
            f"Quick help: {_key(self.host, 'help')}.<br><br>"
            "The built-in lessons follow the worked examples of the documents bpsim was "
            "made from. Free software under the MIT licence."
        )
        box.open()
        self.about_box = box
        return box


def fill_status_tips(window: QWidget) -> int:
    """Give every control with a tooltip but no status tip its tooltip's first line as
    one, so the status bar says what is under the mouse too. Returns how many."""
    filled = 0
    for widget in window.findChildren(QWidget):
        tip = widget.toolTip()
        if not tip or widget.statusTip():
            continue
        plain = QTextDocumentFragment.fromHtml(tip).toPlainText() if "<" in tip else tip
        line = plain.strip().splitlines()[0] if plain.strip() else ""
        if line:
            widget.setStatusTip(line)
            filled += 1
    return filled


__all__ = ["HelpCenter", "QuickHelp", "Tour", "app_icon", "quick_help_html"]
