"""The network editor: model → UI (what the trace says is drawn) and UI → model (edits
go through the controller, undoable). Numbers are the seed-000 worked example's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import numpy as np
import pytest
from gui_helpers import shown
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from bpsim.gui.panels.network.editor import NetworkEditor, visible_indices
from bpsim.gui.panels.network.items import BiasNodeItem, LinkItem, TagItem
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.gui.style import palette
from bpsim.lessons.files import trainer_from_text
from bpsim.text import parse_number

MakeSession = Callable[[str], Session]
MakeEditor = Callable[..., NetworkEditor]


@pytest.fixture
def make_editor(qtbot: QtBot) -> MakeEditor:
    """``make_editor(session)`` → a shown 1200×800 editor with its own controller."""

    def make(session: Session, controller: Controller | None = None) -> NetworkEditor:
        return shown(qtbot, NetworkEditor(session, controller or Controller(session)), (1200, 800))

    return make


@pytest.fixture
def editor(make_editor: MakeEditor, session: Session, controller: Controller) -> NetworkEditor:
    return make_editor(session, controller)


def _view_point(editor: NetworkEditor, link: LinkItem) -> QPoint:
    """Where a click on ``link`` goes: its label's place on the line."""
    return editor.mapFromScene(link.point_at(link.tag_fraction))


def _lesson_text(sizes: list[int], *, mask: list[list[int]] | None = None, samples: int = 4) -> str:
    """A lesson of the given sizes with random data (for large and masked layers)."""
    rng = np.random.default_rng(0)
    layers: list[dict] = [{"size": sizes[0]}]
    for size in sizes[1:-1]:
        layers.append({"size": size, "activation": "sigmoid"})
    layers.append({"size": sizes[-1], "activation": "softmax"})
    if mask is not None:
        layers[1]["mask"] = mask
    targets = np.zeros((samples, sizes[-1]))
    targets[np.arange(samples), np.arange(samples) % sizes[-1]] = 1
    lesson = {
        "format": "bpsim",
        "version": 1,
        "name": "test",
        "layers": layers,
        "init": {"method": "xavier_uniform", "seed": 0},
        "loss": "cross_entropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.1},
        "training": {"batch_size": 2},
        "dataset": {
            "inputs": rng.random((samples, sizes[0])).round(3).tolist(),
            "targets": targets.tolist(),
        },
    }
    return json.dumps(lesson)


# -- structure ---------------------------------------------------------------------------


def test_draws_every_neuron_with_its_label_and_captions(editor: NetworkEditor) -> None:
    assert editor.objectName() == "network_editor"
    assert editor.renderHints() & QPainter.RenderHint.Antialiasing
    for layer, names in enumerate(editor.network.labels):
        for index, name in enumerate(names):
            item = editor.neuron_item(layer, index)
            assert item is not None
            assert item.name_item.text() == name
    texts = [c.text() for c in editor._captions]
    assert texts == ["input", "hidden 1 (sigmoid)", "output (sigmoid)"]
    # Columns left to right, neurons top to bottom.
    assert (
        editor.neuron_item(0, 0).x() < editor.neuron_item(1, 0).x() < editor.neuron_item(2, 0).x()
    )
    assert editor.neuron_item(1, 0).y() < editor.neuron_item(1, 1).y()


def test_biases_shared_per_neuron_and_none(
    make_session: MakeSession, make_editor: MakeEditor
) -> None:
    shared = make_editor(make_session("worked-example"))
    assert isinstance(shared.bias_item(0), BiasNodeItem)
    assert shared.bias_text(0) == "b1 = 0.05"
    assert shared.bias_text(1) == "b2 = 0.42"
    per_neuron = make_editor(make_session("and"))
    assert isinstance(per_neuron.bias_item(0, 1), TagItem)
    assert per_neuron.bias_text(0, 1).startswith("b = ")
    none = make_editor(make_session("tanh"))
    assert none.bias_item(0) is None and none.bias_item(1) is None


# -- model → UI --------------------------------------------------------------------------


