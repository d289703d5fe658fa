"""Animated passes: values travel along the links layer by layer on a forward pass, and
the error travels back in red on a backward pass.

An overlay on the network editor's scene: after a phase, small dots (labelled with the
value they carry when the gap is not crowded: an activation going forward, a delta going
back) run along every drawn link of one gap after the other, and the neurons they reach
pulse. The items are this module's own, added to the editor's scene through its public
accessors (``neuron_item``, ``link_item``) and removed when the animation ends; the editor
itself is never changed. A rebuild of the editor (a new lesson) deletes them with the
scene, which is checked before every frame.

One :class:`QVariantAnimation` drives a whole pass (a float from 0 to the number of
gaps), so a frame costs a few setPos calls. Speed is adjustable and the animation can be
switched off; it never runs while training runs (Run would pay for frames nobody sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QEasingCurve, QObject, QRectF, QVariantAnimation, Signal
from PySide6.QtGui import QAction, QActionGroup, QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QWidget,
)
from shiboken6 import isValid

from bpsim.core.trainer import Phase
from bpsim.gui.panels.network.items import LinkItem, TagItem
from bpsim.gui.state.session import Session
from bpsim.gui.style import palette
from bpsim.text import fmt

if TYPE_CHECKING:
    from bpsim.gui.panels.network.editor import NetworkEditor

#: Milliseconds per layer at each speed.
SPEEDS: dict[str, int] = {"slow": 1100, "normal": 600, "fast": 280}
SPEED_TITLES = {"slow": "&Slow", "normal": "&Normal", "fast": "&Fast"}
MAX_DOTS = 40  # dots per gap (a crowded gap shows an even sample of its links)
MAX_LABELLED = 8  # gaps with at most this many links carry value labels
Z_OVERLAY = 9.0
Z_COVER = 2.5  # just above the neurons
Z_COVER_TAG = 5.5  # just above the labels
FORWARD_COLOR = QColor(31, 111, 180)
BACKWARD_COLOR = QColor(palette.GRADIENT)


@dataclass
class _Segment:
    """One gap travelled in one direction: its dots and the neurons they arrive at."""

    gap: int
    direction: str  # "forward" or "backward"
    dots: list[tuple[QGraphicsEllipseItem, LinkItem]] = field(default_factory=list)
    rings: list[tuple[QGraphicsEllipseItem, float]] = field(default_factory=list)


class PassAnimation(QObject):
    """Plays the pass just taken on the editor's scene; see the module docstring.

    ``finished`` is emitted when an animation ends (or is stopped).
    """

    finished = Signal()

    def __init__(
        self, editor: NetworkEditor, session: Session, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.session = session
        self.enabled = True
        self.speed = "normal"
        self._segments: list[_Segment] = []
        # items hiding values not yet reached, each with the time it is lifted
        self._covers: list[tuple[QGraphicsItem, float]] = []
        self._animation = QVariantAnimation(self)
        self._animation.setEasingCurve(QEasingCurve.Type.Linear)
        self._animation.valueChanged.connect(self._frame)
        self._animation.finished.connect(self._done)
        self._started = ""  # the phase the session last began (Run's last slice is no step)
        session.phaseStarting.connect(self._phase_starting)
        session.phaseFinished.connect(self._phase_finished)
        session.runningChanged.connect(lambda running: self.stop() if running else None)
        session.lessonReplaced.connect(self._forget)

    # -- settings --------------------------------------------------------------------

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        if not on:
            self.stop()

    def set_speed(self, name: str) -> None:
        if name not in SPEEDS:
            raise ValueError(f"unknown speed {name!r}; expected one of {', '.join(SPEEDS)}")
        self.speed = name

    # -- state (tests, screenshots) ----------------------------------------------------

    def is_running(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def segments(self) -> list[tuple[int, str]]:
        """The gaps of the animation under way, in order: (gap, direction)."""
        return [(s.gap, s.direction) for s in self._segments]

    def visible_dots(self) -> list[QGraphicsEllipseItem]:
        return [
            dot for s in self._segments for dot, _ in s.dots if isValid(dot) and dot.isVisible()
        ]

    def show_frame(self, t: float) -> None:
        """Pause the animation at ``t`` (0 … number of gaps): a still frame to look at."""
        self._animation.pause()
        self._frame(t)

    # -- playing ---------------------------------------------------------------------

    def play(self, segments: list[tuple[int, str]]) -> None:
        """Animate these gaps one after the other (a gap k joins layers k and k+1)."""
        self.stop()
        if not segments or not self.enabled or self.session.running:
            return
        scene = self.editor.scene()
        self._segments = [self._build(scene, gap, direction) for gap, direction in segments]
        self._segments = [s for s in self._segments if s.dots]
        if not self._segments:
            return
        self._covers = self._build_covers(scene)
        duration = SPEEDS[self.speed] * len(self._segments)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(float(len(self._segments)))
        self._animation.setDuration(duration)
        self._frame(0.0)
        self._animation.start()

    def stop(self) -> None:
        """End at once and remove every overlay item."""
        was = bool(self._segments)
        self._animation.stop()
        scene = self.editor.scene()
        for segment in self._segments:
            items: list[QGraphicsItem] = [d for d, _ in segment.dots]
            items += [r for r, _ in segment.rings]
            for item in items:
                if isValid(item) and item.scene() is scene:
                    scene.removeItem(item)
        for cover, _ in self._covers:
            if isValid(cover) and cover.scene() is scene:
                scene.removeItem(cover)
        self._covers = []
        self._segments = []
        if was:
            self.finished.emit()

    def _forget(self) -> None:
        """A new lesson: the editor's scene has been cleared with our items in it."""
        self._animation.stop()
        had = bool(self._segments)
        self._segments = []
        self._covers = []
        if had:
            self.finished.emit()

    def _done(self) -> None:
        self.stop()

    def _phase_starting(self, name: str) -> None:
        self._started = name

    def _phase_finished(self, name: str) -> None:
        started, self._started = self._started, ""
        if not self.enabled or self.session.running or name != started:
            self.stop()
            return
        trainer = self.session.trainer
        trace = trainer.trace
        depth = trainer.network.depth
        if trace is None or trainer.phase is Phase.READY:
            self.stop()
            return
        forward = [(k, "forward") for k in range(depth)]
        backward = [(k, "backward") for k in range(depth - 1, -1, -1)]
        if name == "forward":
            self.play(forward)
        elif name == "forward_layer":
            self.play([(trace.forward_done - 1, "forward")])
        elif name == "backward":
            self.play(backward)
        elif name == "backward_layer":
            self.play([(depth - trace.backward_done, "backward")])
        elif name == "step":
            self.play(forward + backward)
        else:
            self.stop()

    # -- items -----------------------------------------------------------------------

    def _links(self, gap: int) -> list[LinkItem]:
        editor = self.editor
        net = self.session.trainer.network
        links: list[LinkItem] = []
        for j in range(net.sizes[gap + 1]):
            if editor.neuron_item(gap + 1, j) is None:
                continue
            for i in range(net.sizes[gap]):
                link = editor.link_item(gap, j, i)
                if link is not None and not link.masked:
                    links.append(link)
        if len(links) > MAX_DOTS:
            step = len(links) / MAX_DOTS
            links = [links[int(n * step)] for n in range(MAX_DOTS)]
        return links

    def _build(self, scene: QGraphicsScene, gap: int, direction: str) -> _Segment:
        trace = self.session.trainer.trace
        segment = _Segment(gap, direction)
        links = self._links(gap)
        if not links or trace is None:
            return segment
        color = FORWARD_COLOR if direction == "forward" else BACKWARD_COLOR
        target_layer = gap + 1 if direction == "forward" else gap
        labelled = len(links) <= MAX_LABELLED
        radius = self._neuron_radius()
        dot_radius = max(radius * 0.2, 3.0)
        # the value leaving a neuron is the same on all its links: label one of them
        labelled_source: set[int] = set()
        for link in links:
            key = link.key
            dot = QGraphicsEllipseItem(
                QRectF(-dot_radius, -dot_radius, 2 * dot_radius, 2 * dot_radius)
            )
            dot.setBrush(QBrush(color))
            dot.setPen(QPen(QColor("white"), max(dot_radius * 0.25, 1.0)))
            dot.setZValue(Z_OVERLAY)
            dot.setVisible(False)
            source = key.i if direction == "forward" else key.j
            if labelled and source not in labelled_source:
                labelled_source.add(source)
                if direction == "forward":
                    value = float(trace.a[gap][0, key.i])
                else:
                    value = float(trace.delta[gap + 1][0, key.j])
                text = fmt(value, 3) if direction == "forward" else f"δ {fmt(value, 3)}"
                label = TagItem(int(max(radius * 0.42, 10)), dot, first_color=color)
                label.set_lines(text)
                label.setPos(0, -dot_radius - label.rect().height() / 2 - 2)
            scene.addItem(dot)
            segment.dots.append((dot, link))
        reached = {link.key.j if direction == "forward" else link.key.i for link in links}
        for index in sorted(reached):
            neuron = self.editor.neuron_item(target_layer, index)
            if neuron is None:
                continue
            ring = QGraphicsEllipseItem(QRectF(-1, -1, 2, 2))
            ring.setPen(QPen(color, max(radius * 0.12, 2.0)))
            ring.setBrush(QBrush())
            ring.setZValue(Z_OVERLAY - 0.5)
            ring.setPos(neuron.pos())
            ring.setVisible(False)
            scene.addItem(ring)
            segment.rings.append((ring, float(neuron.radius)))
        return segment

    def _build_covers(self, scene: QGraphicsScene) -> list[tuple[QGraphicsItem, float]]:
        """Hide what the pass has not reached yet: going forward, the values in the
        neurons of the layers ahead; going back, the deltas of the layers behind. Each is
        lifted when the dots arrive."""
        covers: list[tuple[QGraphicsItem, float]] = []
        net = self.session.trainer.network
        for n, segment in enumerate(self._segments):
            arrival = n + 0.8
            if segment.direction == "forward":
                layer = segment.gap + 1
                for j in range(net.sizes[layer]):
                    neuron = self.editor.neuron_item(layer, j)
                    if neuron is None:
                        continue
                    cover = QGraphicsEllipseItem(neuron.rect())
                    cover.setPen(neuron.pen())
                    cover.setBrush(QBrush(palette.NEUTRAL_FILL))
                    name = QGraphicsSimpleTextItem(neuron.name_item.text(), cover)
                    name.setFont(neuron.name_item.font())
                    name.setBrush(QBrush(palette.INK))
                    rect = name.boundingRect()
                    name.setPos(-rect.width() / 2, -rect.height() / 2)
                    cover.setPos(neuron.pos())
                    cover.setZValue(Z_COVER)
                    scene.addItem(cover)
                    covers.append((cover, arrival))
            else:
                layer = segment.gap
                if layer == 0:
                    continue
                for j in range(net.sizes[layer]):
                    neuron = self.editor.neuron_item(layer, j)
                    if neuron is None or not neuron.delta_text():
                        continue
                    area = neuron.delta_tag.sceneBoundingRect().adjusted(-1, -1, 1, 1)
                    patch = QGraphicsRectItem(area)
                    patch.setPen(QPen(palette.BACKGROUND))
                    patch.setBrush(QBrush(palette.BACKGROUND))
                    patch.setZValue(Z_COVER_TAG)
                    scene.addItem(patch)
                    covers.append((patch, arrival))
        return covers

    def _neuron_radius(self) -> float:
        item = self.editor.neuron_item(0, 0)
        return float(item.radius) if item is not None else 20.0

    # -- frames ----------------------------------------------------------------------

    def _frame(self, value: object) -> None:
        t = float(value)  # type: ignore[arg-type]
        if not self._segments:
            return
        current = min(int(t), len(self._segments) - 1)
        fraction = min(max(t - current, 0.0), 1.0)
        travel = min(fraction / 0.8, 1.0)  # dots arrive at 80 %, then the neurons pulse
        travel = travel * travel * (3 - 2 * travel)  # ease in and out
        pulse = max((fraction - 0.7) / 0.3, 0.0)
        for cover, lifted in self._covers:
            if isValid(cover):
                cover.setVisible(t < lifted)
        for n, segment in enumerate(self._segments):
            active = n == current
            for dot, link in segment.dots:
                if not isValid(dot) or not isValid(link):
                    continue
                dot.setVisible(active and travel < 1.0)
                if active:
                    along = travel if segment.direction == "forward" else 1.0 - travel
                    dot.setPos(link.point_at(along))
            for ring, radius in segment.rings:
                if not isValid(ring):
                    continue
                ring.setVisible(active and pulse > 0.0)
                if active and pulse > 0.0:
                    r = radius * (1.05 + 0.35 * pulse)
                    ring.setRect(QRectF(-r, -r, 2 * r, 2 * r))
                    ring.setOpacity(1.0 - pulse)


