"""``bpsim [--present] [FILE|NAME]``: parsed here, handed to the window's ``run_app``."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpsim.gui.app as app
from bpsim.cli.main import main, no_display


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, bool]]:
    seen: list[tuple[str | None, bool]] = []

    def fake_run_app(source: str | None = None, *, present: bool = False) -> int:
        seen.append((source, present))
        return 0

    monkeypatch.setattr(app, "run_app", fake_run_app)
    monkeypatch.setenv("DISPLAY", ":0")
    return seen


def test_a_name_opens_the_built_in_lesson(calls: list[tuple[str | None, bool]]) -> None:
    assert main(["xor"]) == 0
    assert main(["--present", "and"]) == 0
    assert main(["--present"]) == 0
    assert main([]) == 0
    # The name itself reaches the window, which opens the lesson unsaved: a path to the
    # bundled file would make Save write into the installed package.
    assert calls == [("xor", False), ("and", True), (None, True), (None, False)]


def test_a_file_of_that_name_wins_over_the_built_in(
    calls: list[tuple[str | None, bool]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xor").write_text("{}", encoding="utf-8")
    assert main(["xor"]) == 0
    assert calls == [("xor", False)]


def test_a_missing_lesson_is_one_line_before_any_window(
    calls: list[tuple[str | None, bool]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["no-such.bpsim"]) == 2
    assert calls == []
    assert capsys.readouterr().err.count("\n") == 1


def test_no_display_is_known_without_qt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert no_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert not no_display()
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not no_display()


def test_present_opens_the_window_presenting(qapp: object) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from bpsim.gui import MainWindow

    seen: list[tuple[str, bool]] = []
    windows: list[MainWindow] = []

    def look() -> None:
        try:
            window = next(
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible()
            )
            seen.append((window.windowTitle(), window.presentation.is_active()))
            window.setWindowModified(False)
            window.close()
            windows.append(window)
        finally:
            QApplication.instance().quit()

    QTimer.singleShot(50, look)
    assert main(["--present", "xor"]) == 0
    for window in windows:
        window.deleteLater()
    assert len(seen) == 1
    title, presenting = seen[0]
    assert title.startswith("XOR needs a hidden layer") and presenting