def test_forward_shows_values_and_fills(session: Session, editor: NetworkEditor) -> None:
    h1, y1 = editor.neuron_item(1, 0), editor.neuron_item(2, 0)
    assert editor.value_text(1, 0) == "" and editor.value_text(2, 0) == ""
    before = (h1.fill(), y1.fill())
    assert before[0] == palette.NEUTRAL_FILL
    session.forward()
    assert editor.value_text(1, 0) == "0.538424"  # the worksheet's six digits
    assert editor.value_text(2, 0) == "0.63371"
    assert editor.value_text(0, 0) == "0.95"
    assert (h1.fill(), y1.fill()) != before
    assert y1.fill() == palette.activation_color(session.trainer.trace.a[2][0, 0], "sigmoid")
    assert editor.gradient_text(1, 0, 0) == ""  # no backward yet
    assert editor.batch_caption() == ""  # one sample per batch: nothing to say


def test_backward_shows_gradients_and_deltas(session: Session, editor: NetworkEditor) -> None:
    session.forward()
    assert editor.gradient_path(1).isEmpty()
    assert session.backward()
    assert editor.gradient_text(1, 0, 0) == "∂E/∂w5 = 0.072952"
    assert editor.delta_text(2, 0).startswith("δ = 0.13549")
    assert editor.delta_text(0, 0) == ""  # inputs have no delta
    assert not editor.gradient_path(0).isEmpty() and not editor.gradient_path(1).isEmpty()
    assert "∂E/∂b2" in editor.bias_text(1)


def test_update_shows_new_weights(session: Session, editor: NetworkEditor) -> None:
    session.forward()
    session.backward()
    link = editor.link_item(1, 0, 0)
    old_width = link.current_pen().widthF()
    session.update()
    w = session.trainer.network.weights[1]
    expected = palette.weight_pen(float(w[0, 0]), float(np.abs(w).max()))
    assert link.current_pen().widthF() == pytest.approx(expected.widthF())
    assert link.current_pen().widthF() != pytest.approx(old_width)
    assert editor.weight_text(1, 0, 0) == "w5 = 0.17927"


def test_layer_by_layer_highlights_the_layer_being_computed(
    session: Session, editor: NetworkEditor
) -> None:
    assert editor.highlighted_layer() is None
    session.forward_layer()
    assert editor.highlighted_layer() == 1
    assert editor.value_text(1, 0) == "0.538424"
    assert editor.value_text(2, 0) == ""  # not computed yet
    session.forward_layer()
    assert editor.highlighted_layer() == 2
    session.backward_layer()
    assert editor.highlighted_layer() == 2
    assert editor.gradient_text(1, 0, 0) != "" and editor.gradient_text(0, 0, 0) == ""
    session.backward_layer()
    assert editor.highlighted_layer() == 1
    session.forward()
    assert editor.highlighted_layer() is None


def test_refreshes_without_rebuilding(session: Session, editor: NetworkEditor) -> None:
    items = set(editor.scene().items())
    h1 = editor.neuron_item(1, 0)
    session.forward()
    session.backward()
    session.update()
    assert editor.neuron_item(1, 0) is h1
    assert set(editor.scene().items()) == items


def test_a_stale_trace_is_not_shown_after_an_edit(
    session: Session, controller: Controller, editor: NetworkEditor
) -> None:
    session.forward()
    controller.set_value(ParameterKey(1, 0, 0), 0.5)
    assert editor.value_text(2, 0) == ""  # the values belonged to the old weight
    assert editor.weight_text(1, 0, 0) == "w5 = 0.5"


def test_tooltips_give_full_precision(session: Session, editor: NetworkEditor) -> None:
    session.forward()
    session.backward()
    g = float(session.trainer.trace.weight_grads[1][0, 0])
    text = editor.tooltip_for(ParameterKey(1, 0, 0))
    assert "w5 (h1 → y1)" in text
    assert f"w = {0.18!r}" in text
    assert f"∂E/∂w5 = {g!r}" in text
    neuron = editor.tooltip_for(("neuron", 1, 0))
    assert repr(float(session.trainer.trace.a[1][0, 0])) in neuron


def test_hovering_shows_the_tooltip(session: Session, editor: NetworkEditor) -> None:
    session.forward()
    pos = editor.mapFromScene(editor.neuron_item(1, 0).pos())
    event = QHelpEvent(QEvent.Type.ToolTip, pos, editor.viewport().mapToGlobal(pos))
    QApplication.sendEvent(editor.viewport(), event)
    assert "out = 0.538" in QToolTip.text()
    QToolTip.hideText()


