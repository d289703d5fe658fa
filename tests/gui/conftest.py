"""Fixtures for widget tests: a session over a built-in example."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
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
