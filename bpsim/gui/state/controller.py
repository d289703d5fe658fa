"""Turns what the user asks for into undoable commands on the session.

Views report intents (``set_value``, ``set_learning_rate`` …); the controller pushes a
:class:`QUndoCommand` whose ``redo``/``undo`` change only the session, and every view
follows the session's signals. Training phases are not on this stack: undo is for edits.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from bpsim.gui.state.commands import StructureEditing
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.text import fmt


class SetValueCommand(QUndoCommand):
    """Set one weight or bias; repeated edits of the same number merge into one."""

    ID = 1001

    def __init__(
        self, session: Session, key: ParameterKey, old: float, new: float, label: str
    ) -> None:
        super().__init__(f"Set {label} to {fmt(new)}")
        self.session, self.key, self.old, self.new, self.label = session, key, old, new, label

    def id(self) -> int:
        return self.ID

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
    """Change one training setting (learning rate, optimizer, loss, batch size)."""

    def __init__(self, text: str, apply_old, apply_new) -> None:
        super().__init__(text)
        self._old, self._new = apply_old, apply_new

    def redo(self) -> None:
        self._new()

    def undo(self) -> None:
        self._old()


def loss_problem(loss: str, output_activation: str) -> str | None:
    """Why ``loss`` cannot follow an output layer of ``output_activation`` (the file
    format's rule, so a lesson edited here still loads), or None when it can."""
    if loss == "binary_cross_entropy" and output_activation != "sigmoid":
        return f"binary_cross_entropy needs a sigmoid output layer, not {output_activation}"
    if loss == "cross_entropy" and output_activation != "softmax":
        return f"cross_entropy needs a softmax output layer, not {output_activation}"
    return None


class Controller(QObject):
    """The one place edits enter; owns the undo stack."""

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.undo_stack = QUndoStack(self)
        # Commands hold keys and settings of the lesson they were made in; after another
        # lesson is opened they would apply to the wrong network. (Structural edits of the
        # same lesson stay undoable: they are on this stack.)
        session.documentReplaced.connect(self.undo_stack.clear)
        #: Structural edits: layers, neurons, links, activations, names, dragging.
        self.structure = StructureEditing(session, self.undo_stack, self)

    def set_value(self, key: ParameterKey, value: float, label: str = "") -> None:
        """Set a weight or bias (undoable). Raises ValueError, changing nothing, when the
        value is refused."""
        old = self.session.value(key)
        if value == old:
            return
        self.session.check_value(key, value)
        self.undo_stack.push(SetValueCommand(self.session, key, old, value, label or key.place()))

    def set_learning_rate(self, value: float) -> None:
        old = float(self.session.trainer.optimizer.hyper["learning_rate"])
        if value == old:
            return
        if not (math.isfinite(value) and value > 0):
            raise ValueError("the learning rate must be a number above 0")
        self.undo_stack.push(
            SettingCommand(
                f"Learning rate {fmt(value)}",
                lambda: self.session.set_learning_rate(old),
                lambda: self.session.set_learning_rate(value),
            )
        )

    def set_optimizer(self, name: str) -> None:
        old_spec = self.session.optimizer_spec()
        if name == old_spec.name:
            return
        trainer = self.session.trainer

        def back() -> None:
            trainer.set_optimizer(old_spec)
            self.session.settingsChanged.emit()
            self.session.stateChanged.emit()

        self.undo_stack.push(
            SettingCommand(f"Optimizer {name}", back, lambda: self.session.set_optimizer(name))
        )

    def loss_problem(self, name: str) -> str | None:
        """Why the loss ``name`` does not fit this network's output layer, or None."""
        return loss_problem(name, self.session.trainer.network.layers[-1].activation)

    def set_loss(self, name: str) -> None:
        """Change the loss (undoable). Raises ValueError when it does not fit the output."""
        old = self.session.trainer.network.loss.name
        if name == old:
            return
        problem = self.loss_problem(name)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(
            SettingCommand(
                f"Loss {name}",
                lambda: self.session.set_loss(old),
                lambda: self.session.set_loss(name),
            )
        )

    def set_batch_size(self, size: int | None) -> None:
        old = self.session.trainer.training.batch_size
        if size == old:
            return
        if size is not None and size < 1:
            raise ValueError("the batch size must be at least 1")
        self.undo_stack.push(
            SettingCommand(
                f"Batch size {size or 'full'}",
                lambda: self.session.set_batch_size(old),
                lambda: self.session.set_batch_size(size),
            )
        )

    # -- the data set (commands in bpsim.gui.state.data_commands) ------------------------------

    def set_data_value(self, part: str, row: int, column: int, value: float) -> None:
        """Set input or target ``column`` of sample ``row`` (``part`` "inputs" or
        "targets"; undoable). Raises ValueError, changing nothing, when refused."""
        from bpsim.gui.state.data_commands import DataValueCommand
        from bpsim.lessons.dataset_edit import check_data_value

        old = check_data_value(self.session.trainer, part, row, column, float(value))
        if float(value) == old:
            return
        self.undo_stack.push(DataValueCommand(self.session, part, row, column, old, float(value)))

    def add_samples(self, inputs: object, targets: object, text: str = "Add a point") -> None:
        """Append samples to the data set (undoable); it becomes inline rows. Raises
        ValueError, changing nothing, when they do not fit the network."""
        import numpy as np

        from bpsim.gui.state.data_commands import DataSetCommand
        from bpsim.lessons.dataset_edit import add_rows, fit_problem

        trainer = self.session.trainer
        x = np.atleast_2d(np.asarray(inputs, dtype=np.float64))
        t = np.atleast_2d(np.asarray(targets, dtype=np.float64))
        if x.shape[1:] != trainer.inputs.shape[1:] or t.shape[1:] != trainer.targets.shape[1:]:
            add_rows(trainer, x, t)  # raises the message; changes nothing
        problem = fit_problem(
            np.concatenate([trainer.inputs, x]),
            np.concatenate([trainer.targets, t]),
            trainer.network,
        )
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(DataSetCommand(self.session, text, lambda tr: add_rows(tr, x, t)))

    def replace_dataset(self, dataset: object, text: str = "New data set") -> None:
        """Make ``dataset`` (a bpsim.core.spec.Dataset) the lesson's data (undoable).
        Raises ValueError, changing nothing, when it does not fit the network."""
        from bpsim.core.spec import Dataset
        from bpsim.gui.state.data_commands import DataSetCommand
        from bpsim.lessons.dataset_edit import fit_problem, replace_dataset

        if not isinstance(dataset, Dataset):
            raise TypeError("expected a Dataset")
        problem = fit_problem(dataset.inputs, dataset.targets, self.session.trainer.network)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(
            DataSetCommand(self.session, text, lambda tr: replace_dataset(tr, dataset))
        )
