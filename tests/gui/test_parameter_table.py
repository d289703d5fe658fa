"""The parameter table: rows and names, gradient/update/optimizer columns, highlighting,
editing (through the model and through the view's editor), sorting and big networks.

Model → UI and UI → model are checked separately: session phases must reach the model as
``dataChanged`` (never a reset), and typed values must reach the session through the
controller's undo stack.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit

from bpsim.gui.panels.parameters.model import (
    KEY_ROLE,
    SORT_ROLE,
    VALUE_ROLE,
    ParameterTableModel,
)
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file, trainer_from_text
from bpsim.text import number_text_state, parse_number

W5 = ParameterKey(1, 0, 0)  # weights[1][0][0], the seed's w5: h1 → y1
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def model(session: Session, controller: Controller) -> ParameterTableModel:
    return ParameterTableModel(session, controller)


@pytest.fixture
def table(qtbot, session: Session, controller: Controller) -> ParameterTable:
    view = ParameterTable(session, controller)
    qtbot.addWidget(view)
    view.resize(900, 500)
    return view


def cell(model: ParameterTableModel, key: ParameterKey, column: str, role: int = DISPLAY):
    return model.index(model.row_for(key), model.column_for(column)).data(role)


def column_texts(model: ParameterTableModel, column: str) -> list[str]:
    c = model.column_for(column)
    return [model.index(r, c).data() for r in range(model.rowCount())]


def lesson_text(zero_weight: tuple[int, int, int] | None = None, **layer_changes: dict) -> str:
    """The worked example's JSON with some layers' keys changed (and one weight zeroed,
    as a masked link must be)."""
    data = json.loads(find_example("worked-example").path.read_text(encoding="utf-8"))
    for index, changes in layer_changes.items():
        data["layers"][int(index.removeprefix("layer"))].update(changes)
    if zero_weight is not None:
        k, j, i = zero_weight
        data["parameters"]["weights"][k][j][i] = 0.0
    return json.dumps(data)


# -- rows and names -------------------------------------------------------------------


def test_rows_follow_the_file_and_carry_the_seed_names(model: ParameterTableModel) -> None:
    assert model.rowCount() == 10  # 8 weights and 2 shared biases
    assert column_texts(model, "parameter") == [
        "w1  x1 → h1",
        "w2  x2 → h1",
        "w3  x1 → h2",
        "w4  x2 → h2",
        "b1  b(h1, h2)",
        "w5  h1 → y1",
        "w6  h2 → y1",
        "w7  h1 → y2",
        "w8  h2 → y2",
        "b2  b(y1, y2)",
    ]
    assert model.row_for(W5) == 5
    assert model.key_for(5) == W5
    assert model.row_for(ParameterKey(1, 0, bias=True)) == 9
    for row in range(model.rowCount()):
        assert model.row_for(model.key_for(row)) == row
        assert model.index(row, 0).data(KEY_ROLE) == model.key_for(row)
    assert cell(model, W5, "value") == "0.18"
    assert "weights[1][0][0]" in cell(model, W5, "parameter", Qt.ItemDataRole.ToolTipRole)


def test_without_seed_names_rows_are_named_by_the_neurons_they_join(make_session) -> None:
    model = ParameterTableModel(make_session("xor"))
    names = column_texts(model, "parameter")
    assert model.rowCount() == 2 * 4 + 4 + 4 * 1 + 1
    assert names[:2] == ["x1 → h1", "x2 → h1"]
    assert names[8:12] == ["b(h1)", "b(h2)", "b(h3)", "b(h4)"]
    assert names[12] == "h1 → y"
    assert names[-1] == "b(y)"


def test_masked_links_have_no_row(qtbot) -> None:
    text = lesson_text((1, 0, 1), layer2={"mask": [[1, 0], [1, 1]]})  # removes h2 → y1 (w6)
    session = Session(trainer_from_text(text))
    model = ParameterTableModel(session)
    assert model.rowCount() == 9
    assert "w6  h2 → y1" not in column_texts(model, "parameter")
    with pytest.raises(KeyError):
        model.row_for(ParameterKey(1, 0, 1))
    assert model.key_for(model.row_for(ParameterKey(1, 1, 0))) == ParameterKey(1, 1, 0)


def test_numbers_show_six_significant_digits_and_full_precision_elsewhere(
    session: Session, model: ParameterTableModel
) -> None:
    session.forward()
    session.backward()
    session.update()
    value = session.value(W5)
    assert cell(model, W5, "value") == "0.17927"
    assert cell(model, W5, "value", Qt.ItemDataRole.EditRole) == repr(value)
    assert cell(model, W5, "value", VALUE_ROLE) == value
    assert repr(value) in cell(model, W5, "value", Qt.ItemDataRole.ToolTipRole)


# -- model → UI: phases fill and highlight the columns ----------------------------------


def test_gradient_column_is_empty_until_a_backward_pass(
    qtbot,
    session: Session,
    model: ParameterTableModel,
) -> None:
    assert cell(model, W5, "gradient") == ""
    assert cell(model, W5, "gradient", VALUE_ROLE) is None
    session.forward()
    assert cell(model, W5, "gradient") == ""
    gradient = model.column_for("gradient")
    with qtbot.waitSignal(
        model.dataChanged,
        check_params_cb=lambda top, bottom, _roles: top.column() <= gradient <= bottom.column(),
    ):
        session.backward()
    assert cell(model, W5, "gradient") == "0.072952"
    assert cell(model, W5, "gradient", VALUE_ROLE) == pytest.approx(0.072952, abs=5e-7)
    assert cell(model, W5, "update") == ""  # no update yet


def test_layer_by_layer_backward_fills_the_output_layer_first(
    session: Session, model: ParameterTableModel
) -> None:
    session.forward()
    session.backward_layer()  # output layer: weights[1] and biases[1]
    assert cell(model, W5, "gradient") == "0.072952"
    assert cell(model, ParameterKey(0, 0, 0), "gradient") == ""
    assert model.is_highlighted(model.row_for(W5), model.column_for("gradient"))
    session.backward_layer()
    assert cell(model, ParameterKey(0, 0, 0), "gradient") != ""
    assert not model.is_highlighted(model.row_for(W5), model.column_for("gradient"))


def test_update_fills_the_delta_column(
    qtbot,
    session: Session,
    model: ParameterTableModel,
) -> None:
    session.forward()
    session.backward()
    with qtbot.waitSignal(model.dataChanged):
        session.update()
    assert cell(model, W5, "value") == "0.17927"
    assert cell(model, W5, "update") == "−0.00072952"
    assert cell(model, W5, "update", VALUE_ROLE) == pytest.approx(-0.00072952, abs=5e-10)
    # the gradient that made the update stays beside it, until the next forward pass
    assert cell(model, W5, "gradient") == "0.072952"
    session.forward()
    assert cell(model, W5, "gradient") == ""
    assert cell(model, W5, "update") == "−0.00072952"


def test_an_edit_after_backward_empties_the_gradients(
    session: Session, model: ParameterTableModel
) -> None:
    session.forward()
    session.backward()
    session.set_value(W5, 0.2)  # the pass no longer holds for these parameters
    assert cell(model, W5, "gradient") == ""


def test_cells_changed_by_the_last_phase_are_highlighted(
    session: Session, model: ParameterTableModel
) -> None:
    value, gradient, update = (model.column_for(n) for n in ("value", "gradient", "update"))
    rows = range(model.rowCount())

    def hot(column: int) -> list[bool]:
        return [model.is_highlighted(r, column) for r in rows]

    session.forward()
    assert not any(hot(value) + hot(gradient) + hot(update))

    session.backward()
    assert all(hot(gradient))
    assert not any(hot(value) + hot(update))
    w5 = model.row_for(W5)
    assert model.index(w5, gradient).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(w5, gradient).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(w5, value).data(Qt.ItemDataRole.BackgroundRole) is None

    session.update()
    assert all(hot(value)) and all(hot(update))
    assert not any(hot(gradient))

    session.set_value(W5, 0.5)  # an edit highlights the one value it changed
    assert hot(value) == [r == w5 for r in rows]
    assert not any(hot(update))


def test_phases_change_data_not_the_model(
    qtbot,
    session: Session,
    model: ParameterTableModel,
) -> None:
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.dataChanged):
        session.step()
    session.epoch()
    session.set_value(W5, 0.3)
    session.set_learning_rate(0.5)
    assert resets == []


def test_a_new_lesson_resets_the_model(
    qtbot,
    session: Session,
    model: ParameterTableModel,
) -> None:
    example = find_example("xor")
    with qtbot.waitSignal(model.modelReset):
        session.replace_trainer(trainer_from_lesson_file(example.path), example.path)
    assert model.rowCount() == 17
    assert model.index(0, 0).data() == "x1 → h1"


# -- optimizer state columns --------------------------------------------------------------


def test_switching_to_adam_adds_m_and_v_columns(
    qtbot,
    session: Session,
    model: ParameterTableModel,
) -> None:
    assert model.columnCount() == 4
    assert model.buffer_names() == ()
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.columnsInserted):
        session.set_optimizer("adam")
    assert resets == []
    assert model.buffer_names() == ("exp_avg", "exp_avg_sq")
    m, v = model.column_for("exp_avg"), model.column_for("exp_avg_sq")
    assert (m, v) == (4, 5)
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in (m, v)]
    assert header == ["m (exp_avg)", "v (exp_avg_sq)"]
    assert cell(model, W5, "exp_avg", VALUE_ROLE) == 0.0
    session.step()
    m_w5 = cell(model, W5, "exp_avg", VALUE_ROLE)
    v_w5 = cell(model, W5, "exp_avg_sq", VALUE_ROLE)
    assert m_w5 != 0.0 and v_w5 != 0.0
    # Adam's first step: m = (1 − β₁)·g, v = (1 − β₂)·g²
    g = cell(model, W5, "gradient", VALUE_ROLE)
    assert m_w5 == pytest.approx(0.1 * g)
    assert v_w5 == pytest.approx(0.001 * g * g)
    assert model.is_highlighted(model.row_for(W5), m)

    with qtbot.waitSignal(model.columnsRemoved):
        session.set_optimizer("sgd")
    assert model.columnCount() == 4
    with pytest.raises(KeyError):
        model.column_for("exp_avg")


def test_momentum_buffer_appears_when_momentum_is_switched_on(
    session: Session, model: ParameterTableModel
) -> None:
    session.trainer.optimizer.hyper["momentum"] = 0.9  # a settings panel would do this
    session.settingsChanged.emit()
    assert model.buffer_names() == ("momentum_buffer",)
    assert model.headerData(4, Qt.Orientation.Horizontal) == "b (momentum)"


# -- UI → model: editing -------------------------------------------------------------------


def test_editing_through_the_model_is_undoable(
    session: Session, controller: Controller, model: ParameterTableModel
) -> None:
    index = model.index(model.row_for(W5), model.column_for("value"))
    assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(index, "0.25", Qt.ItemDataRole.EditRole)
    assert session.value(W5) == 0.25
    assert index.data() == "0.25"
    assert controller.undo_stack.count() == 1
    assert "w5" in controller.undo_stack.text(0)
    controller.undo_stack.undo()
    assert session.value(W5) == 0.18
    assert index.data() == "0.18"
    assert model.setData(index, "−1.5e-3", Qt.ItemDataRole.EditRole)  # the table's minus
    assert session.value(W5) == -0.0015


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("abc", "not a number"),
        ("1_000", "not a number"),
        ("１２", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1e999", "finite"),
        ("", "enter a number"),
    ],
)
def test_bad_text_is_refused_with_a_message(
    qtbot,
    session: Session,
    controller: Controller,
    model: ParameterTableModel,
    text: str,
    says: str,
) -> None:
    index = model.index(model.row_for(W5), model.column_for("value"))
    with qtbot.waitSignal(model.editRejected) as blocker:
        assert not model.setData(index, text, Qt.ItemDataRole.EditRole)
    assert says in blocker.args[0]
    assert blocker.args[0].startswith("w5")
    assert session.value(W5) == 0.18
    assert controller.undo_stack.count() == 0


def test_frozen_parameters_are_grey_and_not_editable(qtbot) -> None:
    session = Session(trainer_from_text(lesson_text(layer2={"train_weights": False})))
    model = ParameterTableModel(session, Controller(session))
    row = model.row_for(W5)
    value = model.index(row, model.column_for("value"))
    assert model.is_frozen(row)
    assert not model.is_frozen(model.row_for(ParameterKey(1, 0, bias=True)))
    assert not model.flags(value) & Qt.ItemFlag.ItemIsEditable
    assert value.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "Frozen" in value.data(Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(model.editRejected) as blocker:
        assert not model.setData(value, "1.0", Qt.ItemDataRole.EditRole)
    assert "frozen" in blocker.args[0]
    session.step()
    assert cell(model, W5, "value") == "0.18"  # training leaves it alone too


def test_parse_number_and_the_editor_states() -> None:
    assert parse_number("0.5") == 0.5
    assert parse_number(" -2 ") == -2.0
    assert parse_number("1e-3") == 0.001
    assert parse_number("−0.25") == -0.25
    assert parse_number(3) == 3.0
    for bad in ("1_000", "0x10", "1.2.3", "infinity", "--1"):
        with pytest.raises(ValueError):
            parse_number(bad)
    assert number_text_state("0.5") == "acceptable"
    assert number_text_state("-") == "intermediate"
    assert number_text_state("1e") == "intermediate"
    assert number_text_state("") == "intermediate"
    assert number_text_state("1e999") == "intermediate"  # a number, but not a finite one
    assert number_text_state("a") == "invalid"
    assert number_text_state("0,5") == "acceptable"  # the decimal comma, as in every field
    assert number_text_state("1_0") == "invalid"


def editor_of(table: ParameterTable) -> QLineEdit:
    editor = table.findChild(QLineEdit, "parameter_value_editor")
    assert editor is not None and editor.isVisible()
    return editor


def test_typing_into_the_value_editor_sets_the_value(
    qtbot,
    session: Session,
    controller: Controller,
    table: ParameterTable,
) -> None:
    table.show()
    qtbot.waitExposed(table)
    assert table.edit_value(W5)
    editor = editor_of(table)
    assert editor.text() == "0.18"
    assert editor.selectedText() == "0.18"  # typing replaces it
    qtbot.keyClicks(editor, "0.42")
    with qtbot.waitSignal(session.parametersChanged):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert session.value(W5) == 0.42
    assert controller.undo_stack.count() == 1
    model = table.parameter_model
    assert model.index(model.row_for(W5), model.column_for("value")).data() == "0.42"
    controller.undo_stack.undo()
    assert session.value(W5) == 0.18


def test_the_editor_does_not_take_or_commit_bad_text(
    qtbot,
    session: Session,
    controller: Controller,
    table: ParameterTable,
) -> None:
    table.show()
    qtbot.waitExposed(table)
    table.edit_value(W5)
    editor = editor_of(table)
    qtbot.keyClicks(editor, "abc")  # refused keystroke by keystroke
    assert editor.text() == "0.18"
    editor.selectAll()
    qtbot.keyClicks(editor, "-")
    assert editor.text() == "-"
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # not a number yet: stays open
    assert editor.isVisible()
    assert session.value(W5) == 0.18
    qtbot.keyClicks(editor, "0.5")
    with qtbot.waitSignal(session.parametersChanged):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert session.value(W5) == -0.5
    assert controller.undo_stack.count() == 1


def test_the_view_reports_a_refused_edit(
    qtbot,
    session: Session,
    table: ParameterTable,
) -> None:
    model = table.parameter_model
    table.select_parameter(W5)
    with qtbot.waitSignal(table.editRejected) as blocker:
        model.setData(table.currentIndex(), "0.5.5", Qt.ItemDataRole.EditRole)
    assert "not a number" in blocker.args[0]
    assert table.last_rejection == blocker.args[0]
    assert table.current_key() == W5


# -- sorting ---------------------------------------------------------------------------------


def test_sorting_by_gradient_puts_the_largest_magnitude_first(
    session: Session, table: ParameterTable
) -> None:
    model = table.parameter_model
    assert table.isSortingEnabled()
    assert model.index(0, 0).data() == "w1  x1 → h1"  # starts in file order
    session.forward()
    session.backward()
    gradient = model.column_for("gradient")
    assert (
        model.headerData(gradient, Qt.Orientation.Horizontal, Qt.ItemDataRole.InitialSortOrderRole)
        == Qt.SortOrder.DescendingOrder
    )
    table.sortByColumn(gradient, Qt.SortOrder.DescendingOrder)
    keys = [model.index(r, gradient).data(SORT_ROLE) for r in range(model.rowCount())]
    assert keys == sorted(keys, reverse=True)
    assert model.index(0, 0).data() == "b2  b(y1, y2)"  # |0.0965375| is the largest
    assert model.row_for(W5) == 1
    values = [model.index(r, gradient).data(VALUE_ROLE) for r in range(model.rowCount())]
    assert any(v < 0 for v in values)  # sorted by size, not by sign
    # the table re-sorts when the gradients change, and goes back to file order
    session.step()
    keys = [model.index(r, gradient).data(SORT_ROLE) for r in range(model.rowCount())]
    assert keys == sorted(keys, reverse=True)
    table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    assert model.index(0, 0).data() == "w1  x1 → h1"


def test_clicking_the_gradient_header_sorts_largest_first(
    qtbot,
    session: Session,
    table: ParameterTable,
) -> None:
    table.show()
    qtbot.waitExposed(table)
    session.forward()
    session.backward()
    model = table.parameter_model
    header = table.horizontalHeader()
    gradient = model.column_for("gradient")
    x = header.sectionViewportPosition(gradient) + header.sectionSize(gradient) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert model.sort_column() == gradient
    assert model.index(0, 0).data() == "b2  b(y1, y2)"


def test_empty_cells_sort_last_and_selection_follows_the_row(
    session: Session, table: ParameterTable
) -> None:
    model = table.parameter_model
    table.select_parameter(W5)
    table.sortByColumn(model.column_for("value"), Qt.SortOrder.DescendingOrder)
    assert model.index(0, 0).data() == "b2  b(y1, y2)"  # 0.42
    assert table.current_key() == W5  # the current row moved with its parameter
    table.sortByColumn(model.column_for("gradient"), Qt.SortOrder.DescendingOrder)
    assert model.key_for(0) == ParameterKey(0, 0, 0)  # no gradients yet: file order stays


# -- a big network -------------------------------------------------------------------------


def big_lesson(sizes: tuple[int, ...] = (784, 20, 20, 10), samples: int = 4) -> str:
    rng = np.random.default_rng(0)
    layers = [{"size": sizes[0]}] + [{"size": n, "activation": "sigmoid"} for n in sizes[1:]]
    inputs = rng.random((samples, sizes[0])).round(3).tolist()
    targets = np.eye(sizes[-1])[rng.integers(0, sizes[-1], samples)].tolist()
    return json.dumps(
        {
            "format": "bpsim",
            "version": 1,
            "layers": layers,
            "init": {"method": "xavier_uniform", "seed": 0},
            "loss": "half_sse",
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            "dataset": {"inputs": inputs, "targets": targets},
        }
    )


def test_a_784_20_20_10_network_has_one_row_per_parameter(qtbot) -> None:
    session = Session(trainer_from_text(big_lesson()))
    controller = Controller(session)
    table = ParameterTable(session, controller)
    qtbot.addWidget(table)
    model = table.parameter_model
    assert model.rowCount() == 784 * 20 + 20 + 20 * 20 + 20 + 20 * 10 + 10
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    table.show()
    qtbot.waitExposed(table)
    session.step()
    last = model.rowCount() - 1
    assert model.key_for(last) == ParameterKey(2, 9, bias=True)
    assert model.row_for(ParameterKey(0, 19, 783)) == 784 * 20 - 1
    assert model.index(last, 0).data() == "b(y10)"
    assert model.index(last, model.column_for("gradient")).data() != ""
    table.sortByColumn(model.column_for("gradient"), Qt.SortOrder.DescendingOrder)
    keys = np.array(
        [model.index(r, model.column_for("gradient")).data(SORT_ROLE) for r in range(200)]
    )
    assert np.all(np.diff(keys) <= 0)
    table.select_parameter(ParameterKey(0, 5, 300))
    assert table.current_key() == ParameterKey(0, 5, 300)
    assert resets == []
