"""Every undoable edit of the open lesson: one :class:`QUndoCommand` class per kind of edit.

The controller (:mod:`bpsim.gui.state.controller`) checks an edit, makes one of these and
pushes it on its undo stack. A command's ``redo`` and ``undo`` change the lesson only
through :class:`~bpsim.gui.state.session.Session` methods, so they take the same road as a
training phase: command -> session -> core -> signals -> views.

- :class:`SetValueCommand`: one weight or bias (typing into the same number again merges).
- :class:`SettingCommand`: a training setting (learning rate, optimizer, loss, batch size).
- :class:`StructureCommand`: a structural edit worked out by :mod:`bpsim.lessons.structure`;
  the session swaps between the trainer before and the one after
  (``Session.replace_structure``), so undo and redo are exact and cheap: each trainer keeps
  its own weights, optimizer state, history and pass on screen. Commands further down the
  stack act on whichever trainer is current, which is always the one they were made on,
  because the stack undoes in order.
- :class:`MoveNeuronCommand`: a neuron dragged in the editor; the moves of one drag merge
  into one command. Its place goes into the lesson's ``view["positions"]``.
- :class:`DataValueCommand`: one input or target (typing into the same cell again merges).
- :class:`DataSetCommand`: added rows or a new data set; the data before and after are
  kept, so undo and redo put back exactly those arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from bpsim.core.trainer import Trainer
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.lessons.dataset_edit import DataState
from bpsim.lessons.structure import with_neuron_position
from bpsim.text import fmt

__all__ = [
    "DataSetCommand",
    "DataValueCommand",
    "MoveNeuronCommand",
    "SetValueCommand",
    "SettingCommand",
    "StructureCommand",
]

# QUndoStack merges only commands with the same id (-1: never merges).
SET_VALUE_ID = 1001
DATA_VALUE_ID = 2001
MOVE_NEURON_ID = 3001


# -- parameters and settings -----------------------------------------------------------------


class SetValueCommand(QUndoCommand):
    """Set one weight or bias; repeated edits of the same number merge into one."""

    def __init__(
        self, session: Session, key: ParameterKey, old: float, new: float, label: str
    ) -> None:
        super().__init__(f"Set {label} to {fmt(new)}")
        self.session, self.key, self.old, self.new, self.label = session, key, old, new, label

    def id(self) -> int:
        return SET_VALUE_ID

    def redo(self) -> None:
        self.session.set_value(self.key, self.new)

    def undo(self) -> None:
        self.session.set_value(self.key, self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetValueCommand) or other.key != self.key:
            return False
        self.new = other.new
        self.setText(f"Set {self.label} to {fmt(self.new)}")
        return True


class SettingCommand(QUndoCommand):
    """Change one training setting: ``apply`` is the session's setter
    (``session.set_learning_rate``, ``session.set_optimizer_spec`` …), given ``new`` on
    redo and ``old`` on undo."""

    def __init__(self, text: str, apply: Callable[[Any], None], old: object, new: object) -> None:
        super().__init__(text)
        self._apply, self.old, self.new = apply, old, new

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


# -- the structure -------------------------------------------------------------------------


class StructureCommand(QUndoCommand):
    """One structural edit: the session shows trainer ``after`` (redo) or ``before`` (undo)."""

    def __init__(self, session: Session, before: Trainer, after: Trainer, text: str) -> None:
        super().__init__(text)
        self.session, self.before, self.after = session, before, after

    def redo(self) -> None:
        self.session.replace_structure(self.after)

    def undo(self) -> None:
        self.session.replace_structure(self.before)


class MoveNeuronCommand(QUndoCommand):
    """A neuron dragged to another place; the moves of one drag merge into one command."""

    def __init__(
        self,
        session: Session,
        layer: int,
        index: int,
        old: tuple[float, float] | None,
        new: tuple[float, float] | None,
        drag: int,
        name: str,
    ) -> None:
        super().__init__(f"Move {name}" if new is not None else f"Put {name} back in line")
        self.session, self.layer, self.index = session, layer, index
        self.old, self.new, self.drag = old, new, drag

    def id(self) -> int:
        return MOVE_NEURON_ID

    def _put(self, place: tuple[float, float] | None) -> None:
        lesson = self.session.trainer.lesson
        self.session.set_view(with_neuron_position(lesson, self.layer, self.index, place))

    def redo(self) -> None:
        self._put(self.new)

    def undo(self) -> None:
        self._put(self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, MoveNeuronCommand)
            or other.drag != self.drag
            or (other.layer, other.index) != (self.layer, self.index)
        ):
            return False
        self.new = other.new
        return True


# -- the data set --------------------------------------------------------------------------


class DataValueCommand(QUndoCommand):
    """Set one input or target; typing into the same cell again merges into one command."""

    def __init__(
        self, session: Session, part: str, row: int, column: int, old: float, new: float
    ) -> None:
        super().__init__()
        self.session, self.part, self.row, self.column = session, part, row, column
        self.old, self.new = old, new
        # The file form the data set had (a built-in, a CSV): undo puts it back.
        self.source: dict[str, Any] = dict(session.trainer.lesson.dataset.source)
        self._name()

    def _name(self) -> None:
        what = "input" if self.part == "inputs" else "target"
        self.setText(f"Set {what} {self.column + 1} of sample {self.row + 1} to {fmt(self.new)}")

    def id(self) -> int:
        return DATA_VALUE_ID

    def redo(self) -> None:
        self.session.set_data_value(self.part, self.row, self.column, self.new)

    def undo(self) -> None:
        self.session.set_data_value(self.part, self.row, self.column, self.old, self.source)

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
    """A change of the rows (added points, a new data set): the first redo applies
    ``change`` (checked by the controller) and keeps the data before and after, so undo
    and redo put back exactly those arrays."""

    def __init__(self, session: Session, text: str, change: Callable[[Trainer], None]) -> None:
        super().__init__(text)
        self.session = session
        self._change: Callable[[Trainer], None] | None = change
        self._before: DataState | None = None
        self._after: DataState | None = None

    def redo(self) -> None:
        if self._change is not None:
            self._before, self._after = self.session.change_data(self._change)
            self._change = None
        elif self._after is not None:
            self.session.restore_data(self._after)

    def undo(self) -> None:
        if self._before is not None:
            self.session.restore_data(self._before)
