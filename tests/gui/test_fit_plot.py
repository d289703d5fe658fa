"""The fit view: house prices in dollars and square feet, and the network's line moving
with every update, its values the network's own outputs."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from gui_helpers import shown

from bpsim.datasets.regression import HOUSE_PRICES, HOUSE_SIZES
from bpsim.gui.panels.fit_plot import FitPlot


def _view(qtbot, session) -> FitPlot:
    return shown(qtbot, FitPlot(session), (700, 450))


def test_house_prices_drawn_in_the_files_units(qtbot, make_session) -> None:
    session = make_session("house-prices")
    view = _view(qtbot, session)
    assert isinstance(view, pg.PlotWidget) and view.objectName() == "fit_plot"
    x, y = view.points.getData()
    np.testing.assert_allclose(x, HOUSE_SIZES)  # square feet, not 0…1
    np.testing.assert_allclose(y, HOUSE_PRICES)  # dollars
    # the line a + bX with the lesson's a = 0.45, b = 0.75, mapped back to dollars
    cx, cy = view.curve_values()
    stored_x = (cx - 1100.0) / (2450.0 - 1100.0)
    np.testing.assert_allclose(cy, 199000.0 + (405000.0 - 199000.0) * (0.45 + 0.75 * stored_x))


def test_the_line_moves_on_every_update_and_equals_the_networks_output(qtbot, make_session) -> None:
    session = make_session("house-prices")
    view = _view(qtbot, session)
    _, before = view.curve_values()
    before = before.copy()
    with qtbot.waitSignal(session.parametersChanged):
        session.step()
    cx, after = view.curve_values()
    assert not np.allclose(before, after)
    units = view.units
    assert units is not None
    stored = units.stored_inputs(cx[:, None])
    outputs = session.trainer.network.outputs(stored)[1][:, 0]
    np.testing.assert_allclose(after, units.targets(outputs[:, None])[:, 0])


def test_residuals_on_demand_join_each_target_to_its_prediction(qtbot, make_session) -> None:
    session = make_session("house-prices")
    view = _view(qtbot, session)
    assert view.residual_lines.getData()[0] is None or len(view.residual_lines.getData()[0]) == 0
    view.residual_box.setChecked(True)
    xs, ys = view.residual_lines.getData()
    np.testing.assert_allclose(xs[0::2], HOUSE_SIZES)
    np.testing.assert_allclose(ys[0::2], HOUSE_PRICES)
    t = session.trainer
    predicted = t.network.outputs(t.inputs)[1][:, 0]
    np.testing.assert_allclose(ys[1::2], 199000.0 + 206000.0 * predicted)


def test_a_classification_lesson_says_why_there_is_no_line(qtbot, make_session) -> None:
    view = _view(qtbot, make_session("xor"))
    assert "regression" in view.message
    assert view.curve_values()[0].size == 0
