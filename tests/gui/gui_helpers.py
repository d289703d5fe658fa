"""Helpers the window tests share: a shown window, and its actions by objectName."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow


def open_window(
    qtbot: QtBot, path: str | Path | None = None, *, animate: bool = True
) -> MainWindow:
    """``MainWindow(path)`` (the default example without one), shown and active: keys reach
    the actions of the active window only. Changes are thrown away at the end of the test,
    so closing does not ask to save them. ``animate=False`` turns the pass animation off,
    so a step's phase is finished as soon as its action returns."""
    window = MainWindow() if path is None else MainWindow(path)
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    if not animate:
        window.teaching.animation.set_enabled(False)
    return window


def action(window: MainWindow, name: str) -> QAction:
    """The window's action with objectName ``name`` (fails the test when there is none)."""
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found
