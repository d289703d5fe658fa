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

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox
from shiboken6 import isValid

from bpsim.gui.services.help import app_icon
from bpsim.gui.services.recovery import save_all_now
from bpsim.gui.services.settings import Settings

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
    showing = _error_box is not None and isValid(_error_box) and _error_box.isVisible()
    if not isinstance(app, QApplication) or showing:  # (a closed box deletes itself)
        return  # one box at a time: a failing paint event must not open hundreds
    kept = save_all_now()  # before anything else can go wrong: the work is safe first
    safe = (
        f"\n\nYour unsaved work was kept in a recovery file ({kept[0]}); if bpsim stops, "
        "the next start offers it back."
        if kept
        else ""
    )
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "bpsim: unexpected error",
        f"Something went wrong inside bpsim ({kind.__name__}: {error}).\n\n"
        "The window keeps working, but what it shows may be out of date. "
        f"Please save your lesson under a new name and report this problem.{safe}",
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
        # Qt 6 scales for the screen's density by itself; pass fractional factors
        # (150 %) through unrounded, so text and the vector icon stay sharp.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(sys.argv[:1])
        app.setStyle("Fusion")  # follows the themes' palettes the same on every system
        apply_style(app)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_NAME)  # resources/bpsim.desktop: the icon in docks and panels
    app.setWindowIcon(app_icon())
    return app


def run_app(source: str | Path | None = None, *, present: bool = False) -> int:
    """Open the window on ``source`` (a lesson's path, or the default example) and run until
    it closes; ``present`` starts in presentation mode (``bpsim --present``)."""
    from bpsim.gui.shell.main_window import MainWindow

    app = make_application()
    previous_hook = sys.excepthook
    sys.excepthook = show_exception
    try:
        window = MainWindow(source, recovery=True)  # autosave, and offer what a crash left
        settings = Settings.open()
        settings.attach(window)  # layout, theme, zoom, presentation, recent files
        window.show()
        if present:
            window.presentation.enter()
        elif not settings.tour_shown:  # the first start: the tour of the three panels
            settings.tour_shown = True
            window.help.start_tour_soon()
        code = int(app.exec())
        # Closing the last window and Quit each post a Quit event; one left over would end
        # every event loop run after this one (tests, an embedding program) at once.
        QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)
        settings.save(window)
        window.session.pause()
    finally:
        sys.excepthook = previous_hook
    return code
