"""Autosave to a recovery file, and the offer to restore what a crash left behind.

Every test gets its own recovery folder (``BPSIM_RECOVERY_DIR``). A "crash" here is a
recovery record whose lock nobody holds; tests/reliability kills real processes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from lesson_files import lesson_copy
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow, app
from bpsim.gui.services.recovery import (
    AUTOSAVE_INTERVAL_MS,
    AUTOSAVE_SECONDS_ENV,
    RecoveryFiles,
    autosave_interval_ms,
    find_orphans,
    read_info,
    recovery_folder,
    write_info,
)
from bpsim.lessons.examples import DEFAULT_EXAMPLE, find_example
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

TIMEOUT = 5000


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "recovery"
    monkeypatch.setenv("BPSIM_RECOVERY_DIR", str(path))
    return path


@pytest.fixture
def make_window(qtbot: QtBot, folder: Path):
    def make(path: Path | None = None, recovery: bool = True) -> MainWindow:
        win = MainWindow(path, recovery=recovery)
        qtbot.addWidget(win, before_close_func=lambda w: w.setWindowModified(False))
        win.show()
        return win

    return make


def leave_crashed_record(folder: Path, steps: int, original: Path | None) -> RecoveryFiles:
    """What a window that crashed leaves: a recovery lesson and its note, no lock."""
    trainer = trainer_from_lesson_file(DEFAULT_EXAMPLE.path)
    trainer.run_steps(steps)
    folder.mkdir(parents=True, exist_ok=True)
    files = RecoveryFiles(folder, f"crashed{steps}")
    write_info(files, trainer.to_lesson(), original)
    save_trainer(trainer, files.lesson)
    return files


def parameters(win: MainWindow) -> list[np.ndarray]:
    return [a.copy() for a in win.session.trainer.network.parameter_arrays()]


# -- where and how often ----------------------------------------------------------------


def test_folder_and_interval_come_from_the_environment(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert recovery_folder() == folder
    monkeypatch.setenv(AUTOSAVE_SECONDS_ENV, "0.5")
    assert autosave_interval_ms() == 500
    for bad in ("", "soon", "0", "-3", "nan", "inf"):
        monkeypatch.setenv(AUTOSAVE_SECONDS_ENV, bad)
        assert autosave_interval_ms() == AUTOSAVE_INTERVAL_MS == 60_000


def test_plain_window_neither_autosaves_nor_offers(make_window, folder: Path) -> None:
    leave_crashed_record(folder, 2, None)
    win = make_window(recovery=False)
    assert win.recovery is None
    win.session.step()
    assert sorted(p.name for p in folder.iterdir()) == [
        "session-crashed2.bpsim",
        "session-crashed2.json",
    ]


# -- autosave ---------------------------------------------------------------------------


def test_nothing_unsaved_means_no_recovery_file(make_window, folder: Path) -> None:
    win = make_window()
    assert win.recovery is not None
    assert not win.recovery.autosave(wait=True)
    assert not folder.exists() or not any(folder.iterdir())
    assert win.recovery.banner is None  # nothing to offer either


def test_timer_autosaves_unsaved_work(qtbot: QtBot, make_window, tmp_path: Path) -> None:
    path = lesson_copy(tmp_path)
    win = make_window(path)
    recovery = win.recovery
    assert recovery is not None and recovery.timer.interval() == AUTOSAVE_INTERVAL_MS
    recovery.set_interval(20)
    with qtbot.waitSignal(recovery.autosaved, timeout=TIMEOUT) as saved:
        win.session.epoch()
    assert win.isWindowModified()  # an autosave is not a save
    recovered = trainer_from_lesson_file(saved.args[0])
    assert recovered.step_count == win.session.trainer.step_count == 1
    for a, b in zip(recovered.network.parameter_arrays(), parameters(win), strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit
    info = read_info(recovery.files)
    assert info.original == path and info.name == win.session.trainer.lesson.name
    assert path.read_bytes() == find_example("xor").path.read_bytes()  # the lesson untouched


def test_unchanged_work_is_not_written_again(make_window) -> None:
    win = make_window()
    win.session.step()
    assert win.recovery.autosave(wait=True)
    stamp = win.recovery.files.lesson.stat().st_mtime_ns
    assert not win.recovery.autosave(wait=True)
    assert win.recovery.files.lesson.stat().st_mtime_ns == stamp
    win.controller.set_learning_rate(0.5)
    assert win.recovery.autosave(wait=True)
    assert (
        trainer_from_lesson_file(win.recovery.files.lesson).optimizer.hyper["learning_rate"] == 0.5
    )


def test_saving_removes_the_recovery_file(make_window, tmp_path: Path) -> None:
    path = lesson_copy(tmp_path)
    win = make_window(path)
    win.session.step()
    assert win.recovery.autosave(wait=True)
    assert win.recovery.files.lesson.exists()
    assert win.save()
    assert not win.recovery.files.lesson.exists() and not win.recovery.files.info.exists()
    assert trainer_from_lesson_file(path).step_count == 1


def test_clean_close_removes_file_and_lock(qtbot: QtBot, make_window, folder: Path) -> None:
    win = make_window()
    win.session.step()
    assert win.recovery.autosave(wait=True)
    assert win.recovery.files.lock.exists()
    win.setWindowModified(False)  # as after Discard in the close question
    win.close()
    assert not any(folder.iterdir())


def test_background_autosave_while_running(qtbot: QtBot, make_window) -> None:
    win = make_window()
    with qtbot.waitSignal(win.runningChanged, timeout=TIMEOUT):
        win.session.start()
    qtbot.waitUntil(lambda: win.session.trainer.step_count > 50, timeout=TIMEOUT)
    qtbot.waitUntil(win.isWindowModified, timeout=TIMEOUT)  # at the first refresh
    with qtbot.waitSignal(win.recovery.autosaved, timeout=TIMEOUT):
        assert win.recovery.autosave()  # returns at once; the write is in a worker
    win.session.pause()
    recovered = trainer_from_lesson_file(win.recovery.files.lesson)
    assert 50 < recovered.step_count <= win.session.trainer.step_count


def test_failing_autosave_says_so_and_changes_nothing(
    make_window, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be", encoding="utf-8")
    win = make_window()
    win.session.step()
    before = parameters(win)
    assert win.recovery.save_now() is None
    assert "Autosave failed" in win.statusBar().currentMessage()
    assert win.isWindowModified()
    for a, b in zip(before, parameters(win), strict=True):
        np.testing.assert_array_equal(a, b)


def test_exception_hook_keeps_the_work(
    qtbot: QtBot, make_window, capsys: pytest.CaptureFixture[str]
) -> None:
    win = make_window()
    win.session.step()
    win.session.step()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as error:
        app.show_exception(RuntimeError, error, error.__traceback__)
    box = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "exception_box"
    )
    assert not box.isModal()
    assert "recovery file" in box.text() and str(win.recovery.files.lesson) in box.text()
    assert "boom in a slot" in box.detailedText()
    assert trainer_from_lesson_file(win.recovery.files.lesson).step_count == 2
    assert "RuntimeError: boom in a slot" in capsys.readouterr().err
    assert win.isVisible()  # the window keeps working
    box.close()


# -- the offer after a crash ------------------------------------------------------------


def test_offer_is_a_banner_not_a_dialog(make_window, folder: Path, tmp_path: Path) -> None:
    original = lesson_copy(tmp_path, "worked-example")
    leave_crashed_record(folder, 3, original)
    win = make_window()
    banner = win.recovery.banner
    assert banner is not None and banner.isVisible()
    assert QApplication.activeModalWidget() is None
    assert "did not close properly" in banner.text()
    assert "worked-example.bpsim" in banner.text()
    assert banner.findChild(QPushButton, "recovery_restore").isVisible()
    assert banner.findChild(QPushButton, "recovery_discard").isVisible()
    assert win.session.trainer.step_count == 0  # nothing restored without asking
    assert not win.isWindowModified()


def test_restore_brings_back_the_work(
    qtbot: QtBot, make_window, folder: Path, tmp_path: Path
) -> None:
    original = lesson_copy(tmp_path, "worked-example")
    crashed = leave_crashed_record(folder, 3, original)
    expected = trainer_from_lesson_file(crashed.lesson)
    win = make_window()
    with qtbot.waitSignal(win.recovery.restored, timeout=TIMEOUT):
        win.recovery.banner.findChild(QPushButton, "recovery_restore").click()
    trainer = win.session.trainer
    assert trainer.step_count == 3
    for a, b in zip(expected.network.parameter_arrays(), parameters(win), strict=True):
        np.testing.assert_array_equal(a, b)
    assert win.session.path == original  # Save writes back where the work came from
    assert win.isWindowModified()  # and it is not saved yet
    assert not win.recovery.banner.isVisible()
    assert not crashed.lesson.exists() and not crashed.info.exists()
    assert win.recovery.files.lesson.exists()  # kept safe again, under this window's name
    assert win.save()
    assert trainer_from_lesson_file(original).step_count == 3
    assert not any(p.suffix == ".bpsim" for p in folder.iterdir())


def test_discard_deletes_the_offered_work(make_window, folder: Path) -> None:
    crashed = leave_crashed_record(folder, 1, None)
    win = make_window()
    win.recovery.banner.findChild(QPushButton, "recovery_discard").click()
    assert not crashed.lesson.exists() and not crashed.info.exists()
    assert not win.recovery.banner.isVisible()
    assert win.session.trainer.step_count == 0


def test_several_crashes_are_offered_newest_first(make_window, folder: Path) -> None:
    import os

    older = leave_crashed_record(folder, 1, None)
    newer = leave_crashed_record(folder, 2, None)
    os.utime(older.lesson, (1_000_000, 1_000_000))
    win = make_window()
    assert "1 more" in win.recovery.banner.text()
    assert win.recovery.restore()
    assert win.session.trainer.step_count == 2 and not newer.lesson.exists()
    assert win.recovery.banner.isVisible()  # the older one is offered next
    win.recovery.discard_offer()
    assert not older.lesson.exists() and not win.recovery.banner.isVisible()


def test_restore_is_refused_over_unsaved_changes(make_window, folder: Path) -> None:
    crashed = leave_crashed_record(folder, 4, None)
    win = make_window()
    win.session.step()
    assert not win.recovery.restore()
    assert "unsaved changes" in win.banner.text()
    assert win.session.trainer.step_count == 1 and crashed.lesson.exists()


def test_broken_recovery_file_is_reported_and_can_be_discarded(make_window, folder: Path) -> None:
    crashed = leave_crashed_record(folder, 1, None)
    crashed.lesson.write_text('{"format": "bpsim", "version": 1, "layers": [', encoding="utf-8")
    win = make_window()
    assert not win.recovery.restore()
    assert "cannot be opened" in win.banner.text() and crashed.lesson.name in win.banner.text()
    assert win.session.trainer.step_count == 0 and not win.isWindowModified()
    assert win.recovery.banner.isVisible()  # still offered: Discard clears it
    win.recovery.discard_offer()
    assert not crashed.lesson.exists()


def test_a_living_window_is_never_offered_to_another(make_window, folder: Path) -> None:
    first = make_window()
    first.session.step()
    assert first.recovery.autosave(wait=True)
    second = make_window()
    assert second.recovery.banner is None
    assert find_orphans(folder) == []
    assert first.recovery.files.lesson.exists()


def test_the_note_is_data_only(folder: Path) -> None:
    folder.mkdir(parents=True)
    files = RecoveryFiles(folder, "odd")
    for text in (
        "",
        "not json",
        "[1, 2]",
        '{"format": "something else", "original": "/etc/passwd"}',
        '{"format": "bpsim-recovery", "original": 5, "saved_at": [], "name": null}',
        "[" * 100_000,
    ):
        files.info.write_text(text, encoding="utf-8")
        info = read_info(files)
        assert info.original is None and info.saved_at == "" and info.name == ""
    files.info.write_text(json.dumps({"format": "bpsim-recovery", "original": "a.bpsim"}))
    assert read_info(files).original == Path("a.bpsim")


def test_recovery_file_never_holds_nan(make_window) -> None:
    house = find_example("house-prices")
    assert house is not None
    win = make_window(house.path)
    win.controller.set_learning_rate(1e6)
    for _ in range(200):
        if not win.session.epoch():
            break
    assert win.session.trainer.divergence is not None
    path = win.recovery.save_now()
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    recovered = trainer_from_lesson_file(path)
    assert all(np.all(np.isfinite(a)) for a in recovered.network.parameter_arrays())
    assert math.isfinite(recovered.history.step_loss.last())


def test_a_csv_lesson_is_kept_with_its_rows(make_window, tmp_path: Path) -> None:
    """The recovery folder is not the lesson's, and a data path may not lead out of its
    folder: the rows go into the recovery file itself."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "rows.csv").write_text(
        "a,b,y1,y2\n0.95,0.06,0.05,0.82\n0.5,0.25,0.125,1\n", encoding="utf-8"
    )
    document = json.loads(DEFAULT_EXAMPLE.path.read_text(encoding="utf-8"))
    document["dataset"] = {"csv": "rows.csv", "inputs": ["a", "b"], "targets": ["y1", "y2"]}
    path = folder / "csv.bpsim"
    path.write_text(json.dumps(document), encoding="utf-8")
    win = make_window(path)
    assert not win.banner.isVisible(), win.banner.text()
    win.session.step()
    saved = win.recovery.save_now()
    assert saved is not None
    kept = json.loads(saved.read_text(encoding="utf-8"))["dataset"]
    assert "csv" not in kept and kept["inputs"] == [[0.95, 0.06], [0.5, 0.25]]
    recovered = trainer_from_lesson_file(saved)
    np.testing.assert_array_equal(recovered.targets, win.session.trainer.targets)


