"""The main window driven as a student drives it: actions, keys, controls, files.

The numbers are the seed 000 worked example's (the default example, a 2-2-2 sigmoid
network): out_h1 = 0.538424, out_y1 = 0.63371, loss 0.184979, and w5 = weights[1][0][0]
goes from 0.18 to 0.18 − 0.01 × 0.072952 = 0.179270 after one update.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_helpers import action
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox, QTableView
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.host import STEP_ACTIONS
from bpsim.gui.widgets.training_controls import TrainingControls
from bpsim.lessons.examples import DEFAULT_EXAMPLE, find_example

TIMEOUT = 5000
NAMED_ACTIONS = (
    "forward",
    "backward",
    "update",
    "step",
    "epoch",
    "run",
    "reset",
    "undo",
    "redo",
    "open",
    "save",
    "forward_layer",
    "backward_layer",
    "save_as",
    "quit",
)
KEYS = {
    "forward": "F",
    "backward": "B",
    "update": "U",
    "step": "S",
    "epoch": "E",
    "run": "Space",
    "reset": "R",
    "forward_layer": "Shift+F",
    "backward_layer": "Shift+B",
}


def trigger(qtbot, window: MainWindow, name: str) -> None:
    """Trigger an action and wait until its phase has finished."""
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT) as blocker:
        action(window, name).trigger()
    assert blocker.args == [name]


def w5(window: MainWindow) -> float:
    return float(window.session.trainer.network.weights[1][0, 0])


def controls(window: MainWindow) -> TrainingControls:
    found = window.findChild(TrainingControls)
    assert found is not None
    return found


# -- construction ---------------------------------------------------------------------


def test_opens_the_default_example_without_a_dialog(window: MainWindow) -> None:
    assert QApplication.activeModalWidget() is None
    assert window.session.trainer.lesson.name.startswith("Worked example")
    assert "untitled" in window.windowTitle()
    assert "[*]" in window.windowTitle()
    assert not window.isWindowModified()
    assert not window.banner.isVisible()


def test_three_panels_are_named_docks(window: MainWindow) -> None:
    for name in ("network_editor", "loss_plot", "parameter_table"):
        dock = window.findChild(QDockWidget, f"{name}_dock")
        assert dock is not None and dock.isVisible(), name
        assert dock.widget().objectName() == name
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetMovable
    assert window.findChild(QTableView, "parameter_table") is not None
    assert window.centralWidget() is None


def test_every_action_has_a_name_a_tooltip_and_its_key(window: MainWindow) -> None:
    for name in NAMED_ACTIONS:
        assert action(window, name).toolTip().strip(), name
    for name, key in KEYS.items():
        assert action(window, name).shortcut() == QKeySequence(key), name
        assert f"({key})" in action(window, name).toolTip(), name
    assert action(window, "undo").shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert action(window, "redo").shortcut() == QKeySequence(QKeySequence.StandardKey.Redo)
    assert action(window, "open").shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert action(window, "save").shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    for found in window.findChildren(QAction):
        if found.objectName() and not found.isSeparator():
            assert found.toolTip().strip(), found.objectName()


# -- stepping -------------------------------------------------------------------------


def test_worked_example_forward_backward_update(qtbot: QtBot, window: MainWindow) -> None:
    trainer = window.session.trainer
    assert action(window, "forward").isEnabled()
    assert not action(window, "backward").isEnabled()
    assert not action(window, "update").isEnabled()
    assert window.status_text().endswith("Phase: ready")

    trigger(qtbot, window, "forward")
    assert trainer.trace is not None
    assert trainer.trace.a[1][0, 0] == pytest.approx(0.538424, abs=1e-6)
    assert trainer.trace.a[2][0, 0] == pytest.approx(0.63371, abs=1e-5)
    assert trainer.trace.loss == pytest.approx(0.184979, abs=1e-6)
    assert action(window, "backward").isEnabled()
    assert not action(window, "update").isEnabled()
    assert window.status_text() == (
        "Epoch 1 · Step 1 · Sample 1 (of 1) · Loss 0.184979 · Phase: forward done"
    )
    assert not window.isWindowModified()  # a forward pass changes nothing a file holds

    trigger(qtbot, window, "backward")
    assert trainer.trace.weight_grads[1][0, 0] == pytest.approx(0.072952, abs=1e-6)
    assert action(window, "update").isEnabled()
    assert window.status_text().endswith("Loss 0.184979 · Phase: backward done")
    assert w5(window) == 0.18

    trigger(qtbot, window, "update")
    assert w5(window) == pytest.approx(0.179270, abs=1e-6)
    assert not action(window, "backward").isEnabled()
    assert not action(window, "update").isEnabled()
    assert window.status_text() == (
        "Epoch 1 · Step 1 · Sample 1 (of 1) · Loss 0.184979 · Phase: update done"
    )
    assert window.isWindowModified()

    trigger(qtbot, window, "forward")
    assert window.status_text().startswith("Epoch 2 · Step 2 · Sample 1 (of 1)")


def test_layer_by_layer(qtbot: QtBot, window: MainWindow) -> None:
    trigger(qtbot, window, "forward_layer")
    assert "Phase: forward, layer 1 of 2 done" in window.status_text()
    assert "Loss —" in window.status_text()
    assert not action(window, "backward").isEnabled()
    trigger(qtbot, window, "forward_layer")
    assert window.status_text().endswith("Loss 0.184979 · Phase: forward done")
    trigger(qtbot, window, "backward_layer")
    assert "backward, 1 of 2 layers done" in window.status_text()
    assert not action(window, "update").isEnabled()
    trigger(qtbot, window, "backward_layer")
    assert action(window, "update").isEnabled()


def test_keys_drive_the_phases(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.assertNotEmitted(window.phaseFinished):
        qtbot.keyClick(window, Qt.Key.Key_B)  # backward before forward: disabled
        qtbot.keyClick(window, Qt.Key.Key_U)
    for key, modifier, name in (
        (Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier, "forward_layer"),
        (Qt.Key.Key_F, Qt.KeyboardModifier.NoModifier, "forward"),
        (Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier, "backward_layer"),
        (Qt.Key.Key_B, Qt.KeyboardModifier.NoModifier, "backward"),
        (Qt.Key.Key_U, Qt.KeyboardModifier.NoModifier, "update"),
        (Qt.Key.Key_S, Qt.KeyboardModifier.NoModifier, "step"),
        (Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier, "epoch"),
        (Qt.Key.Key_R, Qt.KeyboardModifier.NoModifier, "reset"),
    ):
        with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT) as blocker:
            qtbot.keyClick(window, key, modifier)
        assert blocker.args == [name]
    assert w5(window) == 0.18  # reset: the file's starting value
    assert window.session.trainer.step_count == 0


def test_step_epoch_and_reset(qtbot: QtBot, window: MainWindow) -> None:
    trigger(qtbot, window, "step")
    assert w5(window) == pytest.approx(0.179270, abs=1e-6)
    assert "Step 1" in window.status_text() and "update done" in window.status_text()
    trigger(qtbot, window, "epoch")  # one sample, batch size 1: an epoch is one step
    assert window.session.trainer.step_count == 2
    trigger(qtbot, window, "reset")
    assert w5(window) == 0.18
    assert window.status_text().startswith("Epoch 1 · Step 1 ·")


def test_run_and_pause(qtbot: QtBot, window: MainWindow) -> None:
    run = action(window, "run")
    assert run.isCheckable() and run.text().replace("&", "") == "Run"
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT):
        run.trigger()
    assert window.session.running
    assert run.isChecked() and run.text().replace("&", "") == "Pause"
    assert not action(window, "forward").isEnabled()
    assert not action(window, "step").isEnabled()
    assert not controls(window).sample.isEnabled()  # no picking samples mid-run
    with qtbot.waitSignal(window.session.historyChanged, timeout=TIMEOUT):
        pass
    assert "Phase: running" in window.status_text()
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT) as blocker:
        run.trigger()
    assert blocker.args == [False]
    assert not window.session.running  # Pause acts at once
    assert not run.isChecked() and run.text().replace("&", "") == "Run"
    steps = window.session.trainer.step_count
    assert steps > 0
    assert f"Step {steps}" in window.status_text()
    assert action(window, "forward").isEnabled()
    assert controls(window).sample.isEnabled()
    assert w5(window) < 0.18
    assert window.isWindowModified()


def test_space_toggles_running(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert blocker.args == [True]
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        pass
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert blocker.args == [False]
    assert window.session.trainer.step_count > 0


# -- training controls ---------------------------------------------------------------


def test_learning_rate_reaches_the_trainer_and_undoes(qtbot: QtBot, window: MainWindow) -> None:
    field = controls(window).learning_rate
    assert field.text() == "0.01"
    field.setText("0.5")
    field.editingFinished.emit()
    assert window.session.trainer.optimizer.hyper["learning_rate"] == 0.5
    assert window.isWindowModified()
    trigger(qtbot, window, "step")
    assert w5(window) == pytest.approx(0.18 - 0.5 * 0.072952, abs=1e-6)
    action(window, "undo").trigger()
    assert window.session.trainer.optimizer.hyper["learning_rate"] == 0.01
    assert field.text() == "0.01"
    action(window, "redo").trigger()
    assert field.text() == "0.5"


def test_learning_rate_refuses_zero_and_words(qtbot: QtBot, window: MainWindow) -> None:
    field = controls(window).learning_rate
    for typed in ("0", "-1", "fast", ""):
        field.setText(typed)
        with qtbot.waitSignal(controls(window).message, timeout=TIMEOUT) as blocker:
            field.editingFinished.emit()
        assert "above 0" in blocker.args[0]
        assert "above 0" in window.statusBar().currentMessage()
        assert field.text() == "0.01"
    assert window.session.trainer.optimizer.hyper["learning_rate"] == 0.01
    assert not action(window, "undo").isEnabled()


def test_typing_in_a_field_does_not_step(qtbot: QtBot, window: MainWindow) -> None:
    field = controls(window).learning_rate
    field.setFocus()
    field.selectAll()
    with qtbot.assertNotEmitted(window.phaseFinished):
        qtbot.keyClicks(field, "0.3")  # digits and letters go to the field, not to F, B …
        qtbot.keyClick(field, Qt.Key.Key_F)
    field.setText("0.3")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.session.trainer.optimizer.hyper["learning_rate"] == 0.3
    qtbot.waitUntil(lambda: not field.hasFocus(), timeout=TIMEOUT)  # Enter hands keys back
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F)
    assert blocker.args == ["forward"]


def test_learning_rate_undo_by_key(qtbot: QtBot, window: MainWindow) -> None:
    field = controls(window).learning_rate
    field.setText("0.2")
    field.editingFinished.emit()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.trainer.optimizer.hyper["learning_rate"] == 0.01


def test_optimizer_control(window: MainWindow) -> None:
    combo = controls(window).optimizer
    assert [combo.itemData(i) for i in range(combo.count())] == [
        "sgd",
        "adagrad",
        "rmsprop",
        "adam",
        "adadelta",
    ]
    combo.setCurrentIndex(combo.findData("adam"))
    trainer = window.session.trainer
    assert trainer.optimizer_spec.name == "adam"
    assert controls(window).learning_rate.text() == "0.001"  # Adam's default
    assert action(window, "undo").text().replace("&", "") == "Undo Optimizer adam"
    action(window, "undo").trigger()
    assert trainer.optimizer_spec.name == "sgd"
    assert trainer.optimizer.hyper["learning_rate"] == 0.01
    assert combo.currentData() == "sgd"


def test_loss_control_offers_only_losses_that_fit(window: MainWindow) -> None:
    combo = controls(window).loss
    model = combo.model()
    enabled = {
        combo.itemData(i): model.item(i).isEnabled()  # type: ignore[attr-defined]
        for i in range(combo.count())
    }
    assert enabled == {
        "half_sse": True,
        "mse": True,
        "binary_cross_entropy": True,  # sigmoid outputs
        "cross_entropy": False,  # needs softmax
    }
    combo.setCurrentIndex(combo.findData("mse"))
    assert window.session.trainer.network.loss.name == "mse"
    action(window, "undo").trigger()
    assert window.session.trainer.network.loss.name == "half_sse"
    with pytest.raises(ValueError, match="softmax"):
        window.controller.set_loss("cross_entropy")


def test_batch_size_control(window: MainWindow) -> None:
    example = find_example("and")
    assert example is not None
    assert window.open(example.path)
    spin = controls(window).batch_size
    trainer = window.session.trainer
    assert spin.value() == 1 and spin.maximum() == 4
    spin.setValue(0)
    assert spin.text() == "full"
    assert trainer.training.batch_size is None
    assert "4 samples" in window.status_text()
    spin.setValue(2)
    assert trainer.training.batch_size == 2
    assert "Batch 1 of 2 (2 samples)" in window.status_text()
    action(window, "undo").trigger()
    assert trainer.training.batch_size is None
    assert spin.value() == 0
    action(window, "undo").trigger()
    assert trainer.training.batch_size == 1


def test_sample_picker(qtbot: QtBot, window: MainWindow) -> None:
    example = find_example("and")
    assert example is not None
    assert window.open(example.path)
    picker = controls(window).sample
    assert picker.text() == "auto" and picker.maximum() == 4
    assert "Sample 1 (of 4) · Batch 1 of 4" in window.status_text()
    picker.setValue(3)
    assert list(window.session.trainer.next_batch()) == [2]
    assert "Sample 3 (of 4, picked)" in window.status_text()
    trigger(qtbot, window, "forward")
    assert list(window.session.trainer.trace.indices) == [2]
    trigger(qtbot, window, "backward")
    trigger(qtbot, window, "update")
    assert "Sample 3 (of 4, picked) · Loss" in window.status_text()
    assert picker.text() == "auto"  # the pick is used once
    trigger(qtbot, window, "forward")
    assert list(window.session.trainer.trace.indices) == [0]  # the epoch did not move
    assert "Sample 1 (of 4) · Batch 1 of 4" in window.status_text()


# -- files ----------------------------------------------------------------------------


def test_open_a_bad_file_keeps_the_lesson(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    trigger(qtbot, window, "forward")
    trainer = window.session.trainer
    title = window.windowTitle()
    bad = tmp_path / "bad.bpsim"
    bad.write_text('{"format": "bpsim", "version": 1, "layers": 3}', encoding="utf-8")
    assert window.open(bad) is False
    assert window.session.trainer is trainer
    assert window.windowTitle() == title
    assert window.banner.isVisible()
    assert "bad.bpsim" in window.banner.text()
    assert QApplication.activeModalWidget() is None
    assert window.open(tmp_path / "missing.bpsim") is False
    assert "no such file" in window.banner.text()
    assert window.session.trainer is trainer


def test_save_and_reopen_round_trip(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    for _ in range(3):
        trigger(qtbot, window, "step")
    controls(window).learning_rate.setText("0.25")
    controls(window).learning_rate.editingFinished.emit()
    assert window.isWindowModified()
    out = tmp_path / "trained.bpsim"
    assert window.save(out)
    assert not window.isWindowModified()
    assert "trained.bpsim" in window.windowTitle()
    assert window.session.path == out
    saved = window.session.trainer

    other = MainWindow(out)
    qtbot.addWidget(other)
    again = other.session.trainer
    for a, b in zip(
        saved.network.parameter_arrays(), again.network.parameter_arrays(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert again.step_count == 3
    assert again.optimizer.hyper["learning_rate"] == 0.25
    assert other.status_text().startswith("Epoch 4 · Step 4 ·")  # the next step
    assert other.status_text().endswith("Phase: ready")

    trigger(qtbot, window, "step")
    assert window.save()  # to the same file
    assert window.open(out)
    assert window.session.trainer.step_count == 4
    assert not window.isWindowModified()


def test_save_without_a_file_asks_for_save_as(window: MainWindow) -> None:
    assert window.save() is False
    assert "Save As" in window.banner.text()


def test_bad_file_at_start_opens_the_default_example(qtbot: QtBot, tmp_path: Path) -> None:
    bad = tmp_path / "broken.bpsim"
    bad.write_text("{ not json", encoding="utf-8")
    win = MainWindow(bad)
    qtbot.addWidget(win)
    assert win.session.path is None
    assert win.session.trainer.lesson.name == MainWindow().session.trainer.lesson.name
    assert "broken.bpsim" in win.banner.text()
    assert QApplication.activeModalWidget() is None


def test_constructor_with_a_file(qtbot: QtBot) -> None:
    example = find_example("xor")
    assert example is not None
    win = MainWindow(str(example.path))
    qtbot.addWidget(win)
    assert win.session.path == example.path
    assert example.path.name in win.windowTitle()


def test_new_from_example_menu(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.session.lessonReplaced, timeout=TIMEOUT):
        action(window, "example_and").trigger()
    assert window.session.trainer.lesson.name.startswith("The AND network")
    assert window.session.path is None
    assert not window.isWindowModified()


def test_open_clears_the_undo_stack(window: MainWindow) -> None:
    controls(window).learning_rate.setText("0.3")
    controls(window).learning_rate.editingFinished.emit()
    assert action(window, "undo").isEnabled()
    assert window.open(DEFAULT_EXAMPLE.path)
    assert not action(window, "undo").isEnabled()
    assert controls(window).learning_rate.text() == "0.01"


def test_closing_with_changes_asks_without_blocking(qtbot: QtBot, window: MainWindow) -> None:
    trigger(qtbot, window, "step")
    window.close()
    assert window.isVisible()  # not yet: the question is open, and nothing waits on it
    box = window.findChild(QMessageBox, "close_question")
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)


# -- problems -------------------------------------------------------------------------


def test_divergence_is_shown_in_the_window(qtbot: QtBot, window: MainWindow) -> None:
    example = find_example("house-prices")
    assert example is not None
    assert window.open(example.path)
    window.controller.set_learning_rate(1e6)
    with qtbot.waitSignal(window.session.diverged, timeout=TIMEOUT):
        for _ in range(50):
            if window.session.trainer.divergence is not None:
                break
            action(window, "epoch").trigger()
    assert window.banner.isVisible()
    assert "diverged" in window.banner.text()
    assert "smaller learning rate" in window.banner.text()
    assert QApplication.activeModalWidget() is None


def test_session_messages_go_to_the_status_bar(window: MainWindow) -> None:
    window.session.message.emit("early stopping after epoch 3")
    assert window.statusBar().currentMessage() == "early stopping after epoch 3"


# -- layout ---------------------------------------------------------------------------


def test_reset_layout_brings_every_panel_back(qtbot: QtBot, window: MainWindow) -> None:
    docks = [window.findChild(QDockWidget, f"{n}_dock") for n in ("loss_plot", "parameter_table")]
    docks[0].close()
    docks[1].setFloating(True)
    assert not docks[0].isVisible()
    action(window, "reset_layout").trigger()
    for dock in docks:
        assert dock.isVisible() and not dock.isFloating()
    editor = window.findChild(QDockWidget, "network_editor_dock")
    assert window.dockWidgetArea(editor) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.dockWidgetArea(docks[1]) == Qt.DockWidgetArea.RightDockWidgetArea
    qtbot.waitUntil(lambda: editor.width() > docks[1].width(), timeout=TIMEOUT)  # laid out later


def test_step_actions_are_in_the_toolbar_and_train_menu(window: MainWindow) -> None:
    toolbar_actions = window.toolbars["training"].actions()
    for name in STEP_ACTIONS:
        assert action(window, name) in toolbar_actions, name