def test_running_a_crowded_drawing_drops_antialiasing(
    make_session: MakeSession, make_editor: MakeEditor
) -> None:
    session = make_session("digits")
    editor = make_editor(session)
    session.runningChanged.emit(True)
    assert not editor.renderHints() & QPainter.RenderHint.Antialiasing
    session.runningChanged.emit(False)
    assert editor.renderHints() & QPainter.RenderHint.Antialiasing


def test_refresh_is_fast_on_a_small_network(session: Session, editor: NetworkEditor) -> None:
    session.forward()
    session.backward()
    start = time.perf_counter()
    for _ in range(20):
        editor.refresh_parameters()
        editor.refresh_trace()
    assert (time.perf_counter() - start) / 20 < 0.025


# -- large layers ------------------------------------------------------------------------


def test_digits_collapse_large_layers(make_session: MakeSession, make_editor: MakeEditor) -> None:
    session = make_session("digits")
    editor = make_editor(session)
    assert len(editor.scene().items()) < 1000
    assert editor.ellipsis_items()
    assert "57 more" in editor.ellipsis_items()[0].text()
    assert editor.neuron_item(0, 10) is None and editor.neuron_item(0, 63) is not None
    assert editor.link_item(0, 0, 10) is None
    assert all(editor.neuron_item(3, j) is not None for j in range(10))  # 10 ≤ 12: all drawn
    session.forward()
    assert "batch of 32" in editor.batch_caption()
    assert editor.value_text(3, 0) != ""


def test_784_inputs_build_a_few_hundred_items(make_editor: MakeEditor) -> None:
    session = Session(trainer_from_text(_lesson_text([784, 20, 20, 10])))
    start = time.perf_counter()
    editor = make_editor(session)
    assert time.perf_counter() - start < 2.0
    assert len(editor.scene().items()) < 1000
    assert visible_indices(784)[1] == [781, 782, 783]
    session.forward()
    session.backward()
    assert editor.value_text(0, 783) != ""


def test_a_new_lesson_rebuilds(make_session: MakeSession, make_editor: MakeEditor) -> None:
    session = make_session("worked-example")
    editor = make_editor(session)
    other = make_session("digits")
    session.replace_trainer(other.trainer, None)
    assert editor.neuron_item(3, 9) is not None
    assert editor.ellipsis_items()


# -- UI → model --------------------------------------------------------------------------


def test_double_click_edits_a_weight_and_undo_restores_it(
    qtbot: QtBot,
    session: Session,
    controller: Controller,
    editor: NetworkEditor,
) -> None:
    key = ParameterKey(1, 0, 0)
    link = editor.link_item(1, 0, 0)
    qtbot.mouseDClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=_view_point(editor, link))
    box = editor.inline_editor()
    assert box.isVisible() and box.key == key
    assert "w5" in box.label.text()
    box.edit.clear()
    with qtbot.waitSignal(session.parametersChanged):
        qtbot.keyClicks(box.edit, "0.3")
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert session.value(key) == 0.3
    assert not box.isVisible()
    assert editor.weight_text(1, 0, 0) == "w5 = 0.3"
    controller.undo_stack.undo()
    assert session.value(key) == 0.18
    assert editor.weight_text(1, 0, 0) == "w5 = 0.18"


def test_bad_text_changes_nothing(
    qtbot: QtBot,
    session: Session,
    controller: Controller,
    editor: NetworkEditor,
) -> None:
    key = ParameterKey(1, 0, 0)
    box_edit = editor.begin_edit(key)
    box_edit.setText("abc")
    with qtbot.waitSignal(editor.message) as blocker:
        qtbot.keyClick(box_edit, Qt.Key.Key_Return)
    assert "not a number" in blocker.args[0]
    assert session.value(key) == 0.18
    assert controller.undo_stack.count() == 0
    box = editor.inline_editor()
    assert box.isVisible() and box.error.isVisible()
    qtbot.keyClick(box_edit, Qt.Key.Key_Escape)
    assert not box.isVisible()
    assert session.value(key) == 0.18


