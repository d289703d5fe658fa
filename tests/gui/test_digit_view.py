"""Image-shaped inputs: the digit on screen is the sample's pixels, each hidden neuron's
weights are its receptive field, and the bars are the network's outputs."""

from __future__ import annotations

import numpy as np
from gui_helpers import shown

from bpsim.gui.panels.digit_view import DigitView
from bpsim.teaching.images import image_shape


def _view(qtbot, session) -> DigitView:
    return shown(qtbot, DigitView(session), (700, 600))


def test_image_shapes_declared_or_square() -> None:
    assert image_shape(64) == (8, 8)
    assert image_shape(784) == (28, 28)
    assert image_shape(4) is None  # 2×2 is two inputs of a gate, not a picture
    assert image_shape(2) is None
    assert image_shape(12, {"input_image": [3, 4]}) == (3, 4)
    assert image_shape(12, {"input_image": [5, 4]}) is None  # 20 pixels ≠ 12 inputs


def test_the_digit_shown_is_the_samples_pixels(qtbot, make_session) -> None:
    session = make_session("digits")
    view = _view(qtbot, session)
    widget = view.findChild(type(view.input_widget), "input_image")
    assert widget is view.input_widget and widget.isVisible()
    assert min(widget.width(), widget.height()) >= 96
    with qtbot.waitSignal(session.traceChanged):
        session.forward()
    t = session.trainer
    row = int(t.trace.indices[0])
    assert view.sample_row == row
    np.testing.assert_array_equal(view.input_item.image, t.inputs[row].reshape(8, 8))
    # the bars are the network's outputs for that sample, and the title names both classes
    np.testing.assert_allclose(view.probabilities, t.trace.a[-1][0])
    target = int(np.argmax(t.targets[row]))
    assert f"target {target}" in view.title.text()
    # picking the next sample shows it, and the next forward pass uses it
    view.next_button.click()
    assert view.sample_row == (row + 1) % t.inputs.shape[0]
    np.testing.assert_array_equal(view.input_item.image, t.inputs[row + 1].reshape(8, 8))
    session.forward()
    assert int(t.trace.indices[0]) == row + 1


def test_receptive_fields_are_the_first_layers_weights(qtbot, make_session) -> None:
    session = make_session("digits")
    view = _view(qtbot, session)
    weights = session.trainer.network.weights[0]
    assert len(view.field_items) == weights.shape[0] == 20
    for j in (0, 7, 19):
        np.testing.assert_array_equal(view.field_items[j].image, weights[j].reshape(8, 8))
    session.step()
    np.testing.assert_array_equal(
        view.field_items[3].image, session.trainer.network.weights[0][3].reshape(8, 8)
    )


def test_a_lesson_without_an_image_says_so(qtbot, make_session) -> None:
    view = _view(qtbot, make_session("xor"))
    assert not view.input_widget.isVisible()
    assert "not an image" in view.message.text()
