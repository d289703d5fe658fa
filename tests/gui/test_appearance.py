"""The zoom scales every panel together; themes restyle the window; colours stay apart
for colour-blind viewers and stand out on a washed-out projector."""

from __future__ import annotations

import re

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.state.session import ParameterKey
from bpsim.gui.style import palette
from bpsim.gui.style.appearance import (
    THEMES,
    Appearance,
    contrast_ratio,
    cvd_distance,
    qcolor,
)

pytestmark = pytest.mark.usefixtures("light_drawing_afterwards")


def _sizes(window: MainWindow) -> dict[str, float]:
    """Concrete sizes in the three panels and the window's own controls."""
    editor = window.panels["network_editor"]
    neuron = editor.neuron_item(1, 0)
    link = editor.link_item(1, 0, 0)
    assert neuron is not None and link is not None
    plot = window.panels["loss_plot"]
    canvas = plot.findChild(pg.PlotWidget, "loss_plot_canvas")
    axis = canvas.getPlotItem().getAxis("left")
    curve = canvas.getPlotItem().listDataItems()[0]
    readout = plot.findChild(QLabel, "loss_readout")
    table = window.panels["parameter_table"]
    return {
        "neuron radius": neuron.radius,
        "neuron name px": neuron.name_item.font().pixelSize(),
        "neuron value px": neuron.value_item.font().pixelSize(),
        "link width": link.current_pen().widthF(),
        "plot tick pt": QFont(axis.style["tickFont"]).pointSizeF(),
        "plot readout pt": readout.font().pointSizeF(),
        "curve width": curve.opts["pen"].widthF(),
        "table pt": table.font().pointSizeF(),
        "table header pt": table.horizontalHeader().font().pointSizeF(),
        "window pt": window.font().pointSizeF(),
        "controls pt": window.controls.font().pointSizeF(),
        "dock title pt": window.docks["loss_plot"].font().pointSizeF(),
        "icon px": window.toolbars["training"].iconSize().width(),
    }


