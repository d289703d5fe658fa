"""The example of the README and docs/pytest-qt.md, verbatim, so their promise is tested."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from bpsim.gui import MainWindow


def test_one_training_step_by_hand(qtbot):
    window = MainWindow()  # the default example: the 2-2-2 worked example (seed 000)
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    with qtbot.waitActive(window):  # keys reach the actions of the active window only
        window.show()
        window.activateWindow()

    forward = window.findChild(QAction, "forward")
    backward = window.findChild(QAction, "backward")
    update = window.findChild(QAction, "update")
    assert not backward.isEnabled()  # backward makes no sense before a forward pass

    with qtbot.waitSignal(window.phaseFinished) as finished:
        forward.trigger()
    assert finished.args == ["forward"]
    assert "Loss 0.184979" in window.status_text()
    assert backward.isEnabled() and not update.isEnabled()

    with qtbot.waitSignal(window.phaseFinished):
        qtbot.keyClick(window, Qt.Key.Key_B)  # the same as Train ▸ Backward
    with qtbot.waitSignal(window.phaseFinished):
        update.trigger()

    w5 = window.session.trainer.network.weights[1][0, 0]  # 0.18 − 0.01 × 0.072952
    assert round(w5, 6) == 0.17927
    assert window.status_text().endswith("Phase: update done")


def test_the_readme_shows_this_very_example():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for page in (root / "README.md", root / "docs" / "pytest-qt.md"):
        text = page.read_text(encoding="utf-8")
        example = text.split("```python\n", 1)[1].split("```", 1)[0]
        assert example.strip() in Path(__file__).read_text(encoding="utf-8"), page.name
