"""Presentation mode: full screen, the projector theme, a big readout, and a clicker's
Page Down / Page Up stepping through forward, backward and update."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from bpsim.cli.main import main
from bpsim.core.trainer import Phase
from bpsim.gui import MainWindow
from bpsim.gui.services.presentation import phase_states, split_status
from bpsim.gui.style import palette
from bpsim.lessons.examples import DEFAULT_EXAMPLE

pytestmark = pytest.mark.usefixtures("light_drawing_afterwards")


def _page_down(qtbot: QtBot, window: MainWindow) -> str:
    with qtbot.waitSignal(window.phaseFinished) as finished:
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    return str(finished.args[0])


def test_f11_presents_full_screen_in_the_projector_theme(qtbot: QtBot, window: MainWindow) -> None:
    presentation = window.presentation
    with qtbot.waitSignal(presentation.toggled) as toggled:
        qtbot.keyClick(window, Qt.Key.Key_F11)
    assert toggled.args == [True]
    assert window.isFullScreen()
    assert window.appearance.theme.name == "high_contrast"
    assert window.appearance.zoom == 1.5
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    readout = presentation.readout
    assert readout.isVisible()
    assert readout.loss.text() == "Loss —"  # nothing computed yet
    # on this small (offscreen) screen the readout shrinks to fit, still larger than text
    assert readout.loss.font().pointSizeF() > window.font().pointSizeF()
    assert readout.minimumSizeHint().width() <= window.width()

    with qtbot.waitSignal(presentation.toggled):
        qtbot.keyClick(window, Qt.Key.Key_F11)
    assert not window.isFullScreen()
    assert (window.appearance.theme.name, window.appearance.zoom) == ("light", 1.0)
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert not readout.isVisible()


def test_the_readout_is_large_on_a_projector_sized_window(qtbot: QtBot, window: MainWindow) -> None:
    window.presentation.enter(full_screen=False)
    window.resize(QSize(1920, 1080))
    qtbot.waitUntil(lambda: window.presentation.readout.width() >= 1900)
    readout = window.presentation.readout
    assert readout.loss.font().pointSizeF() >= 2 * window.font().pointSizeF()
    assert window.font().pointSizeF() == pytest.approx(1.5 * QApplication.font().pointSizeF())
    assert window.minimumSizeHint().width() <= 1920


def test_page_down_steps_through_the_phases_like_a_clicker(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.presentation.enter()
    readout = window.presentation.readout
    assert _page_down(qtbot, window) == "forward"
    assert readout.loss.text() == "Loss 0.184979"
    assert readout.marks["forward"].property("state") == "done"
    assert readout.marks["backward"].property("state") == "next"
    assert readout.marks["backward"].text() == "▶ backward"  # said by a sign, not colour only
    assert _page_down(qtbot, window) == "backward"
    assert readout.marks["update"].text() == "▶ update"
    assert _page_down(qtbot, window) == "update"
    w5 = window.session.trainer.network.weights[1][0, 0]
    assert round(w5, 6) == 0.17927  # 0.18 − 0.01 × 0.072952
    assert [readout.marks[n].property("state") for n in ("forward", "backward", "update")] == [
        "done",
        "done",
        "done",
    ]
    assert _page_down(qtbot, window) == "forward"  # the next step begins
    assert window.session.trainer.step_count == 1
    assert "Step 2" in readout.position.text()


def test_page_up_steps_back_with_the_rewind(qtbot: QtBot, window: MainWindow) -> None:
    window.presentation.enter(full_screen=False)
    _page_down(qtbot, window)
    _page_down(qtbot, window)
    assert window.session.trainer.phase is Phase.BACKWARDED
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: window.session.trainer.phase is Phase.FORWARDED)
    assert window.presentation.readout.marks["backward"].property("state") == "next"
    assert "PgUp" in window.presentation.legend_text()


def test_page_keys_do_nothing_outside_presentation_mode(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # the table's scrolling key, not a phase
    assert window.session.trainer.phase is Phase.READY
    assert not window.findChild(QAction, "next_phase").isEnabled()


def test_page_down_pauses_a_run(qtbot: QtBot, window: MainWindow) -> None:
    window.presentation.enter(full_screen=False)
    with qtbot.waitSignal(window.runningChanged):
        window.findChild(QAction, "run").trigger()
    with qtbot.waitSignal(window.runningChanged) as changed:
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert changed.args == [False]


def test_the_key_legend_switches_with_k(qtbot: QtBot, window: MainWindow) -> None:
    window.presentation.enter(full_screen=False)
    legend = window.presentation.readout.legend
    assert legend.isVisible()
    for key in ("PgDown", "F11", "Space", "Ctrl+="):
        assert key in legend.text()
    with qtbot.waitSignal(window.presentation.preferencesChanged):
        qtbot.keyClick(window, Qt.Key.Key_K)
    assert not legend.isVisible()
    assert not window.presentation.key_legend_wanted()


def test_escape_leaves_and_zoom_is_remembered_for_presenting(
    qtbot: QtBot, window: MainWindow
) -> None:
    presentation = window.presentation
    presentation.enter()
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert window.appearance.zoom == 1.75
    with qtbot.waitSignal(presentation.toggled):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not presentation.is_active()
    assert window.appearance.zoom == 1.0
    presentation.enter(full_screen=False)
    assert window.appearance.zoom == 1.75


def test_panels_closed_while_presenting_come_back_afterwards(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.presentation.enter(full_screen=False)
    window.docks["loss_plot"].close()  # more room for the network, for the class
    assert not window.docks["loss_plot"].isVisible()
    window.presentation.leave()
    assert window.docks["loss_plot"].isVisible()


def test_keys_of_menu_only_actions_still_work_with_the_menu_bar_hidden(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.presentation.enter(full_screen=False)
    owned = set(window.actions())
    in_menus = [
        action
        for menu in window.menuBar().findChildren(QMenu)
        for action in menu.actions()
        if not action.isSeparator() and not action.shortcut().isEmpty()
    ]
    assert in_menus
    assert [a.objectName() for a in in_menus if a not in owned] == []


def test_readout_helpers() -> None:
    assert split_status(
        "Epoch 1 · Step 1 · Sample 1 (of 1) · Loss 0.184979 · Phase: forward done"
    ) == ("Loss 0.184979", "forward done", "Epoch 1 · Step 1 · Sample 1 (of 1)")
    assert phase_states(Phase.FORWARD, running=False) == {
        "forward": "doing",
        "backward": "",
        "update": "",
    }
    assert phase_states(Phase.UPDATED, running=True) == dict.fromkeys(
        ("forward", "backward", "update"), ""
    )


def test_screenshot_in_presentation_mode_fits_1920_by_1080(
    qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "present.png"
    code = main(
        [
            "screenshot",
            str(DEFAULT_EXAMPLE.path),
            str(out),
            "--after",
            "forward,backward",
            "--size",
            "1920x1080",
            "--presentation",
        ]
    )
    assert code == 0
    assert "scaled down" not in capsys.readouterr().err  # nothing wider than the screen
    assert QImage(str(out)).size() == QSize(1920, 1080)
    palette.use_scheme(None)


def test_screenshot_refuses_a_zoom_out_of_range(
    qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.png"
    code = main(["screenshot", str(DEFAULT_EXAMPLE.path), str(out), "--zoom", "9"])
    assert code == 2
    assert "--zoom: expected a factor from 0.5 to 3, got 9" in capsys.readouterr().err
    assert not out.exists()