def test_zoom_scales_the_editor_the_plot_and_the_table_together(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.findChild(QAction, "forward").trigger()  # values in the circles
    before = _sizes(window)
    row_height = window.panels["parameter_table"].verticalHeader().defaultSectionSize()

    window.appearance.set_zoom(2.0)

    after = _sizes(window)
    for name, size in before.items():
        tolerance = 1 if name.endswith("px") else 0.01  # whole pixels round
        assert after[name] == pytest.approx(2 * size, abs=tolerance), name
    larger_rows = window.panels["parameter_table"].verticalHeader().defaultSectionSize()
    assert larger_rows - 8 == pytest.approx(2 * (row_height - 8), abs=2)  # font + margin

    window.appearance.set_zoom(1.0)
    assert _sizes(window) == pytest.approx(before)


def test_zoomed_neurons_take_a_larger_share_of_the_network_picture(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The network always fills its panel, so a zoom makes its neurons, text and lines
    larger within the picture (the layout making room for them), not the picture."""
    editor = window.panels["network_editor"]

    def share() -> float:
        neuron = editor.neuron_item(1, 0)
        assert neuron is not None
        return neuron.radius / editor.scene().sceneRect().width()

    before = share()
    window.appearance.set_zoom(1.5)
    assert share() > 1.04 * before


def test_zoom_keys_step_through_the_zooms_and_back_to_100(qtbot: QtBot, window: MainWindow) -> None:
    appearance = window.appearance
    with qtbot.waitSignal(appearance.changed):
        qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert appearance.zoom == pytest.approx(1.1)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert appearance.zoom == pytest.approx(0.9)
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert appearance.zoom == 1.0
    assert window.font().pointSizeF() == pytest.approx(QApplication.font().pointSizeF())


def test_zoom_in_stops_where_the_window_would_not_fit_its_screen(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.resize(QSize(1000, 760))
    window.appearance.set_zoom(1.75)
    window.findChild(QAction, "zoom_in").trigger()  # 2.0 would need about 1450 pixels
    assert window.appearance.zoom == 1.75
    assert "would not fit" in window.statusBar().currentMessage()


def test_appearance_refuses_unknown_themes_and_clamps_zooms() -> None:
    appearance = Appearance()
    with pytest.raises(ValueError, match="unknown theme 'sepia'; expected one of light"):
        appearance.set_theme("sepia")
    appearance.set_zoom(99)
    assert appearance.zoom == 3.0
    appearance.set_zoom(float("nan"))
    assert appearance.zoom == 1.0


def test_dark_theme_restyles_controls_network_and_plot(qtbot: QtBot, window: MainWindow) -> None:
    editor = window.panels["network_editor"]
    with qtbot.waitSignal(window.appearance.changed):
        qtbot.keyClick(
            window,
            Qt.Key.Key_D,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    dark = THEMES["dark"]
    assert window.appearance.theme is dark
    assert window.findChild(QAction, "theme_dark").isChecked()
    assert window.palette().color(QPalette.ColorRole.Window) == QColor("#202124")
    assert editor.backgroundBrush().color() == qcolor(dark.editor["BACKGROUND"])
    canvas = window.panels["loss_plot"].findChild(pg.PlotWidget, "loss_plot_canvas")
    assert canvas.backgroundBrush().color() == qcolor(dark.plot.background)
    # a neuron with no value yet reads light-on-dark, and its outline shows on the background
    neuron = editor.neuron_item(0, 0)
    assert neuron is not None
    assert contrast_ratio(neuron.name_item.brush().color(), neuron.brush().color()) >= 4.5
    assert contrast_ratio(neuron.pen().color(), qcolor(dark.editor["BACKGROUND"])) >= 4.5
    # menus are windows of their own: they follow too
    view = window.menuBar().actions()[0].menu()
    assert view.palette().color(QPalette.ColorRole.Window) == QColor("#202124")

    window.findChild(QAction, "theme_light").trigger()
    assert editor.backgroundBrush().color() == QColor(255, 255, 255)
    assert palette.DEFAULT_SCHEME["INK"] == palette.INK


def test_a_theme_change_keeps_the_selection(qtbot: QtBot, window: MainWindow) -> None:
    editor = window.panels["network_editor"]
    key = ("neuron", 1, 0)
    editor.select_key(key)
    window.appearance.set_theme("high_contrast")
    assert editor.selected_key() == key


@pytest.mark.parametrize("name", list(THEMES))
def test_signs_stay_apart_for_colour_blind_viewers(name: str) -> None:
    """Blue against orange for every sign, in every theme, for normal vision and the
    three colour blindnesses (ΔE ≥ 20: told apart at a glance); and never colour alone."""
    theme = THEMES[name]
    palette.use_scheme(theme.scheme())
    assert cvd_distance(palette.NEGATIVE, palette.POSITIVE) >= 20
    assert cvd_distance(palette.NEGATIVE_LINE, palette.POSITIVE_LINE) >= 20
    assert cvd_distance(qcolor(theme.plot.train), qcolor(theme.plot.validation)) >= 20
    # gradients are red beside orange lines: apart, and arrows besides
    assert cvd_distance(palette.GRADIENT, palette.POSITIVE_LINE) >= 20
    # the sign of a weight is also its dash pattern
    assert palette.weight_pen(-1.0, 1.0).style() == Qt.PenStyle.CustomDashLine
    assert palette.weight_pen(1.0, 1.0).style() == Qt.PenStyle.SolidLine


def test_the_projector_theme_has_strong_contrast_and_thick_lines() -> None:
    theme = THEMES["high_contrast"]
    palette.use_scheme(theme.scheme())
    background = palette.BACKGROUND
    assert contrast_ratio(palette.INK, background) >= 15
    assert contrast_ratio(palette.MUTED_INK, background) >= 7
    for line in (palette.POSITIVE_LINE, palette.NEGATIVE_LINE, palette.GRADIENT):
        assert contrast_ratio(line, background) >= 4.5
    plot_background = qcolor(theme.plot.background)
    for color in (theme.plot.train, theme.plot.validation):
        assert contrast_ratio(qcolor(color), plot_background) >= 4.5
    assert contrast_ratio(qcolor(theme.plot.axis), plot_background) >= 15
    # the thinnest weight is twice as thick as in the light theme
    assert (
        palette.weight_pen(0.0001, 1.0).widthF() >= 2 * palette.DEFAULT_SCHEME["MIN_WEIGHT_WIDTH"]
    )
    assert theme.plot.curve_width > THEMES["light"].plot.curve_width


@pytest.mark.parametrize("name", list(THEMES))
def test_every_theme_keeps_text_readable(name: str) -> None:
    theme = THEMES[name]
    palette.use_scheme(theme.scheme())
    window, text = qcolor(theme.qt["Window"]), qcolor(theme.qt["WindowText"])
    assert contrast_ratio(text, window) >= 7
    assert contrast_ratio(qcolor(theme.qt["Text"]), qcolor(theme.qt["Base"])) >= 7
    assert contrast_ratio(palette.INK, palette.BACKGROUND) >= 7
    for line in (palette.POSITIVE_LINE, palette.NEGATIVE_LINE):
        assert contrast_ratio(line, palette.BACKGROUND) >= 3
    # neurons' own text picks black or white for its fill, whatever the theme
    for fill in (palette.NEGATIVE, palette.POSITIVE, palette.MIDDLE, palette.NEUTRAL_FILL):
        assert contrast_ratio(palette.text_color_for(fill), fill) >= 4.5


#: Every palette role Qt draws text in, with the role it is drawn on.
TEXT_ROLES = (
    ("WindowText", "Window"),
    ("WindowText", "Midlight"),  # dock titles
    ("Text", "Base"),
    ("Text", "AlternateBase"),
    ("ButtonText", "Button"),
    ("ToolTipText", "ToolTipBase"),
    ("HighlightedText", "Highlight"),
    ("PlaceholderText", "Base"),
    ("Link", "Base"),
)


@pytest.mark.parametrize("name", list(THEMES))
def test_every_text_colour_of_every_theme_passes_wcag_aa(name: str) -> None:
    """Palette text roles and the formula colours (Inspector, quiz) at 4.5:1 or more."""
    theme = THEMES[name]
    for text, background in TEXT_ROLES:
        ratio = contrast_ratio(qcolor(theme.qt[text]), qcolor(theme.qt[background]))
        assert ratio >= 4.5, (text, background, round(ratio, 2))
    for role, (fg, bg) in theme.formula_colors().pairs().items():
        ratio = contrast_ratio(QColor(fg), QColor(bg))
        assert ratio >= 4.5, (role, round(ratio, 2))


def _html_colours(html: str) -> set[str]:
    return {c.lower() for c in re.findall(r"color:\s*(#[0-9a-fA-F]{6})", html)}


def test_the_inspector_and_quiz_html_pass_wcag_aa_in_every_theme(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.teaching.animation.set_enabled(False)
    for name in ("forward", "backward"):
        with qtbot.waitSignal(window.phaseFinished, timeout=5000):
            window.findChild(QAction, name).trigger()
    inspector = window.teaching.inspector
    inspector.show_key(ParameterKey(1, 0, 0))  # w5: gradient, update and notes
    quiz = window.findChild(QAction, "quiz_mode")
    quiz.trigger()
    window.findChild(QAction, "update").trigger()  # held back: a question
    reveal = window.findChild(QPushButton, "quiz_reveal")
    with qtbot.waitSignal(window.phaseFinished, timeout=5000):
        reveal.click()
    result = window.findChild(QLabel, "quiz_result")
    for name, theme in THEMES.items():
        window.appearance.set_theme(name)
        inspector.refresh(force=True)
        base = qcolor(theme.qt["Base"])
        shown = inspector.browser.toHtml()
        colours = _html_colours(shown) | _html_colours(result.text())
        assert len(colours) >= 3, name  # section colours and notes are there to check
        for colour in colours:
            # the quiz sits on the window's colour, the inspector on Base
            for background in (base, qcolor(theme.qt["Window"])):
                ratio = contrast_ratio(QColor(colour), background)
                assert ratio >= 4.5, (name, colour, round(ratio, 2))


def test_check_boxes_are_outlined_visibly_in_the_dark_theme(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.appearance.set_theme("dark")
    box = window.teaching.inspector.follow
    box.setChecked(False)
    qtbot.waitUntil(lambda: box.isVisible())
    image = box.parentWidget().grab(box.geometry()).toImage()
    side = image.height()
    window_colour = qcolor(THEMES["dark"].qt["Window"])
    strongest = max(
        contrast_ratio(image.pixelColor(x, y), window_colour)
        for x in range(min(side, image.width()))
        for y in range(side)
    )
    # the unchecked box's outline (WCAG asks 3:1 for a control's boundary)
    assert strongest >= 3, round(strongest, 2)


def test_a_floating_dock_keeps_its_text_readable_in_the_dark_theme(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.appearance.set_theme("dark")
    dock = window.findChild(QDockWidget, "inspector_dock")
    dock.setFloating(True)  # a window of its own: it paints its own background
    qtbot.waitUntil(dock.isFloating)
    hint = window.teaching.inspector.hint
    ratio = contrast_ratio(
        hint.palette().color(QPalette.ColorRole.WindowText),
        dock.palette().color(QPalette.ColorRole.Window),
    )
    assert ratio >= 4.5, round(ratio, 2)
    image = dock.grab().toImage()
    assert contrast_ratio(image.pixelColor(2, image.height() - 3), qcolor("#202124")) < 1.2
