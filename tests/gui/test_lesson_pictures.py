"""Each built-in lesson opens with its own pictures in front: the decision map for a
problem in the plane, the fit and the (a, b) landscape for house prices, the digit for
digits; opening another lesson swaps them."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QDockWidget

from bpsim.gui import MainWindow
from bpsim.lessons.examples import find_example


def _window(qtbot, name: str) -> MainWindow:
    window = MainWindow(find_example(name).path)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    return window


def _visible(window: MainWindow, name: str) -> bool:
    dock = window.findChild(QDockWidget, f"{name}_dock")
    panel = window.data_views.holders[name].panel
    return dock is not None and panel is not None and panel.isVisible()


def test_house_prices_opens_with_the_fit_beside_the_landscape(qtbot) -> None:
    window = _window(qtbot, "house-prices")
    qtbot.waitUntil(lambda: _visible(window, "fit_plot") and _visible(window, "landscape"))
    assert not _visible(window, "decision_map")
    fit = window.data_views.panels["fit_plot"]
    assert fit.objectName() == "fit_plot"
    _, before = fit.curve_values()
    before = before.copy()
    window.findChild(type(window.action_map["step"]), "step").trigger()
    assert not np.allclose(fit.curve_values()[1], before)


def test_and_opens_with_the_decision_map_and_digits_with_the_digit(qtbot) -> None:
    window = _window(qtbot, "and")
    qtbot.waitUntil(lambda: _visible(window, "decision_map"))
    assert window.data_views.panels["decision_map"].current_map.kind == "class"
    window.open(find_example("digits").path)
    qtbot.waitUntil(lambda: _visible(window, "digit_view"))
    assert not window.findChild(QDockWidget, "decision_map_dock").isVisible()
    image = window.data_views.panels["digit_view"].input_widget
    assert image.objectName() == "input_image" and min(image.width(), image.height()) >= 96


def test_the_worked_example_keeps_its_table_in_front(qtbot) -> None:
    window = _window(qtbot, "worked-example")  # one sample, numbers as targets
    assert window.docks["parameter_table"].isVisible()
    assert not window.findChild(QDockWidget, "decision_map_dock").isVisible()
    assert not window.data_views.panels.built("fit_plot")


def test_the_data_panel_points_to_the_fit_for_scaled_data(qtbot) -> None:
    window = _window(qtbot, "house-prices")
    panel = window.data_views.panels["data_panel"]
    assert "the Fit view draws them in the file's units" in panel.summary_text()
    assert "View ▸ Fit" in panel.tabs.tabToolTip(1)


def test_a_panel_built_after_the_theme_takes_its_colours(qtbot) -> None:
    from PySide6.QtGui import QAction, QPalette
    from PySide6.QtWidgets import QLabel

    window = _window(qtbot, "xor")
    window.appearance.set("dark", 1.0)
    window.findChild(QAction, "show_landscape").trigger()  # built now, in the dark
    landscape = window.data_views.panels["landscape"]
    text = window.palette().color(QPalette.ColorRole.WindowText)
    labels = [label for label in landscape.findChildren(QLabel) if label.text() == "Range ±"]
    assert labels and labels[0].palette().color(QPalette.ColorRole.WindowText) == text
    assert text.lightness() > 128  # light text on the dark theme