def test_editing_a_masked_link_is_refused(qtbot: QtBot, make_editor: MakeEditor) -> None:
    session = Session(trainer_from_text(_lesson_text([2, 2, 2], mask=[[1, 0], [1, 1]])))
    editor = make_editor(session)
    link = editor.link_item(0, 0, 1)
    assert link.masked and link.current_pen().style() == Qt.PenStyle.DotLine
    before = session.value(ParameterKey(0, 0, 1))
    box_edit = editor.begin_edit(ParameterKey(0, 0, 1))
    box_edit.setText("0.5")
    with qtbot.waitSignal(editor.message) as blocker:
        assert not editor.commit_edit()
    assert "masked" in blocker.args[0]
    assert session.value(ParameterKey(0, 0, 1)) == before


def test_keyboard_edits_the_selected_weight(qtbot: QtBot, editor: NetworkEditor) -> None:
    editor.select_key(ParameterKey(0, 1, 1))
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_F2)
    assert editor.inline_editor().isVisible()
    assert editor.inline_editor().key == ParameterKey(0, 1, 1)
    editor.cancel_edit()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.selected_key() is None


def test_editing_a_bias(session: Session, controller: Controller, editor: NetworkEditor) -> None:
    box_edit = editor.begin_edit(ParameterKey(0, 0, bias=True))
    box_edit.setText("−0,25")  # a true minus and a decimal comma
    assert editor.commit_edit()
    assert session.value(ParameterKey(0, 0, bias=True)) == -0.25
    assert editor.bias_text(0) == "b1 = −0.25"
    controller.undo_stack.undo()
    assert session.value(ParameterKey(0, 0, bias=True)) == 0.05


def test_clicks_select_links_and_neurons(qtbot: QtBot, editor: NetworkEditor) -> None:
    neuron = editor.neuron_item(1, 0)
    with qtbot.waitSignal(editor.selectionChangedTo) as blocker:
        qtbot.mouseClick(
            editor.viewport(), Qt.MouseButton.LeftButton, pos=editor.mapFromScene(neuron.pos())
        )
    assert blocker.args == [("neuron", 1, 0)]
    link = editor.link_item(0, 1, 0)
    with qtbot.waitSignal(editor.selectionChangedTo) as blocker:
        qtbot.mouseClick(
            editor.viewport(), Qt.MouseButton.LeftButton, pos=_view_point(editor, link)
        )
    assert blocker.args == [ParameterKey(0, 1, 0)]
    assert editor.selected_key() == ParameterKey(0, 1, 0)
    empty = editor.mapFromScene(editor.scene().sceneRect().bottomRight()) - QPoint(3, 3)
    with qtbot.waitSignal(editor.selectionChangedTo) as blocker:
        qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=empty)
    assert blocker.args == [None]


# -- helpers -----------------------------------------------------------------------------


def test_palette_maps_values_to_colours() -> None:
    assert palette.activation_color(0.5, "sigmoid") == palette.MIDDLE
    assert palette.activation_color(0.0, "softmax") == palette.MIDDLE
    assert palette.activation_color(1.0, "softmax") == palette.POSITIVE
    assert palette.activation_color(-1.0, "tanh") == palette.NEGATIVE
    assert palette.activation_color(2.0, "linear", scale=4.0) == palette.diverging_color(0.5)
    assert palette.activation_color(float("nan"), "sigmoid") == palette.NEUTRAL_FILL
    assert palette.text_color_for(palette.NEGATIVE) == QColor(Qt.GlobalColor.white)
    assert palette.text_color_for(palette.MIDDLE) == palette.INK


def test_palette_weight_pens_show_size_and_sign() -> None:
    strong, weak = palette.weight_pen(1.0, 1.0), palette.weight_pen(0.1, 1.0)
    assert strong.widthF() > weak.widthF() >= palette.MIN_WEIGHT_WIDTH
    assert palette.weight_pen(5.0, 1.0).widthF() == palette.MAX_WEIGHT_WIDTH  # clamped
    negative = palette.weight_pen(-1.0, 1.0)
    assert negative.style() == Qt.PenStyle.CustomDashLine  # sign not by colour only
    assert strong.style() == Qt.PenStyle.SolidLine
    assert negative.color() != strong.color()


def test_parse_number_reads_what_people_type() -> None:
    assert parse_number(" −0.5 ") == -0.5
    assert parse_number("0,25") == 0.25
    assert parse_number("1e-3") == 0.001
    with pytest.raises(ValueError, match="not a number"):
        parse_number("abc")
