"""The actions that edit the network, acting on the editor's selection: the window's
Network menu and the editor's context menus show them.

Each action calls an intent of :class:`~bpsim.gui.state.controller.StructureEditing`
(``controller.structure``), which pushes one undoable command; a refused edit is said in
the status bar and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from bpsim.core.spec import ACTIVATIONS, BIAS_MODES, Lesson
from bpsim.gui.state.controller import StructureEditing
from bpsim.gui.state.session import ParameterKey
from bpsim.gui.widgets.reinitialise_dialog import ReinitialiseDialog
from bpsim.lessons import structure
from bpsim.lessons.structure import StructureError

if TYPE_CHECKING:
    from bpsim.gui.panels.network.editor import NetworkEditor

__all__ = ["ACTIVATION_TEXT", "BIAS_TEXT", "NetworkEditActions", "Target", "target_of"]


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
        layer = self.target().layer
        if layer is None:
            return False
        return self._attempt(lambda: edit(layer))

    def _attempt(self, edit: Callable[[], object]) -> bool:
        try:
            edit()
        except StructureError as error:
            self.refresh()  # checkable actions back to what the lesson says
            self.editor.message.emit(error.message)
            self.session.report(error.message)
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
