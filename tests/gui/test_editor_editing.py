"""Building and changing networks by hand in the window: UI → model (actions, context
menus, keys, the mouse change the lesson through undoable commands) and model → UI (the
editor, the table and the window follow every edit, undo and redo)."""

from __future__ import annotations

import numpy as np
from gui_helpers import action
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from bpsim.core.initializers import initial_parameters
from bpsim.core.spec import InitSpec
from bpsim.gui import MainWindow
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.state.session import ParameterKey
from bpsim.gui.widgets.reinitialise_dialog import ReinitialiseDialog
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_text

TIMEOUT = 10_000


def editor_of(window: MainWindow) -> NetworkEditor:
    editor = window.findChild(NetworkEditor, "network_editor")
    assert editor is not None
    return editor


def centre(editor: NetworkEditor, layer: int, index: int) -> QPoint:
    item = editor.neuron_item(layer, index)
    assert item is not None
    return editor.mapFromScene(item.pos())


def right_click(editor: NetworkEditor, point: QPoint) -> QMenu:
    """A context-menu request at ``point`` of the view, as a right click makes one."""
    viewport = editor.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    menu = editor.context_menu()
    assert menu is not None and menu.isVisible()
    return menu


def menu_names(menu: QMenu) -> list[str]:
    return [a.objectName() for a in menu.actions() if a.objectName()]


def empty_window(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.session.lessonReplaced, timeout=TIMEOUT):
        action(window, "new_empty").trigger()
    assert window.session.trainer.network.sizes == [2, 1]


# -- the acceptance test: XOR from nothing, by editing alone ---------------------------------


def test_build_xor_by_editing_train_it_undo_everything_and_redo(
    qtbot: QtBot, window: MainWindow
) -> None:
    empty_window(qtbot, window)
    editor = editor_of(window)
    session = window.session
    stack = window.controller.undo_stack
    start = [a.copy() for a in session.trainer.network.parameter_arrays()]

    # A hidden layer (nothing selected: it goes before the output), then two more neurons.
    with qtbot.waitSignal(session.structureChanged, timeout=TIMEOUT):
        action(window, "add_layer").trigger()
    assert session.trainer.network.sizes == [2, 2, 1]
    assert editor.selected_key() == ("layer", 1)
    action(window, "add_neuron").trigger()
    qtbot.keyClick(
        editor,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert session.trainer.network.sizes == [2, 4, 1]
    assert editor.neuron_item(1, 3) is not None  # drawn at once

    # tanh from the context menu of a hidden neuron; softmax is offered only on the output.
    menu = right_click(editor, centre(editor, 1, 0))
    assert editor.selected_key() == ("neuron", 1, 0)
    assert {"rename_neuron", "edit_value", "add_neuron", "delete_selected"} <= set(menu_names(menu))
    assert not action(window, "activation_softmax").isEnabled()
    action(window, "activation_tanh").trigger()
    menu.close()
    assert session.trainer.network.layers[1].activation == "tanh"
    assert editor._captions[1].text() == "hidden 1 (tanh)"

    # Rename a neuron with F2, type a bias by double-clicking another.
    editor.select_key(("neuron", 1, 0))
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_F2)
    box = editor.inline_editor()
    assert box.isVisible() and "Name of h1" in box.label.text()
    box.edit.setText("edge")
    qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert session.trainer.network.labels[1][0] == "edge"
    assert editor.neuron_item(1, 0).name_item.text() == "edge"
    qtbot.mouseDClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=centre(editor, 1, 1))
    assert box.isVisible() and box.key == ParameterKey(0, 1, bias=True)
    box.edit.setText("0.25")
    qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert session.value(ParameterKey(0, 1, bias=True)) == 0.25

    # Remove a link with Del and bring it back; freeze and unfreeze the output's weights.
    editor.select_key(ParameterKey(1, 0, 2))
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert session.trainer.network.masks[1] is not None
    assert editor.link_item(1, 0, 2).masked
    assert action(window, "toggle_link").text().startswith("Restore")
    action(window, "toggle_link").trigger()
    assert session.trainer.network.masks[1] is None
    editor.select_key(("layer", 2))
    action(window, "freeze_weights").trigger()
    assert not session.trainer.network.layers[2].train_weights
    action(window, "freeze_weights").trigger()
    assert session.trainer.network.layers[2].train_weights

    # Re-initialise with the XOR example's method and seed (a non-modal dialog).
    action(window, "reinitialise").trigger()
    dialog = window.findChild(ReinitialiseDialog, "reinitialise_dialog")
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    dialog.method.setCurrentIndex(dialog.method.findData("xavier_uniform"))
    dialog.seed.setValue(1)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    expected = initial_parameters(session.trainer.lesson.layers, InitSpec("xavier_uniform", 1))
    np.testing.assert_array_equal(session.trainer.network.weights[0], expected.weights[0])
    edits = stack.count()
    assert edits == 11

    # Train until the loss is under 0.05.
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT):
        action(window, "run").trigger()
    qtbot.waitUntil(lambda: session.trainer.history.step_loss.last() < 0.05, timeout=30_000)
    action(window, "run").trigger()
    assert not session.running
    trained = [a.copy() for a in session.trainer.network.parameter_arrays()]
    steps = session.trainer.step_count
    assert stack.count() == edits  # training is not an edit

    # Undo every edit: back to the empty network, exactly.
    while action(window, "undo").isEnabled():
        action(window, "undo").trigger()
    assert stack.index() == 0
    net = session.trainer.network
    assert net.sizes == [2, 1] and net.labels == [["x1", "x2"], ["y1"]]
    for got, want in zip(net.parameter_arrays(), start, strict=True):
        np.testing.assert_array_equal(got, want)
    assert editor.neuron_item(1, 0).name_item.text() == "y1"
    assert window.findChild(QAction, "step").isEnabled()

    # Redo everything: the trained network comes back as it was.
    while action(window, "redo").isEnabled():
        action(window, "redo").trigger()
    net = session.trainer.network
    assert net.sizes == [2, 4, 1] and net.labels[1][0] == "edge"
    for got, want in zip(net.parameter_arrays(), trained, strict=True):
        np.testing.assert_array_equal(got, want)
    assert session.trainer.step_count == steps
    assert session.trainer.history.step_loss.last() < 0.05


