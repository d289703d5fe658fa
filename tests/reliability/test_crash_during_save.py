"""A process killed (SIGKILL) in the middle of a save leaves the old file intact.

:mod:`crash_child` runs in its own process and is killed with no chance to clean up:
once at random moments of a loop of saves, once with a write stuck after half its bytes
(the harshest moment: a half-written temporary file beside the lesson), and once in the
window, when File ▸ Save is stuck half-way while Run is on.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from crash_helpers import Child, temp_leftovers
from lesson_files import lesson_copy
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def test_killed_at_random_moments_of_a_save_loop(tmp_path: Path) -> None:
    lesson = lesson_copy(tmp_path)
    rng = random.Random(20240501)
    last = 0
    for _round in range(4):
        child = Child("engine-save-loop", lesson)
        words = child.expect("SAVED")
        for _ in range(rng.randrange(3, 40)):
            words = child.expect("SAVED")
        time.sleep(rng.uniform(0.0, 0.01))  # somewhere inside one of the next saves
        child.kill()
        saved = [int(words[0])] + [int(line.split()[1]) for line in child.rest()]
        printed = saved[-1]  # the last save it finished (and said so) before it died
        trainer = trainer_from_lesson_file(lesson)  # never a half-written file
        # the save under way when killed has either not replaced the file or finished it
        assert trainer.step_count in (printed, printed + 1)
        assert trainer.step_count > last  # each round goes on from where the last stopped
        last = trainer.step_count


def test_killed_with_half_a_file_written(tmp_path: Path) -> None:
    lesson = lesson_copy(tmp_path)
    before = lesson.read_bytes()
    child = Child("engine-half-write", lesson)
    (temp,) = child.expect("MIDSAVE")
    child.kill()
    assert lesson.read_bytes() == before  # the old file, byte for byte
    assert trainer_from_lesson_file(lesson).step_count == 0
    # what the interrupted save leaves is a hidden temporary file, never the lesson itself
    assert [p.name for p in temp_leftovers(tmp_path)] == [Path(temp).name]
    assert 0 < Path(temp).stat().st_size < len(before) * 2
    # and the next save is not disturbed by it
    trainer = trainer_from_lesson_file(lesson)
    trainer.run_steps(7)
    save_trainer(trainer, lesson)
    assert trainer_from_lesson_file(lesson).step_count == 7
    assert temp_leftovers(tmp_path) == []  # the dead save's temporary file is cleaned up


def test_window_killed_while_saving_during_run(qtbot: QtBot, tmp_path: Path) -> None:
    lesson = lesson_copy(tmp_path)
    trained = trainer_from_lesson_file(lesson)
    trained.run_steps(25)
    save_trainer(trained, lesson)  # the file as the teacher last saved it
    before = lesson.read_bytes()
    child = Child("window-save-half-write", lesson)
    running = child.expect("RUNNING")
    child.expect("MIDSAVE")
    child.kill()
    assert int(running[0]) > 200  # it had trained on, unsaved, when it died
    assert lesson.read_bytes() == before
    window = MainWindow(lesson)
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    assert not window.banner.isVisible()  # opened without a problem
    assert window.session.path == lesson
    assert window.session.trainer.step_count == 25
    for a, b in zip(
        trained.network.parameter_arrays(),
        window.session.trainer.network.parameter_arrays(),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
