"""The class map of a network with several outputs: each class's region drawn in its own
colour behind the points (it once saturated to white for every multi-output network)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from gui_helpers import shown
from PySide6.QtGui import QImage

from bpsim.gui.panels.decision_map import DecisionMapView
from bpsim.gui.style.plot_style import class_color, rgba


def _rendered_rgb(view: DecisionMapView) -> np.ndarray:
    """The image item's pixels as drawn (after levels and lookup table), RGB per pixel."""
    view.image.render()
    qimage = view.image.qimage.convertToFormat(QImage.Format.Format_RGBA8888)
    return pg.functions.ndarray_from_qimage(qimage)[..., :3].astype(np.float64)


def test_and_gets_a_coloured_region_for_each_class(qtbot, make_session) -> None:
    session = make_session("and")
    session.trainer.run_steps(4 * 3000)  # 3,000 epochs: every sample classified right
    view = shown(qtbot, DecisionMapView(session), (600, 500))
    view.refresh_now()
    assert view.choice.currentData() == ("class", None)
    dmap = view.current_map
    assert dmap is not None and dmap.kind == "class"
    drawn = _rendered_rgb(view)
    assert drawn.shape[:2] == dmap.values.shape
    winner = dmap.values.astype(int)
    assert set(np.unique(winner)) == {0, 1}
    for k in (0, 1):
        colour = np.array(rgba(class_color(k))[:3], dtype=np.float64)
        region = drawn[winner == k]
        # not white: visibly tinted, and towards this class's colour rather than the other's
        assert (255.0 - region.min(axis=1)).mean() > 40, f"class {k} is nearly white"
        other = np.array(rgba(class_color(1 - k))[:3], dtype=np.float64)
        tint = 255.0 - region
        tint /= np.maximum(np.linalg.norm(tint, axis=1, keepdims=True), 1e-9)
        own = tint @ (255.0 - colour) / np.linalg.norm(255.0 - colour)  # cosines
        theirs = tint @ (255.0 - other) / np.linalg.norm(255.0 - other)
        assert (own > theirs).mean() > 0.95
    # the samples sit in the region of their own class
    t = session.trainer
    columns = np.abs(dmap.xs[None, :] - t.inputs[:, :1]).argmin(axis=1)
    rows = np.abs(dmap.ys[None, :] - t.inputs[:, 1:]).argmin(axis=1)
    np.testing.assert_array_equal(winner[rows, columns], t.targets.argmax(axis=1))


def test_switching_between_class_and_output_maps_keeps_both_right(qtbot, make_session) -> None:
    session = make_session("and")
    view = shown(qtbot, DecisionMapView(session), (600, 500))
    view.choice.setCurrentIndex(1)  # output "false": the blue-white-orange scale
    assert view.current_map.kind == "output"
    assert tuple(view.image.levels) == (0.0, 1.0)
    view.choice.setCurrentIndex(0)  # back to the classes
    drawn = _rendered_rgb(view)
    assert (255.0 - drawn.min(axis=2)).mean() > 20  # not saturated white
