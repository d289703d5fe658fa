"""Editing the network's structure by hand: undoable commands, the intents behind them,
and the actions of the Network menu and the editor's context menus.

A structural edit (a layer, a neuron, an activation, a removed link, a name …) is worked
out by :mod:`bpsim.lessons.structure` on the lesson as it stands and gives a new
:class:`Trainer`; :class:`StructureCommand` swaps the session between the trainer before
and the one after (``Session.replace_structure``), so undo and redo are exact and cheap:
each trainer keeps its own weights, optimizer state, history and pass on screen, and the
training done after an edit is still there when it is undone and redone. Commands further
down the stack (a weight typed in, a learning rate) act on whichever trainer is current,
which is always the one they were made on, because the stack undoes in order.

A neuron dragged in the editor is one :class:`MoveNeuronCommand` (successive moves of one
drag merge); its place goes into the lesson's ``view["positions"]``, saved with the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QMenu,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.spec import ACTIVATIONS, BIAS_MODES, INIT_METHODS, Lesson
from bpsim.core.trainer import Trainer
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.lessons import structure
from bpsim.lessons.structure import StructureEdit, StructureError

if TYPE_CHECKING:
    from bpsim.gui.panels.network.editor import NetworkEditor

#: Where positions live in the lesson's view section.
POSITIONS = "positions"


# -- positions in the view section ---------------------------------------------------------


def neuron_position(
    view: dict[str, Any] | None, layer: int, index: int
) -> tuple[float, float] | None:
    """The dragged place of a neuron (editor layout units: column, row), or None."""
    if not isinstance(view, dict):
        return None
    rows = view.get(POSITIONS)
    if not isinstance(rows, list) or not 0 <= layer < len(rows):
        return None
    row = rows[layer]
    if not isinstance(row, list) or not 0 <= index < len(row):
        return None
    entry = row[index]
    if (
        isinstance(entry, list | tuple)
        and len(entry) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in entry)
        and all(math.isfinite(v) for v in entry)
    ):
        return float(entry[0]), float(entry[1])
    return None


def set_neuron_position(
    session: Session, layer: int, index: int, place: tuple[float, float] | None
) -> None:
    """Put (or with None, forget) a neuron's dragged place in the current lesson's view."""
    lesson = session.trainer.lesson
    view = lesson.view if isinstance(lesson.view, dict) else {}
    sizes = lesson.sizes
    rows = view.get(POSITIONS)
    if not isinstance(rows, list):
        rows = []
    rows = [list(r) if isinstance(r, list) else [] for r in rows[: len(sizes)]]
    while len(rows) < len(sizes):
        rows.append([])
    row = rows[layer]
    while len(row) < sizes[layer]:
        row.append(None)
    row[index] = None if place is None else [round(place[0], 4), round(place[1], 4)]
    if any(entry is not None for r in rows for entry in r):
        view[POSITIONS] = rows
    else:
        view.pop(POSITIONS, None)
    lesson.view = view or None
    session.viewChanged.emit()


# -- commands ------------------------------------------------------------------------------


class StructureCommand(QUndoCommand):
    """One structural edit: the session shows trainer ``after`` (redo) or ``before`` (undo)."""

    def __init__(self, session: Session, before: Trainer, after: Trainer, text: str) -> None:
        super().__init__(text)
        self.session, self.before, self.after = session, before, after

    def redo(self) -> None:
        self.session.replace_structure(self.after)
        self.before.release_caches()

    def undo(self) -> None:
        self.session.replace_structure(self.before)
        self.after.release_caches()


class MoveNeuronCommand(QUndoCommand):
    """A neuron dragged to another place; the moves of one drag merge into one command."""

    ID = 3001

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
        return self.ID

    def redo(self) -> None:
        set_neuron_position(self.session, self.layer, self.index, self.new)

    def undo(self) -> None:
        set_neuron_position(self.session, self.layer, self.index, self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, MoveNeuronCommand)
            or other.drag != self.drag
            or (other.layer, other.index) != (self.layer, self.index)
        ):
            return False
        self.new = other.new
        return True


# -- intents -------------------------------------------------------------------------------


class StructureEditing(QObject):
    """Structural edits as the views ask for them (``controller.structure.add_neuron(1)``).

    Each pushes one undoable command; a refused edit raises :class:`StructureError` with a
    message naming the place and changes nothing. Side effects the user should know about
    (the loss switched to fit a new output activation) go out on ``session.message``.
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
            session.message.emit(note)
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


