"""Presentation mode for the room (issue 13): numbers the back row can read, the chain
rule always on screen, a layout that fits 1024×768 to 1920×1080, and the canvas parts
of issue 14 (precision, net, targets, labels that do not collide). Numbers are the
seed-000 worked example's: ∂E/∂w5 = 0.58371 × 0.232122 × 0.538424 = 0.072952."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import step
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QFontMetricsF, QPainterPath
from PySide6.QtWidgets import (
    QDockWidget,
    QGraphicsSimpleTextItem,
    QLabel,
    QMainWindow,
    QMenu,
)
from pytestqt.qtbot import QtBot

from bpsim.core.trainer import Phase
from bpsim.gui import MainWindow
from bpsim.gui.panels.chain_rule_strip import chain_rule, focus_from_view
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.panels.network.items import LinkItem, gradient_arrow
from bpsim.gui.services.presentation import PresentationMode
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.gui.style import palette
from bpsim.gui.style.appearance import Appearance
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file

W5 = ParameterKey(1, 0, 0)
CHAIN = ["0.58371", "0.232122", "0.538424", "0.072952"]


pytestmark = pytest.mark.usefixtures("light_drawing_afterwards")


def _window(qtbot: QtBot, name: str = "worked-example") -> MainWindow:
    example = find_example(name)
    assert example is not None
    window = MainWindow(example.path)
    window.teaching.animation.set_enabled(False)
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    return window


def _present(qtbot: QtBot, window: MainWindow, width: int, height: int) -> NetworkEditor:
    """Presentation mode in a window of the projector's size (offscreen: no full screen)."""
    window.show()
    qtbot.waitExposed(window)
    window.presentation.enter(full_screen=False)
    window.resize(width, height)
    editor = window.panels["network_editor"]
    qtbot.waitUntil(lambda: editor.viewport().width() >= width - 40)
    qtbot.waitUntil(lambda: editor._built_room == QRectF(editor.viewport().rect()))
    return editor


def _cap(editor: NetworkEditor, item: QGraphicsSimpleTextItem) -> float:
    """A capital's height on screen, in device pixels: font × view scale × pixel ratio."""
    scale = editor.transform().m11() * item.sceneTransform().m11()
    return QFontMetricsF(item.font()).capHeight() * scale * editor.devicePixelRatioF()


def _tags(editor: NetworkEditor) -> list[tuple[ParameterKey, QRectF]]:
    return [
        (key, link.tag.sceneBoundingRect())
        for key, link in ((link.key, link) for link in editor._links.values())
        if link.tag is not None and link.tag.isVisible()
    ]


# -- the back row reads the numbers ----------------------------------------------------------


def test_primary_numbers_are_24_px_high_at_1920_by_1080(qtbot: QtBot) -> None:
    window = _window(qtbot)
    editor = _present(qtbot, window, 1920, 1080)
    step(qtbot, window, "forward", "backward")
    values = [editor.neuron_item(k, j).value_item for k in range(3) for j in range(2)]
    assert [v.text() for v in values][2:4] == ["0.538424", "0.520813"]
    weights = [link.tag.text_items()[0] for link in editor._links.values()]
    gradients = [link.tag.text_items()[1] for link in editor._links.values()]
    assert {w.text() for w in weights} >= {"w5 = 0.18", "w1 = 0.1"}
    assert all(g.text().startswith("∂E/∂w") for g in gradients)
    for item in values + weights + gradients:
        assert _cap(editor, item) >= 24.0, item.text()
    # the numbers are in the window, not cut off at its edge
    visible = QRectF(editor.mapToScene(editor.viewport().rect()).boundingRect())
    for item in values + weights + gradients:
        assert visible.contains(item.sceneBoundingRect()), item.text()


def test_zoom_scales_the_canvas_text_when_presenting(qtbot: QtBot) -> None:
    window = _window(qtbot)
    editor = _present(qtbot, window, 1920, 1080)
    step(qtbot, window, "forward")
    presenting = _cap(editor, editor.neuron_item(1, 0).value_item)  # at 150 %
    window.appearance.set_zoom(1.0)
    qtbot.waitUntil(lambda: editor._built_room == QRectF(editor.viewport().rect()))
    at_100 = _cap(editor, editor.neuron_item(1, 0).value_item)
    assert presenting > 1.3 * at_100  # the text itself, not only the chrome


def test_smaller_projectors_get_a_layout_without_crowding(qtbot: QtBot) -> None:
    window = _window(qtbot)
    for width, height in ((1280, 720), (1024, 768)):
        editor = _present(qtbot, window, width, height)
        step(qtbot, window, "forward", "backward")
        tags = _tags(editor)
        assert len(tags) == 8
        for n, (a, ra) in enumerate(tags):
            for b, rb in tags[n + 1 :]:
                assert not ra.intersects(rb), (a, b)
        assert editor.primary_cap_height() >= 12.0
        window.action("reset").trigger()