def test_no_recovery_file_that_would_not_open(make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    """While an edit leaves the data set not fitting the network, the window refuses to
    save (the file would not open again); the autosave keeps the last good one instead."""
    from bpsim.gui.state.session import Session

    win = make_window()
    win.session.step()
    assert win.recovery.autosave(wait=True)
    good = win.recovery.files.lesson.read_bytes()
    with monkeypatch.context() as patch:
        patch.setattr(Session, "training_blocked", property(lambda self: "does not fit"))
        win.controller.set_learning_rate(0.5)
        assert not win.recovery.autosave(wait=True)
        assert win.recovery.save_now() is None
        assert win.recovery.files.lesson.read_bytes() == good
    assert win.recovery.autosave(wait=True)  # written as soon as it fits again
    assert (
        trainer_from_lesson_file(win.recovery.files.lesson).optimizer.hyper["learning_rate"] == 0.5
    )


def test_opening_another_lesson_over_discarded_changes_removes_their_file(
    qtbot: QtBot, make_window, tmp_path: Path
) -> None:
    win = make_window()
    win.session.step()
    assert win.recovery.autosave(wait=True)
    win.setWindowModified(False)  # as after Discard in the unsaved-changes question
    assert win.open(lesson_copy(tmp_path))
    qtbot.waitUntil(lambda: not win.recovery.files.lesson.exists(), timeout=TIMEOUT)


def test_bpsim_itself_offers_the_work(
    qtbot: QtBot, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``bpsim`` (run_app) starts with recovery on: the offer is there, and no dialog."""
    import sys

    from PySide6.QtCore import QSettings, QTimer

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    leave_crashed_record(folder, 5, None)
    seen: list[tuple[bool, bool, str]] = []

    def look() -> None:
        window = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        )
        banner = window.recovery.banner
        seen.append(
            (
                banner is not None and banner.isVisible(),
                QApplication.activeModalWidget() is None,
                banner.text() if banner is not None else "",
            )
        )
        window.setWindowModified(False)
        window.close()
        QApplication.instance().quit()

    QTimer.singleShot(50, look)
    assert app.run_app(None) == 0
    assert seen and seen[0][0] and seen[0][1], seen
    assert "did not close properly" in seen[0][2]
    assert list(folder.glob("session-crashed5.bpsim"))  # offered, not yet decided: still kept
