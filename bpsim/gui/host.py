"""What a feature may ask of the window: the small interface every service, tool and panel
group is given instead of the whole ``MainWindow``.

The window (``gui/shell/main_window.py``) implements it; features depend on this Protocol
only, so none of them imports the window, calls its private methods or sets attributes on
it, and a test can hand a feature a small fake host. What one feature needs of another
(the settings need the appearance, say) the window passes in explicitly when it builds
them: the window is the one place that knows every part.

The host sits just above ``gui.state`` in the layers: it names Qt's own classes and the
session, nothing else of bpsim.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

    from bpsim.core.trainer import Trainer
    from bpsim.gui.state.controller import Controller
    from bpsim.gui.state.session import Session

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea

#: The actions that drive training, in toolbar and Train-menu order: every host has them
#: (``host.action(name)``), and the shell, the status and the help list them in this order.
STEP_ACTIONS: tuple[str, ...] = (
    "forward",
    "forward_layer",
    "backward",
    "backward_layer",
    "update",
    "step",
    "epoch",
    "run",
    "reset",
)


@runtime_checkable
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
        """The top-level widget: a parent for dialogs, toolbars, overlays and full screen."""
        ...

    # -- menus and actions ---------------------------------------------------------------

    def menu(self, name: str) -> QMenu:
        """A menu declared in the window's menu table, by its key (``"view"``, ``"train"`` …)."""
        ...

    def add_to_menu(self, name: str, group: str, *items: QAction | QMenu) -> None:
        """Put ``items`` at the end of ``group`` of the menu ``name`` (the groups are
        declared with the menus, in ``gui/shell/menus.py``)."""
        ...

    def action(self, name: str) -> QAction | None:
        """An action by its objectName (``"forward"``, ``"save"`` …), or None."""
        ...

    def add_actions(self, actions: Mapping[str, QAction]) -> None:
        """Make actions known by name, with their keys working from the whole window
        (menu closed, menu bar hidden)."""
        ...

    # -- docks ---------------------------------------------------------------------------

    def add_dock(
        self,
        dock: QDockWidget,
        area: Qt.DockWidgetArea = RIGHT,
        tab_with: str | None = None,
        *,
        below: str | None = None,
        hidden: bool = False,
    ) -> None:
        """Dock a panel named ``<name>_dock``: in ``area``, as a tab behind the dock named
        ``tab_with``, or under the dock named ``below``. A ``hidden`` dock with
        ``tab_with`` joins that dock's tabs the first time it is shown."""
        ...

    def dock(self, name: str) -> QDockWidget | None:
        """A dock by its panel's name (``"network_editor"`` …), or None."""
        ...

    def reset_layout(self) -> None:
        """Every panel and toolbar back where it started."""
        ...

    def save_layout(self, store: QSettings) -> None:
        """Write the window's geometry and panel layout to ``store``."""
        ...

    def restore_layout(self, store: QSettings) -> None:
        """Put back what :meth:`save_layout` wrote (a bad record is ignored)."""
        ...

    # -- messages ------------------------------------------------------------------------

    def show_status(self, text: str) -> None:
        """A passing note in the status bar."""
        ...

    def show_problem(self, text: str, kind: str = "error") -> None:
        """A problem in the banner above the panels (plain text, never HTML); ``kind`` is
        "error", "warning" or "info"."""
        ...

    def hide_problem(self) -> None:
        """Take the banner away."""
        ...

    def problem_text(self) -> str:
        """What the banner says while it shows, else ""."""
        ...

    def status_text(self) -> str:
        """Where training stands, as the status bar says it."""
        ...

    # -- the document --------------------------------------------------------------------

    def is_modified(self) -> bool:
        """Whether the lesson has changes no file holds."""
        ...

    def set_modified(self, modified: bool) -> None: ...

    def open(self, path: str | Path) -> bool:
        """Open a lesson file in place of this one, without dialogs; False (and the
        problem in the banner) when it cannot be opened."""
        ...

    def save_interactive(self) -> bool:
        """Save to the lesson's file, or ask where when it has none; returns success."""
        ...

    def replace_lesson(self, trainer: Trainer, path: Path | None, *, unsaved: bool = False) -> None:
        """Put a new lesson in place of the open one (documents, recovery, data import);
        ``unsaved``: it holds work no file has, and stays modified until saved."""
        ...

    def ask_then(self, proceed: Callable[[], object], doing: str = "going on") -> None:
        """Run ``proceed`` now, or after asking Save / Discard / Cancel when there are
        unsaved changes (never blocks); ``doing`` finishes the question ("Save them
        before opening another lesson?")."""
        ...
