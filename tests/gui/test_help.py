"""Help: the quick help, the tour of the three panels, About, the icon and the .desktop
file. Nothing here may block: no test answers a dialog."""

from __future__ import annotations

import configparser

from bpsim.resources import resource
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.services.help import ICON_PATH, app_icon


def test_f1_opens_a_quick_help_that_does_not_block(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F1)
    help_window = window.help.quick_help
    assert help_window is not None
    qtbot.waitUntil(help_window.isVisible)
    assert not help_window.isModal()
    assert QApplication.activeModalWidget() is None
    text = help_window.browser.toPlainText()
    for words in ("Network", "Loss", "Parameters", "PgDown", "F11", "0.072952", "F1"):
        assert words in text
    help_window.close()


def test_the_tour_points_at_the_three_panels_in_turn(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F1, Qt.KeyboardModifier.ShiftModifier)
    tour = window.help.tour
    assert tour is not None and tour.is_open()
    seen = []
    while tour.is_open():
        dock = tour.current_dock()
        assert dock is not None
        seen.append(dock.objectName())
        # the hole in the shade is over the panel, and the text box does not cover it
        hole = tour.dimmer.hole
        assert hole.contains(dock.mapTo(window, dock.rect().center()))
        assert not tour.callout.geometry().intersects(hole.adjusted(8, 8, -8, -8))
        qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    assert seen == ["network_editor_dock", "loss_plot_dock", "parameter_table_dock"]
    assert window.help.tour is tour and not tour.is_open()


def test_the_tour_lets_the_window_work_and_escape_closes_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    tour = window.help.start_tour()
    assert tour.dimmer.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    with qtbot.waitSignal(window.phaseFinished):
        window.findChild(QAction, "forward").trigger()  # the window keeps working
    qtbot.mouseClick(tour.back_button, Qt.MouseButton.LeftButton)  # nothing before the first
    assert tour.index == 0
    with qtbot.waitSignal(tour.finished):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not tour.is_open()


def test_the_tour_skips_hidden_panels(qtbot: QtBot, window: MainWindow) -> None:
    window.docks["loss_plot"].hide()
    tour = window.help.start_tour()
    assert [step.dock for step in tour.steps] == ["network_editor_dock", "parameter_table_dock"]
    tour.close()


def test_about_opens_without_blocking(qtbot: QtBot, window: MainWindow) -> None:
    window.findChild(QAction, "about").trigger()
    box = window.help.about_box
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert box.windowModality() == Qt.WindowModality.WindowModal  # open(), never exec()
    assert "bpsim" in box.text()
    assert "F11" in box.informativeText()
    assert not box.iconPixmap().isNull()
    box.close()


def test_the_icon_is_a_sharp_vector_image(qtbot: QtBot, window: MainWindow) -> None:
    assert ICON_PATH.suffix == ".svg"
    icon = app_icon()
    assert not icon.isNull()
    large = icon.pixmap(QSize(512, 512))
    assert large.size() == QSize(512, 512)  # drawn at any size: crisp at 200 % and up
    image = large.toImage()
    assert image.pixelColor(256, 256) != image.pixelColor(0, 0)  # something is drawn
    assert not window.windowIcon().isNull()


def test_the_desktop_file_launches_bpsim_with_its_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(resource("bpsim.desktop"), encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "bpsim"
    assert entry["Icon"] == "bpsim" == ICON_PATH.stem
    assert entry["Terminal"] == "false"
    assert "Education" in entry["Categories"].split(";")
    for key in ("Name", "Comment", "GenericName"):
        assert entry[key]


def test_help_menu_lists_help_tour_and_about(qtbot: QtBot, window: MainWindow) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help")
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert names == ["help", "tour", "about"]


def test_tour_text_box_follows_a_resize(qtbot: QtBot, window: MainWindow) -> None:
    tour = window.help.start_tour()
    window.resize(QSize(1000, 700))
    qtbot.waitUntil(lambda: tour.dimmer.size() == window.size())
    assert window.rect().contains(tour.callout.geometry())
    tour.close()
