"""Starting the window (``bpsim [FILE]``), its exception hook, and ``bpsim screenshot``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gui_helpers import run_app_and_look
from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from bpsim.cli.main import main
from bpsim.gui import MainWindow, app
from bpsim.lessons.examples import DEFAULT_EXAMPLE


@pytest.fixture
def settings_in(tmp_path: Path) -> Path:
    """Keep QSettings (the remembered layout) out of the real home folder."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    return tmp_path


def test_run_app_opens_the_default_example(
    qtbot: QtBot, settings_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    looked: list[str] = []

    def look(window: MainWindow) -> None:
        assert QApplication.applicationName() == "bpsim"
        assert QApplication.organizationName() == "bpsim"
        assert window.session.trainer.lesson.name.startswith("Worked example")
        assert not window.banner.isVisible()
        looked.append(window.windowTitle())

    assert run_app_and_look(None, look) == 0
    assert looked
    assert sys.excepthook is not app.show_exception  # put back once the window closed


def test_run_app_with_a_bad_file_shows_the_problem(
    qtbot: QtBot, settings_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    bad = tmp_path / "typo.bpsim"
    bad.write_text('{"format": "bpsim"', encoding="utf-8")

    def look(window: MainWindow) -> None:
        assert window.banner.isVisible()
        assert "typo.bpsim" in window.banner.text()
        assert "default example" in window.banner.text()
        assert window.session.path is None
        assert QApplication.activeModalWidget() is None

    assert run_app_and_look(str(bad), look) == 0


def test_unexpected_exceptions_are_shown_not_fatal(
    qtbot: QtBot, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        app.show_exception(RuntimeError, error, error.__traceback__)
    box = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "exception_box"
    )
    assert box.isVisible() and not box.isModal()
    assert "RuntimeError: boom" in box.text()
    assert "Traceback" in box.detailedText()
    assert "RuntimeError: boom" in capsys.readouterr().err
    box.close()  # deletes itself


# -- bpsim screenshot -----------------------------------------------------------------


def test_screenshot_writes_a_png_of_the_requested_size(qtbot: QtBot, tmp_path: Path) -> None:
    out = tmp_path / "forward.png"
    code = main(
        [
            "screenshot",
            str(DEFAULT_EXAMPLE.path),
            str(out),
            "--after",
            "forward,backward,update,forward_layer",
            "--size",
            "1024x768",
        ]
    )
    assert code == 0
    image = QImage(str(out))
    assert image.size() == QSize(1024, 768)
    assert image.pixelColor(10, 10) != image.pixelColor(500, 400)  # something was drawn


def test_screenshot_of_one_panel_after_running(qtbot: QtBot, tmp_path: Path) -> None:
    out = tmp_path / "plot.png"
    code = main(
        [
            "screenshot",
            str(DEFAULT_EXAMPLE.path),
            str(out),
            "--after",
            "run",
            "--size",
            "1200x800",
            "--panel",
            "loss_plot",
        ]
    )
    assert code == 0
    image = QImage(str(out))
    assert 0 < image.width() < 1200 and 0 < image.height() < 800


def test_screenshot_refuses_an_unknown_action(
    qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.png"
    code = main(["screenshot", str(DEFAULT_EXAMPLE.path), str(out), "--after", "forward,fly"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--after: unknown action 'fly'; expected one of forward" in err
    assert not out.exists()
