"""A student's typo never changes anything and never goes unexplained.

Every field is typed into as a student types (keys, then Enter): words, NaN, infinity,
1e999, nothing at all, and the values that make no sense for that field (a learning rate
of 0 or below, a batch of 0 …). Each is refused where it was typed, with a message, and
nothing changes: not the parameters, the settings, the data, the structure, nor the undo
stack (so nothing was half-applied either). The last test walks every text field and spin
box the window holds, including those of panels added later, with the same inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QTableView, QToolTip
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.state.session import ParameterKey
from bpsim.lessons.examples import find_example

TIMEOUT = 5000
#: Not a number, or not a finite one, as typed.
#: (ASCII only: QTest cannot type other characters.)
NOT_NUMBERS = (
    "abc",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "",
    "  ",
    "0x10",
    "1/2",
    "--1",
    "1e",
    ".",
    "-",
)
W5 = ParameterKey(1, 0, 0)  # w5 = 0.18 in the worked example


def fingerprint(win: MainWindow) -> tuple:
    """Everything an edit could change, bit for bit."""
    t = win.session.trainer
    stack = win.controller.undo_stack
    return (
        tuple(a.tobytes() for a in t.network.parameter_arrays()),
        t.optimizer_spec.name,
        tuple(sorted((k, repr(v)) for k, v in t.optimizer.hyper.items())),
        t.network.loss.name,
        t.training,
        tuple(t.network.sizes),
        t.inputs.tobytes(),
        t.targets.tobytes(),
        None if t.override is None else tuple(t.override),
        t.step_count,
        stack.count(),
        stack.index(),
    )


def all_finite(win: MainWindow) -> bool:
    t = win.session.trainer
    arrays = [*t.network.parameter_arrays(), t.inputs, t.targets]
    lr = float(t.optimizer.hyper["learning_rate"])
    return all(np.all(np.isfinite(a)) for a in arrays) and math.isfinite(lr)


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Select everything, delete it, type ``text``, press Enter."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


# -- training controls ---------------------------------------------------------------


@pytest.mark.parametrize("text", [*NOT_NUMBERS, "0", "-0.1", "-0", "0.0", "1e-400"])
def test_learning_rate_refuses_with_a_message(qtbot: QtBot, window: MainWindow, text: str) -> None:
    field = window.controls.learning_rate
    before = fingerprint(window)
    retype(qtbot, field, text)
    assert fingerprint(window) == before
    assert field.text() == "0.01"  # back to what the trainer holds
    message = window.statusBar().currentMessage()
    assert message.startswith("The learning rate must be a number above 0")
    assert "it stays 0.01" in message
    assert QToolTip.text() == message  # shown at the field, too


def test_learning_rate_takes_a_good_value_after_bad_ones(qtbot: QtBot, window: MainWindow) -> None:
    field = window.controls.learning_rate
    retype(qtbot, field, "nan")
    retype(qtbot, field, "0,5")  # a decimal comma is understood
    assert window.session.trainer.optimizer.hyper["learning_rate"] == 0.5


@pytest.mark.parametrize("text", ["abc", "-3", "nan", "1e999", "99", "2.5"])
def test_batch_size_refuses_keys_that_do_not_fit(
    qtbot: QtBot, window: MainWindow, text: str
) -> None:
    box = window.controls.batch_size
    before = fingerprint(window)
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.trainer.training.batch_size == 1
    message = window.statusBar().currentMessage()
    assert message.startswith("Batch size: a whole number from 1 to 1")
    assert fingerprint(window)[:4] == before[:4]  # parameters, optimizer, loss untouched


def test_a_batch_of_zero_means_full_and_is_never_a_batch_of_nothing(window: MainWindow) -> None:
    box = window.controls.batch_size
    assert box.minimum() == 0 and box.specialValueText() == "full"
    before = fingerprint(window)
    for size in (0, -1, -100):
        with pytest.raises(ValueError, match="at least 1"):
            window.controller.set_batch_size(size)
        with pytest.raises(ValueError, match="at least 1"):
            window.session.trainer.set_batch_size(size)
    assert fingerprint(window) == before


@pytest.mark.parametrize("text", ["abc", "-", "nan", "9", "2", "e9"])
def test_sample_picker_refuses_keys_that_do_not_fit(
    qtbot: QtBot, window: MainWindow, text: str
) -> None:
    box = window.controls.sample
    before = fingerprint(window)
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.trainer.override is None
    assert window.statusBar().currentMessage().startswith("Next sample: a row number from 1 to 1")
    assert fingerprint(window) == before


def test_controller_refuses_what_no_widget_should_send(window: MainWindow) -> None:
    before = fingerprint(window)
    for rate in (0.0, -0.01, math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="above 0"):
            window.controller.set_learning_rate(rate)
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="finite"):
            window.controller.set_value(W5, value)
    assert fingerprint(window) == before and all_finite(window)


# -- the parameter table's value editor ------------------------------------------------


def open_table_editor(qtbot: QtBot, window: MainWindow) -> tuple[ParameterTable, QLineEdit]:
    table = window.findChild(QTableView, "parameter_table")
    assert isinstance(table, ParameterTable)
    assert table.edit_value(W5)
    editor = table.findChild(QLineEdit, "parameter_value_editor")
    assert editor is not None
    qtbot.waitUntil(editor.isVisible, timeout=TIMEOUT)
    return table, editor


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_table_editor_refuses_with_a_message(qtbot: QtBot, window: MainWindow, text: str) -> None:
    table, editor = open_table_editor(qtbot, window)
    before = fingerprint(window)
    retype(qtbot, editor, text)
    assert editor.isVisible()  # still open: fix the number or press Esc
    assert fingerprint(window) == before
    assert table.last_rejection.startswith("w5")  # names the parameter
    assert any(
        reason in table.last_rejection
        for reason in (
            "enter a number",
            "enter a finite number",
            "is not a number",
            "only a number can go here",
        )
    ), table.last_rejection
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert fingerprint(window) == before


def test_table_model_refuses_text_that_slips_past_the_editor(window: MainWindow) -> None:
    table = window.findChild(QTableView, "parameter_table")
    model = table.model()
    index = table.parameter_model.index(table.parameter_model.row_for(W5), 1)
    before = fingerprint(window)
    for value in ("nan", "inf", "1e999", "abc", "", math.nan, math.inf):
        assert not model.setData(index, value)
        assert fingerprint(window) == before
    assert table.last_rejection.startswith("w5")


# -- the network editor's inline editor --------------------------------------------------


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_inline_editor_refuses_with_a_message(qtbot: QtBot, window: MainWindow, text: str) -> None:
    editor = window.panels["network_editor"]
    before = fingerprint(window)
    edit = editor.begin_edit(W5)
    with qtbot.waitSignal(editor.message, timeout=TIMEOUT) as said:
        retype(qtbot, edit, text)
    inline = editor.inline_editor()
    assert inline.isVisible() and inline.error.isVisible()  # the reason, under the field
    assert inline.error.text() == said.args[0]
    assert "number" in said.args[0]
    assert fingerprint(window) == before
    editor.cancel_edit()
    assert fingerprint(window) == before


# -- structure ----------------------------------------------------------------------------


def test_a_layer_of_no_neurons_is_refused(qtbot: QtBot, window: MainWindow) -> None:
    xor = find_example("xor")
    assert xor is not None and window.open(xor.path)
    editor = window.panels["network_editor"]
    last = len(window.session.trainer.network.sizes) - 1
    assert window.session.trainer.network.sizes[last] == 1
    before = fingerprint(window)
    editor.select_key(("neuron", last, 0))
    with qtbot.waitSignal(editor.message, timeout=TIMEOUT) as said:
        assert not editor.edit_actions.delete_selected()
    assert "only neuron" in said.args[0]
    assert fingerprint(window) == before


# -- every field the window has ---------------------------------------------------------


def _fields(window: MainWindow) -> list[QLineEdit | QAbstractSpinBox]:
    found: list[QLineEdit | QAbstractSpinBox] = []
    for widget in window.findChildren(QLineEdit):
        if not isinstance(widget.parent(), QAbstractSpinBox | QComboBox):
            found.append(widget)
    found += window.findChildren(QAbstractSpinBox)
    return [w for w in found if w.isEnabled() and not w.isReadOnly()]


def test_every_field_survives_every_typo(qtbot: QtBot, window: MainWindow) -> None:
    fields = _fields(window)
    names = {w.objectName() for w in fields}
    assert {"learning_rate", "batch_size", "sample"} <= names
    before = fingerprint(window)
    for field in fields:
        edit = field.lineEdit() if isinstance(field, QAbstractSpinBox) else field
        for text in (*NOT_NUMBERS, "0", "-1", "-0.0"):
            edit.setFocus()
            edit.selectAll()
            qtbot.keyClick(edit, Qt.Key.Key_Backspace)
            qtbot.keyClicks(edit, text)
            qtbot.keyClick(edit, Qt.Key.Key_Return)
            edit.clearFocus()  # and leaving the field
            assert all_finite(window), (field.objectName(), text)
        # The bad inputs above change nothing the lesson holds; "0" may pick "full"
        # in a spin box whose 0 means that, so compare what no typo may touch.
        after = fingerprint(window)
        assert after[0] == before[0], field.objectName()  # parameters
        assert after[2] == before[2], field.objectName()  # optimizer settings
        assert after[5:8] == before[5:8], field.objectName()  # structure and data
