"""Import CSV: columns picked as inputs, targets or a one-hot class, optional
standardising, a preview; bad files get a clear message in the dialog and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QAction

from bpsim.gui.dialogs.csv_import import CsvImportDialog
from bpsim.gui.state.controller import Controller
from bpsim.lessons.files import save_trainer

XOR_CSV = "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"


@pytest.fixture
def make_dialog(qtbot):
    def make(session) -> tuple[CsvImportDialog, Controller]:
        controller = Controller(session)
        dialog = CsvImportDialog(session, controller)
        qtbot.addWidget(dialog)
        dialog.open()
        return dialog, controller

    return make


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_replaces_the_data_and_is_undoable(make_dialog, make_session, tmp_path) -> None:
    session = make_session("xor")
    dialog, controller = make_dialog(session)
    path = write(tmp_path, "a,b,label\n0.5,0.5,1\n0,1,1\n1,0,1\n1,1,0\n0,0,0\n")
    assert dialog.set_path(path)
    assert dialog.roles() == ["input", "input", "target"]  # suggested
    assert dialog.preview.rowCount() == 5 and dialog.preview.columnCount() == 3
    assert "fits this network" in dialog.status.text()
    old_inputs = session.trainer.inputs
    assert dialog.apply()
    assert not dialog.isVisible()
    trainer = session.trainer
    assert trainer.inputs.shape == (5, 2) and trainer.inputs[0].tolist() == [0.5, 0.5]
    assert trainer.targets[:, 0].tolist() == [1, 1, 1, 0, 0]
    assert controller.undo_stack.undoText() == "Import data.csv"
    controller.undo_stack.undo()
    assert session.trainer.inputs is old_inputs


def test_standardise_and_ignore_columns(make_dialog, make_session, tmp_path) -> None:
    session = make_session("house-prices")  # 1 input, 1 target
    dialog, _ = make_dialog(session)
    dialog.set_path(write(tmp_path, "id,size,price\n1,100,200\n2,200,350\n3,300,410\n"))
    dialog.set_role("id", "ignore")
    dialog.standardize.setChecked(True)
    dialog.refresh()
    assert dialog.apply()
    x = session.trainer.inputs[:, 0]
    assert x.mean() == pytest.approx(0.0, abs=1e-12) and x.std() == pytest.approx(1.0)
    assert session.trainer.targets[:, 0].tolist() == [200, 350, 410]


def test_a_class_column_becomes_one_hot_targets(make_dialog, make_session, tmp_path) -> None:
    session = make_session("and")  # two outputs
    dialog, _ = make_dialog(session)
    dialog.set_path(write(tmp_path, "x1,x2,answer\n0,0,no\n1,1,yes\n0,1,no\n"))
    assert dialog.roles()[-1] == "class (one-hot)"  # text: a class column
    assert dialog.apply()
    np.testing.assert_array_equal(session.trainer.targets, [[1, 0], [0, 1], [1, 0]])
    assert session.trainer.lesson.dataset.target_names == ["no", "yes"]


BAD_FILES = [
    ("a,b,label\n0,0,0\n0,x,1\n", "row 3, column 'b': 'x' is not a number"),
    ("a,b,label\n0,0,0\n0,1\n", "row 3: 2 values; expected 3"),
    ("", "the file is empty"),
    ("a,b,label\n", "no data rows"),
    ("a,b,label\n0,0,0\n0,1,1e999\n", "not a finite number"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_files_say_why_and_change_nothing(
    make_dialog, make_session, tmp_path, text: str, message: str
) -> None:
    session = make_session("xor")
    dialog, controller = make_dialog(session)
    inputs, targets = session.trainer.inputs, session.trainer.targets
    dialog.set_path(write(tmp_path, text))
    if dialog.path is not None and dialog.columns.rowCount() == 3:
        for column, role in enumerate(("input", "input", "target")):
            dialog.set_role(column, role)  # a bad value may hide below the preview
    if dialog.path is not None:
        assert not dialog.apply()
    assert message in dialog.problem_text()
    assert message in dialog.status.text()  # shown in the dialog itself
    assert dialog.isVisible()  # stays open to fix the choice
    assert session.trainer.inputs is inputs and session.trainer.targets is targets
    assert controller.undo_stack.count() == 0


def test_a_missing_file_and_data_that_do_not_fit(make_dialog, make_session, tmp_path) -> None:
    session = make_session("xor")
    dialog, controller = make_dialog(session)
    assert not dialog.set_path(tmp_path / "nothing.csv")
    assert "file not found" in dialog.problem_text()
    assert not dialog.use_button.isEnabled()
    dialog.set_path(write(tmp_path, "a,b,c,label\n0,0,0,1\n1,1,1,0\n"))
    assert dialog.roles() == ["input", "input", "input", "target"]
    dialog.fit_network.setChecked(False)  # keep the network as it is: refused
    assert not dialog.apply()
    assert "does not fit this network" in dialog.problem_text()
    assert "3 inputs per row, but the input layer has 2 neurons" in dialog.problem_text()
    dialog.set_role("c", "ignore")
    dialog.set_role("label", "class (one-hot)")  # 2 classes: 2 targets, 1 output
    assert "2 targets per row" in dialog.problem_text()
    dialog.set_role("label", "target")
    assert dialog.problem_text() == "" and dialog.use_button.isEnabled()
    assert controller.undo_stack.count() == 0


def test_the_lesson_refers_to_the_file_when_saved_beside_it(
    make_dialog, make_session, tmp_path
) -> None:
    session = make_session("xor")
    dialog, _ = make_dialog(session)
    dialog.set_path(write(tmp_path, XOR_CSV))
    assert dialog.apply()
    save_trainer(session.trainer, tmp_path / "lesson.bpsim")
    saved = json.loads((tmp_path / "lesson.bpsim").read_text(encoding="utf-8"))
    assert saved["dataset"]["csv"] == "data.csv"
    assert saved["dataset"]["inputs"] == ["a", "b"]
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    save_trainer(session.trainer, elsewhere / "lesson.bpsim")
    copied = json.loads((elsewhere / "lesson.bpsim").read_text(encoding="utf-8"))
    assert copied["dataset"]["inputs"] == [[0, 0], [0, 1], [1, 0], [1, 1]]  # the rows


def test_the_menu_opens_the_dialog_without_blocking(qtbot, tmp_path) -> None:
    from bpsim.gui.shell.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    action = window.findChild(QAction, "import_csv")
    assert action is not None and action.toolTip() and action.statusTip()
    action.trigger()  # returns at once: open(), not exec()
    dialog = window.data_views.dialog
    assert isinstance(dialog, CsvImportDialog) and dialog.isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: window.data_views.dialog is None)
