"""CSV import fits the network to the data: input and output sizes, output activation
and loss change with the data in one undoable edit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bpsim.gui.dialogs.csv_import import CsvImportDialog, output_for
from bpsim.gui.state.controller import Controller

FLOWERS = "a,b,c,kind\n1,2,3,x\n2,3,1,y\n3,1,2,z\n1,1,1,x\n2,2,2,y\n"
YES_NO = "size,yes\n1,0\n2,1\n3,1\n"


@pytest.fixture
def make_dialog(qtbot):
    def make(session, text: str, tmp_path: Path) -> tuple[CsvImportDialog, Controller]:
        controller = Controller(session)
        dialog = CsvImportDialog(session, controller)
        qtbot.addWidget(dialog)
        dialog.open()
        path = tmp_path / "data.csv"
        path.write_text(text, encoding="utf-8")
        assert dialog.set_path(path)
        return dialog, controller

    return make


def test_output_and_loss_follow_the_targets() -> None:
    assert output_for(np.eye(3)) == ("softmax", "cross_entropy")
    assert output_for(np.array([[0.0], [1.0]])) == ("sigmoid", "binary_cross_entropy")
    assert output_for(np.array([[0.5], [2.0]])) == ("linear", "mse")


def test_a_class_column_resizes_the_network_in_one_undo(make_dialog, make_session, tmp_path):
    session = make_session("and")  # 2-2-2 sigmoid, ½ sum of squares
    before = session.trainer
    dialog, controller = make_dialog(session, FLOWERS, tmp_path)
    dialog.set_role("kind", "class (one-hot)")
    assert dialog.fit_network.isChecked()
    assert dialog.apply()
    t = session.trainer
    assert t.network.sizes == [3, 2, 3]
    assert t.network.activations[-1].name == "softmax"
    assert t.lesson.loss == "cross_entropy"
    np.testing.assert_array_equal(t.inputs[0], [1, 2, 3])
    assert t.network.labels[0] == ["a", "b", "c"] and t.network.labels[-1] == ["x", "y", "z"]
    # the hidden layer's own weights from the inputs it kept are still there
    np.testing.assert_array_equal(t.network.weights[0][:, :2], before.network.weights[0])
    assert controller.undo_stack.count() == 1
    controller.undo_stack.undo()
    assert session.trainer.network.sizes == [2, 2, 2]
    assert session.trainer.lesson.loss == before.lesson.loss
    np.testing.assert_array_equal(session.trainer.inputs, before.inputs)


def test_unticked_the_old_refusal_stands(make_dialog, make_session, tmp_path) -> None:
    session = make_session("and")
    dialog, _controller = make_dialog(session, YES_NO, tmp_path)
    dialog.set_role("size", "input")
    dialog.set_role("yes", "target")
    dialog.fit_network.setChecked(False)
    assert not dialog.apply()
    assert "does not fit" in dialog.status.text()
    assert session.trainer.network.sizes == [2, 2, 2]
    dialog.fit_network.setChecked(True)
    assert dialog.apply()
    assert session.trainer.network.sizes == [1, 2, 1]
    assert session.trainer.lesson.loss == "binary_cross_entropy"
