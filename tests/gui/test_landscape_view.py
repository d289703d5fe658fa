"""The loss landscape: its grid is the engine's loss at every point, the path is where
training took the two parameters, and the parameters are picked in boxes or by selecting
them in the table."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import shown

from bpsim.gui.panels.landscape import LandscapeView, ParameterRecorder, key_to_parameter
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey
from bpsim.teaching.landscape import flat_index


@pytest.fixture
def make_view(qtbot):
    def make(session) -> LandscapeView:
        view = shown(qtbot, LandscapeView(session), (800, 620))
        view.finish()
        return view

    return make


def engine_loss(session, a, b, value_a: float, value_b: float) -> float:
    """The trainer's own loss on its training rows with the two parameters set."""
    trainer = session.trainer
    net = trainer.network
    saved = net.flat.copy()
    try:
        net.flat[flat_index(net, a)] = value_a
        net.flat[flat_index(net, b)] = value_b
        rows = trainer.train_idx
        return net.loss_on(trainer.inputs[rows], trainer.targets[rows])
    finally:
        net.flat[:] = saved


@pytest.mark.parametrize("example", ["house-prices", "tanh", "xor"])
def test_grid_values_are_the_engines_loss(make_view, make_session, example: str) -> None:
    session = make_session(example)
    session.trainer.run_steps(5)
    view = make_view(session)
    land = view.landscape
    assert land is not None and view.pair == (land.param_a, land.param_b)
    rows, cols = land.loss.shape
    for r, c in [
        (0, 0),
        (rows - 1, cols - 1),
        (rows // 2, cols // 2),
        (3, cols - 4),
        (rows - 2, 1),
    ]:
        expected = engine_loss(
            session, land.param_a, land.param_b, land.a_values[c], land.b_values[r]
        )
        assert land.loss[r, c] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # the grid is centred on the current values, and drawn as computed
    net = session.trainer.network
    assert land.current == (
        net.flat[flat_index(net, land.param_a)],
        net.flat[flat_index(net, land.param_b)],
    )
    np.testing.assert_array_equal(view.image.export_grid[2], land.loss)


def test_seed002_shows_w_and_b_and_the_minimum(make_view, make_session) -> None:
    session = make_session("house-prices")
    view = make_view(session)
    # the seed's names, from the lesson's view: b the slope, a the intercept
    assert view.combo_a.currentText() == "b (X → Ypred)"
    assert view.combo_b.currentText() == "a (bias of Ypred)"
    minimum = view.landscape.minimum
    x, y = view.minimum_item.getData()
    assert (x[0], y[0]) == (minimum.a, minimum.b)
    assert "lowest" in view.caption.text()


def test_the_path_follows_training(qtbot, make_view, make_session) -> None:
    session = make_session("worked-example")
    view = make_view(session)
    a, b = view.pair
    net = session.trainer.network
    values = [(net.flat[flat_index(net, a)], net.flat[flat_index(net, b)])]
    for _ in range(5):
        session.step()
        values.append((net.flat[flat_index(net, a)], net.flat[flat_index(net, b)]))
    xs, ys = view.path.arrays()
    assert list(zip(xs, ys, strict=True)) == values
    drawn_x, _drawn_y = view.path_item.getData()
    np.testing.assert_array_equal(drawn_x, xs)
    now_x, now_y = view.now_item.getData()
    assert (now_x[0], now_y[0]) == values[-1]
    # picking another pair later still has the whole path (every state was recorded)
    other = (2, (1, 0))
    view.set_pair(other, a)
    xs, _ys = view.path.arrays()
    assert len(xs) == 6
    session.reset()
    assert len(view.path) == 1


def test_picking_in_the_table(qtbot, make_view, make_session) -> None:
    session = make_session("worked-example")
    view = make_view(session)
    table = ParameterTable(session, Controller(session))
    qtbot.addWidget(table)
    table.currentParameterChanged.connect(view.pick)
    first, second = ParameterKey(0, 0, 1), ParameterKey(0, 1, 0)
    table.select_parameter(first)
    table.select_parameter(second)
    assert view.pair == (key_to_parameter(second), key_to_parameter(first))
    view.finish()
    assert view.landscape.param_a == (0, (1, 0)) and view.landscape.param_b == (0, (0, 1))
    view.follow_box.setChecked(False)
    table.select_parameter(ParameterKey(1, 0, 0))
    assert view.pair == (key_to_parameter(second), key_to_parameter(first))


def test_the_boxes_swap_instead_of_picking_one_parameter_twice(make_view, make_session) -> None:
    view = make_view(make_session("worked-example"))
    a, b = view.pair
    view.combo_a.setCurrentIndex(view.combo_b.currentIndex())
    assert view.pair == (b, a)


def test_recompute_is_spread_over_timer_ticks(qtbot, make_view, make_session) -> None:
    session = make_session("digits")
    view = make_view(session)
    view.resolution.setValue(31)
    view.recompute()
    assert view.is_computing()
    qtbot.waitUntil(lambda: not view.is_computing(), timeout=20000)
    assert view.landscape.loss.shape == (31, 31)


def test_recorder_stays_bounded() -> None:
    recorder = ParameterRecorder(max_values=64 * 4)
    for step in range(1000):
        recorder.record(np.full(4, float(step)))
    history = recorder.history()
    assert len(history) <= 64 + 1
    assert history[0][0] == 0.0 and history[-1][0] == 999.0  # the whole shape kept
    assert np.all(np.diff(history[:, 0]) > 0)
