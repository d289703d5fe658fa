"""A dismissible message strip laid over the top of the window.

Problems a student must read (a file that would not open, training that diverged) go
here instead of a modal dialog: nothing blocks, the window keeps working, tests never hang
on a dialog, and the message stays until it is closed or the next lesson replaces it.

Messages often quote a file (its name, a lesson's name, a key), so the text is always
plain text: ``<b>`` in a lesson name shows as ``<b>``, and a link or an image in one is
never fetched or followed.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QToolButton,
)

STYLES: dict[str, tuple[str, str, str]] = {
    # kind: (background, border, symbol)
    "error": ("#fde8e6", "#c0392b", "✖"),
    "warning": ("#fff4d6", "#b8860b", "⚠"),
    "info": ("#e6f0fb", "#2f6db3", "ℹ"),
}
MAX_WIDTH = 980
INFO_SECONDS = 6


class MessageBanner(QFrame):
    """Shown over ``window`` just below its toolbars; follows the window's size."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("message_banner")
        self._window = window
        self.kind = "info"
        self.icon = QLabel()
        self.label = QLabel()
        self.label.setObjectName("message_banner_text")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # text from files, never HTML
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        close = QToolButton()
        close.setObjectName("message_banner_close")
        close.setText("✕")
        close.setToolTip("Close this message")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        #: symbol, text, ✕ (a subclass may put buttons before the ✕)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(12, 6, 6, 6)
        self.row.setSpacing(10)
        self.row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignVCenter)
        self.row.addWidget(self.label, 1, Qt.AlignmentFlag.AlignVCenter)
        self.row.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        self._buttons: list[QPushButton] = []  # the answers offered with this message
        self._auto_hide = QTimer(self)
        self._auto_hide.setSingleShot(True)
        self._auto_hide.timeout.connect(self.hide)
        window.installEventFilter(self)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_message(self, text: str, kind: str = "error", answers: Sequence[QAction] = ()) -> None:
        """Show ``text``; errors and warnings stay until closed, information fades.

        ``answers`` become buttons before the ✕ (named ``message_banner_`` + the action's
        name): a question asked without a modal dialog; a click triggers the action and
        closes the message."""
        self.kind = kind
        self._set_answers(answers)
        background, border, symbol = STYLES[kind]
        self.setStyleSheet(
            f"#{self.objectName()} {{ background: {background}; border: 1px solid {border};"
            f" border-radius: 6px; }}"
            f"#{self.objectName()} QLabel {{ color: #1d1d1d; background: transparent; }}"
        )
        self.icon.setText(symbol)
        self.icon.setStyleSheet(f"color: {border}; font-weight: bold; font-size: 16pt;")
        self.label.setText(text)
        self._auto_hide.stop()
        if kind == "info":
            self._auto_hide.start(INFO_SECONDS * 1000)
        self.show()
        self.raise_()
        self.place()

    def _set_answers(self, answers: Sequence[QAction]) -> None:
        for button in self._buttons:
            self.row.removeWidget(button)
            button.hide()  # now: deleteLater waits for the event loop
            button.deleteLater()
        self._buttons = []
        for action in answers:
            button = QPushButton(action.text())
            button.setObjectName(f"message_banner_{action.objectName()}")
            button.setToolTip(action.toolTip())
            button.clicked.connect(lambda _=False, a=action: self._answer(a))
            self.row.insertWidget(self.row.count() - 1, button, 0, Qt.AlignmentFlag.AlignVCenter)
            self._buttons.append(button)

    def _answer(self, action: QAction) -> None:
        self.hide()
        action.trigger()

    def answer_buttons(self) -> list[QPushButton]:
        """The buttons of the question on show (for tests: ``buttons[0].click()``)."""
        return list(self._buttons)

    def place(self) -> None:
        """Centre under the top toolbars, as wide as fits, as tall as the text needs."""
        window = self._window
        top = window.menuBar().geometry().bottom() + 1 if window.menuBar().isVisible() else 0
        for bar in window.findChildren(QToolBar):
            if (
                bar.isVisible()
                and not bar.isFloating()
                and window.toolBarArea(bar) == Qt.ToolBarArea.TopToolBarArea
            ):
                top = max(top, bar.geometry().bottom() + 1)
        width = min(MAX_WIDTH, window.width() - 24)
        row = self.row
        height = row.totalHeightForWidth(width) if row.hasHeightForWidth() else -1
        if height <= 0:
            height = self.sizeHint().height()
        self.setGeometry(QRect((window.width() - width) // 2, top + 6, width, height))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._window
            and event.type()
            in (
                QEvent.Type.Resize,
                QEvent.Type.LayoutRequest,
            )
            and self.isVisible()
        ):
            self.place()
        return super().eventFilter(watched, event)
