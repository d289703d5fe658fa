"""The lesson as a document: save and reopen an edited network, open a bad file, the
question before unsaved work is replaced (answered by the test, never blocking), Open
Recent, Revert, dropping a file on the window, and the modified mark in the title."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import action, open_window
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from bpsim.fileformat import load_lesson
from bpsim.gui import MainWindow
from bpsim.gui.services.documents import MAX_RECENT
from bpsim.gui.state.session import ParameterKey
from bpsim.lessons.examples import DEFAULT_EXAMPLE, find_example

TIMEOUT = 5000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """A shown window whose recent-files list is kept in a settings file of the test's own."""
    win = open_window(qtbot)
    settings = str(tmp_path / "settings.ini")
    win.documents.settings_factory = lambda: QSettings(settings, QSettings.Format.IniFormat)
    return win


def saved_copy(tmp_path: Path, name: str = "lesson.bpsim") -> Path:
    """The default example as a file of the test's own."""
    path = tmp_path / name
    path.write_bytes(DEFAULT_EXAMPLE.path.read_bytes())
    return path


def answer(qtbot: QtBot, window: MainWindow, trigger, button: QMessageBox.StandardButton) -> None:
    """Do ``trigger``, which asks a question, and answer it with ``button``."""
    with qtbot.waitSignal(window.documents.questionAsked, timeout=TIMEOUT) as asked:
        trigger()
    box = asked.args[0]
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert QApplication.activeModalWidget() in (box, None)  # window-modal, not blocking
    box.button(button).click()


# -- save and reopen -------------------------------------------------------------------------


