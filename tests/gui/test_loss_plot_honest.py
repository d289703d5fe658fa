"""The loss plot tells the truth at a glance: Forward's loss appears at once, the y axis
follows the losses, small batches show epoch means over faint steps, validation is drawn
whenever the lesson holds samples out, and the hint names the lesson's own key."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from bpsim.gui.panels.loss_plot import LossPlot


def test_the_forward_loss_appears_when_forward_finishes(qtbot, make_loss_plot, session) -> None:
    plot = make_loss_plot(session, shown=True)
    assert plot.forward_point() is None
    with qtbot.waitSignal(session.phaseFinished):
        session.forward()
    step, loss = plot.forward_point()
    assert step == 1.0
    assert loss == pytest.approx(session.trainer.trace.loss)
    assert loss == pytest.approx(0.184979, abs=5e-7)  # the worked example's E_total
    assert plot._forward_marker.isVisible()
    assert "step 1 forward pass: loss 0.185" in plot.readout_text()
    (_x0, _x1), (y0, y1) = plot._item.getViewBox().viewRange()
    assert y0 <= loss <= y1
    session.backward()
    assert plot.forward_point() == (1.0, pytest.approx(loss))  # still the pass on screen
    session.update()  # now it is the history's first point
    assert plot.forward_point() is None
    assert plot.current_point() == (1.0, pytest.approx(0.184979, abs=5e-7))


def test_the_y_range_follows_the_losses_rather_than_zero(qtbot, make_loss_plot, session) -> None:
    plot = make_loss_plot(session, shown=True)
    session.trainer.run_steps(30)
    session.historyChanged.emit()
    losses = session.trainer.history.step_loss.values
    (_x0, _x1), (y0, y1) = plot._item.getViewBox().viewRange()
    assert y0 <= losses.min() and losses.max() <= y1
    assert y0 > 0  # not pinned at zero
    # the fall from the first to the last step fills most of the plot's height
    assert (losses.max() - losses.min()) / (y1 - y0) > 0.6


def test_small_batches_draw_epoch_means_over_faint_steps(make_loss_plot, make_session) -> None:
    session = make_session("and")  # one sample a step, four steps an epoch
    plot = make_loss_plot(session, shown=True)
    session.trainer.run_steps(4 * 20)
    session.historyChanged.emit()
    x, means = plot.curve_data("mean")
    history = session.trainer.history
    np.testing.assert_array_equal(means, history.epoch_train_loss.values)
    np.testing.assert_array_equal(x, 4 * np.arange(1, 21))
    opts = plot._train_curve.opts
    assert opts["symbol"] == "o" and opts["pen"] is None  # points, no sawtooth line
    assert pg.mkBrush(opts["symbolBrush"]).color().alpha() < 128  # and faint
    assert plot._mean_curve.opts["pen"].color().alpha() == 255
    # full-batch lessons keep one plain curve
    other = make_loss_plot(make_session("xor"), shown=True)
    other._session.trainer.run_steps(5)
    other._session.historyChanged.emit()
    assert len(other.curve_data("mean")[0]) == 0
    assert other._train_curve.opts["pen"].color().alpha() == 255


def test_digits_draws_validation_on_the_default_step_axis(make_loss_plot, make_session) -> None:
    session = make_session("digits")
    assert session.trainer.training.validation_fraction > 0
    plot = make_loss_plot(session, shown=True)
    assert plot.x_mode == "step"
    session.epoch()
    assert plot.validation_shown()
    np.testing.assert_array_equal(
        plot.curve_data("validation")[1], session.trainer.history.epoch_val_loss.values
    )


def test_the_hint_names_the_key_the_lesson_asks_for(qtbot, make_session) -> None:
    session = make_session("worked-example")  # its text says *Forward*
    window = QMainWindow()
    qtbot.addWidget(window)
    forward = QAction("Forward", window)
    forward.setObjectName("forward")
    forward.setShortcut(QKeySequence("F"))
    window.addAction(forward)
    plot = LossPlot(session)
    window.setCentralWidget(plot)
    plot.redraw()
    assert plot.readout_text() == "no step yet: press Forward (F)"
    assert "*Forward*" in session.trainer.lesson.description