# -- undo stack and documents ------------------------------------------------------------------


def test_structural_edits_keep_the_undo_history_opening_a_file_clears_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    stack = window.controller.undo_stack
    window.controller.set_value(ParameterKey(1, 0, 0), 0.5, "w5")
    window.controller.structure.add_neuron(1)
    assert stack.count() == 2
    assert [stack.text(i) for i in range(2)] == ["Set w5 to 0.5", "Add neuron h3 to hidden layer 1"]
    window.controller.undo_stack.undo()
    assert window.session.trainer.network.sizes == [2, 2, 2]
    window.controller.undo_stack.undo()  # the weight edit acts on the network it was made on
    assert window.session.value(ParameterKey(1, 0, 0)) == 0.18
    window.controller.undo_stack.redo()
    window.controller.undo_stack.redo()
    assert window.session.trainer.network.sizes == [2, 3, 2]
    assert window.session.value(ParameterKey(1, 0, 0)) == 0.5
    example = find_example("xor")
    assert example is not None
    assert window.open(example.path)
    assert stack.count() == 0


def test_the_table_follows_structural_edits_and_its_edits_undo(
    qtbot: QtBot, window: MainWindow
) -> None:
    table = window.panels["parameter_table"]
    model = table.model()
    rows = model.rowCount()
    window.controller.structure.add_neuron(1)  # h3: 2 weights in, 2 out; the bias is shared
    assert model.rowCount() == rows + 4
    window.controller.undo_stack.undo()
    assert model.rowCount() == rows


def test_an_undo_history_view_lists_the_edits(qtbot: QtBot, window: MainWindow) -> None:
    toggle = action(window, "undo_history")
    assert toggle.toolTip() and toggle.statusTip()
    toggle.trigger()
    dock = window.undo_history
    assert dock.isVisible()
    window.controller.structure.add_neuron(1)
    window.controller.structure.set_activation(1, "relu")
    assert dock.entries() == [
        "<as opened>",
        "Add neuron h3 to hidden layer 1",
        "Hidden layer 1: relu",
    ]
    dock.view.setCurrentIndex(dock.view.model().index(1, 0))  # click the first edit
    assert window.controller.undo_stack.index() == 1
    assert window.session.trainer.network.layers[1].activation == "sigmoid"
    assert window.session.trainer.network.sizes == [2, 3, 2]


# -- the mouse -----------------------------------------------------------------------------


