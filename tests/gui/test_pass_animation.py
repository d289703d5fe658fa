"""Animated passes: dots travel forward along the links layer by layer, the error travels
back in red; adjustable, switchable off, never while running."""

from __future__ import annotations

import pytest
from gui_helpers import open_window
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.panels.network.animation import BACKWARD_COLOR, FORWARD_COLOR, PassAnimation

TIMEOUT = 8000


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    win = open_window(qtbot)
    win.teaching.animation.set_speed("fast")
    return win


def trigger(window: MainWindow, name: str) -> None:
    action = window.findChild(QAction, name)
    assert action is not None, name
    action.trigger()


def on_line(animation: PassAnimation, window: MainWindow) -> None:
    """Every visible dot sits on its link's line."""
    editor = window.panels["network_editor"]
    for segment in animation._segments:
        for dot, link in segment.dots:
            if dot.isVisible():
                line = link.line()
                p, a, b = dot.pos(), line.p1(), line.p2()
                cross = (b.x() - a.x()) * (p.y() - a.y()) - (b.y() - a.y()) * (p.x() - a.x())
                assert abs(cross) / max(line.length(), 1.0) < 1e-6
                assert dot.scene() is editor.scene()


def test_forward_then_backward_travel_layer_by_layer(qtbot: QtBot, window: MainWindow) -> None:
    animation = window.teaching.animation
    scene = window.panels["network_editor"].scene()
    items_before = len(scene.items())
    trigger(window, "forward")
    assert animation.is_running()
    assert animation.segments() == [(0, "forward"), (1, "forward")]
    animation.show_frame(0.4)  # halfway through the first gap
    dots = animation.visible_dots()
    assert len(dots) == 4  # the four links x → h of the 2-2-2 network
    assert {d.brush().color().name() for d in dots} == {FORWARD_COLOR.name()}
    on_line(animation, window)
    # what the dots have not reached yet is hidden: h1's value until they arrive
    h1 = window.panels["network_editor"].neuron_item(1, 0)
    covered = [c for c, _ in animation._covers if c.isVisible() and c.pos() == h1.pos()]
    assert covered
    animation.show_frame(0.9)
    assert not covered[0].isVisible()
    animation.show_frame(1.4)  # the second gap: h → y
    assert len(animation.visible_dots()) == 4
    on_line(animation, window)
    animation.stop()
    assert len(scene.items()) == items_before  # every overlay item is gone

    trigger(window, "backward")
    assert animation.segments() == [(1, "backward"), (0, "backward")]
    animation.show_frame(0.3)
    assert {d.brush().color().name() for d in animation.visible_dots()} == {BACKWARD_COLOR.name()}
    with qtbot.waitSignal(animation.finished, timeout=TIMEOUT):
        animation._animation.resume()
    assert len(scene.items()) == items_before


def test_one_layer_at_a_time_and_switched_off(qtbot: QtBot, window: MainWindow) -> None:
    animation = window.teaching.animation
    trigger(window, "forward_layer")
    assert animation.segments() == [(0, "forward")]
    trigger(window, "forward_layer")
    assert animation.segments() == [(1, "forward")]
    trigger(window, "backward_layer")
    assert animation.segments() == [(1, "backward")]
    toggle = window.findChild(QAction, "animate_passes")
    toggle.trigger()  # off
    assert not animation.enabled and not animation.is_running()
    trigger(window, "backward_layer")
    assert not animation.is_running() and animation.segments() == []
    slow = window.findChild(QAction, "animation_speed_slow")
    slow.trigger()
    assert animation.speed == "slow"


def test_never_while_running(qtbot: QtBot, window: MainWindow) -> None:
    animation = window.teaching.animation
    trigger(window, "forward")
    assert animation.is_running()
    with qtbot.waitSignal(window.runningChanged, timeout=TIMEOUT):
        trigger(window, "run")
    assert not animation.is_running() and animation.segments() == []
    with qtbot.waitSignal(window.session.historyChanged, timeout=TIMEOUT):
        pass
    assert not animation.is_running()
    trigger(window, "run")  # pause: the last slice is reported as a step, not animated
    assert not animation.is_running()