# -- what the selection points at ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What an action acts on, from the editor's selection."""

    layer: int | None = None
    neuron: int | None = None
    link: ParameterKey | None = None  # a weight
    value: ParameterKey | None = None  # a weight or bias that can be typed in


def target_of(key: object, lesson: Lesson) -> Target:
    """The layer, neuron and link a selection key names."""
    if isinstance(key, ParameterKey):
        if key.bias:
            layer = key.k + 1
            neuron = key.j if lesson.layers[layer].bias == "per_neuron" else None
            return Target(layer=layer, neuron=neuron, value=key)
        return Target(layer=key.k + 1, link=key, value=key)
    if isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron":
        layer, index = int(key[1]), int(key[2])
        spec = lesson.layers[layer]
        value = None
        if layer > 0 and spec.bias != "none":
            value = ParameterKey(layer - 1, index if spec.bias == "per_neuron" else 0, bias=True)
        return Target(layer=layer, neuron=index, value=value)
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "layer":
        return Target(layer=int(key[1]))
    return Target()


# -- actions -------------------------------------------------------------------------------

ACTIVATION_TEXT = {
    "sigmoid": "&Sigmoid",
    "tanh": "&Tanh",
    "relu": "&ReLU",
    "leaky_relu": "&Leaky ReLU",
    "linear": "L&inear",
    "softmax": "Soft&max (output layer only)",
}
BIAS_TEXT = {
    "per_neuron": "One bias per &neuron",
    "shared": "One &shared bias for the layer",
    "none": "&No bias",
}


def _action(
    parent: QObject, name: str, text: str, tip: str, key: str | None = None, checkable: bool = False
) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    if key:
        action.setShortcut(QKeySequence(key))
        native = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({native})")
    else:
        action.setToolTip(tip)
    action.setStatusTip(tip)
    action.setCheckable(checkable)
    return action


