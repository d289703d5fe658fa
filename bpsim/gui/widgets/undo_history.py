"""The undo history as a list: every edit since the lesson was opened, by name.

Clicking an entry undoes or redoes every edit up to it, so a teacher can step a network
back to how it was three edits ago and forward again. It is a dock, hidden until
Edit ▸ Undo history (Ctrl+H) shows it, and it never blocks anything.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QUndoView, QWidget

#: The first line of the list: the lesson before any edit.
EMPTY_LABEL = "<as opened>"
TIP = "Show or hide the list of edits; click an entry to go back (or forward) to it"


class UndoHistoryDock(QDockWidget):
    """A dock holding a :class:`QUndoView` of ``stack``; ``toggle_action`` shows it. The
    window docks it (hidden at first)."""

    def __init__(self, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__("Undo history", parent)
        self.setObjectName("undo_history_dock")
        self.view = QUndoView(stack, self)
        self.view.setObjectName("undo_history")
        self.view.setEmptyLabel(EMPTY_LABEL)
        self.view.setToolTip("Click an edit to undo or redo everything up to it")
        self.setWidget(self.view)
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.toggle_action = self.toggleViewAction()
        self.toggle_action.setObjectName("undo_history")
        self.toggle_action.setText("Undo &history")
        self.toggle_action.setShortcut(QKeySequence("Ctrl+H"))
        native = self.toggle_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.toggle_action.setToolTip(f"{TIP} ({native})")
        self.toggle_action.setStatusTip(TIP)

    def entries(self) -> list[str]:
        """The list as shown, first line (the lesson as opened) included."""
        model = self.view.model()
        return [str(model.index(row, 0).data()) for row in range(model.rowCount())]


__all__ = ["UndoHistoryDock"]