# -- the chain rule always on screen ---------------------------------------------------------


def test_the_w5_chain_rule_is_on_screen_after_forward_and_backward_without_a_click(
    qtbot: QtBot,
) -> None:
    window = _window(qtbot)
    _present(qtbot, window, 1920, 1080)
    strip = window.chain_rule
    assert strip.isVisible()
    assert strip.focus_key() == W5  # the lesson's view names it
    step(qtbot, window, "forward")
    assert strip.texts() == ["∂E/∂w5", "?", "0.232122", "0.538424", "?"]
    step(qtbot, window, "backward")
    assert strip.texts() == ["∂E/∂w5", *CHAIN]
    assert [s.text() for s in strip.symbols] == [
        "∂E/∂out(y1)",
        "∂out(y1)/∂net(y1)",
        "∂net(y1)/∂w5",
    ]
    # every number fits its label and the strip fits the window: nothing scrolls or clips
    labels = [strip.lhs, strip.result, *strip.numbers, *strip.symbols]
    qtbot.waitUntil(lambda: all(lb.width() >= lb.sizeHint().width() - 1 for lb in labels))
    assert strip.width() <= window.width()
    assert window.rect().contains(strip.mapTo(window, strip.rect().bottomRight()))


def test_clicking_a_link_moves_the_focus(qtbot: QtBot) -> None:
    window = _window(qtbot)
    editor = _present(qtbot, window, 1920, 1080)
    step(qtbot, window, "forward", "backward")
    link = editor.link_item(1, 0, 1)  # w6
    assert isinstance(link, LinkItem)
    places = [editor.mapFromScene(link.point_at(f / 20)) for f in range(2, 19)]
    pos = next(p for p in places if editor.key_at(p) == ParameterKey(1, 0, 1))
    with qtbot.waitSignal(window.chain_rule.focusChanged):
        qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.chain_rule.focus_key() == ParameterKey(1, 0, 1)
    assert window.chain_rule.texts()[0] == "∂E/∂w6"
    assert editor.focus_key() == ParameterKey(1, 0, 1)


def test_page_down_reveals_the_factors_one_by_one_then_updates(qtbot: QtBot) -> None:
    window = _window(qtbot)
    _present(qtbot, window, 1920, 1080)
    window.action("reveal_factors").trigger()
    strip, readout = window.chain_rule, window.presentation.readout
    assert window.presentation.next_phase()  # forward
    assert window.presentation.next_phase()  # backward
    assert strip.texts()[1:] == ["…", "…", "…", "…"]
    assert readout.next.text() == "Press PgDown: next factor"
    for shown in range(1, 5):
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        assert strip.texts()[1 : 1 + shown] == CHAIN[:shown]
        assert window.session.trainer.phase is Phase.BACKWARDED  # no phase yet
    assert readout.next.text() == "Press PgDown: update"
    with qtbot.waitSignal(window.phaseFinished) as finished:
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert finished.args == ["update"]


def test_the_readout_says_what_page_down_does_next(qtbot: QtBot) -> None:
    window = _window(qtbot)
    _present(qtbot, window, 1920, 1080)
    readout = window.presentation.readout
    assert readout.next.text() == "Press PgDown: forward"
    step(qtbot, window, "forward")
    assert readout.next.text() == "Press PgDown: backward"
    step(qtbot, window, "backward", "update")
    assert readout.next.text() == "Press PgDown: forward"


def test_a_lesson_focus_is_read_from_its_view_and_an_unknown_one_is_noted() -> None:
    example = find_example("worked-example")
    assert example is not None
    trainer = trainer_from_lesson_file(example.path)
    assert focus_from_view(trainer) == (W5, None)
    trainer.lesson.view["focus"] = "weights[0][1][0]"
    assert focus_from_view(trainer) == (ParameterKey(0, 1, 0), None)
    trainer.lesson.view["focus"] = "w99"
    key, note = focus_from_view(trainer)
    assert key == W5  # the first weight into the output layer
    assert note is not None and "'w99' is not a weight of this network" in note
    trainer.forward()
    trainer.backward()
    rule = chain_rule(trainer, W5)
    assert rule.product == pytest.approx(rule.gradient)
    assert rule.gradient == pytest.approx(0.0729519972, abs=1e-9)


# -- the layout for the room -----------------------------------------------------------------