class NetworkEditActions(QObject):
    """The actions that edit the network, acting on the editor's selection: the window's
    Network menu and the editor's context menus show them. Their texts follow what is
    selected ("Remove neuron h2"); those that make no sense for it are disabled."""

    def __init__(self, editor: NetworkEditor, structure_editing: StructureEditing) -> None:
        super().__init__(editor)
        self.editor = editor
        self.editing = structure_editing
        self.session = editor.session
        a: dict[str, QAction] = {}
        a["add_layer"] = _action(
            editor,
            "add_layer",
            "Add hidden &layer",
            "Insert a hidden layer of two neurons after the selected layer "
            "(before the output layer when none is selected)",
            "Ctrl+L",
        )
        a["remove_layer"] = _action(
            editor, "remove_layer", "Remove hidden la&yer", "Remove the selected hidden layer"
        )
        a["add_neuron"] = _action(
            editor,
            "add_neuron",
            "Add &neuron",
            "Add a neuron to the selected layer (the last hidden layer when none is selected)",
            "Ctrl+Shift+N",
        )
        a["delete_selected"] = _action(
            editor,
            "delete_selected",
            "&Remove selected",
            "Remove the selected neuron, link or hidden layer",
            "Del",
        )
        a["toggle_link"] = _action(
            editor,
            "toggle_link",
            "Remove lin&k",
            "Remove the selected link (its weight becomes 0 and stays 0), or restore it",
        )
        a["rename_neuron"] = _action(
            editor, "rename_neuron", "Rena&me neuron…", "Give the selected neuron another name"
        )
        a["edit_value"] = _action(
            editor,
            "edit_value",
            "&Edit value…",
            "Type a new value for the selected weight or bias (or double-click it)",
        )
        a["freeze_weights"] = _action(
            editor,
            "freeze_weights",
            "Freeze &weights",
            "Keep the selected layer's incoming weights as they are while training",
            checkable=True,
        )
        a["freeze_bias"] = _action(
            editor,
            "freeze_bias",
            "Freeze &bias",
            "Keep the selected layer's bias as it is while training",
            checkable=True,
        )
        a["reinitialise"] = _action(
            editor,
            "reinitialise",
            "Re-&initialise weights…",
            "Draw new starting weights with a chosen method and seed; training starts afresh",
            "Ctrl+Shift+I",
        )
        self.activation_group = QActionGroup(editor)
        for name in ACTIVATIONS:
            action = _action(
                editor,
                f"activation_{name}",
                ACTIVATION_TEXT[name],
                f"Make the selected layer's activation {name}",
                checkable=True,
            )
            action.setData(name)
            self.activation_group.addAction(action)
            a[f"activation_{name}"] = action
        self.bias_group = QActionGroup(editor)
        for mode in BIAS_MODES:
            action = _action(
                editor,
                f"bias_{mode}",
                BIAS_TEXT[mode],
                f"The selected layer gets {BIAS_TEXT[mode].replace('&', '').lower()}",
                checkable=True,
            )
            action.setData(mode)
            self.bias_group.addAction(action)
            a[f"bias_{mode}"] = action
        self.actions = a
        self.dialog: ReinitialiseDialog | None = None

        a["add_layer"].triggered.connect(self.add_layer)
        a["remove_layer"].triggered.connect(self.remove_layer)
        a["add_neuron"].triggered.connect(self.add_neuron)
        a["delete_selected"].triggered.connect(self.delete_selected)
        a["toggle_link"].triggered.connect(self.toggle_link)
        a["rename_neuron"].triggered.connect(self.rename_neuron)
        a["edit_value"].triggered.connect(self.edit_value)
        a["freeze_weights"].triggered.connect(self._freeze_weights)
        a["freeze_bias"].triggered.connect(self._freeze_bias)
        a["reinitialise"].triggered.connect(self.open_reinitialise)
        self.activation_group.triggered.connect(self._activation_chosen)
        self.bias_group.triggered.connect(self._bias_chosen)
        editor.selectionChangedTo.connect(self.refresh)
        self.session.lessonReplaced.connect(self.refresh)
        self.session.runningChanged.connect(self.refresh)
        self.refresh()

    # -- what is selected ------------------------------------------------------------

    @property
    def lesson(self) -> Lesson:
        return self.session.trainer.lesson

    def target(self) -> Target:
        return target_of(self.editor.selected_key(), self.lesson)

    def _hidden_default(self) -> int | None:
        """The last hidden layer, or None when there is none."""
        last = len(self.lesson.layers) - 1
        return last - 1 if last >= 2 else None

    def refresh(self, *_: object) -> None:
        """Enable, check and name the actions for the selection."""
        a, t = self.actions, self.target()
        layers = self.lesson.layers
        last = len(layers) - 1
        names = structure.neuron_labels(self.lesson)
        hidden = t.layer is not None and 0 < t.layer < last
        a["remove_layer"].setEnabled(hidden)
        a["add_neuron"].setEnabled(t.layer is not None or self._hidden_default() is not None)
        deletable = (
            (t.neuron is not None and t.layer is not None and layers[t.layer].size > 1)
            or (t.link is not None and not self._masked(t.link))
            or (hidden and t.neuron is None and t.link is None and t.value is None)
        )
        a["delete_selected"].setEnabled(deletable)
        if t.neuron is not None and t.layer is not None:
            a["delete_selected"].setText(f"&Remove neuron {names[t.layer][t.neuron]}")
        elif t.link is not None:
            a["delete_selected"].setText("&Remove link")
        elif hidden:
            a["delete_selected"].setText(f"&Remove hidden layer {t.layer}")
        else:
            a["delete_selected"].setText("&Remove selected")
        a["toggle_link"].setEnabled(t.link is not None)
        masked = t.link is not None and self._masked(t.link)
        a["toggle_link"].setText("Restore lin&k" if masked else "Remove lin&k")
        a["rename_neuron"].setEnabled(t.neuron is not None)
        a["edit_value"].setEnabled(t.value is not None and not (t.link and masked))
        layer_ok = t.layer is not None and t.layer > 0
        spec = layers[t.layer] if layer_ok and t.layer is not None else None
        for action, checked in (
            (a["freeze_weights"], spec is not None and not spec.train_weights),
            (a["freeze_bias"], spec is not None and not spec.train_bias),
        ):
            action.setEnabled(spec is not None)
            action.setChecked(checked)
        a["freeze_bias"].setEnabled(spec is not None and spec.bias != "none")
        for name in ACTIVATIONS:
            action = a[f"activation_{name}"]
            action.setEnabled(spec is not None and (name != "softmax" or t.layer == last))
            action.setChecked(spec is not None and spec.activation == name)
        for mode in BIAS_MODES:
            action = a[f"bias_{mode}"]
            action.setEnabled(spec is not None)
            action.setChecked(spec is not None and spec.bias == mode)
        running = self.session.running
        for action in a.values():
            if running and action.objectName() != "edit_value":
                action.setEnabled(False)  # paused by the edit anyway; say so by greying

    def _masked(self, key: ParameterKey) -> bool:
        mask = self.session.trainer.network.masks[key.k]
        return mask is not None and mask[key.j, key.i] == 0

    # -- running an edit ---------------------------------------------------------------

    def _run(self, edit: Callable[[int], object]) -> bool:
        """Run an edit on the selected layer; a refusal goes to the status bar."""
        t = self.target()
        if t.layer is None:
            return False
        return self._attempt(lambda: edit(t.layer))

    def _attempt(self, edit: Callable[[], object]) -> bool:
        try:
            edit()
        except StructureError as error:
            self.refresh()  # checkable actions back to what the lesson says
            self.editor.message.emit(error.message)
            self.session.message.emit(error.message)
            return False
        return True

    def add_layer(self) -> bool:
        t = self.target()
        last = len(self.lesson.layers) - 1
        before = last if t.layer is None or t.layer >= last else t.layer + 1
        ok = self._attempt(lambda: self.editing.add_layer(before))
        if ok:
            self.editor.select_key(("layer", before))
        return ok

    def remove_layer(self) -> bool:
        return self._run(self.editing.remove_layer)

    def add_neuron(self) -> bool:
        t = self.target()
        layer = t.layer if t.layer is not None else self._hidden_default()
        if layer is None:
            return False
        return self._attempt(lambda: self.editing.add_neuron(layer))

    def delete_selected(self) -> bool:
        t = self.target()
        if t.neuron is not None and t.layer is not None:
            layer, neuron = t.layer, t.neuron
            return self._attempt(lambda: self.editing.remove_neuron(layer, neuron))
        if t.link is not None:
            link = t.link
            return self._attempt(lambda: self.editing.set_link(link.k, link.j, link.i, False))
        if t.layer is not None and t.value is None:
            return self.remove_layer()
        return False

    def toggle_link(self) -> bool:
        link = self.target().link
        if link is None:
            return False
        present = self._masked(link)
        return self._attempt(lambda: self.editing.set_link(link.k, link.j, link.i, present))

    def rename_neuron(self) -> None:
        t = self.target()
        if t.neuron is not None and t.layer is not None:
            self.editor.begin_rename(t.layer, t.neuron)

    def edit_value(self) -> None:
        value = self.target().value
        if value is not None:
            self.editor.begin_edit(value)

    def _activation_chosen(self, action: QAction) -> None:
        layer, name = self.target().layer, str(action.data())
        if layer is not None and self.lesson.layers[layer].activation != name:
            self._run(lambda t: self.editing.set_activation(t, name))

    def _bias_chosen(self, action: QAction) -> None:
        layer, mode = self.target().layer, str(action.data())
        if layer is not None and self.lesson.layers[layer].bias != mode:
            self._run(lambda t: self.editing.set_bias_mode(t, mode))

    def _freeze_weights(self, frozen: bool) -> None:
        self._run(lambda layer: self.editing.set_trainable(layer, weights=not frozen))

    def _freeze_bias(self, frozen: bool) -> None:
        self._run(lambda layer: self.editing.set_trainable(layer, bias=not frozen))

    def open_reinitialise(self) -> ReinitialiseDialog:
        """The re-initialise box (non-modal; OK applies)."""
        if self.dialog is None:
            self.dialog = ReinitialiseDialog(self.editor.window())
            self.dialog.chosen.connect(self._reinitialise)
        init = self.lesson.init
        self.dialog.show_for(init.method if init else "xavier_uniform", init.seed if init else 0)
        return self.dialog

    def _reinitialise(self, method: str, seed: int, low: float, high: float) -> None:
        self._attempt(lambda: self.editing.reinitialise(method, seed, low, high))

    # -- menus -----------------------------------------------------------------------

    def submenus(self, parent: QWidget) -> tuple[QMenu, QMenu]:
        """The Activation and Bias submenus (one pair per menu that shows them)."""
        activation = QMenu("&Activation", parent)
        activation.setToolTipsVisible(True)
        for name in ACTIVATIONS:
            activation.addAction(self.actions[f"activation_{name}"])
        bias = QMenu("B&ias", parent)
        bias.setToolTipsVisible(True)
        for mode in BIAS_MODES:
            bias.addAction(self.actions[f"bias_{mode}"])
        return activation, bias

    def fill_menu(self, menu: QMenu) -> None:
        """The window's Network menu: everything, acting on the selection."""
        a = self.actions
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self.refresh)
        for name in ("add_layer", "remove_layer"):
            menu.addAction(a[name])
        menu.addSeparator()
        for name in ("add_neuron", "delete_selected", "rename_neuron", "edit_value", "toggle_link"):
            menu.addAction(a[name])
        menu.addSeparator()
        activation, bias = self.submenus(menu)
        menu.addMenu(activation)
        menu.addMenu(bias)
        menu.addAction(a["freeze_weights"])
        menu.addAction(a["freeze_bias"])
        menu.addSeparator()
        menu.addAction(a["reinitialise"])

    def context_menu(self, parent: QWidget) -> QMenu:
        """The menu for what is selected (the editor selects what was right-clicked)."""
        self.refresh()
        a, t = self.actions, self.target()
        menu = QMenu(parent)
        menu.setObjectName("network_context_menu")
        menu.setToolTipsVisible(True)
        names: Sequence[str]
        if t.link is not None:
            names = ("edit_value", "toggle_link")
        elif t.neuron is not None:
            names = ("rename_neuron", "edit_value", "add_neuron", "delete_selected")
        elif t.value is not None:
            names = ("edit_value",)
        elif t.layer is not None:
            names = ("add_neuron", "add_layer", "remove_layer")
        else:
            names = ("add_layer", "reinitialise")
        for name in names:
            if name == "edit_value" and t.value is None:
                continue
            menu.addAction(a[name])
        if t.layer is not None and t.layer > 0:
            menu.addSeparator()
            title = structure.layer_name(self.lesson, t.layer)
            menu.addSection(title[:1].upper() + title[1:])
            activation, bias = self.submenus(menu)
            menu.addMenu(activation)
            menu.addMenu(bias)
            menu.addAction(a["freeze_weights"])
            menu.addAction(a["freeze_bias"])
            if t.neuron is not None or t.link is not None:
                menu.addAction(a["add_layer"])
                if 0 < t.layer < len(self.lesson.layers) - 1:
                    menu.addAction(a["remove_layer"])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return menu


