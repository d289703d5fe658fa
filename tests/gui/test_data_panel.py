"""The data panel: the samples with the one in use marked, values edited through undoable
commands, points clicked into the plane, digits as pictures."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import shown
from PySide6.QtCore import QPointF, Qt

from bpsim.gui.panels.data.panel import MARK, DataPanel, image_side, row_image
from bpsim.gui.state.controller import Controller


@pytest.fixture
def make_panel(qtbot):
    def make(session) -> tuple[DataPanel, Controller]:
        controller = Controller(session)
        panel = shown(qtbot, DataPanel(session, controller), (900, 600))
        return panel, controller

    return make


def cell(panel: DataPanel, row: int, column: int) -> str:
    return str(panel.model.index(row, column).data())


def test_rows_and_columns(make_panel, make_session) -> None:
    session = make_session("and")
    panel, _ = make_panel(session)
    model = panel.model
    assert model.rowCount() == 4
    headers = [
        model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for c in range(model.columnCount())
    ]
    assert headers[:4] == ["#", "set", "x1", "x2"] and len(headers) == 6
    assert cell(panel, 0, 2) == "1" and cell(panel, 0, 3) == "0"  # the file's first row
    assert "4 samples" in panel.summary_text() and "2 classes" in panel.summary_text()


def test_the_sample_in_use_is_marked_and_follows_the_pass(make_panel, make_session) -> None:
    session = make_session("and")  # one sample per step, in order
    panel, _ = make_panel(session)
    assert cell(panel, 0, 0) == f"{MARK} 1"  # the next pass's sample
    session.step()  # the pass on screen is still sample 1's
    assert panel.model.in_use == {0}
    session.forward()  # the next pass takes sample 2
    assert cell(panel, 1, 0) == f"{MARK} 2" and cell(panel, 0, 0) == "1"
    assert panel.model.in_use == {int(session.trainer.trace.indices[0])} == {1}
    background = panel.model.index(1, 3).data(Qt.ItemDataRole.BackgroundRole)
    assert background is not None
    assert panel.model.index(2, 3).data(Qt.ItemDataRole.BackgroundRole) is None


def test_editing_a_value_is_undoable(make_panel, make_session) -> None:
    session = make_session("house-prices")  # a built-in data set
    panel, controller = make_panel(session)
    trainer = session.trainer
    old = float(trainer.inputs[2, 0])
    assert trainer.lesson.dataset.source["builtin"] == "house_prices"
    assert panel.model.setData(panel.model.index(2, 2), "0.5", Qt.ItemDataRole.EditRole)
    assert trainer.inputs[2, 0] == 0.5
    assert trainer.lesson.dataset.source == {}  # saved as rows from now on
    assert cell(panel, 2, 2) == "0.5"
    assert "inline" not in panel.summary_text() and "rows in the lesson" in panel.summary_text()
    controller.undo_stack.undo()
    assert trainer.inputs[2, 0] == old
    assert trainer.lesson.dataset.source["builtin"] == "house_prices"
    assert cell(panel, 2, 2) != "0.5"
    controller.undo_stack.redo()
    assert trainer.inputs[2, 0] == 0.5


def test_a_refused_edit_changes_nothing(qtbot, make_panel, make_session) -> None:
    session = make_session("xor")  # binary cross-entropy: targets from 0 to 1
    panel, controller = make_panel(session)
    before = session.trainer.targets.copy()
    target_column = panel.model.columnCount() - 1
    with qtbot.waitSignal(panel.model.editRejected) as rejected:
        assert not panel.model.setData(panel.model.index(0, target_column), "2")
    assert "targets from 0 to 1" in rejected.args[0] and "Sample 1" in rejected.args[0]
    with qtbot.waitSignal(panel.model.editRejected) as not_a_number:
        panel.model.setData(panel.model.index(0, 2), "abc")
    assert "'abc' is not a number" in not_a_number.args[0]
    np.testing.assert_array_equal(session.trainer.targets, before)
    assert controller.undo_stack.count() == 0


def test_clicking_the_plane_adds_a_point(qtbot, make_panel, make_session) -> None:
    session = make_session("xor")
    panel, controller = make_panel(session)
    panel.tabs.setCurrentWidget(panel.plane)
    plane = panel.plane
    plane.class_box.setCurrentIndex(1)
    qtbot.waitExposed(plane.plot_widget)
    view = plane.plot.getViewBox()
    scene_point = view.mapViewToScene(QPointF(0.5, 0.25))
    where = plane.plot_widget.mapFromScene(scene_point)
    with qtbot.waitSignal(plane.pointAdded) as added:
        qtbot.mouseClick(plane.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=where)
    x1, x2 = added.args
    assert x1 == pytest.approx(0.5, abs=0.02) and x2 == pytest.approx(0.25, abs=0.02)
    trainer = session.trainer
    assert trainer.inputs.shape == (5, 2)
    assert trainer.targets[-1, 0] == 1.0  # class 1
    assert trainer.lesson.dataset.source == {}
    assert panel.model.rowCount() == 5
    assert sum(len(item.getData()[0]) for item in plane.points) == 5
    controller.undo_stack.undo()
    assert trainer.inputs.shape == (4, 2) and panel.model.rowCount() == 4


def test_one_hot_and_regression_points(make_panel, make_session) -> None:
    session = make_session("and")  # two outputs, one-hot
    panel, _ = make_panel(session)
    panel.plane.class_box.setCurrentIndex(0)
    assert panel.plane.add_point(0.3, 0.3)
    np.testing.assert_array_equal(session.trainer.targets[-1], [1.0, 0.0])
    other = make_session("house-prices")  # one input: no plane
    panel2, _ = make_panel(other)
    assert not panel2.tabs.isTabEnabled(1)


def test_digits_are_shown_as_pictures(make_panel, make_session) -> None:
    session = make_session("digits")
    panel, _ = make_panel(session)
    assert image_side(session.trainer.inputs) == 8
    assert panel.tabs.isTabEnabled(2) and not panel.tabs.isTabEnabled(1)
    assert not panel.preview.pixmap().isNull()
    row = panel.preview_row()
    assert f"sample {row + 1}" in panel.preview_caption.text()
    label = int(np.argmax(session.trainer.targets[row]))
    assert f"class {label}" in panel.preview_caption.text()
    panel.gallery.rebuild()
    sheet = panel.gallery.image.image
    assert sheet.shape[1] == 10 * 10  # ten pictures of 8 pixels and a 2-pixel gap per row
    assert len(panel.gallery.labels) == 60


def test_row_image_is_ink_on_paper() -> None:
    values = np.zeros(64)
    values[9] = 1.0
    image = row_image(values, 8)
    assert image.width() == image.height() == 8
    assert image.pixelColor(1, 1).value() == 0  # the largest value: black
    assert image.pixelColor(0, 0).value() == 255  # zero: white


def test_use_next_picks_the_sample(make_panel, make_session) -> None:
    session = make_session("and")
    panel, _ = make_panel(session)
    assert not panel.use_selected()  # nothing selected yet
    panel.table.selectRow(2)
    assert panel.use_selected()
    assert list(session.trainer.override) == [2]
    session.forward()
    assert panel.model.in_use == {2}
