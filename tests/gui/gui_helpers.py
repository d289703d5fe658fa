"""Helpers the window tests share: a shown window, its actions by objectName, steps taken
through them, and a look at the window ``bpsim`` itself starts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow, app

W = TypeVar("W", bound=QWidget)

#: How long a step may take before a test fails (ms): generous for a busy CI machine.
TIMEOUT = 5000


def shown(qtbot: QtBot, widget: W, size: tuple[int, int]) -> W:
    """``widget`` at ``size``, on screen and exposed (painted), closed after the test."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def open_window(
    qtbot: QtBot,
    path: str | Path | None = None,
    *,
    animate: bool = True,
    size: tuple[int, int] | None = None,
) -> MainWindow:
    """``MainWindow(path)`` (the default example without one), shown and active: keys reach
    the actions of the active window only. Changes are thrown away at the end of the test,
    so closing does not ask to save them. ``animate=False`` turns the pass animation off,
    so a step's phase is finished as soon as its action returns; ``size`` is the window's
    before it is shown."""
    window = MainWindow() if path is None else MainWindow(path)
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    if size is not None:
        window.resize(*size)
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


def step(qtbot: QtBot, window: MainWindow, *names: str, timeout: int = TIMEOUT) -> None:
    """Trigger the actions ``names`` one after another, each time waiting until its phase
    has finished (``window.phaseFinished``)."""
    for name in names:
        with qtbot.waitSignal(window.phaseFinished, timeout=timeout):
            action(window, name).trigger()


def run_app_and_look(path: str | None, look: Callable[[MainWindow], None]) -> int:
    """Run ``run_app(path)`` (what ``bpsim [FILE]`` does); once its window is up,
    ``look(window)`` and close it. Returns the application's exit code."""
    seen: list[MainWindow] = []

    def inspect() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        window = next(w for w in windows if w.isVisible())
        seen.append(window)
        try:
            look(window)
        finally:
            window.setWindowModified(False)
            window.close()
            QApplication.instance().quit()

    QTimer.singleShot(50, inspect)
    code = app.run_app(path)
    assert seen, "the window never showed"
    seen[0].deleteLater()
    return code
