"""Settings survive a restart, bad values are ignored, defaults can be restored.

Every test keeps its settings in an ini file of its own under ``tmp_path``: the user's
real settings are never read or written.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from gui_helpers import run_app_and_look
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.services.settings import SETTINGS_ENV, Settings
from bpsim.lessons.examples import DEFAULT_EXAMPLE

pytestmark = pytest.mark.usefixtures("light_drawing_afterwards")


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "settings" / "bpsim.ini"


@pytest.fixture
def make_window(qtbot: QtBot) -> Callable[[Settings | None], MainWindow]:
    def make(settings: Settings | None = None) -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
        if settings is not None:
            settings.attach(window)
        return window

    return make


def test_settings_survive_a_restart(
    qtbot: QtBot, ini: Path, tmp_path: Path, make_window: Callable[..., MainWindow]
) -> None:
    lesson = tmp_path / "mine.bpsim"
    shutil.copy(DEFAULT_EXAMPLE.path, lesson)
    settings = Settings.at(ini)
    window = make_window(settings)
    window.show()
    window.findChild(QAction, "theme_dark").trigger()
    window.appearance.set_zoom(1.25)
    window.presentation.enter(full_screen=False)
    window.appearance.set_zoom(1.75)  # remembered for presenting, not for the desk
    window.findChild(QAction, "key_legend").trigger()
    window.presentation.leave()
    window.docks["loss_plot"].hide()
    window.documents.add_recent(lesson)  # the File menu keeps its list in the same store
    window.findChild(QAction, "animation_speed_fast").trigger()
    settings.save(window)
    window.close()
    assert "theme=dark" in ini.read_text(encoding="utf-8")

    restarted = Settings.at(ini)  # a new store over the same file, as after a restart
    assert (restarted.theme, restarted.zoom) == ("dark", 1.25)
    again = make_window(restarted)
    again.show()
    assert again.appearance.theme.name == "dark"
    assert again.appearance.zoom == 1.25
    assert again.presentation.presenting_appearance() == ("high_contrast", 1.75)
    assert not again.presentation.key_legend_wanted()
    assert not again.docks["loss_plot"].isVisible()
    assert again.docks["parameter_table"].isVisible()
    assert again.documents.recent_files() == [lesson.resolve()]
    assert restarted.recent_files() == [str(lesson.resolve())]
    assert again.teaching.animation.speed == "fast"


def test_changes_are_written_as_they_happen(
    qtbot: QtBot, ini: Path, make_window: Callable[..., MainWindow]
) -> None:
    """Killed without quitting, bpsim still comes back in the theme and zoom it had."""
    window = make_window(Settings.at(ini))
    window.findChild(QAction, "theme_high_contrast").trigger()
    window.findChild(QAction, "zoom_in").trigger()
    other = QSettings(str(ini), QSettings.Format.IniFormat)
    assert other.value("appearance/theme") == "high_contrast"
    assert float(other.value("appearance/zoom")) == pytest.approx(1.1)


def test_bad_or_stale_values_are_the_defaults(
    qtbot: QtBot, ini: Path, make_window: Callable[..., MainWindow]
) -> None:
    ini.parent.mkdir(parents=True)
    ini.write_text(
        "[appearance]\ntheme=sepia\nzoom=enormous\n"
        "[presentation]\nzoom=99\nkey_legend=perhaps\ntheme=high_contrast\n"
        "[animation]\nspeed=warp\n"
        "[window]\nstate=not a layout\ngeometry=12\n",
        encoding="utf-8",
    )
    settings = Settings.at(ini)
    assert settings.theme == "light"
    assert settings.zoom == 1.0
    assert settings.presentation_zoom == 3.0  # clamped to the largest zoom
    assert settings.key_legend is True
    assert settings.animation_speed == "normal"
    assert settings.recent_files() == []
    window = make_window(settings)
    window.show()
    assert window.appearance.theme.name == "light"
    assert all(dock.isVisible() for dock in window.docks.values())


def test_restore_default_settings_forgets_preferences_not_files(
    qtbot: QtBot, ini: Path, tmp_path: Path, make_window: Callable[..., MainWindow]
) -> None:
    settings = Settings.at(ini)
    window = make_window(settings)
    window.show()
    window.appearance.set("dark", 1.5)
    window.docks["parameter_table"].hide()
    settings.tour_shown = True
    settings.add_recent_file(tmp_path / "kept.bpsim")

    window.findChild(QAction, "restore_defaults").trigger()

    assert (window.appearance.theme.name, window.appearance.zoom) == ("light", 1.0)
    assert window.docks["parameter_table"].isVisible()
    assert window.presentation.presenting_appearance() == ("high_contrast", 1.5)
    assert not settings.store.contains("appearance/theme")
    assert not settings.tour_shown  # the tour shows again next time
    assert settings.recent_files() == [str((tmp_path / "kept.bpsim").resolve())]


def test_recent_files_are_newest_first_without_duplicates(ini: Path, tmp_path: Path) -> None:
    settings = Settings.at(ini)
    for name in ("a", "b", "a", *(f"n{i}" for i in range(12))):
        settings.add_recent_file(tmp_path / f"{name}.bpsim")
    files = settings.recent_files()
    assert len(files) == 10
    assert files[0].endswith("n11.bpsim")
    assert len(set(files)) == len(files)
    settings.remove_recent_file(tmp_path / "n11.bpsim")
    assert settings.recent_files()[0].endswith("n10.bpsim")


def test_an_environment_variable_points_at_an_ini_file(
    ini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SETTINGS_ENV, str(ini))
    settings = Settings.open()
    assert settings.store.format() == QSettings.Format.IniFormat
    assert Path(settings.store.fileName()) == ini


def test_the_tour_runs_on_the_first_start_only(
    qtbot: QtBot, ini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SETTINGS_ENV, str(ini))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    tours: list[bool] = []

    def look(window: MainWindow) -> None:
        assert window.help.tour_timer is not None  # the first start asks for the tour
        qtbot.waitUntil(lambda: window.help.tour is not None and window.help.tour.is_open())
        tours.append(True)
        window.appearance.set_zoom(1.25)  # and what the first run chose comes back

    assert run_app_and_look(None, look) == 0
    zooms: list[float] = []

    def look_again(window: MainWindow) -> None:
        tours.append(window.help.tour_timer is not None or window.help.tour is not None)
        zooms.append(window.appearance.zoom)
        window.appearance.set_zoom(1.0)

    assert run_app_and_look(None, look_again) == 0
    assert tours == [True, False]
    assert zooms == [1.25]
    assert Settings.at(ini).tour_shown