class ReinitialiseDialog(QDialog):
    """Method and seed for new starting weights; non-modal, so nothing waits on it.

    ``chosen(method, seed, low, high)`` is emitted when OK is pressed.
    """

    chosen = Signal(str, int, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reinitialise_dialog")
        self.setWindowTitle("Re-initialise weights")
        self.setModal(False)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 52)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "New starting weights for every layer, drawn by the method from the seed "
            "(biases start at 0). The loss history starts afresh; Undo brings the old "
            "weights back."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.method = QComboBox(self)
        self.method.setObjectName("reinitialise_method")
        for method in INIT_METHODS:
            self.method.addItem(method.replace("_", " "), method)
        self.method.setToolTip("How the weights are drawn (Xavier and He scale by the layer sizes)")
        self.seed = QSpinBox(self)
        self.seed.setObjectName("reinitialise_seed")
        self.seed.setRange(0, 2_147_483_647)
        self.seed.setToolTip("The same method and seed always give the same weights")
        self.low = QDoubleSpinBox(self)
        self.low.setObjectName("reinitialise_low")
        self.high = QDoubleSpinBox(self)
        self.high.setObjectName("reinitialise_high")
        for box, value in ((self.low, -1.0), (self.high, 1.0)):
            box.setRange(-100.0, 100.0)
            box.setDecimals(3)
            box.setSingleStep(0.1)
            box.setValue(value)
            box.setToolTip("The range of the uniform method")
        form.addRow("&Method", self.method)
        form.addRow("&Seed", self.seed)
        form.addRow("&Low", self.low)
        form.addRow("&High", self.high)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.method.currentIndexChanged.connect(self._method_changed)
        self._method_changed()

    def _method_changed(self) -> None:
        uniform = self.method.currentData() == "uniform"
        self.low.setEnabled(uniform)
        self.high.setEnabled(uniform)

    def show_for(self, method: str, seed: int) -> None:
        self.method.setCurrentIndex(max(self.method.findData(method), 0))
        self.seed.setValue(int(seed))
        self.show()  # not modal: the network stays in view while choosing
        self.raise_()

    def accept(self) -> None:
        method = str(self.method.currentData())
        low, high = self.low.value(), self.high.value()
        if method == "uniform" and not low < high:
            self.low.setFocus()
            self.setToolTip("Low must be below high")
            return
        super().accept()
        self.chosen.emit(method, self.seed.value(), low, high)


__all__ = [
    "MoveNeuronCommand",
    "NetworkEditActions",
    "ReinitialiseDialog",
    "StructureCommand",
    "StructureEditing",
    "Target",
    "neuron_position",
    "set_neuron_position",
    "target_of",
]
