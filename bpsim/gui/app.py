"""Starting the window: ``bpsim [FILE]`` ends up in :func:`run_app`.

A student must never see a traceback: a bad FILE opens the default example with the
problem shown in the window, and an unexpected exception in any slot is shown in a
message box (and printed) while the window keeps running.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

APP_NAME = "bpsim"
ORGANIZATION = "bpsim"
MIN_POINT_SIZE = 10  # readable on a projector, and nothing cramped at 1024×768

_error_box: QMessageBox | None = None


def apply_style(app: QApplication) -> None:
    """Fonts at least :data:`MIN_POINT_SIZE` points, so the back row can read numbers."""
    font = app.font()
    if 0 < font.pointSizeF() < MIN_POINT_SIZE:
        font.setPointSizeF(MIN_POINT_SIZE)
        app.setFont(font)


def show_exception(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    """``sys.excepthook``: print the traceback and show the error in a non-modal box."""
    global _error_box
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    details = "".join(traceback.format_exception(kind, error, tb))
    print(details, file=sys.stderr, end="")
    app = QApplication.instance()
    if not isinstance(app, QApplication) or (_error_box is not None and _error_box.isVisible()):
        return  # one box at a time: a failing paint event must not open hundreds
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "bpsim: unexpected error",
        f"Something went wrong inside bpsim ({kind.__name__}: {error}).\n\n"
        "The window keeps working, but what it shows may be out of date. "
        "Please save your lesson under a new name and report this problem.",
        QMessageBox.StandardButton.Close,
        app.activeWindow(),
    )
    box.setObjectName("exception_box")
    box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    _error_box = box


def make_application() -> QApplication:
    """The running QApplication, or a new one named for QSettings."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        apply_style(app)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationDisplayName(APP_NAME)
    return app


def run_app(path: str | Path | None = None) -> int:
    """Open the window on ``path`` (or the default example) and run until it closes."""
    from bpsim.gui.main_window import MainWindow

    app = make_application()
    previous_hook = sys.excepthook
    sys.excepthook = show_exception
    try:
        window = MainWindow(path)
        settings = QSettings()
        window.restore_layout(settings)
        window.show()
        code = int(app.exec())
        window.save_layout(settings)
        window.session.pause()
    finally:
        sys.excepthook = previous_hook
    return code
