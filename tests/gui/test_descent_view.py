"""Gradient descent on a function: the steps the view takes and draws are the ones worked
out by hand, and too large a learning rate is shown and said to overshoot and diverge."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gui_helpers import shown
from PySide6.QtCore import Qt

from bpsim.gui.panels.descent import DescentView, parse_point, parse_rate

E2 = math.exp(2)


@pytest.fixture
def view(qtbot) -> DescentView:
    return shown(qtbot, DescentView(), (900, 700))


def drawn_points(view: DescentView) -> np.ndarray:
    """The step markers drawn on the curve (the scatter named '…: points')."""
    for item in view._items:
        if getattr(item, "export_name", "").endswith(": points"):
            x, _y = item.getData()
            return np.asarray(x)
    raise AssertionError("no points drawn")


def test_seed000_steps_by_hand(qtbot, view: DescentView) -> None:
    """f(x) = e²·sin x from 0 with η = 0.01: x ← x − 0.01·e²·cos x, three times."""
    assert view.function.name == "e2sin"
    assert view.start_edit.text() == "0" and view.rate_edit.text() == "0.01"
    xs = [0.0]
    for _ in range(3):
        xs.append(xs[-1] - 0.01 * (E2 * math.cos(xs[-1])))
    assert xs[1] == pytest.approx(-0.0738905609893065, rel=1e-15)
    for _ in range(3):
        qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    descent = view.descents["gradient descent"]
    assert [float(s.end[0]) for s in descent.steps] == xs[1:]
    np.testing.assert_array_equal(drawn_points(view), xs)
    last = descent.steps[-1]
    assert last.gradient[0] == E2 * math.cos(xs[2])  # the slope where step 3 started
    assert "Step 3:" in view.status_text()
    assert "Δ = −η × slope = −0.01 ×" in view.status_text()
    # the tangent drawn at the start of the last step has that slope
    tangent = next(i for i in view._items if "slope at step 3" in getattr(i, "export_name", ""))
    tx, ty = tangent.getData()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(E2 * math.cos(xs[2]))


def test_too_large_a_rate_overshoots_then_diverges(view: DescentView) -> None:
    view.set_function("parabola")  # each step multiplies x by (1 − 2η)
    view.rate_edit.setText("0.9")
    assert view.reset()
    view.step()  # x: 3 → 3·(1 − 1.8) = −2.4: over the bottom, shorter
    assert view.descents["gradient descent"].position[0] == pytest.approx(-2.4)
    assert "Overshoot" in view.status_text()
    assert view.status.styleSheet()  # said as a warning, in colour
    view.rate_edit.setText("1.1")
    view.reset()
    view.step()
    view.step()  # 3 → −3.6 → 4.32: over the bottom and further out each time
    assert view.descents["gradient descent"].position[0] == pytest.approx(4.32)
    assert "learning rate is too large; this descent diverges" in view.status_text()
    view.run(200)
    assert "Stopped: diverged" in view.status_text()
    # the view widens to show where the steps went
    (x0, x1), _y = view.plot.getViewBox().viewRange()
    assert x1 - x0 > 100


def test_a_small_rate_arrives(view: DescentView) -> None:
    view.set_function("parabola")
    view.rate_edit.setText("0.1")
    view.reset()
    view.run(400)
    assert abs(view.descents["gradient descent"].position[0]) < 1e-9
    assert "Overshoot" not in view.status_text() and "Stopped" not in view.status_text()


def test_compare_three_optimizers_on_a_surface(view: DescentView) -> None:
    view.set_function("narrow_valley")
    view.compare_box.setChecked(True)
    assert set(view.descents) == {"gradient descent", "momentum 0.9", "Adam"}
    view.run(30)
    starts = {tuple(d.path().positions[0]) for d in view.descents.values()}
    assert starts == {(-2.8, 0.6)}  # the same start
    ends = {label: d.value for label, d in view.descents.items()}
    assert len(set(ends.values())) == 3  # three different paths
    names = {getattr(i, "export_name", "") for i in view._items}
    assert {"gradient descent: path", "momentum 0.9: path", "Adam: path"} <= names
    assert view.image.isVisible() and not view.curve.isVisible()
    assert "gradient descent: 30 steps" in view.status_text()


def test_run_and_pause(qtbot, view: DescentView) -> None:
    view.set_function("bowl")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert view.run_button.text() == "Pause"
    qtbot.waitUntil(lambda: len(view.descents["gradient descent"].steps) >= 3, timeout=3000)
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    done = len(view.descents["gradient descent"].steps)
    assert view.run_button.text() == "Run" and not view._run_timer.isActive()
    assert len(view.descents["gradient descent"].steps) == done


def test_bad_fields_are_said_and_change_nothing(view: DescentView) -> None:
    view.step()
    before = view.descents["gradient descent"]
    view.start_edit.setText("1, 2")  # two numbers for a function of one variable
    assert not view.reset()
    assert "the start needs one number" in view.status_text().lower()
    assert view.descents["gradient descent"] is before
    view.start_edit.setText("0")
    view.rate_edit.setText("-1")
    assert not view.reset()
    assert "above 0" in view.status_text()
    with pytest.raises(ValueError):
        parse_rate("abc")
    assert parse_point("3, -3", 2) == (3.0, -3.0)
    assert parse_point("2", 1) == (2.0,)


def test_every_function_draws(view: DescentView) -> None:
    for index in range(view.function_box.count()):
        view.function_box.setCurrentIndex(index)
        view.run(5)
        assert view.caption.text().startswith(view.function.text)
        assert view._items  # points, tangents or arrows
