"""The decision map: the engine's grid as a heat map under the samples, following
training, and a hovered neuron's own map."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import shown
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from bpsim.gui.panels.decision_map import RESOLUTION, DecisionMapView
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.state.controller import Controller
from bpsim.teaching.decision_map import decision_map, neuron_map, suggest_range


@pytest.fixture
def make_view(qtbot):
    def make(session) -> DecisionMapView:
        return shown(qtbot, DecisionMapView(session), (700, 560))

    return make


def test_the_map_is_the_engines_output_over_the_data_box(make_view, make_session) -> None:
    session = make_session("xor")
    view = make_view(session)
    net = session.trainer.network
    x_range, y_range = suggest_range(session.trainer.inputs)
    expected = decision_map(net, x_range, y_range, RESOLUTION)
    shown = view.current_map
    assert shown is not None and shown.kind == "output"
    np.testing.assert_array_equal(shown.values, expected.values)
    np.testing.assert_array_equal(view.image.image, expected.values)  # drawn as computed
    assert view.choice.currentText() == "output y"
    assert "blue = 0" in view.caption.text() and "Black line: y = 0.5" in view.caption.text()
    # one scatter per class, the points being the data set's inputs
    xs = np.sort(np.concatenate([item.getData()[0] for item in view.points]))
    np.testing.assert_array_equal(xs, np.sort(session.trainer.inputs[:, 0]))


def test_follows_training_at_a_paced_rate(qtbot, make_view, make_session) -> None:
    session = make_session("xor")
    view = make_view(session)
    before = view.current_map.values.copy()
    session.epoch()
    session.epoch()
    qtbot.waitUntil(lambda: not np.array_equal(view.current_map.values, before), timeout=3000)
    x_range, y_range = suggest_range(session.trainer.inputs)
    now = decision_map(session.trainer.network, x_range, y_range, RESOLUTION)
    np.testing.assert_array_equal(view.current_map.values, now.values)


def test_hovering_a_neuron_shows_its_own_map(qtbot, make_view, make_session) -> None:
    session = make_session("xor")
    view = make_view(session)
    editor = shown(qtbot, NetworkEditor(session, Controller(session)), (700, 500))
    editor.neuronHovered.connect(view.show_neuron)
    item = editor.neuron_item(1, 2)
    assert item is not None
    centre = editor.mapFromScene(item.sceneBoundingRect().center())
    with qtbot.waitSignal(editor.neuronHovered) as hovered:
        qtbot.mouseMove(editor.viewport(), centre)
    assert hovered.args == [("neuron", 1, 2)]
    x_range, y_range = suggest_range(session.trainer.inputs)
    expected = neuron_map(session.trainer.network, 1, 2, x_range, y_range, RESOLUTION)
    assert view.current_map.kind == "neuron" and view.current_map.label == "h3"
    np.testing.assert_array_equal(view.current_map.values, expected.values)
    assert "under the mouse" in view.caption.text()
    with qtbot.waitSignal(editor.neuronHovered) as left:
        QApplication.sendEvent(editor, QEvent(QEvent.Type.Leave))  # the mouse leaves
    assert left.args == [None]
    assert view.current_map.kind == "output"


def test_several_outputs_show_the_winning_class(make_view, make_session) -> None:
    session = make_session("and")  # two one-hot outputs
    view = make_view(session)
    assert view.choice.currentText() == "winning class"
    assert view.current_map.kind == "class"
    assert view.image.image.ndim == 3  # coloured per class
    assert not view.colorbar.isVisible()
    second = next(i for i in range(view.choice.count()) if view.choice.itemData(i) == ("output", 1))
    view.choice.setCurrentIndex(second)
    assert view.current_map.kind == "output" and view.current_map.index == 1


def test_other_input_counts_get_a_message(make_view, make_session) -> None:
    view = make_view(make_session("digits"))
    assert "needs a network with 2 inputs" in view.message_text()
    assert "This network has 64" in view.message_text()
    assert view.current_map is None
    assert not view.export_button.isEnabled()


def test_text_grows_on_a_projector(make_view, make_session) -> None:
    view = make_view(make_session("xor"))
    small = view.caption.font().pointSizeF()
    view.resize(1900, 1000)
    assert view.caption.font().pointSizeF() >= 1.5 * small


def test_a_trained_xor_map_shows_both_answers(make_view, make_session) -> None:
    """After training, the picture holds the blue (0) and the orange (1) ends."""
    session = make_session("xor")
    session.trainer.run_steps(3000)
    view = make_view(session)
    image = view.plot_widget.grab().toImage()
    pixels = [
        image.pixelColor(x, y)
        for x in range(0, image.width(), 5)
        for y in range(0, image.height(), 5)
    ]
    blue = sum(1 for c in pixels if c.blue() > 150 and c.red() < 60)
    orange = sum(1 for c in pixels if c.red() > 200 and 120 < c.green() < 190 and c.blue() < 60)
    assert blue > 50 and orange > 50
