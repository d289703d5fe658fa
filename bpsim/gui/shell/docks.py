"""Building the window's panels as docks, the same way for every part of the window."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget


def make_panel_dock(
    window: QWidget,
    name: str,
    title: str,
    widget: QWidget,
    *,
    tip: str = "",
    name_widget: bool = True,
) -> QDockWidget:
    """A movable, floatable, closable dock named ``<name>_dock`` (the widget ``name``
    unless ``name_widget`` is False), with a ``show_<name>`` toggle action for View."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"{name}_dock")
    if name_widget:
        widget.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    toggle = dock.toggleViewAction()
    toggle.setObjectName(f"show_{name}")
    toggle.setText(f"&{title}")
    toggle.setToolTip(f"Show or hide the {title.lower()} panel" + (f": {tip}" if tip else ""))
    toggle.setStatusTip(toggle.toolTip())
    return dock


def place_dock(
    window: QMainWindow,
    dock: QDockWidget,
    area: Qt.DockWidgetArea,
    *,
    tab_with: QDockWidget | None = None,
    below: QDockWidget | None = None,
    hidden: bool = False,
) -> None:
    """Dock ``dock`` in ``area``, under ``below`` or as a tab behind ``tab_with``.

    A hidden dock in a tab group leaves a stray tab bar behind, so a ``hidden`` dock
    waits in its partner's area and joins its tabs the first time it is shown (unless it
    was floated meanwhile or the partner is not on screen)."""
    if below is not None:
        window.splitDockWidget(below, dock, Qt.Orientation.Vertical)
    elif tab_with is not None and not hidden:
        window.tabifyDockWidget(tab_with, dock)
        tab_with.raise_()  # the panel that was there stays in front
    else:
        partner_area = window.dockWidgetArea(tab_with) if tab_with is not None else area
        if partner_area == Qt.DockWidgetArea.NoDockWidgetArea:
            partner_area = area
        window.addDockWidget(partner_area, dock)
    if hidden:
        dock.hide()
        if tab_with is not None:
            _JoinWhenShown(window, dock, tab_with)
            # In front of any tab bar Qt leaves behind in the area while the dock waits.
            tab_with.raise_()


def show_beside(window: QMainWindow, dock: QDockWidget, partner: QDockWidget) -> None:
    """Show ``dock`` as a tab behind ``partner`` now, in place of the tab group it was
    waiting to join (re-tabbing a dock while it is being shown crashes Qt)."""
    for joiner in dock.findChildren(_JoinWhenShown):
        joiner.cancel()
    if window.dockWidgetArea(partner) != Qt.DockWidgetArea.NoDockWidgetArea:
        window.tabifyDockWidget(partner, dock)
    dock.show()


class _JoinWhenShown(QObject):
    """Tabs ``dock`` behind ``partner`` the first time it becomes visible."""

    def __init__(self, window: QMainWindow, dock: QDockWidget, partner: QDockWidget) -> None:
        super().__init__(dock)
        self._window, self._dock, self._partner = window, dock, partner
        self._waiting = True
        dock.visibilityChanged.connect(self._shown)

    def cancel(self) -> None:
        """Stop waiting: the dock was placed some other way."""
        if self._waiting:
            self._waiting = False
            self._dock.visibilityChanged.disconnect(self._shown)

    def _shown(self, visible: bool) -> None:
        dock, partner, window = self._dock, self._partner, self._window
        if not visible or dock.isFloating():
            return
        self.cancel()
        docked = window.dockWidgetArea(partner) != Qt.DockWidgetArea.NoDockWidgetArea
        if docked and partner.isVisible():
            window.tabifyDockWidget(partner, dock)
            dock.show()
            dock.raise_()
