"""What a feature may ask of the window: the small interface every service, tool and panel
group is given instead of the whole ``MainWindow``.

The window (``gui/shell/main_window.py``) implements it; features depend on this Protocol
only, so none of them imports the window, calls its private methods or sets attributes on
it, and a test can hand a feature a small fake host.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

    from bpsim.core.trainer import Trainer
    from bpsim.gui.state.controller import Controller
    from bpsim.gui.state.session import Session


class Host(Protocol):
    """The window as features see it."""

    @property
    def session(self) -> Session:
        """The open lesson (its only writer)."""
        ...

    @property
    def controller(self) -> Controller:
        """Turns what the user wants into undo commands."""
        ...

    def main_window(self) -> QMainWindow:
        """The top-level widget: a parent for dialogs, toolbars and full screen."""
        ...

    def menu(self, name: str) -> QMenu:
        """A menu declared in the window's menu table, by its key (``"view"``, ``"train"`` …)."""
        ...

    def action(self, name: str) -> QAction | None:
        """An action by its objectName (``"forward"``, ``"save"`` …), or None."""
        ...

    def add_actions(self, actions: dict[str, QAction]) -> None:
        """Make actions known by name (and reachable by their keys from the whole window)."""
        ...

    def add_dock(
        self, dock: QDockWidget, area: Qt.DockWidgetArea, tab_with: str | None = None
    ) -> None:
        """Dock a panel, optionally as a tab behind the dock named ``tab_with``."""
        ...

    def dock(self, name: str) -> QDockWidget | None:
        """A dock by its panel's name (``"network_editor"`` …), or None."""
        ...

    def show_status(self, text: str) -> None:
        """A passing note in the status bar."""
        ...

    def show_problem(self, text: str, kind: str = "error") -> None:
        """A problem in the banner above the panels (plain text, never HTML)."""
        ...

    def status_text(self) -> str:
        """What the status bar says now."""
        ...

    def replace_lesson(self, trainer: Trainer, path: Path | None) -> None:
        """Put a new lesson in place of the open one (documents, recovery, data import)."""
        ...
