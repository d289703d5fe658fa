"""The gradient check in the parameter table: "finite diff." and "rel. error" columns with a
pass mark, computed on demand (Check gradients), cleared when they no longer hold."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import open_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from bpsim.core.gradcheck import PASS_THRESHOLD, gradient_check
from bpsim.gui.panels.parameters.model import PASS_TEXT, VALUE_ROLE
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey, Session

TIMEOUT = 5000
W5 = ParameterKey(1, 0, 0)


@pytest.fixture
def table(qtbot: QtBot, session: Session, controller: Controller) -> ParameterTable:
    view = ParameterTable(session, controller)
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    return view


def cell(table: ParameterTable, key: ParameterKey, column: str, role: int = 0) -> object:
    model = table.parameter_model
    return model.index(model.row_for(key), model.column_for(column)).data(role)


def test_the_columns_appear_on_demand_with_the_engines_numbers(
    qtbot: QtBot, session: Session, table: ParameterTable
) -> None:
    model = table.parameter_model
    assert model.columnCount() == 4  # nothing is computed until asked
    session.forward()
    session.backward()
    flat = session.trainer.network.flat.copy()
    with qtbot.waitSignal(table.gradientsChecked, timeout=TIMEOUT) as verdict:
        table.check_action.trigger()
    assert "✓ passed" in verdict.args[0]
    assert model.columnCount() == 6
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in (4, 5)]
    assert headers == ["finite diff.", "rel. error"]
    assert np.array_equal(session.trainer.network.flat, flat)  # every weight put back

    trace = session.trainer.trace
    expected = gradient_check(session.trainer.network, trace.a[0], trace.targets)
    numeric = cell(table, W5, "finite_diff", VALUE_ROLE)
    assert numeric == float(expected.numeric[2][0, 0])
    assert numeric == pytest.approx(0.072952, abs=1e-6)
    error = cell(table, W5, "relative_error", VALUE_ROLE)
    assert error == float(expected.relative_error[2][0, 0]) and error <= PASS_THRESHOLD
    text = cell(table, W5, "relative_error")
    assert isinstance(text, str) and text.endswith("✓")
    assert cell(table, W5, "relative_error", Qt.ItemDataRole.ForegroundRole) == PASS_TEXT
    assert "by central differences" in str(
        cell(table, W5, "finite_diff", Qt.ItemDataRole.ToolTipRole)
    )
    # sorting by the error works like the other number columns
    table.sortByColumn(model.column_for("relative_error"), Qt.SortOrder.DescendingOrder)
    first = model.index(0, model.column_for("relative_error")).data(VALUE_ROLE)
    assert first == pytest.approx(expected.max_relative_error)


def test_the_check_is_cleared_when_the_weights_change(
    qtbot: QtBot, session: Session, table: ParameterTable
) -> None:
    session.forward()
    session.backward()
    table.check_gradients()
    assert cell(table, W5, "finite_diff") != ""
    session.update()
    assert cell(table, W5, "finite_diff") == ""  # it was for the weights before
    assert table.parameter_model.columnCount() == 6  # the columns stay, empty
    assert "no gradient check" in str(cell(table, W5, "finite_diff", Qt.ItemDataRole.ToolTipRole))
    table.check_gradients()  # before a forward pass: on the next batch
    assert cell(table, W5, "finite_diff") != ""


def test_teach_menu_action_and_key(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    action = window.findChild(QAction, "check_gradients")
    assert action is not None and action.shortcut().toString() == "Ctrl+G"
    table = window.panels["parameter_table"]
    with qtbot.waitSignal(table.gradientsChecked, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert "passed" in window.statusBar().currentMessage()
    assert table.parameter_model.check_columns_shown()
