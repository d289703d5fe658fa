"""Accuracy and the confusion matrix, or R², beside the loss: the engine's numbers, drawn."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import shown

from bpsim.gui.panels.metrics import MetricsView
from bpsim.teaching.metrics import metrics_for
from bpsim.text import fmt


@pytest.fixture
def make_view(qtbot):
    def make(session) -> MetricsView:
        return shown(qtbot, MetricsView(session), (700, 600))

    return make


def test_confusion_matrix_of_the_digits(make_view, make_session) -> None:
    session = make_session("digits")
    session.trainer.run_steps(60)
    view = make_view(session)
    view.refresh_now()
    expected = metrics_for(session.trainer)
    matrix = expected["train"]["confusion_matrix"]
    _xs, _ys, shown = view.image.export_grid
    np.testing.assert_array_equal(shown, matrix)  # the counts behind the colours
    assert len(view._cells) == 100
    assert {c.toPlainText() for c in view._cells} >= {str(int(matrix[0, 0]))}
    right = int(np.trace(matrix))
    accuracy = f"{100 * expected['train']['accuracy']:.1f} %"
    assert f"Training: accuracy {accuracy} ({right:,} of 1,438)" in view.headline_text()
    assert "Validation: accuracy" in view.headline_text()
    assert view._bottom.names == [str(k) for k in range(10)]


def test_validation_samples_on_request(make_view, make_session) -> None:
    session = make_session("digits")
    view = make_view(session)
    assert view.split.count() == 2
    view.split.setCurrentIndex(1)
    assert view.which() == "validation"
    expected = metrics_for(session.trainer)["validation"]["confusion_matrix"]
    np.testing.assert_array_equal(view.image.export_grid[2], expected)
    assert int(view.image.export_grid[2].sum()) == 359


def test_r2_for_regression(make_view, make_session) -> None:
    session = make_session("house-prices")
    view = make_view(session)
    r2 = metrics_for(session.trainer)["train"]["r2"]
    assert f"R² = {fmt(r2, 4)}" in view.headline_text()
    x, y = view.scatter.getData()
    np.testing.assert_array_equal(x, session.trainer.targets[:, 0])
    _z, outputs = session.trainer.network.outputs(session.trainer.inputs)
    np.testing.assert_allclose(y, outputs[:, 0])
    assert not view.split.isEnabled()  # no validation samples


def test_follows_training(qtbot, make_view, make_session) -> None:
    session = make_session("xor")
    view = make_view(session)
    before = view.headline_text()
    session.epoch()
    for _ in range(400):
        session.trainer.step()
    session.step()  # the signals of a real step
    qtbot.waitUntil(lambda: view.headline_text() != before, timeout=3000)
    accuracy = metrics_for(session.trainer)["train"]["accuracy"]
    assert f"{100 * accuracy:.1f} %" in view.headline_text()


def test_a_data_set_that_does_not_fit_gets_a_message(make_view, make_session) -> None:
    session = make_session("xor")
    view = make_view(session)
    session.trainer.inputs = np.zeros((4, 3))  # as after an edit of the input layer
    view.refresh_now()
    assert "3 inputs" in view.message_text()
    assert view.metrics is None
