"""A window killed (SIGKILL) in the middle of Run, with changes no file holds, loses
nothing that was autosaved: the next start offers the recovery file, and restoring it
gives exactly the autosaved state (step count and parameters, bit for bit).

The child window (offscreen, ``recovery=True`` as ``bpsim`` starts it) runs, pauses,
autosaves and reports the state it autosaved, then runs on. In the second test a further
autosave is stuck half-way (in the autosave's worker thread) when the kill comes, so the
crash hits both training and an autosave.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from crash_child import digest
from crash_helpers import Child, temp_leftovers
from lesson_files import lesson_copy
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.lessons.files import trainer_from_lesson_file

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]
TIMEOUT = 10_000


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "recovery"
    monkeypatch.setenv("BPSIM_RECOVERY_DIR", str(path))
    return path


def crash(lesson: Path, folder: Path, *extra: str) -> tuple[int, str]:
    """Run the child until it has autosaved and trained on, then kill it."""
    child = Child("window-run-autosave", lesson, *extra, env={"BPSIM_RECOVERY_DIR": str(folder)})
    step, state = child.expect("AUTOSAVED")
    (running,) = child.expect("RUNNING")
    assert int(running) > int(step) + 300  # unsaved training after the autosave
    if "--hang" in extra:
        child.expect("MIDSAVE")
    child.kill()
    return int(step), state


def restore_in_a_new_window(qtbot: QtBot, folder: Path) -> MainWindow:
    window = MainWindow(recovery=True)  # the next start
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    window.show()
    banner = window.recovery.banner
    assert banner is not None and banner.isVisible(), "no offer to restore"
    assert QApplication.activeModalWidget() is None
    assert "xor.bpsim" in banner.text()
    with qtbot.waitSignal(window.recovery.restored, timeout=TIMEOUT):
        banner.findChild(QPushButton, "recovery_restore").click()
    return window


@pytest.mark.parametrize("extra", [(), ("--hang",)], ids=["during-run", "during-autosave"])
def test_killed_during_run_restores_the_autosave(
    qtbot: QtBot, tmp_path: Path, folder: Path, extra: tuple[str, ...]
) -> None:
    lesson = lesson_copy(tmp_path)
    before = lesson.read_bytes()
    step, state = crash(lesson, folder, *extra)
    assert lesson.read_bytes() == before  # nothing was saved over the lesson
    if extra:
        assert temp_leftovers(folder)  # the stuck autosave: only a temporary file
    window = restore_in_a_new_window(qtbot, folder)
    trainer = window.session.trainer
    assert trainer.step_count == step
    assert digest(trainer) == state  # the parameters, bit for bit
    assert window.session.path == lesson and window.isWindowModified()
    assert window.save()
    saved = trainer_from_lesson_file(lesson)  # a loadable lesson with the autosaved state
    assert saved.step_count == step and digest(saved) == state
    assert not list(folder.glob("session-*.bpsim"))  # saved: nothing left to recover


def test_an_unexpected_exception_keeps_the_work(tmp_path: Path, folder: Path) -> None:
    """In ``bpsim`` itself: a slot raises; the box shows, the window stays, and the work
    is already in the recovery file when the process dies later."""
    lesson = lesson_copy(tmp_path)
    child = Child("window-exception", lesson, env={"BPSIM_RECOVERY_DIR": str(folder)})
    step, state = child.expect("STEPPED")
    box_shown, window_alive, recovery = child.expect("HOOKED")
    child.kill()
    assert box_shown == "1" and window_alive == "1"
    kept = trainer_from_lesson_file(recovery)  # written by the hook, before the box
    assert kept.step_count == int(step) == 3 and digest(kept) == state
