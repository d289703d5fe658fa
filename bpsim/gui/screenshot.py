"""``bpsim screenshot``: the window rendered offscreen after some actions, as a PNG.

Used for documentation and to look at the window without a screen. The actions are the
window's own (the same objects a click or a key triggers), so a screenshot shows exactly
what a student would see after pressing them.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QMessageLogContext,
    QRect,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QAction, QColor, QPainter, QPixmap
from PySide6.QtWidgets import QWidget

#: Actions ``--after`` accepts, in the order the help lists them.
SCREENSHOT_ACTIONS: tuple[str, ...] = (
    "forward",
    "backward",
    "update",
    "step",
    "epoch",
    "forward_layer",
    "backward_layer",
    "reset",
    "run",
)
PANELS = ("window", "network_editor", "loss_plot", "parameter_table")
RUN_SECONDS = 0.5
#: What the offscreen platform says about features it lacks: true, and of no interest.
QUIET = ("This plugin does not support",)


def _settle(seconds: float = 0.0) -> None:
    """Let Qt lay out and paint (and, for ``seconds``, run timers such as Run's)."""
    deadline = time.perf_counter() + seconds
    while True:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        loop = QEventLoop()
        QTimer.singleShot(int(min(remaining, 0.05) * 1000) + 1, loop.quit)
        loop.exec()
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()


def _fit(pixmap: QPixmap, size: tuple[int, int]) -> QPixmap:
    """The window at exactly ``size``: when it cannot be made that small (its panels have
    minimum sizes), the picture is scaled down to fit, keeping its proportions."""
    width, height = size
    if (pixmap.width(), pixmap.height()) == (width, height):
        return pixmap
    scaled = pixmap.scaled(
        width,
        height,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    canvas = QPixmap(width, height)
    canvas.fill(QColor("white"))
    painter = QPainter(canvas)
    x, y = (width - scaled.width()) // 2, (height - scaled.height()) // 2
    painter.drawPixmap(QRect(x, y, scaled.width(), scaled.height()), scaled)
    painter.end()
    print(
        f"note: the window needs at least {pixmap.width()}×{pixmap.height()} pixels; "
        f"the picture is scaled down to fit {width}×{height}",
        file=sys.stderr,
    )
    return canvas


def _quiet_handler(
    previous: Callable[[QtMsgType, QMessageLogContext, str], None] | None,
) -> Callable[[QtMsgType, QMessageLogContext, str], None]:
    def handle(kind: QtMsgType, context: QMessageLogContext, text: str) -> None:
        if text.startswith(QUIET):
            return
        if previous is not None:
            previous(kind, context, text)
        else:
            print(text, file=sys.stderr)

    return handle


def check_actions(actions: list[str]) -> None:
    """Raise ValueError naming the first action ``--after`` does not know."""
    for name in actions:
        if name not in SCREENSHOT_ACTIONS:
            raise ValueError(
                f"--after: unknown action '{name}'; expected one of {', '.join(SCREENSHOT_ACTIONS)}"
            )


def render_screenshot(
    path: Path,
    out: Path,
    actions: list[str],
    size: tuple[int, int],
    panel: str = "window",
    *,
    presentation: bool = False,
    theme: str | None = None,
    zoom: float | None = None,
) -> None:
    """Open ``path`` in a window of ``size`` pixels, trigger ``actions`` in order, and
    write the window (or the panel named ``panel``) to ``out`` as a PNG; in presentation
    mode (``size`` stands for the screen), with a ``theme`` and a ``zoom`` if given."""
    check_actions(actions)
    if panel not in PANELS:
        raise ValueError(f"--panel: unknown panel '{panel}'; expected one of {', '.join(PANELS)}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bpsim.gui.app import make_application
    from bpsim.gui.shell.main_window import MainWindow

    make_application()
    previous = qInstallMessageHandler(None)
    qInstallMessageHandler(_quiet_handler(previous))
    window = MainWindow(path)
    window.teaching.animation.set_enabled(False)  # a still picture, not a frame mid-pass
    try:
        if presentation:
            window.presentation.enter(full_screen=False)
        if theme is not None or zoom is not None:
            window.appearance.set(
                theme or window.appearance.theme.name,
                window.appearance.zoom if zoom is None else zoom,
            )
        window.resize(*size)
        window.show()
        _settle(0.05)
        for name in actions:
            if name == "run":
                window.session.start()
                _settle(RUN_SECONDS)
                window.session.pause()
            else:
                action = window.findChild(QAction, name)
                assert action is not None, name
                action.trigger()
            _settle()
        _settle(0.05)
        if panel == "window":
            pixmap = _fit(window.grab(), size)
        else:
            target: QWidget = window.panels[panel]
            pixmap = target.grab()
        if not pixmap.save(str(out), "PNG"):
            raise OSError(f"{out}: cannot write the picture")
    finally:
        window.setWindowModified(False)  # a screenshot never asks to save
        window.close()
        window.deleteLater()
        _settle()
        qInstallMessageHandler(previous)
