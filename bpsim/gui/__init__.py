"""The Qt window. Everything here follows a :class:`~bpsim.gui.state.session.Session`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bpsim.gui.shell.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    # `from bpsim.gui import MainWindow` without importing Qt for `import bpsim.gui.state.session`.
    if name == "MainWindow":
        from bpsim.gui.shell.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)
