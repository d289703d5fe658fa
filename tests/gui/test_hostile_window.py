"""Hostile input in the window (issue 16): it refuses what the command line refuses, with
the same message as a plain-text banner, and keeps the open lesson; every save and
autosave writes a file that loads; a file another program changed is not overwritten
without asking; long work runs off the GUI thread with progress and Cancel."""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from bpsim.cli.main import main as cli_main
from bpsim.core.gradcheck import numeric_gradient, plan_check
from bpsim.datasets import DatasetError, load_csv
from bpsim.gui import MainWindow
from bpsim.gui.dialogs.csv_import import CsvImportDialog
from bpsim.gui.dialogs.idx_import import IdxImportDialog
from bpsim.gui.dialogs.new_dataset import NewDatasetDialog
from bpsim.gui.panels.parameters.gradcheck_task import SampledCheck
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.state.controller import Controller
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file, trainer_from_text

TIMEOUT = 10000


@pytest.fixture
def make_window(qtbot: QtBot):
    def make(path: str | Path | None = None) -> MainWindow:
        win = MainWindow(path)
        qtbot.addWidget(win, before_close_func=lambda w: w.setWindowModified(False))
        win.show()
        return win

    return make


def xor_text(example_name: str = "xor", **changes: object) -> str:
    example = find_example(example_name)
    assert example is not None
    data = json.loads(example.path.read_text(encoding="utf-8"))
    data.update(changes)
    return json.dumps(data)


def wide_digits(hidden: int = 15000) -> str:
    """The digits lesson as 64-HIDDEN-10: about 1.1 million parameters from a small file."""
    data = json.loads(xor_text("digits"))
    first, *_, last = data["layers"]
    data["layers"] = [first, {"size": hidden, "activation": "sigmoid"}, last]
    data.pop("parameters", None)
    return json.dumps(data)


