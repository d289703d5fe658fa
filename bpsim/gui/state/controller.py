"""Turns what the user asks for into undoable commands on the session.

Views report intents (``set_value``, ``set_learning_rate``, ``structure.add_neuron`` …);
the controller checks them against :mod:`bpsim.core.rules` (a refusal raises
ValueError with a message and changes nothing) and pushes one command of
:mod:`bpsim.gui.state.commands`, whose ``redo``/``undo`` change only the session; every
view follows the session's signals. Training phases are not on this stack: undo is for
edits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoStack

from bpsim.core import rules
from bpsim.core.spec import Dataset, Lesson
from bpsim.gui.state.commands import (
    DataSetCommand,
    DataValueCommand,
    MoveNeuronCommand,
    SettingCommand,
    SetValueCommand,
    StructureCommand,
)
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.lessons import structure
from bpsim.lessons.dataset_edit import (
    add_rows,
    check_data_value,
    fit_problem,
    new_rows_problem,
    replace_dataset,
)
from bpsim.lessons.structure import StructureEdit, StructureError, neuron_position
from bpsim.text import fmt


class StructureEditing(QObject):
    """Structural edits as the views ask for them (``controller.structure.add_neuron(1)``).

    Each pushes one undoable command; a refused edit raises :class:`StructureError` with a
    message naming the place and changes nothing. Side effects the user should know about
    (the loss switched to fit a new output activation) go to ``session.report``.
    """

    def __init__(self, session: Session, stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.stack = session, stack
        self._drag = 0

    def apply(self, make: Callable[[Lesson], StructureEdit]) -> StructureEdit:
        """Work out an edit on the lesson as it stands and push it."""
        session = self.session
        session.pause()
        before = session.trainer
        edit = make(structure.current_lesson(before))
        after = structure.edited_trainer(before, edit)
        self.stack.push(StructureCommand(session, before, after, edit.description))
        for note in edit.notes:
            session.report(note)
        return edit

    def add_layer(self, before: int, size: int = structure.NEW_LAYER_SIZE) -> StructureEdit:
        return self.apply(lambda lesson: structure.add_layer(lesson, before, size))

    def remove_layer(self, layer: int) -> StructureEdit:
        return self.apply(lambda lesson: structure.remove_layer(lesson, layer))

    def add_neuron(self, layer: int) -> StructureEdit:
        return self.apply(lambda lesson: structure.add_neuron(lesson, layer))

    def remove_neuron(self, layer: int, index: int) -> StructureEdit:
        return self.apply(lambda lesson: structure.remove_neuron(lesson, layer, index))

    def set_activation(self, layer: int, activation: str) -> StructureEdit:
        return self.apply(lambda lesson: structure.set_activation(lesson, layer, activation))

    def set_bias_mode(self, layer: int, mode: str) -> StructureEdit:
        return self.apply(lambda lesson: structure.set_bias_mode(lesson, layer, mode))

    def set_trainable(
        self, layer: int, *, weights: bool | None = None, bias: bool | None = None
    ) -> StructureEdit:
        return self.apply(
            lambda lesson: structure.set_trainable(lesson, layer, weights=weights, bias=bias)
        )

    def set_link(self, k: int, j: int, i: int, present: bool) -> StructureEdit:
        """Remove (mask) or restore the link weights[k][j][i]."""
        return self.apply(lambda lesson: structure.set_link(lesson, k, j, i, present))

    def rename_neuron(self, layer: int, index: int, name: str) -> StructureEdit:
        return self.apply(lambda lesson: structure.rename_neuron(lesson, layer, index, name))

    def reinitialise(
        self, method: str, seed: int, low: float = -1.0, high: float = 1.0
    ) -> StructureEdit:
        return self.apply(lambda lesson: structure.reinitialise(lesson, method, seed, low, high))

    # -- dragging --------------------------------------------------------------------

    def begin_drag(self) -> int:
        """A new drag: its moves merge into one command."""
        self._drag += 1
        return self._drag

    def move_neuron(
        self, layer: int, index: int, place: tuple[float, float] | None, drag: int = 0
    ) -> None:
        """Put a neuron at ``place`` (editor layout units; None: back in its column)."""
        lesson = self.session.trainer.lesson
        if not (0 <= layer < len(lesson.layers) and 0 <= index < lesson.layers[layer].size):
            raise StructureError(
                "view.positions", f"there is no neuron {index + 1} in layer {layer}"
            )
        if place is not None and not all(math.isfinite(v) for v in place):
            raise StructureError("view.positions", "a position must be finite numbers")
        old = neuron_position(lesson.view, layer, index)
        if old == place:
            return
        name = structure.neuron_labels(lesson)[layer][index]
        self.stack.push(
            MoveNeuronCommand(
                self.session, layer, index, old, place, drag or self.begin_drag(), name
            )
        )


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

    # -- training settings -------------------------------------------------------------

    def set_learning_rate(self, value: float) -> None:
        """Change the learning rate (undoable). Raises ValueError when it is refused."""
        old = float(self.session.trainer.optimizer.hyper["learning_rate"])
        if value == old:
            return
        problem = rules.learning_rate_problem(value)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(
            SettingCommand(
                f"Learning rate {fmt(value)}", self.session.set_learning_rate, old, value
            )
        )

    def set_optimizer(self, name: str) -> None:
        """Switch optimizer (undoable: undo brings back the old one with its settings)."""
        old_spec = self.session.optimizer_spec()
        if name == old_spec.name:
            return
        new_spec = self.session.switched_optimizer(name)
        self.undo_stack.push(
            SettingCommand(f"Optimizer {name}", self.session.set_optimizer_spec, old_spec, new_spec)
        )

    def loss_problem(self, name: str) -> str | None:
        """Why the loss ``name`` does not fit this network's output layer, or None."""
        return rules.loss_problem(name, self.session.trainer.network.layers[-1].activation)

    def set_loss(self, name: str) -> None:
        """Change the loss (undoable). Raises ValueError when it does not fit the output."""
        old = self.session.trainer.network.loss.name
        if name == old:
            return
        problem = self.loss_problem(name)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(SettingCommand(f"Loss {name}", self.session.set_loss, old, name))

    def set_batch_size(self, size: int | None) -> None:
        """Change the batch size (None: the full set; undoable). ValueError when refused."""
        old = self.session.trainer.training.batch_size
        if size == old:
            return
        problem = rules.batch_size_problem(size)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(
            SettingCommand(f"Batch size {size or 'full'}", self.session.set_batch_size, old, size)
        )

    # -- the data set --------------------------------------------------------------------

    def set_data_value(self, part: str, row: int, column: int, value: float) -> None:
        """Set input or target ``column`` of sample ``row`` (``part`` "inputs" or
        "targets"; undoable). Raises ValueError, changing nothing, when refused."""
        old = check_data_value(self.session.trainer, part, row, column, float(value))
        if float(value) == old:
            return
        self.undo_stack.push(DataValueCommand(self.session, part, row, column, old, float(value)))

    def add_samples(self, inputs: object, targets: object, text: str = "Add a point") -> None:
        """Append samples to the data set (undoable); it becomes inline rows. Raises
        ValueError, changing nothing, when they do not fit the network."""
        x = np.atleast_2d(np.asarray(inputs, dtype=np.float64))
        t = np.atleast_2d(np.asarray(targets, dtype=np.float64))
        problem = new_rows_problem(self.session.trainer, x, t)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(DataSetCommand(self.session, text, lambda tr: add_rows(tr, x, t)))

    def replace_dataset(self, dataset: Dataset, text: str = "New data set") -> None:
        """Make ``dataset`` the lesson's data (undoable). Raises ValueError, changing
        nothing, when it does not fit the network."""
        if not isinstance(dataset, Dataset):
            raise TypeError("expected a Dataset")
        problem = fit_problem(dataset.inputs, dataset.targets, self.session.trainer.network)
        if problem is not None:
            raise ValueError(problem)
        self.undo_stack.push(
            DataSetCommand(self.session, text, lambda tr: replace_dataset(tr, dataset))
        )
