"""Every menu of the window, declared in one table: its key, its title and its groups.

A feature never looks a menu up by its title or appends to the end of one: it puts its
entries into a named group with ``host.add_to_menu("view", "zoom", action)``. Each group
ends with a separator, so the order of the menu is the order of this table whatever
order the features are built in; Qt hides the separators of empty groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMenuBar


@dataclass(frozen=True)
class MenuSpec:
    """One menu of the menu bar: ``key`` for code, ``title`` (with its Alt letter) for
    people, and its groups from top to bottom."""

    key: str
    title: str
    groups: tuple[str, ...]


#: The menu bar, left to right. Who fills each group is named beside it.
MENUS: tuple[MenuSpec, ...] = (
    MenuSpec(
        "file",
        "&File",
        (
            "new",  # New from example, Open…, Open Recent (main window, documents)
            "save",  # Save, Save As…, Revert (main window, documents)
            "export",  # Export ▸ handouts and parameters (teaching tools)
            "quit",
        ),
    ),
    MenuSpec("edit", "&Edit", ("undo", "history")),  # main window, undo history
    MenuSpec("network", "&Network", ("edit",)),  # the network editor's actions
    MenuSpec("train", "&Train", ("passes", "update", "steps", "run")),  # main window
    MenuSpec("data", "&Data", ("data_set", "panels")),  # data tools
    MenuSpec(
        "view",
        "&View",
        (
            "panels",  # every dock's Show/hide (main window, teaching and data tools)
            "toolbars",  # the toolbars' Show/hide
            "layout",  # Reset layout
            "zoom",  # zoom and themes (appearance)
            "presentation",  # presentation mode (presentation)
            "defaults",  # Restore default settings
        ),
    ),
    MenuSpec("teach", "T&each", ("timeline", "tools", "checks")),  # teaching tools
    MenuSpec("help", "&Help", ("help", "about")),  # help
)


class Menus:
    """The menus of :data:`MENUS` in a menu bar, with their groups."""

    def __init__(self, bar: QMenuBar, specs: tuple[MenuSpec, ...] = MENUS) -> None:
        self._menus: dict[str, QMenu] = {}
        self._ends: dict[str, dict[str, QAction]] = {}
        for spec in specs:
            menu = QMenu(spec.title, bar)  # under the bar, where presentation mode finds keys
            menu.setObjectName(f"{spec.key}_menu")
            menu.setToolTipsVisible(True)
            bar.addMenu(menu)
            self._menus[spec.key] = menu
            self._ends[spec.key] = {group: menu.addSeparator() for group in spec.groups}

    def keys(self) -> list[str]:
        return list(self._menus)

    def menu(self, key: str) -> QMenu:
        """The menu called ``key`` in the table (ValueError naming the keys if none is)."""
        try:
            return self._menus[key]
        except KeyError:
            raise ValueError(f"no menu '{key}'; expected one of {', '.join(self._menus)}") from None

    def add(self, key: str, group: str, *items: QAction | QMenu) -> None:
        """Put ``items`` at the end of ``group`` of the menu ``key`` (an action already in
        the menu moves there)."""
        menu = self.menu(key)
        ends = self._ends[key]
        if group not in ends:
            raise ValueError(
                f"the {key} menu has no group '{group}'; expected one of {', '.join(ends)}"
            )
        end = ends[group]
        for item in items:
            if isinstance(item, QMenu):
                menu.insertMenu(end, item)
            else:
                menu.insertAction(end, item)

    def groups(self, key: str) -> dict[str, list[QAction]]:
        """The entries of each group of menu ``key``, in order (separators left out)."""
        found: dict[str, list[QAction]] = {}
        ends = self._ends[key]
        current: list[QAction] = []
        for action in self.menu(key).actions():
            group = next((g for g, end in ends.items() if end is action), None)
            if group is None:
                current.append(action)
            else:
                found[group] = [a for a in current if not a.isSeparator()]
                current = []
        return found