def cli_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The command line's one-line refusal, without its ``error: `` prefix."""
    assert cli_main(list(args)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    return err.removeprefix("error: ")


def lesson_state(window: MainWindow) -> tuple[str | None, bytes]:
    trainer = window.session.trainer
    return trainer.lesson.name, trainer.network.flat.tobytes()


# -- refusals: the command line's message, at once, the lesson kept ---------------------


def test_a_fifo_is_refused_at_once_with_the_cli_message(
    make_window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.bpsim"
    os.mkfifo(fifo)
    window = make_window()
    window.session.step()
    before = lesson_state(window)
    assert not window.open(fifo)  # returns: a FIFO is never opened for reading
    assert window.problem_text() == cli_error(capsys, "check", str(fifo))
    assert "FIFO" in window.problem_text() and str(fifo) in window.problem_text()
    assert lesson_state(window) == before


def test_a_lesson_too_big_for_the_machine_is_refused_naming_the_key(
    make_window, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setenv("BPSIM_MEMORY_AVAILABLE", str(64 * 2**20))  # a small machine
    big = tmp_path / "big.bpsim"
    big.write_text(wide_digits(), encoding="utf-8")
    window = make_window()
    before = lesson_state(window)
    assert not window.open(big)
    assert window.problem_text() == cli_error(capsys, "check", str(big))
    assert "15,000 neurons" in window.problem_text() and "memory" in window.problem_text()
    assert lesson_state(window) == before


def test_a_lesson_of_a_hundred_thousand_layers_is_refused_at_once(
    make_window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.bpsim"
    layers = [{"size": 2}] + [{"size": 1, "activation": "sigmoid"}] * 100_000
    deep.write_text(xor_text(layers=layers), encoding="utf-8")
    window = make_window()
    before = lesson_state(window)
    assert not window.open(deep)
    assert window.problem_text() == cli_error(capsys, "check", str(deep))
    assert "layers: 100,001 layers; at most 1,000" in window.problem_text()
    assert lesson_state(window) == before


def test_a_file_name_with_control_characters_stays_one_line(make_window, tmp_path) -> None:
    window = make_window()
    assert not window.open(tmp_path / "a\nb\x1b[2J.bpsim")
    text = window.problem_text()
    assert "\n" not in text and "\x1b" not in text and "a\\nb\\x1b[2J.bpsim" in text


def test_html_from_a_file_shows_as_plain_text(make_window, tmp_path: Path) -> None:
    name = '<b>x</b><img src="file:///etc/passwd">'
    bad = tmp_path / "html.bpsim"
    bad.write_text(xor_text(name=name, loss="<i>nope</i>"), encoding="utf-8")
    window = make_window()
    assert not window.open(bad)
    label = window.banner.label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "<i>nope</i>" in label.text()
    window.banner.show_message(f"Could not use {name}")
    assert label.textFormat() == Qt.TextFormat.PlainText and name in label.text()


def test_a_built_in_lessons_name_opens_it_unsaved(make_window) -> None:
    window = make_window("xor")
    example = find_example("xor")
    assert example is not None
    assert window.session.trainer.lesson.name == trainer_from_lesson_file(example.path).lesson.name
    assert window.session.path is None and window.problem_text() == ""  # never the bundled file
    other = make_window()
    assert other.open("and") and other.session.path is None
    assert "AND" in (other.session.trainer.lesson.name or "")


# -- saving: always something that loads, never over another program's changes -----------


def adam_lesson(tmp_path: Path) -> Path:
    path = tmp_path / "adam.bpsim"
    path.write_text(xor_text(optimizer={"name": "adam", "learning_rate": 0.01}), encoding="utf-8")
    return path


def overflow_adam(window: MainWindow) -> None:
    """Three steps of Adam, then its exp_avg_sq overflows (as a gradient of 1e160 would)."""
    for _ in range(3):
        window.session.step()
    window.session.trainer.optimizer.buffers()["exp_avg_sq"][0][0, 0] = math.inf


def test_save_after_the_optimizer_state_overflowed_writes_a_file_that_loads(
    make_window, tmp_path: Path
) -> None:
    window = make_window(adam_lesson(tmp_path))
    overflow_adam(window)
    flat = window.session.trainer.network.flat.copy()
    out = tmp_path / "out.bpsim"
    assert window.save(out)
    assert window.banner.kind == "warning"
    text = window.problem_text()
    assert text.startswith("Saved out.bpsim without the optimizer's state")
    assert "exp_avg_sq" in text
    again = trainer_from_lesson_file(out)
    assert np.array_equal(again.network.flat, flat) and again.step_count == 3
    assert not window.isWindowModified()


def test_the_recovery_autosave_also_writes_a_file_that_loads(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("BPSIM_RECOVERY_DIR", str(tmp_path / "recovery"))
    window = MainWindow(adam_lesson(tmp_path), recovery=True)
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    overflow_adam(window)
    assert window.recovery is not None
    assert window.recovery.autosave(wait=True)
    saved = window.recovery.files.lesson
    assert trainer_from_lesson_file(saved).step_count == 3


def test_a_file_changed_by_another_program_is_not_overwritten_without_asking(
    qtbot: QtBot, make_window, tmp_path: Path
) -> None:
    path = tmp_path / "mine.bpsim"
    path.write_text(xor_text(name="mine"), encoding="utf-8")
    window = make_window(path)
    window.session.step()
    theirs = xor_text(name="theirs, written by another program")
    path.write_text(theirs, encoding="utf-8")
    assert not window.save()  # from a test: no dialog, a question in the banner
    assert path.read_text(encoding="utf-8") == theirs
    assert "changed by another program" in window.problem_text()
    assert window.isWindowModified()
    anyway, revert = window.banner.answer_buttons()
    assert (anyway.objectName(), revert.objectName()) == (
        "message_banner_save_anyway",
        "message_banner_reload_from_disk",
    )
    anyway.click()
    assert trainer_from_lesson_file(path).lesson.name == "mine"
    assert not window.isWindowModified()
    window.show_problem("another message")
    assert window.banner.answer_buttons() == [] and not anyway.isVisible()
    # once saved here, saving again needs no question; a change after that does
    window.session.step()
    assert window.save()
    path.write_text(theirs, encoding="utf-8")
    window.session.step()
    assert not window.save()
    assert window.save(overwrite=True)
    assert trainer_from_lesson_file(path).step_count == 3


# -- long work off the GUI thread --------------------------------------------------------


def test_ctrl_g_on_a_big_network_checks_in_the_background(
    qtbot: QtBot, make_window, tmp_path: Path
) -> None:
    path = tmp_path / "wide.bpsim"
    path.write_text(wide_digits(3000), encoding="utf-8")
    window = make_window(path)
    flat = window.session.trainer.network.flat.copy()
    table = window.parameter_table
    said: list[str] = []
    table.gradientsChecked.connect(said.append)
    window.action("check_gradients").trigger()  # Ctrl+G: returns at once
    task = table.gradient_checks.task
    assert task is not None and task.running()
    answered: list[bool] = []
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):  # the loop goes on
        QTimer.singleShot(0, lambda: (answered.append(task.running()), window.session.forward()))
    assert answered == [True]  # a queued call ran while the check was running
    qtbot.waitUntil(lambda: bool(said), timeout=60000)
    (text,) = said
    # a forward pass changes no weight: the check still holds and is shown
    assert "parameters chosen at random (seed 0" in text and "✓ passed" in text
    model = table.parameter_model
    assert model.check_columns_shown()
    check = model.gradient_check()
    assert isinstance(check, SampledCheck) and 20 <= check.checked < check.total
    assert np.array_equal(window.session.trainer.network.flat, flat)
    # the numbers bpsim check gives (the count depends on the machine's pace)
    trainer = window.session.trainer
    rows = trainer.next_batch()
    x, t = trainer.inputs[rows], trainer.targets[rows]
    checked = [np.flatnonzero(np.isfinite(a.reshape(-1))) for a in check.numeric]
    assert sum(map(len, checked)) == check.checked
    for n, positions in enumerate(checked):
        for position in positions[:3]:
            expected = numeric_gradient(trainer.network, n, int(position), x, t)
            assert check.numeric[n].reshape(-1)[position] == expected
    assert "not among the parameters" in table.parameter_model._check_tooltip(0, 0, "w")
    assert check.checked < plan_check(trainer.network, x, t).total


def test_cancel_stops_the_check_and_changes_nothing(qtbot: QtBot, make_session) -> None:
    session = make_session("digits")
    trainer = trainer_from_text(wide_digits())  # 1.1 million parameters
    session.replace_trainer(trainer, None)
    table = ParameterTable(session, Controller(session))
    qtbot.addWidget(table)
    before = trainer.network.flat.tobytes(), trainer.export_state()
    assert table.check_gradients() is False  # not done yet: in the background
    task = table.gradient_checks.task
    assert task is not None and task.running()
    with qtbot.waitSignal(task.progressed, timeout=TIMEOUT):
        pass
    said: list[str] = []
    table.gradientsChecked.connect(said.append)
    with qtbot.waitSignal(task.cancelled, timeout=TIMEOUT):
        task.dialog.findChild(QPushButton).click()  # the dialog's Cancel button
    assert len(said) == 1 and "cancelled after" in said[0] and "nothing changed" in said[0]
    assert not task.running() and not task.dialog.isVisible()
    assert (trainer.network.flat.tobytes(), trainer.export_state()) == before
    assert table.parameter_model.gradient_check() is None


# -- the data dialogs -------------------------------------------------------------------


def test_the_csv_dialog_refuses_a_fifo_at_once_as_load_csv_does(
    qtbot: QtBot, make_session, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    session = make_session("xor")
    dialog = CsvImportDialog(session, Controller(session))
    qtbot.addWidget(dialog)
    inputs = session.trainer.inputs.copy()
    assert not dialog.set_path(fifo)  # returns: the FIFO is never opened for reading
    with pytest.raises(DatasetError) as refused:
        load_csv(fifo, inputs=[0], targets=[1])
    assert dialog.problem_text() == str(refused.value)
    assert "FIFO" in dialog.status.text() and not dialog.use_button.isEnabled()
    assert dialog.status.textFormat() == Qt.TextFormat.PlainText
    assert np.array_equal(session.trainer.inputs, inputs)


def test_the_idx_dialog_refuses_a_fifo_at_once(qtbot: QtBot, make_session, tmp_path) -> None:
    fifo = tmp_path / "images-idx3-ubyte"
    os.mkfifo(fifo)
    session = make_session("digits")
    dialog = IdxImportDialog(session, Controller(session))
    qtbot.addWidget(dialog)
    dialog.set_paths(fifo, fifo)
    assert "FIFO" in dialog.problem_text() and str(fifo) in dialog.problem_text()
    assert not dialog.apply() and not dialog.new_lesson()
    assert session.trainer.inputs.shape == (1797, 64)


def test_new_data_set_use_at_a_large_size_makes_it_off_the_gui_thread(
    qtbot: QtBot, make_session, monkeypatch
) -> None:
    from bpsim.gui.dialogs import new_dataset

    session = make_session("xor")
    controller = Controller(session)
    dialog = NewDatasetDialog(session, controller)
    qtbot.addWidget(dialog)
    dialog.set_dataset("moons")
    dialog.set_option("size", 200_000)
    # the work waits until the GUI thread has run a queued call: it cannot finish first
    gui_ran = threading.Event()
    made_on: list[bool] = []
    real = new_dataset.load_builtin

    def slow_load(name: str, options: dict[str, object]) -> object:
        made_on.append(threading.current_thread() is threading.main_thread())
        assert gui_ran.wait(TIMEOUT / 1000)
        return real(name, options)

    monkeypatch.setattr(new_dataset, "load_builtin", slow_load)
    with qtbot.waitSignal(dialog.applied, timeout=TIMEOUT):
        assert dialog.apply() is False  # not yet: in the background
        task = dialog.task
        assert task is not None and task.running() and not dialog.use_button.isEnabled()
        QTimer.singleShot(0, gui_ran.set)
    assert made_on == [False]
    assert session.trainer.inputs.shape == (200_000, 2)
    assert controller.undo_stack.undoText() == "Data set moons"


def test_the_progress_dialog_cancels_a_big_data_set(qtbot: QtBot, make_session, monkeypatch):
    from bpsim.gui.dialogs import new_dataset

    session = make_session("xor")
    dialog = NewDatasetDialog(session, Controller(session))
    qtbot.addWidget(dialog)
    dialog.set_dataset("moons")
    dialog.set_option("size", 200_000)
    release = threading.Event()
    real = new_dataset.load_builtin
    monkeypatch.setattr(
        new_dataset, "load_builtin", lambda n, o: (release.wait(TIMEOUT / 1000), real(n, o))[1]
    )
    inputs = session.trainer.inputs
    dialog.apply()
    task = dialog.task
    assert task is not None
    with qtbot.waitSignal(task.cancelled, timeout=TIMEOUT):
        task.dialog.findChild(QPushButton).click()
        release.set()
    assert session.trainer.inputs is inputs and "unchanged" in dialog.problem_text()
    assert dialog.use_button.isEnabled()
