"""Data ▸ New data set… and Import MNIST (IDX)…, and the data panels in the window."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import open_window
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QWidget

from bpsim.datasets import load_builtin
from bpsim.gui.dialogs.idx_import import IdxImportDialog
from bpsim.gui.dialogs.new_dataset import NewDatasetDialog
from bpsim.gui.shell.main_window import MainWindow
from bpsim.gui.state.controller import Controller


def idx_file(path: Path, array: np.ndarray) -> Path:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())
    return path


@pytest.fixture
def window(qtbot) -> MainWindow:
    return open_window(qtbot, size=(1600, 1000))


# -- New data set ---------------------------------------------------------------------------


def test_new_builtin_data_set_with_options(qtbot, make_session) -> None:
    session = make_session("xor")
    controller = Controller(session)
    dialog = NewDatasetDialog(session, controller)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.set_dataset("moons")
    assert set(dialog.option_widgets) == {"size", "noise", "seed", "one_hot"}
    dialog.set_option("size", 60)
    dialog.set_option("noise", 0.2)
    dialog.set_option("seed", 7)
    assert "60 samples · 2 inputs → 1 target: fits this network" in dialog.status.text()
    assert dialog.apply()
    expected = load_builtin("moons", {"size": 60, "noise": 0.2, "seed": 7, "one_hot": False})
    np.testing.assert_array_equal(session.trainer.inputs, expected.inputs)
    assert session.trainer.lesson.dataset.source == {
        "builtin": "moons",
        "size": 60,
        "noise": 0.2,
        "seed": 7,
        "one_hot": False,
    }
    assert controller.undo_stack.undoText() == "Data set moons"
    controller.undo_stack.undo()
    assert session.trainer.inputs.shape == (4, 2)


def test_a_data_set_that_does_not_fit_is_refused_with_a_hint(qtbot, make_session) -> None:
    session = make_session("and")  # two outputs: two-class data need one-hot targets
    dialog = NewDatasetDialog(session, Controller(session))
    qtbot.addWidget(dialog)
    dialog.set_dataset("circle")
    assert dialog.options()["one_hot"] is True  # suggested for two outputs
    assert dialog.problem_text() == ""
    dialog.set_option("one_hot", False)
    assert "does not fit" in dialog.problem_text()
    assert "Turn One hot on to fit" in dialog.problem_text()
    assert not dialog.use_button.isEnabled()
    dialog.set_dataset("iris")
    assert "4 inputs per row" in dialog.problem_text()
    assert not dialog.apply()
    assert session.trainer.inputs.shape == (4, 2)


# -- MNIST --------------------------------------------------------------------------------


def test_idx_import_into_a_fitting_network(qtbot, make_session, tmp_path) -> None:
    session = make_session("digits")  # 64 inputs, 10 outputs: 8×8 "MNIST"
    controller = Controller(session)
    dialog = IdxImportDialog(session, controller)
    qtbot.addWidget(dialog)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(30, 8, 8))
    labels = np.arange(30) % 10
    dialog.set_paths(
        idx_file(tmp_path / "img-idx3-ubyte", images), idx_file(tmp_path / "lab-idx1-ubyte", labels)
    )
    assert "images: 30 × 8 × 8 unsigned bytes; labels: 30 unsigned bytes" in dialog.status.text()
    dialog.samples.setValue(20)
    assert dialog.apply()
    assert session.trainer.inputs.shape == (20, 64)
    np.testing.assert_allclose(session.trainer.inputs[0], images[0].ravel() / 255)
    np.testing.assert_array_equal(session.trainer.targets.argmax(axis=1), labels[:20])


def test_idx_that_does_not_fit_offers_seed002s_network(qtbot, window, tmp_path) -> None:
    images = np.zeros((12, 28, 28))
    images[:, 10:18, 12:16] = 255
    labels = np.arange(12) % 10
    window.findChild(QAction, "import_idx").trigger()
    dialog = window.data_views.dialog
    assert isinstance(dialog, IdxImportDialog)
    dialog.set_paths(idx_file(tmp_path / "i", images), idx_file(tmp_path / "l", labels))
    assert not dialog.apply()  # the worked example has 2 inputs
    assert "784 inputs per row, but the input layer has 2" in dialog.problem_text()
    assert dialog.new_button.isEnabled()
    dialog.new_lesson()
    trainer = window.session.trainer
    assert trainer.network.sizes == [784, 20, 20, 10]
    assert trainer.inputs.shape == (12, 784) and window.isWindowModified()
    data_panel = window.data_views.panels["data_panel"]
    assert data_panel.tabs.isTabEnabled(2)  # 28×28 pictures


def test_a_broken_idx_file_is_named(qtbot, make_session, tmp_path) -> None:
    session = make_session("digits")
    dialog = IdxImportDialog(session, Controller(session))
    qtbot.addWidget(dialog)
    broken = tmp_path / "train-images.zip"
    broken.write_bytes(b"PK\x03\x04zipped")
    dialog.set_paths(broken, broken)
    assert "train-images.zip" in dialog.problem_text() and "zip archive" in dialog.problem_text()
    assert not dialog.apply()
    assert session.trainer.inputs.shape == (1797, 64)


# -- in the window ------------------------------------------------------------------------


def test_the_window_has_the_data_docks_and_menu(window: MainWindow) -> None:
    names = ["data_panel", "metrics", "decision_map", "landscape", "descent"]
    for name in names:
        dock = window.findChild(QDockWidget, f"{name}_dock")
        assert dock is not None and dock.widget() is window.data_views.holders[name]
        assert window.data_views.panels[name].objectName() == name  # built when asked for
        assert window.findChild(QWidget, name) is window.data_views.panels[name]
        toggle = window.findChild(QAction, f"show_{name}")
        assert toggle is not None and toggle.toolTip() and toggle.statusTip()
    for name in ("new_dataset", "import_csv", "import_idx"):
        action = window.findChild(QAction, name)
        assert action is not None and action.toolTip() and action.statusTip()
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert "Data" in menus and menus.index("Data") < menus.index("View")
    # the window's own panels stay in front; the rarer ones start hidden
    assert window.docks["loss_plot"].isVisible() and window.docks["parameter_table"].isVisible()
    assert not window.data_views.docks["landscape"].isVisible()
    window.findChild(QAction, "show_landscape").trigger()
    assert window.data_views.docks["landscape"].isVisible()


def test_panels_are_built_when_first_shown(qtbot, window: MainWindow) -> None:
    views = window.data_views
    assert not views.panels.built("decision_map") and not views.panels.built("landscape")
    for _ in range(3):
        window.session.step()  # before the landscape exists
    window.findChild(QAction, "show_landscape").trigger()
    assert views.panels.built("landscape")
    landscape = views.panels["landscape"]
    assert len(landscape.path) == 4  # the start and three steps, recorded all along
    window.session.step()
    assert len(landscape.path) == 5


def test_hovering_and_selecting_reach_the_views(qtbot, window: MainWindow) -> None:
    window.findChild(QAction, "show_decision_map").trigger()
    decision = window.data_views.panels["decision_map"]
    editor = window.panels["network_editor"]
    editor.neuronHovered.emit(("neuron", 1, 0))
    assert decision.current_map.kind == "neuron" and decision.current_map.layer == 1
    landscape = window.data_views.panels["landscape"]
    table = window.panels["parameter_table"]
    from bpsim.gui.state.session import ParameterKey

    before = landscape.pair
    table.select_parameter(ParameterKey(0, 1, 1))
    assert landscape.pair == ((0, (1, 1)), before[0])
