"""Undoable changes to the lesson's data set: one value, added points, a new data set.

The controller pushes these (``Controller.set_data_value`` and friends). They change the
trainer only through :mod:`bpsim.lessons.dataset_edit` and then tell the session, whose
``datasetChanged`` every data view follows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from bpsim.core.trainer import Trainer
from bpsim.gui.state.session import Session
from bpsim.lessons.dataset_edit import DataState, data_state, restore_data, set_data_value
from bpsim.text import fmt


class DataValueCommand(QUndoCommand):
    """Set one input or target; typing into the same cell again merges into one command."""

    ID = 2001

    def __init__(
        self, session: Session, part: str, row: int, column: int, old: float, new: float
    ) -> None:
        super().__init__()
        self.session, self.part, self.row, self.column = session, part, row, column
        self.old, self.new = old, new
        self.source = dict(session.trainer.lesson.dataset.source)
        self._name()

    def _name(self) -> str:
        what = "input" if self.part == "inputs" else "target"
        text = f"Set {what} {self.column + 1} of sample {self.row + 1} to {fmt(self.new)}"
        self.setText(text)
        return text

    def id(self) -> int:
        return self.ID

    def redo(self) -> None:
        set_data_value(self.session.trainer, self.part, self.row, self.column, self.new)
        self.session.data_edited()

    def undo(self) -> None:
        trainer = self.session.trainer
        set_data_value(trainer, self.part, self.row, self.column, self.old)
        trainer.lesson.dataset.source = dict(self.source)  # the file form it had
        self.session.data_edited()

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, DataValueCommand) or (other.part, other.row, other.column) != (
            self.part,
            self.row,
            self.column,
        ):
            return False
        self.new = other.new
        self._name()
        return True


class DataSetCommand(QUndoCommand):
    """A change of the rows (added points, a new data set): the data before and after are
    kept, so undo and redo put back exactly those arrays."""

    def __init__(self, session: Session, text: str, apply: Callable[[Trainer], None]) -> None:
        super().__init__(text)
        self.session = session
        self._apply: Callable[[Trainer], None] | None = apply
        self._before: DataState | None = None
        self._after: DataState | None = None

    def redo(self) -> None:
        trainer = self.session.trainer
        if self._apply is not None:
            self._before = data_state(trainer)
            self._apply(trainer)  # the controller checked that it fits
            self._apply = None
            self._after = data_state(trainer)
        elif self._after is not None:
            restore_data(trainer, self._after)
        self.session.data_edited()

    def undo(self) -> None:
        if self._before is not None:
            restore_data(self.session.trainer, self._before)
        self.session.data_edited()
