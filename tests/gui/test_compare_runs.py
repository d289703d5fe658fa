"""Compare runs: the same start trained with two learning rates or optimizers, the loss
curves overlaid, the lesson on screen untouched."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import open_window
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.panels.compare_runs import CompareRuns

TIMEOUT = 10000


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    return open_window(qtbot, animate=False)


def panel_of(window: MainWindow) -> CompareRuns:
    action = window.findChild(QAction, "compare_runs")
    assert action is not None
    action.trigger()  # Teach ▸ Compare runs…
    dock = window.findChild(QDockWidget, "compare_runs_dock")
    assert dock is not None and dock.isVisible()
    panel = window.findChild(CompareRuns, "compare_runs")
    assert panel is not None
    return panel


def test_two_learning_rates_from_the_same_start(qtbot: QtBot, window: MainWindow) -> None:
    panel = panel_of(window)
    trainer = window.session.trainer
    flat = trainer.network.flat.copy()
    panel.set_variant(0, "sgd", 0.1)
    panel.set_variant(1, "sgd", 1.0)
    panel.steps.setValue(60)
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        window.findChild(QPushButton, "compare_train").click()
    (xa, ya), (_, yb) = panel.curve_data(0), panel.curve_data(1)
    assert len(ya) == len(yb) == 60
    assert np.array_equal(xa, np.arange(1, 61))
    assert ya[0] == yb[0] == pytest.approx(0.184979, abs=1e-6)  # the same first step
    assert yb[-1] < ya[-1]  # ten times the learning rate goes down faster here
    assert "step 60" in panel.summaries[1].text()
    # the lesson on screen never moved
    assert trainer.step_count == 0 and np.array_equal(trainer.network.flat, flat)


def test_two_optimizers_and_a_bad_learning_rate(qtbot: QtBot, window: MainWindow) -> None:
    panel = panel_of(window)
    panel.set_variant(0, "sgd", 0.5)
    panel.set_variant(1, "adam", 0.05)
    window.findChild(QLineEdit, "compare_learning_rate_b").setText("fast")
    assert not panel.start()
    assert "run B, learning rate" in panel.problem.text()
    assert panel.comparison is None
    panel.set_variant(1, "adam", 0.05)
    panel.steps.setValue(40)
    assert panel.start()
    labels = panel.comparison.labels
    assert labels == ["A: SGD, η = 0.5", "B: Adam, η = 0.05"]
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        pass
    runs = panel.comparison.runs
    assert [r.trainer.step_count for r in runs] == [40, 40]
    assert runs[1].trainer.optimizer.name == "adam"
    # both began with the very same parameters
    start, initial = panel.comparison.start, window.session.trainer.initial
    assert all(np.array_equal(a, b) for a, b in zip(start.weights, initial.weights, strict=True))
