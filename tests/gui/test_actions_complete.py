"""Every action in the window explains itself (tooltip and status tip) and the ones a
class uses are one key away: stepping, files, views. What is left out is left out here,
by name, with the reason."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMenu,
    QScrollBar,
    QSlider,
    QTabBar,
    QToolBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.host import STEP_ACTIONS

#: Actions that step training: each must have a key.
STEPPING = (*STEP_ACTIONS, "step_back", "step_forward", "next_phase", "previous_phase")
#: Other actions a class needs at a keystroke, whichever menu they live in.
ONE_KEY_AWAY = (
    "undo",
    "redo",
    "open",
    "save",
    "save_as",
    "quit",
    "show_network_editor",
    "show_loss_plot",
    "show_parameter_table",
    "show_training_toolbar",
    "show_settings_toolbar",
    "reset_layout",
    "zoom_in",
    "zoom_out",
    "zoom_reset",
    "theme_light",
    "theme_high_contrast",
    "theme_dark",
    "presentation",
    "key_legend",
    "help",
    "tour",
)
#: File- and View-menu entries deliberately without a key, and why.
MENU_ONLY: dict[str, str] = {
    "new_empty": "one choice of File ▸ New, beside the examples",
    "example_": "File ▸ New from example: one choice among the built-in lessons",
    "revert": "throws work away: a deliberate menu choice, never a stray key",
    "clear_recent": "forgets the recent files: a deliberate menu choice",
    "export_": "File ▸ Export: one choice among formats, and a file dialog follows",
    "restore_defaults": "forgets every preference: a deliberate menu choice",
    "show_inspector": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_quiz": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_compare_runs": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_timeline_toolbar": "a secondary toolbar, shown with the rewind",
    "show_data_panel": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_metrics": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_decision_map": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_landscape": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_descent": "a secondary panel; Ctrl+1–3 are kept for the three main ones",
    "show_fit_plot": "opens by itself on regression lessons; Ctrl+1–3 are for the main three",
    "show_digit_view": "opens by itself on image lessons; Ctrl+1–3 are for the main three",
}


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    return window


def excluded(action: QAction) -> str | None:
    """Why ``action`` needs no tooltip of its own, or None when it does."""
    parent = action.parent()
    if action.isSeparator():
        return "a separator"
    if action.menu() is not None:
        return "opens a submenu, whose entries are checked one by one"
    if isinstance(parent, QToolBar) and not isinstance(
        parent.widgetForAction(action), QToolButton | type(None)
    ):
        return "holds a widget in a toolbar; the widget's controls carry the tooltips"
    if isinstance(parent, pg.GraphicsScene):
        return "pyqtgraph's own Export… in a plot's right-click menu"
    if not action.objectName() and not action.isEnabled():
        return "a disabled placeholder line of a changing menu ('No recent files')"
    return None


def _menu_actions(menu: QMenu) -> list[QAction]:
    found = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.menu() is not None:
            found += _menu_actions(action.menu())
        else:
            found.append(action)
    return found


def _menu(window: MainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no {title} menu")


def test_every_action_has_a_tooltip_and_a_status_tip(window: MainWindow) -> None:
    checked, missing = 0, []
    for action in window.findChildren(QAction):
        if excluded(action) is not None:
            continue
        checked += 1
        plain = action.text().replace("&", "").strip()
        # Qt makes the text the tooltip when none is set: that explains nothing
        if not action.toolTip().strip() or action.toolTip().strip() == plain:
            missing.append(f"{action.objectName() or plain!r}: no tooltip")
        if not action.statusTip().strip():
            missing.append(f"{action.objectName() or plain!r}: no status tip")
    assert checked > 60
    assert missing == []


def test_stepping_and_everyday_actions_have_keys(window: MainWindow) -> None:
    actions = {a.objectName(): a for a in window.findChildren(QAction) if a.objectName()}
    without = [n for n in (*STEPPING, *ONE_KEY_AWAY) if n not in actions]
    assert without == [], "actions missing from the window"
    keyless = [n for n in (*STEPPING, *ONE_KEY_AWAY) if actions[n].shortcut().isEmpty()]
    assert keyless == []
    # tooltips name the key, since Qt does not show it
    key = actions["presentation"].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    assert key in actions["presentation"].toolTip()


@pytest.mark.parametrize("title", ["File", "View"])
def test_file_and_view_actions_have_keys_or_a_reason(window: MainWindow, title: str) -> None:
    recent = window.findChild(QMenu, "open_recent")
    keyless = []
    for action in _menu_actions(_menu(window, title)):
        name = action.objectName()
        if not action.shortcut().isEmpty() or excluded(action) is not None:
            continue
        if recent is not None and action in recent.actions():
            continue  # the recent files themselves: numbered entries chosen by their digit
        if any(name == k or (k.endswith("_") and name.startswith(k)) for k in MENU_ONLY):
            continue
        keyless.append(name or action.text())
    assert keyless == []


def test_every_menu_opens_from_the_keyboard(window: MainWindow) -> None:
    """Alt and a letter open each menu; arrows then reach any entry."""
    titles = [a.text() for a in window.menuBar().actions() if a.menu() is not None]
    assert titles
    assert [t for t in titles if "&" not in t] == []


def test_no_two_actions_share_a_key(window: MainWindow) -> None:
    """Qt runs neither of two actions with the same key ("ambiguous shortcut")."""
    owners: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString(QKeySequence.SequenceFormat.PortableText)
            owners.setdefault(text, []).append(action.objectName() or action.text())
    shared = {key: names for key, names in owners.items() if len(set(names)) > 1}
    assert shared == {}


def test_the_reasons_name_real_actions(window: MainWindow) -> None:
    """An exclusion for an action that no longer exists would hide nothing: drop it."""
    names = {a.objectName() for a in window.findChildren(QAction)}
    stale = [
        k
        for k in MENU_ONLY
        if not any(n == k or (k.endswith("_") and n.startswith(k)) for n in names)
    ]
    assert stale == []


#: Controls drawn by Qt itself (dock title buttons, scroll bars, overflow arrows): Qt's
#: own widgets, named qt_… or unnamed inside a scroll area or tab bar.
CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QSlider)


def _qt_internal(widget: QWidget) -> bool:
    parent = widget.parent()
    return (
        widget.objectName().startswith("qt_")
        or isinstance(widget, QScrollBar)
        or isinstance(parent, QTabBar)
        or (isinstance(widget, QLineEdit) and isinstance(parent, QComboBox | QAbstractSpinBox))
    )


def test_every_control_on_screen_has_a_tooltip_and_a_status_tip(
    qtbot: QtBot, window: MainWindow
) -> None:
    with qtbot.waitExposed(window):
        window.show()
    missing, checked = [], 0
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or _qt_internal(widget):
            continue
        if not widget.isVisibleTo(window):
            continue
        checked += 1
        name = widget.objectName() or type(widget).__name__
        if not widget.toolTip().strip():
            missing.append(f"{name}: no tooltip")
        if not widget.statusTip().strip():
            missing.append(f"{name}: no status tip")
    assert checked > 10
    assert missing == []