def test_an_edited_network_saves_and_reopens_the_same(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    structure = window.controller.structure
    structure.add_layer(2, 3)
    structure.set_activation(2, "tanh")
    structure.set_link(0, 1, 0, False)
    structure.rename_neuron(2, 1, "middle")
    structure.set_trainable(1, bias=False)
    structure.move_neuron(1, 0, (0.8, -1.4))
    window.controller.set_value(ParameterKey(2, 0, 1), -0.75, "weight")
    target = tmp_path / "edited.bpsim"
    assert window.save(target)
    assert not window.isWindowModified()
    assert "edited.bpsim" in window.windowTitle()

    saved = load_lesson(target)
    assert saved.sizes == [2, 2, 3, 2]
    assert saved.layers[2].activation == "tanh" and saved.layers[2].labels[1] == "middle"
    assert saved.layers[1].mask is not None and saved.layers[1].mask[1, 0] == 0
    assert not saved.layers[1].train_bias
    assert saved.view is not None and saved.view["positions"][1][0] == [0.8, -1.4]

    before = [a.copy() for a in window.session.trainer.network.parameter_arrays()]
    other = MainWindow(target)
    qtbot.addWidget(other)
    assert not other.banner.isVisible()
    net = other.session.trainer.network
    assert net.sizes == [2, 2, 3, 2] and net.labels[2][1] == "middle"
    for got, want in zip(net.parameter_arrays(), before, strict=True):
        np.testing.assert_array_equal(got, want)
    editor = other.panels["network_editor"]
    item = editor.neuron_item(1, 0)
    assert item.x() == pytest.approx(0.8 * editor._sizes.gap)  # the dragged place came back


def test_opening_a_bad_file_keeps_the_open_document(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.controller.structure.add_neuron(1)
    trainer, stack = window.session.trainer, window.controller.undo_stack
    bad = tmp_path / "bad.bpsim"
    data = json.loads(DEFAULT_EXAMPLE.path.read_text(encoding="utf-8"))
    data["layers"][1]["activation"] = "sigmoud"
    bad.write_text(json.dumps(data), encoding="utf-8")
    answer(
        qtbot,
        window,
        lambda: window.documents.request_open(bad),
        QMessageBox.StandardButton.Discard,
    )
    assert window.banner.isVisible()
    assert "bad.bpsim" in window.banner.text() and "layers[1].activation" in window.banner.text()
    assert window.session.trainer is trainer  # nothing replaced
    assert stack.count() == 1 and window.isWindowModified()
    assert window.session.trainer.network.sizes == [2, 3, 2]


# -- asking first ----------------------------------------------------------------------------


def test_unsaved_work_is_asked_about_before_another_file_opens(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = saved_copy(tmp_path)
    window.controller.structure.add_neuron(1)
    answer(
        qtbot,
        window,
        lambda: window.documents.request_open(path),
        QMessageBox.StandardButton.Cancel,
    )
    assert window.session.trainer.network.sizes == [2, 3, 2]  # cancelled: nothing happened
    answer(
        qtbot,
        window,
        lambda: window.documents.request_open(path),
        QMessageBox.StandardButton.Discard,
    )
    assert window.session.path == path and window.session.trainer.network.sizes == [2, 2, 2]
    assert not window.isWindowModified()


def test_save_then_open(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    first = saved_copy(tmp_path, "first.bpsim")
    second = saved_copy(tmp_path, "second.bpsim")
    assert window.open(first)
    window.controller.structure.add_neuron(1)
    answer(
        qtbot,
        window,
        lambda: window.documents.request_open(second),
        QMessageBox.StandardButton.Save,
    )
    assert load_lesson(first).sizes == [2, 3, 2]  # saved before the other file opened
    assert window.session.path == second


def test_new_from_an_example_asks_too(qtbot: QtBot, window: MainWindow) -> None:
    window.controller.structure.add_neuron(1)
    answer(qtbot, window, action(window, "example_xor").trigger, QMessageBox.StandardButton.Discard)
    assert window.session.trainer.lesson.name.startswith("XOR")
    assert window.controller.undo_stack.count() == 0
    action(window, "new_empty").trigger()  # nothing unsaved now: no question
    assert window.session.trainer.network.sizes == [2, 1]
    assert window.session.path is None and "untitled" in window.windowTitle()


# -- the modified mark -----------------------------------------------------------------------


def test_undoing_every_edit_takes_the_mark_away_training_does_not(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert not window.isWindowModified()
    window.controller.structure.add_neuron(1)
    assert window.isWindowModified()
    window.controller.undo_stack.undo()
    assert not window.isWindowModified()
    with qtbot.waitSignal(window.phaseFinished, timeout=TIMEOUT):
        action(window, "step").trigger()
    assert window.isWindowModified()
    window.controller.structure.add_neuron(1)
    window.controller.undo_stack.undo()
    assert window.isWindowModified()  # the step is still unsaved


# -- open recent, revert, drop ---------------------------------------------------------------


def test_open_recent_lists_what_was_opened_and_saved(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    docs = window.documents
    paths = [saved_copy(tmp_path, f"lesson{n}.bpsim") for n in range(MAX_RECENT + 2)]
    for path in paths:
        assert window.open(path)
    saved = tmp_path / "saved.bpsim"
    assert window.save(saved)
    recent = docs.recent_files()
    assert len(recent) == MAX_RECENT
    assert recent[0] == saved.resolve() and recent[1] == paths[-1].resolve()
    assert paths[0].resolve() not in recent
    assert window.open(paths[-1])  # opened again: to the top, not twice
    assert docs.recent_files()[0] == paths[-1].resolve()
    assert len(set(docs.recent_files())) == MAX_RECENT

    menu = window.findChild(QMenu, "open_recent")
    assert menu is not None
    docs.fill_recent_menu()
    first = window.findChild(QAction, "recent_1")
    assert first is not None and first.toolTip() == str(paths[-1].resolve())
    first_other = window.findChild(QAction, "recent_2")
    assert first_other is not None
    first_other.trigger()  # nothing unsaved: opens at once
    assert window.session.path == saved.resolve()

    gone = tmp_path / "gone.bpsim"
    docs.add_recent(gone)
    docs.request_open(gone)
    assert "no such file" in window.banner.text()
    assert gone.resolve() not in docs.recent_files()
    action(window, "clear_recent").trigger()
    assert docs.recent_files() == []


def test_revert_goes_back_to_the_saved_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    revert = action(window, "revert")
    assert not revert.isEnabled()  # no file yet
    path = saved_copy(tmp_path)
    assert window.open(path)
    assert not revert.isEnabled()  # nothing to go back from
    window.controller.structure.add_layer(2)
    assert revert.isEnabled()
    with qtbot.waitSignal(window.documents.questionAsked, timeout=TIMEOUT) as asked:
        revert.trigger()
    box = asked.args[0]
    assert box.objectName() == "revert_question"
    box.button(QMessageBox.StandardButton.Discard).click()  # shown as "Revert"
    assert window.session.trainer.network.sizes == [2, 2, 2]
    assert not window.isWindowModified() and window.controller.undo_stack.count() == 0


def _mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_dropping_a_bpsim_file_opens_it(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    example = find_example("xor")
    assert example is not None
    path = tmp_path / "dropped.bpsim"
    path.write_bytes(example.path.read_bytes())
    text = tmp_path / "notes.txt"
    text.write_text("not a lesson", encoding="utf-8")
    copy = Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

    words = _mime(text)  # kept alive: the event does not own its data
    refused = QDragEnterEvent(QPoint(50, 50), copy, words, buttons, keys)
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()
    mime = _mime(path)
    enter = QDragEnterEvent(QPoint(50, 50), copy, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), copy, mime, buttons, keys)
    QApplication.sendEvent(window, drop)
    assert window.session.path == path
    assert window.session.trainer.lesson.name.startswith("XOR")
