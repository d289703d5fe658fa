"""The loss plot: its curves are the engine's history, redrawn on the session's signals,
against step or epoch, on a linear or log axis, from 0 to 1,000,000 points.

Model → UI: session signals must reach the curves. UI → model: the toolbar's switches
must change what is drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QRadioButton

from bpsim.core.history import History
from bpsim.gui.state.session import Session


def fill_history(session: Session, values: np.ndarray) -> None:
    """Put step losses into the history as training would, and say so as the session would."""
    series = session.trainer.history.step_loss
    for value in values:
        step = series.x[-1] + 1 if len(series) else 1.0  # not len(): thinning shortens it
        series.append(step, float(value))
    session.historyChanged.emit()


def test_an_empty_history_draws_nothing(make_loss_plot, session: Session) -> None:
    plot = make_loss_plot(session)
    assert plot.objectName() == "loss_plot"
    assert plot.x_mode == "step"
    assert not plot.log_scale
    x, y = plot.curve_data("train")
    assert len(x) == len(y) == 0
    assert plot.current_point() is None
    assert plot.hover_text_at(3.0) == ""
    assert "no step yet" in plot.readout_text()
    plot.show_hover_at(1.0)
    assert not plot.hover_shown()


def test_steps_extend_the_curve_with_the_engines_own_buffer(
    qtbot,
    make_loss_plot,
    make_session,
) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    for _ in range(5):
        with qtbot.waitSignal(session.historyChanged):
            session.step()
    series = session.trainer.history.step_loss
    history = series.values
    x, y = plot.curve_data("train")
    np.testing.assert_array_equal(y, history)
    np.testing.assert_array_equal(x, [1, 2, 3, 4, 5])
    assert np.shares_memory(y, history)  # views, not copies
    assert np.shares_memory(x, series.x)
    _drawn_x, drawn_y = plot.curve_data("train", drawn=True)
    np.testing.assert_array_equal(drawn_y, history)
    assert plot.current_point() == (5.0, float(history[-1]))
    assert plot.readout_text().startswith("now: step 5: loss ")


def test_the_curve_waits_for_the_sessions_signal(make_loss_plot, make_session) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    session.trainer.run_steps(10)  # the engine alone: no signal, no redraw
    assert len(plot.curve_data("train")[1]) == 0
    session.historyChanged.emit()
    assert len(plot.curve_data("train")[1]) == 10


def test_one_point_after_the_worked_examples_update(make_loss_plot, session: Session) -> None:
    plot = make_loss_plot(session)
    session.forward()
    session.backward()
    session.update()
    x, loss = plot.current_point()
    assert x == 1.0
    assert loss == pytest.approx(0.184979, abs=5e-7)
    assert plot.hover_text_at(1.0) == "step 1: loss 0.185"
    assert plot.hover_text_at(42.0) == "step 1: loss 0.185"  # nearest point


def test_hover_text_names_the_nearest_step(make_loss_plot, make_session) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    fill_history(session, np.linspace(1.0, 0.01, 200))
    y = session.trainer.history.step_loss.values
    assert plot.hover_text_at(120.2) == f"step 120: loss {y[119]:.4g}"
    assert plot.hover_text_at(-5.0).startswith("step 1: ")
    assert plot.hover_text_at(1e9).startswith("step 200: ")
    assert plot.hover_text_at(math.nan) == ""
    plot.show_hover_at(120.2)
    assert plot.hover_shown()


def test_the_hover_readout_follows_the_mouse(qtbot, make_loss_plot, make_session) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    fill_history(session, np.linspace(1.0, 0.1, 100))
    plot.show()
    qtbot.waitExposed(plot)
    canvas = plot.findChild(pg.PlotWidget, "loss_plot_canvas")
    view = canvas.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: view.viewRange()[0][1] >= 100)  # auto-ranged to the data
    scene_point = view.mapViewToScene(QPointF(40.0, 0.5))
    where = canvas.mapFromScene(scene_point)
    qtbot.mouseMove(canvas.viewport(), QPoint(where.x(), where.y()))
    qtbot.waitUntil(plot.hover_shown)
    assert plot.hover_text_at(40.0).startswith("step 40: ")


def test_epoch_mode_plots_the_epoch_losses(qtbot, make_loss_plot, make_session) -> None:
    session = make_session("xor")  # full batch: one step per epoch, no validation set
    plot = make_loss_plot(session)
    for _ in range(3):
        session.step()
    plot.show()
    qtbot.waitExposed(plot)
    epoch_button = plot.findChild(QRadioButton, "loss_x_epoch")
    qtbot.mouseClick(epoch_button, Qt.MouseButton.LeftButton)
    assert plot.x_mode == "epoch"
    x, y = plot.curve_data("train")
    np.testing.assert_array_equal(y, session.trainer.history.epoch_train_loss.values)
    np.testing.assert_array_equal(x, [1, 2, 3])
    assert not plot.validation_shown()  # NaN validation losses: no curve, no legend entry
    assert len(plot.curve_data("validation")[1]) == 0
    assert plot.hover_text_at(2).startswith("epoch 2: training loss ")
    assert "validation" not in plot.hover_text_at(2)
    qtbot.mouseClick(plot.findChild(QRadioButton, "loss_x_step"), Qt.MouseButton.LeftButton)
    assert plot.x_mode == "step"
    with pytest.raises(ValueError):
        plot.set_x_mode("time")


def test_the_validation_curve_appears_for_digits_after_an_epoch(
    make_loss_plot,
    make_session,
) -> None:
    session = make_session("digits")  # validation_fraction 0.2
    plot = make_loss_plot(session)
    plot.set_x_mode("epoch")
    assert not plot.validation_shown()
    assert plot.readout_text() == "no finished epoch yet"
    session.epoch()
    assert plot.validation_shown()
    x, val = plot.curve_data("validation")
    np.testing.assert_array_equal(val, session.trainer.history.epoch_val_loss.values)
    np.testing.assert_array_equal(x, [1])
    assert np.isfinite(val).all()
    assert ", validation " in plot.hover_text_at(1)
    plot.set_x_mode("step")  # drawn on the step axis too, at the epoch's last step
    assert plot.validation_shown()
    per_epoch = session.trainer.batches_per_epoch
    np.testing.assert_array_equal(plot.curve_data("validation")[0], [per_epoch])
    assert ", validation " in plot.hover_text_at(per_epoch)


def test_log_scale_draws_log10_and_skips_non_positive_losses(
    qtbot,
    make_loss_plot,
    make_session,
) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    fill_history(session, [1.0, 0.0, -1.0, 0.01])
    plot.show()
    qtbot.waitExposed(plot)
    box = plot.findChild(QCheckBox, "loss_log_scale")
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert plot.log_scale
    _x, drawn = plot.curve_data("train", drawn=True)
    np.testing.assert_array_equal(drawn, [0.0, np.nan, np.nan, -2.0])
    _x, raw = plot.curve_data("train")
    np.testing.assert_array_equal(raw, [1.0, 0.0, -1.0, 0.01])  # what the user reads
    assert plot.hover_text_at(2) == "step 2: loss 0"
    plot.show_hover_at(2)  # no place on the axis: the readout still says it
    plot.grab()  # painting NaN gaps must not warn
    fill_history(session, [0.001])  # appended: mirrored incrementally
    np.testing.assert_array_equal(
        plot.curve_data("train", drawn=True)[1], [0.0, np.nan, np.nan, -2.0, -3.0]
    )
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not plot.log_scale
    np.testing.assert_array_equal(plot.curve_data("train", drawn=True)[1], [1, 0, -1, 0.01, 0.001])


def test_log_scale_follows_a_rewound_history(make_loss_plot, make_session) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    plot.set_log_scale(True)
    trainer = session.trainer
    snapshot = trainer.snapshot()
    trainer.run_steps(5)
    session.historyChanged.emit()
    trainer.restore(snapshot)  # truncates the history; then different steps follow
    trainer.set_learning_rate(2.0)
    trainer.run_steps(7)
    session.historyChanged.emit()
    values = trainer.history.step_loss.values
    np.testing.assert_allclose(plot.curve_data("train", drawn=True)[1], np.log10(values))


def test_a_million_points(qtbot, make_loss_plot, make_session) -> None:
    session = make_session("xor")
    plot = make_loss_plot(session)
    n = 1_000_000
    losses = np.exp(-np.linspace(0, 8, n)) + 0.01 * np.random.default_rng(0).random(n)
    series = session.trainer.history.step_loss
    series.set(np.arange(1.0, n + 1), losses)
    session.historyChanged.emit()
    x, y = plot.curve_data("train")
    assert len(x) == len(y) == n
    assert np.shares_memory(y, series.values)
    assert plot.current_point() == (float(n), float(losses[-1]))
    assert plot.hover_text_at(500_000).startswith("step 500,000: loss ")
    plot.show()
    qtbot.waitExposed(plot)
    plot.grab()  # a full paint with clipping and peak downsampling
    plot.set_log_scale(True)
    plot.grab()
    assert len(plot.curve_data("train", drawn=True)[1]) == n


def test_a_thinned_history_is_read_by_its_step_numbers(make_loss_plot, make_session) -> None:
    session = make_session("xor")
    session.trainer.history = History(capacity=64)  # compacts its older half when full
    plot = make_loss_plot(session)
    fill_history(session, np.linspace(1.0, 0.1, 200))
    series = session.trainer.history.step_loss
    assert series.compacted and len(series) < 200
    x, _y = plot.curve_data("train")
    np.testing.assert_array_equal(x, series.x)
    assert plot.current_point()[0] == 200.0
    assert plot.hover_text_at(199.6).startswith("step 200: ")
    kept = int(series.x[3])
    assert plot.hover_text_at(kept + 0.2).startswith(f"step {kept}: ")


def test_a_new_lesson_redraws(qtbot, make_loss_plot, session: Session, make_session) -> None:
    plot = make_loss_plot(session)
    session.step()
    assert plot.current_point() is not None
    other = make_session("xor")
    with qtbot.waitSignal(session.lessonReplaced):
        session.replace_trainer(other.trainer, other.path)
    assert plot.current_point() is None


def test_the_readout_and_axes_grow_with_the_widget(qtbot, make_loss_plot, session: Session) -> None:
    plot = make_loss_plot(session)
    plot.show()
    qtbot.waitExposed(plot)
    readout = plot.findChild(QLabel, "loss_readout")
    small = readout.font().pointSizeF()
    plot.resize(1920, 1080)
    qtbot.waitUntil(lambda: readout.font().pointSizeF() > small)
    assert readout.font().pointSizeF() == pytest.approx(2 * small)