def test_the_presentation_window_fits_1024_by_768_and_comes_back(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.show()
    qtbot.waitExposed(window)
    docks_before = {d.objectName() for d in window.docks.values() if d.isVisible()}
    window.presentation.enter(full_screen=False)
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.width() == 1920)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: window.width() == 1024)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 768
    assert (window.width(), window.height()) == (1024, 768)
    # only the network, the chain rule and the readout: no settings toolbars, no table
    assert not window.toolbars["settings"].isVisible()
    assert not window.docks["parameter_table"].isVisible()
    assert window.docks["network_editor"].isVisible()
    readout = window.presentation.readout
    labels = (readout.loss, readout.next, *readout.marks.values())
    assert all(label.isVisible() for label in labels)
    qtbot.waitUntil(lambda: all(lb.width() >= lb.sizeHint().width() - 1 for lb in labels))
    window.presentation.leave()
    assert window.toolbars["settings"].isVisible()
    assert {d.objectName() for d in window.docks.values() if d.isVisible()} == docks_before
    assert not window.panels["network_editor"].is_presenting()


def test_enter_works_right_after_show(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.show()
    window.presentation.enter()  # what run_app(present=True) does
    editor = window.panels["network_editor"]
    assert editor.is_presenting()
    qtbot.waitUntil(lambda: window.chain_rule.isVisible())
    assert window.presentation.readout.isVisible()
    window.presentation.leave()


# -- the canvas (issue 14) -------------------------------------------------------------------


def test_net_targets_and_errors_are_on_the_canvas(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.show()
    editor = window.panels["network_editor"]
    assert editor._target_tags[0].first_text() == "target = 0.05"  # before forward too
    step(qtbot, window, "forward")
    assert editor.neuron_item(1, 0).net_text() == "net 0.154"
    assert editor.neuron_item(2, 0).value_text() == "0.63371"
    tag = editor._target_tags[0]
    assert (tag.first_text(), tag.second_text()) == ("target = 0.05", "out − target = 0.58371")
    assert editor._target_tags[1].second_text() == "out − target = −0.171002"
    assert editor.neuron_item(0, 0).net_text() == ""  # inputs have no net input


def test_ten_outputs_label_only_the_class_of_the_sample(qtbot: QtBot) -> None:
    """Digits: ten target tags would crowd the output column; the sample's class keeps
    its target and error, the other nine outputs have none."""
    window = _window(qtbot, "digits")
    window.show()
    editor = window.panels["network_editor"]
    step(qtbot, window, "forward")
    trainer = window.session.trainer
    assert trainer.trace is not None
    label = int(np.argmax(trainer.trace.targets[0]))
    shown = {i for i, tag in editor._target_tags.items() if tag.isVisible()}
    assert shown == {label}
    tag = editor._target_tags[label]
    assert tag.first_text() == "target = 1" and tag.second_text().startswith("out − target =")


def test_precision_is_one_setting_for_every_view(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.show()
    editor = window.panels["network_editor"]
    step(qtbot, window, "forward", "backward")
    assert palette.precision() == 6
    assert editor.value_text(1, 0) == "0.538424"
    assert editor.gradient_text(1, 0, 0) == "∂E/∂w5 = 0.072952"
    palette.set_precision(4)
    editor.rebuild()
    assert editor.value_text(1, 0) == "0.5384"
    assert editor.gradient_text(1, 0, 0) == "∂E/∂w5 = 0.07295"
    with pytest.raises(ValueError, match="precision: expected 2 to 12 significant digits, got 40"):
        palette.set_precision(40)
    assert palette.precision() == 4


@pytest.mark.parametrize("name", ["worked-example", "xor"])
@pytest.mark.parametrize("present", [False, True])
def test_link_labels_never_sit_on_each_other(qtbot: QtBot, name: str, present: bool) -> None:
    """At the crossings too, in either mode; and no label covers its own arrow."""
    window = _window(qtbot, name)
    if present:
        editor = _present(qtbot, window, 1920, 1080)
    else:
        window.resize(1600, 1000)
        window.show()
        editor = window.panels["network_editor"]
    step(qtbot, window, "forward", "backward")
    tags = _tags(editor)
    assert len(tags) == len(editor._links)
    for n, (a, ra) in enumerate(tags):
        for b, rb in tags[n + 1 :]:
            assert not ra.intersects(rb), (a, b)
    for link in editor._links.values():
        widest = palette.MAX_GRADIENT_WIDTH * palette.LINE_SCALE
        own = QPainterPath()
        own.addPolygon(gradient_arrow(link.line(), link.current_pen().widthF(), widest))
        assert not own.intersects(link.tag.sceneBoundingRect()), link.key


def test_secondary_labels_give_way_and_come_back_on_selection(qtbot: QtBot) -> None:
    window = _window(qtbot, "xor")
    editor = _present(qtbot, window, 1280, 720)
    step(qtbot, window, "forward", "backward")
    primary = [r for _, r in _tags(editor)]
    primary += [n.sceneBoundingRect() for c in editor._columns for n in c.neurons]
    shown = [(tag, owner) for tag, owner in editor._secondary_tags() if tag.isVisible()]
    for tag, owner in shown:
        if owner != editor.selected_key():
            assert not any(tag.sceneBoundingRect().intersects(r) for r in primary), owner
    hidden = [(t, o) for t, o in editor._secondary_tags() if t.is_suppressed()]
    if hidden:  # one that gave way comes back while its owner is selected
        tag, owner = hidden[0]
        editor.select_key(owner)
        assert tag.isVisible()


def test_crowded_gaps_label_only_the_selected_or_focused_link(qtbot: QtBot) -> None:
    window = _window(qtbot, "digits")
    window.show()
    editor = window.panels["network_editor"]
    step(qtbot, window, "forward", "backward")
    assert editor.weight_text(0, 0, 0) == ""  # no per-link labels past 16 links
    key = ParameterKey(0, 1, 2)
    editor.select_key(key)
    tag = editor._focus_tags[0]
    assert tag.isVisible()
    assert tag.first_text().startswith("w = ")
    assert tag.second_text().startswith("∂E/∂w = ")
    assert window.chain_rule.focus_key() == key  # a click moves the focus too
    editor.select_key(None)
    assert tag.isVisible()  # the focused link keeps its label
    editor.select_key(ParameterKey(2, 3, 1))  # the focus moves to the last gap
    assert not tag.isVisible()
    assert editor._focus_tags[2].isVisible()
    assert editor._focus_tags[2].first_text().startswith("w = ")


# -- presentation mode is given a Host, not the window ---------------------------------------


class FakeHost:
    """The smallest window a feature can be given (bpsim.gui.host.Host): a QMainWindow
    with a session, a View menu, actions by name and docks by name."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.window = QMainWindow()
        self._menu = self.window.menuBar().addMenu("&View")
        self._actions: dict[str, QAction] = {}
        self.statuses: list[str] = []
        for name, slot in (("forward", session.forward), ("backward", session.backward)):
            action = QAction(name, self.window)
            action.setObjectName(name)
            action.triggered.connect(slot)
            self._actions[name] = action

    @property
    def session(self) -> Session:
        return self._session

    def main_window(self) -> QMainWindow:
        return self.window

    def menu(self, name: str) -> QMenu:
        return self._menu

    def action(self, name: str) -> QAction | None:
        return self._actions.get(name)

    def add_actions(self, actions: dict[str, QAction]) -> None:
        self._actions.update(actions)
        self.window.addActions(list(actions.values()))

    def dock(self, name: str) -> QDockWidget | None:
        return self.window.findChild(QDockWidget, f"{name}_dock")

    def show_status(self, text: str) -> None:
        self.statuses.append(text)

    def status_text(self) -> str:
        return f"Loss {self._session.trainer.trace.loss:.6f}" if self._session.trainer.trace else ""


def test_presentation_mode_works_with_any_host(qtbot: QtBot, session: Session) -> None:
    host = FakeHost(session)
    qtbot.addWidget(host.window)
    presentation = PresentationMode(host, Appearance(host.window))  # type: ignore[arg-type]
    assert host.menu("view").actions()  # its actions are in the host's View menu
    host.window.resize(1024, 768)
    host.window.show()
    presentation.enter(full_screen=False)
    assert presentation.readout.isVisible()
    assert presentation.next_text() == "Press PgDown: forward"
    assert presentation.next_phase()
    assert session.trainer.phase is Phase.FORWARDED
    assert presentation.readout.loss.text() == "Loss 0.184979"
    assert not presentation.previous_phase()  # this host has no rewind: said, not raised
    assert host.statuses == ["Stepping back needs the rewind, which this window lacks"]
    presentation.leave()
    assert not presentation.readout.isVisible()


def test_softmax_with_cross_entropy_shows_delta_times_input(qtbot: QtBot) -> None:
    """The output δ comes from loss and softmax together (out − target): two factors,
    and no label of the three-factor form is left behind."""
    window = _window(qtbot, "digits")  # (64 inputs: not laid out for the room)
    window.show()
    window.presentation.enter(full_screen=False)
    window.resize(1920, 1080)
    step(qtbot, window, "forward", "backward")
    strip = window.chain_rule
    assert len(strip.numbers) == 2
    assert strip.symbols[0].text().startswith("δ(")

    def shown() -> int:
        return len([label for label in strip.findChildren(QLabel) if label.isVisible()])

    # symbols and numbers, lhs and result, the signs (=, ×, =) and the note
    qtbot.waitUntil(lambda: shown() == 2 * 2 + 2 + 3 + 1)
    trainer = window.session.trainer
    rule = chain_rule(trainer, strip.focus_key())
    assert rule.product == pytest.approx(rule.factors[0].value * rule.factors[1].value)
