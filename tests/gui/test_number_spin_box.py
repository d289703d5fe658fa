"""Number boxes in dialogs read typed text as every other field does (bpsim.text): a
decimal point or comma, the true minus, an exponent; nothing else, and nothing out of
range. Typed as a user types, then Enter."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator
from pytestqt.qtbot import QtBot

from bpsim.gui.dialogs.new_dataset import NewDatasetDialog
from bpsim.gui.state.controller import Controller
from bpsim.gui.widgets.number_spin_box import NumberSpinBox
from bpsim.gui.widgets.reinitialise_dialog import ReinitialiseDialog


@pytest.fixture
def box(qtbot: QtBot) -> NumberSpinBox:
    spin = NumberSpinBox()
    qtbot.addWidget(spin)
    spin.setRange(-10.0, 10.0)
    spin.setDecimals(3)
    spin.setValue(1.0)
    spin.show()
    return spin


def type_into(qtbot: QtBot, spin: NumberSpinBox, text: str) -> None:
    edit = spin.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0,5", 0.5), ("0.5", 0.5), ("-2,25", -2.25), ("5e-1", 0.5), (",75", 0.75), ("+3", 3.0)],
)
def test_typed_numbers_read_as_everywhere(
    qtbot: QtBot, box: NumberSpinBox, text: str, value: float
) -> None:
    type_into(qtbot, box, text)
    assert box.value() == value


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-inf", "1e999", "x1", "99", "-12"])
def test_what_is_no_number_in_range_changes_nothing(
    qtbot: QtBot, box: NumberSpinBox, text: str
) -> None:
    box.setKeyboardTracking(False)  # as the dialogs set it: Enter commits
    type_into(qtbot, box, text)
    box.clearFocus()
    assert box.value() == 1.0


def test_the_validator_speaks_the_text_modules_grammar(box: NumberSpinBox) -> None:
    acceptable, intermediate, invalid = (
        QValidator.State.Acceptable,
        QValidator.State.Intermediate,
        QValidator.State.Invalid,
    )
    assert box.validate("0,5", 3)[0] == acceptable
    assert box.validate("−0,5", 4)[0] == acceptable  # the true minus
    assert box.validate("1e", 2)[0] == intermediate  # may still become a number
    assert box.validate("12", 2)[0] == intermediate  # above 10: not yet
    assert box.validate("1,2,3", 5)[0] == invalid
    assert box.validate("x", 1)[0] == invalid
    box.setSuffix(" %")
    assert box.validate("0,5 %", 3)[0] == acceptable
    assert box.valueFromText("0,25 %") == 0.25


def test_the_new_data_set_noise_takes_a_decimal_comma(qtbot: QtBot, make_session) -> None:
    session = make_session("xor")
    dialog = NewDatasetDialog(session, Controller(session))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_dataset("moons")
    noise = dialog.option_widgets["noise"]
    assert isinstance(noise, NumberSpinBox)
    type_into(qtbot, noise, "0,3")
    assert dialog.options()["noise"] == 0.3


def test_the_reinitialise_range_takes_a_decimal_comma(qtbot: QtBot) -> None:
    dialog = ReinitialiseDialog()
    qtbot.addWidget(dialog)
    dialog.show_for("uniform", 3)
    type_into(qtbot, dialog.low, "-0,25")
    type_into(qtbot, dialog.high, "0,75")
    with qtbot.waitSignal(dialog.chosen) as chosen:
        dialog.accept()
    assert chosen.args == ["uniform", 3, -0.25, 0.75]
