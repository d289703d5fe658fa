"""Fixtures for widget tests: a session over a built-in example, a shown window, and the
application-wide drawing state put back after a test that changes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from gui_helpers import open_window
from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.panels.loss_plot import LossPlot
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.gui.style import palette
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file


@pytest.fixture
def make_session(qtbot) -> Callable[[str], Session]:
    """``make_session("worked-example")`` → a Session over that built-in example."""
    sessions: list[Session] = []

    def make(name: str = "worked-example") -> Session:
        example = find_example(name)
        assert example is not None, name
        session = Session(trainer_from_lesson_file(example.path), example.path)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.pause()


@pytest.fixture
def session(make_session) -> Session:
    return make_session("worked-example")


@pytest.fixture
def controller(session: Session) -> Controller:
    return Controller(session)


@pytest.fixture
def make_loss_plot(qtbot: QtBot) -> Callable[..., LossPlot]:
    """``make_loss_plot(session, shown=False)`` → a 900×500 loss plot over ``session``
    (``shown=True``: on screen, for what only a painted plot has)."""

    def make(session: Session, shown: bool = False) -> LossPlot:
        plot = LossPlot(session)
        qtbot.addWidget(plot)
        plot.resize(900, 500)
        if shown:
            plot.show()
            qtbot.waitExposed(plot)
        return plot

    return make


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    """The default example in a shown, active window."""
    return open_window(qtbot)


@pytest.fixture
def light_drawing_afterwards() -> Iterator[None]:
    """The palette, its precision and the tooltips are application-wide: a module whose
    tests change them uses this fixture (``pytestmark``) to put them back for other tests."""
    font, tip_palette = QToolTip.font(), QToolTip.palette()
    yield
    palette.use_scheme(None)
    palette.set_precision(palette.DEFAULT_PRECISION)
    QToolTip.setFont(font)
    QToolTip.setPalette(tip_palette)