def animation_actions(animation: PassAnimation, parent: QWidget) -> dict[str, QAction]:
    """Teach ▸ Animate passes (on/off) and the three speeds."""
    actions: dict[str, QAction] = {}
    toggle = QAction("&Animate passes", parent)
    toggle.setObjectName("animate_passes")
    toggle.setCheckable(True)
    toggle.setChecked(animation.enabled)
    tip = "Animate passes: values travel along the links going forward, the error in red going back"
    toggle.setToolTip(tip)
    toggle.setStatusTip(tip)
    toggle.toggled.connect(animation.set_enabled)
    actions["animate_passes"] = toggle
    group = QActionGroup(parent)
    group.setExclusive(True)
    for name, title in SPEED_TITLES.items():
        action = QAction(title, parent)
        action.setObjectName(f"animation_speed_{name}")
        action.setCheckable(True)
        action.setChecked(name == animation.speed)
        speed_tip = f"Animation speed: {name} ({SPEEDS[name] / 1000:g} s per layer)"
        action.setToolTip(speed_tip)
        action.setStatusTip(speed_tip)
        action.triggered.connect(lambda _=False, n=name: animation.set_speed(n))
        group.addAction(action)
        actions[f"animation_speed_{name}"] = action
    return actions


__all__ = ["SPEEDS", "PassAnimation", "animation_actions"]
