"""The window's composition: one menu table with groups, and the Host features get."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from bpsim.core.trainer import Trainer
from bpsim.gui import MainWindow
from bpsim.gui.host import Host
from bpsim.gui.services.documents import DocumentManager
from bpsim.gui.shell.menus import MENUS, Menus, MenuSpec
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    return window


def test_groups_keep_the_table_order_whatever_order_they_are_filled_in(qtbot: QtBot) -> None:
    bar_owner = QMainWindow()
    qtbot.addWidget(bar_owner)
    menus = Menus(bar_owner.menuBar(), (MenuSpec("view", "&View", ("panels", "zoom", "end")),))
    last, zoom, first = (QAction(name, bar_owner) for name in ("last", "zoom", "first"))
    menus.add("view", "end", last)  # filled from the bottom up
    menus.add("view", "zoom", zoom)
    menus.add("view", "panels", first)
    entries = [a.text() for a in menus.menu("view").actions() if not a.isSeparator()]
    assert entries == ["first", "zoom", "last"]
    assert menus.groups("view") == {"panels": [first], "zoom": [zoom], "end": [last]}
    menus.add("view", "end", first)  # an action already there moves
    assert menus.groups("view")["end"] == [last, first]


def test_an_unknown_menu_or_group_names_the_choices(qtbot: QtBot) -> None:
    bar_owner = QMainWindow()
    qtbot.addWidget(bar_owner)
    menus = Menus(bar_owner.menuBar(), (MenuSpec("help", "&Help", ("help", "about")),))
    with pytest.raises(ValueError, match="no menu 'halp'; expected one of help"):
        menus.menu("halp")
    with pytest.raises(ValueError, match="no group 'tour'; expected one of help, about"):
        menus.add("help", "tour", QAction("x", bar_owner))


def test_the_menu_bar_is_the_table(window: MainWindow) -> None:
    bar = [a.menu() for a in window.menuBar().actions()]
    assert [m.objectName() for m in bar] == [f"{spec.key}_menu" for spec in MENUS]
    assert [m.title() for m in bar] == [spec.title for spec in MENUS]
    view = window.menu_table.groups("view")
    assert tuple(view) == next(spec.groups for spec in MENUS if spec.key == "view")
    # each part put its entries in its own group, whatever order they were built in
    assert [a.objectName() for a in view["zoom"]][:3] == ["zoom_in", "zoom_out", "zoom_reset"]
    assert view["presentation"][0].objectName() == "presentation"
    assert [a.objectName() for a in view["defaults"]] == ["restore_defaults"]
    assert "show_inspector" in [a.objectName() for a in view["panels"]]
    assert "show_descent" in [a.objectName() for a in view["panels"]]
    file = window.menu_table.groups("file")
    assert [a.objectName() for a in file["quit"]] == ["quit"]
    assert file["export"][0].menu() is window.findChild(QMenu, "export_menu")


def test_the_window_is_a_host(window: MainWindow) -> None:
    assert isinstance(window, Host)
    assert window.main_window() is window
    assert window.menu("teach") is window.findChild(QMenu, "teach_menu")
    assert window.action("forward") is window.findChild(QAction, "forward")
    assert window.action("no_such_action") is None
    assert window.dock("inspector") is window.findChild(QDockWidget, "inspector_dock")
    assert window.dock("no_such_dock") is None


def test_a_dock_added_hidden_joins_its_partner_when_first_shown(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.show()
    qtbot.waitExposed(window)
    dock = QDockWidget("Extra", window)
    dock.setObjectName("extra_dock")
    dock.setWidget(QLabel("extra"))
    window.add_dock(dock, tab_with="loss_plot", hidden=True)
    assert not dock.isVisible()
    assert window.tabifiedDockWidgets(dock) == []  # no stray tab bar while hidden
    dock.show()
    qtbot.waitUntil(lambda: window.docks["loss_plot"] in window.tabifiedDockWidgets(dock))
    assert window.dock("extra") is dock


def test_problems_go_through_the_host(window: MainWindow) -> None:
    window.show()
    assert window.problem_text() == ""
    window.show_problem("The data does not fit", kind="warning")
    assert window.problem_text() == "The data does not fit"
    window.hide_problem()
    assert window.problem_text() == ""


class FakeHost:
    """The smallest window a feature can be given: a real session and menus, and a record
    of what the feature asked for. No MainWindow anywhere."""

    def __init__(self, qtbot: QtBot, session: Session, controller: Controller) -> None:
        self._window = QMainWindow()
        qtbot.addWidget(self._window)
        self.session, self.controller = session, controller
        self.menus = Menus(self._window.menuBar())
        self.actions: dict[str, QAction] = {}
        self.problems: list[tuple[str, str]] = []
        self.statuses: list[str] = []
        self.replaced: list[tuple[Trainer, Path | None, bool]] = []
        self.shown_problem = ""
        self.modified = False

    def main_window(self) -> QMainWindow:
        return self._window

    def menu(self, name: str) -> QMenu:
        return self.menus.menu(name)

    def add_to_menu(self, name: str, group: str, *items: QAction | QMenu) -> None:
        self.menus.add(name, group, *items)

    def action(self, name: str) -> QAction | None:
        return self.actions.get(name)

    def add_actions(self, actions: Mapping[str, QAction]) -> None:
        self.actions.update(actions)

    def show_status(self, text: str) -> None:
        self.statuses.append(text)

    def show_problem(self, text: str, kind: str = "error") -> None:
        self.problems.append((kind, text))
        self.shown_problem = text

    def hide_problem(self) -> None:
        self.shown_problem = ""

    def problem_text(self) -> str:
        return self.shown_problem

    def is_modified(self) -> bool:
        return self.modified

    def set_modified(self, modified: bool) -> None:
        self.modified = modified

    def replace_lesson(self, trainer: Trainer, path: Path | None, *, unsaved: bool = False) -> None:
        self.replaced.append((trainer, path, unsaved))


def test_documents_work_with_a_small_fake_host(
    qtbot: QtBot, session: Session, controller: Controller
) -> None:
    host = FakeHost(qtbot, session, controller)
    documents = DocumentManager(host)  # only the part of Host that documents use
    documents.new_empty()  # nothing unsaved: no question, the lesson is replaced at once
    ((trainer, path, unsaved),) = host.replaced
    assert path is None and not unsaved
    assert [layer.size for layer in trainer.lesson.layers] == [2, 1]
    assert "new network" in host.statuses[-1]

    controller.structure.add_neuron(0)  # a third input: the XOR data no longer fits
    assert session.training_blocked is not None
    assert host.problems[-1][0] == "warning"
    assert session.training_blocked in host.problem_text()
    assert host.modified  # the undo stack is away from where the file was saved
    controller.undo_stack.undo()  # it fits again: the warning goes, nothing to save
    assert host.problem_text() == ""
    assert not host.modified
