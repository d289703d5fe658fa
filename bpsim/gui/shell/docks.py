"""Building the window's panels as docks, the same way for every part of the window."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget


def make_panel_dock(
    window: QMainWindow,
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


def find_menu(window: QMainWindow, title: str) -> QMenu | None:
    """The menu bar's menu called ``title`` ("&File" or "File"), or None."""
    wanted = title.replace("&", "")
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == wanted:
            return menu
    return None