def test_dragging_a_neuron_is_one_undoable_command(qtbot: QtBot, window: MainWindow) -> None:
    editor = editor_of(window)
    stack = window.controller.undo_stack
    start = centre(editor, 1, 0)
    before = editor.neuron_item(1, 0).pos()
    qtbot.mousePress(editor.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(editor.viewport(), start + QPoint(0, 12 * step))
    qtbot.mouseRelease(editor.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(0, 60))
    assert stack.count() == 1 and stack.text(0) == "Move h1"
    view = window.session.trainer.lesson.view
    assert view is not None and view["positions"][1][0] is not None
    moved = editor.neuron_item(1, 0).pos()
    assert moved.y() > before.y() + 1
    link = editor.link_item(0, 0, 0)  # its links follow it
    assert abs(link.line().p2().y() - moved.y()) < editor.neuron_item(1, 0).radius + 1
    stack.undo()
    assert "positions" not in (window.session.trainer.lesson.view or {})
    assert editor.neuron_item(1, 0).pos() == before
    stack.redo()
    assert editor.neuron_item(1, 0).pos().y() > before.y() + 1


def test_right_click_on_a_layer_caption_and_on_empty_space(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = editor_of(window)
    caption = editor._captions[1]
    point = editor.mapFromScene(caption.sceneBoundingRect().center())
    menu = right_click(editor, point)
    assert editor.selected_key() == ("layer", 1)
    assert {"add_neuron", "add_layer", "remove_layer"} <= set(menu_names(menu))
    menu.close()
    action(window, "remove_layer").trigger()
    assert window.session.trainer.network.sizes == [2, 2]
    empty = editor.mapFromScene(editor.scene().sceneRect().topLeft()) + QPoint(4, 4)
    menu = right_click(editor, empty)
    assert editor.selected_key() is None
    assert "add_layer" in menu_names(menu) and "reinitialise" in menu_names(menu)
    menu.close()


def test_refused_edits_say_why_and_change_nothing(qtbot: QtBot, window: MainWindow) -> None:
    editor = editor_of(window)
    window.controller.structure.remove_neuron(1, 0)  # 2-1-2
    editor.select_key(("neuron", 1, 0))
    assert not action(window, "delete_selected").isEnabled()  # the only neuron
    with qtbot.waitSignal(editor.message, timeout=TIMEOUT) as blocker:
        editor.edit_actions.delete_selected()
    assert "only neuron" in blocker.args[0]
    assert window.session.trainer.network.sizes == [2, 1, 2]
    line = editor.begin_rename(1, 0)
    line.setText("  ")
    assert not editor.commit_edit()
    assert "must not be empty" in editor.inline_editor().error.text()
    assert window.controller.undo_stack.count() == 1


def test_output_softmax_switches_the_loss_and_says_so(qtbot: QtBot, window: MainWindow) -> None:
    example = find_example("xor")  # a sigmoid output with binary cross-entropy
    assert example is not None
    window.open(example.path)
    editor_of(window).select_key(("layer", 2))
    with qtbot.waitSignal(window.session.message, timeout=TIMEOUT) as blocker:
        action(window, "activation_softmax").trigger()
    assert "cross_entropy" in blocker.args[0]
    assert window.session.trainer.network.loss.name == "cross_entropy"
    window.controller.undo_stack.undo()
    assert window.session.trainer.network.loss.name == "binary_cross_entropy"


# -- a data set that no longer fits -----------------------------------------------------------


def test_training_waits_while_the_data_does_not_fit(qtbot: QtBot, window: MainWindow) -> None:
    step = action(window, "step")
    editor_of(window).select_key(("layer", 0))
    action(window, "add_neuron").trigger()
    assert window.session.trainer.network.sizes == [3, 2, 2]
    assert window.banner.isVisible()
    assert "1 input" not in window.banner.text()
    assert "2 inputs per row, but the input layer has 3 neurons" in window.banner.text()
    assert not step.isEnabled() and not action(window, "run").isEnabled()
    assert not window.session.step()  # refused, with the reason in the status bar
    assert "waiting for data" in window.status_text()
    assert not window.save(window.session.path or "never.bpsim")
    window.controller.undo_stack.undo()
    assert not window.banner.isVisible()
    assert step.isEnabled()
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        step.trigger()


# -- large networks ------------------------------------------------------------------------


def lesson_784() -> str:
    import json

    rng = np.random.default_rng(0)
    targets = np.eye(10)[np.arange(8) % 10]
    return json.dumps(
        {
            "format": "bpsim",
            "version": 1,
            "layers": [
                {"size": 784},
                {"size": 32, "activation": "relu"},
                {"size": 10, "activation": "softmax"},
            ],
            "loss": "cross_entropy",
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            "dataset": {
                "inputs": rng.random((8, 784)).round(3).tolist(),
                "targets": targets.tolist(),
            },
        }
    )


def test_a_784_input_network_stays_editable(qtbot: QtBot, window: MainWindow) -> None:
    window.replace_lesson(trainer_from_text(lesson_784()), None)
    editor = editor_of(window)
    structure = window.controller.structure
    structure.add_neuron(1)
    structure.remove_neuron(1, 0)
    structure.add_layer(2, 16)
    structure.set_activation(1, "tanh")
    structure.set_link(0, 0, 783, False)
    assert window.session.trainer.network.sizes == [784, 32, 16, 10]
    assert len(editor.scene().items()) < 1500
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        action(window, "step").trigger()
    assert window.session.trainer.network.weights[0][0, 783] == 0.0
    for _ in range(5):
        window.controller.undo_stack.undo()
    assert window.session.trainer.network.sizes == [784, 32, 10]


def test_editing_while_running_pauses_first(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT):
        action(window, "run").trigger()
    assert not action(window, "add_neuron").isEnabled()
    window.controller.structure.add_neuron(1)
    assert not window.session.running
    assert window.session.trainer.network.sizes == [2, 3, 2]
