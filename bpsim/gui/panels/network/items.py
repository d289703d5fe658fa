"""The graphics items the network editor is drawn with.

Items are built once per network structure and afterwards only told new colours, pens
and texts, so a repaint during training costs a few milliseconds. They are Qt's stock
items (painted in C++, no Python ``paint`` overrides) carrying a ``key`` that names what
they show; the editor does hit-testing, selection and tooltips itself. They hold no
numbers of their own beyond what is displayed: the editor reads the trainer and pushes
the results in. Sizes are in scene units; the editor scales the whole scene to the
window, so fonts are given in pixels of the scene, not in points.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
)

from bpsim.gui.style import palette

if TYPE_CHECKING:
    from bpsim.gui.state.session import ParameterKey

#: Stacking order, bottom to top.
Z_HIGHLIGHT = -10.0
Z_BAND = -5.0
Z_BIAS_LINK = 0.5
Z_HALO = 0.8
Z_LINK = 1.0
Z_GRADIENT = 1.5
Z_NEURON = 2.0
Z_TAG = 5.0
Z_RING = 6.0


def make_font(pixels: int, bold: bool = False) -> QFont:
    """A font of ``pixels`` scene units (the editor scales the scene to fit)."""
    font = QFont()
    font.setPixelSize(max(int(pixels), 1))
    font.setBold(bold)
    return font


def rounded_rect_path(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


class TagItem(QGraphicsPathItem):
    """A small label on a semi-opaque rounded background, centred on its position.

    Two lines: the first in ``first_color`` (a name and value), the second in red (a
    gradient). Empty lines take no room; the background fits the text. ``key`` is what a
    click on the label means (its link, or its bias), or None.
    """

    PAD_X = 5.0
    PAD_Y = 2.0

    def __init__(
        self,
        pixels: int,
        parent: QGraphicsItem | None = None,
        first_color: QColor | None = None,
        key: object = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.setPen(Qt.PenStyle.NoPen)
        self.setBrush(palette.LABEL_BACKGROUND)
        self._first = QGraphicsSimpleTextItem(self)
        self._first.setFont(make_font(pixels))
        self._first.setBrush(first_color or palette.INK)
        self._second = QGraphicsSimpleTextItem(self)
        self._second.setFont(make_font(pixels, bold=True))
        self._second.setBrush(palette.GRADIENT)
        self._rect = QRectF()
        self._suppressed = False
        self._layout()

    def set_suppressed(self, suppressed: bool) -> None:
        """Hide the label even when it has text (a secondary label giving way to the
        primary numbers); it comes back when no longer suppressed."""
        if suppressed != self._suppressed:
            self._suppressed = suppressed
            self.setVisible(bool(self._first.text() or self._second.text()) and not suppressed)

    def is_suppressed(self) -> bool:
        return self._suppressed

    def first_text(self) -> str:
        return self._first.text()

    def text_items(self) -> tuple[QGraphicsSimpleTextItem, QGraphicsSimpleTextItem]:
        """The two lines as scene text items (what a reader of the canvas measures)."""
        return self._first, self._second

    def second_text(self) -> str:
        return self._second.text()

    def rect(self) -> QRectF:
        """The background's rectangle, in item coordinates (centred on 0, 0)."""
        return QRectF(self._rect)

    def set_lines(self, first: str, second: str = "") -> bool:
        """Show ``first`` over ``second`` (red). Returns whether anything changed."""
        if first == self._first.text() and second == self._second.text():
            return False
        self._first.setText(first)
        self._second.setText(second)
        self._layout()
        return True

    def _layout(self) -> None:
        lines = [t for t in (self._first, self._second) if t.text()]
        self.setVisible(bool(lines) and not self._suppressed)
        if not lines:
            self._rect = QRectF()
            return
        width = max(t.boundingRect().width() for t in lines)
        height = sum(t.boundingRect().height() for t in lines)
        y = -height / 2
        for t in lines:
            r = t.boundingRect()
            t.setPos(-r.width() / 2, y)
            y += r.height()
        self._rect = QRectF(
            -width / 2 - self.PAD_X,
            -height / 2 - self.PAD_Y,
            width + 2 * self.PAD_X,
            height + 2 * self.PAD_Y,
        )
        self.setPath(rounded_rect_path(self._rect, min(6.0, self._rect.height() / 3)))


class NeuronItem(QGraphicsEllipseItem):
    """One neuron: a circle filled by its activation, its name and value inside, its
    delta (red) just below."""

    def __init__(
        self,
        layer: int,
        index: int,
        name: str,
        radius: float,
        name_pixels: int,
        value_pixels: int,
        half_width: float | None = None,
        delta_pixels: int | None = None,
    ) -> None:
        rx = radius if half_width is None else half_width
        super().__init__(QRectF(-rx, -radius, 2 * rx, 2 * radius))
        self.layer, self.index, self.radius = layer, index, radius
        self.half_width = rx  # an ellipse when wider than high (presentation mode)
        self.key = ("neuron", layer, index)
        self.setZValue(Z_NEURON)
        self.setPen(QPen(palette.INK, 2.0))
        self.setBrush(palette.NEUTRAL_FILL)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.name_item = QGraphicsSimpleTextItem(name, self)
        self.name_item.setFont(make_font(name_pixels, bold=True))
        self.value_item = QGraphicsSimpleTextItem("", self)
        self.value_item.setFont(make_font(value_pixels))
        # net = Σ w·in + b, under the value after a forward pass (smaller: secondary)
        self.net_item = QGraphicsSimpleTextItem("", self)
        self.net_item.setFont(make_font(max(round(value_pixels * 0.62), 7)))
        self.delta_tag = TagItem(
            max(value_pixels - 2, 8) if delta_pixels is None else delta_pixels, self
        )
        self._fill = QColor(palette.NEUTRAL_FILL)
        self._text_color = palette.text_color_for(self._fill)  # the theme's empty fill
        for item in (self.name_item, self.value_item, self.net_item):
            item.setBrush(self._text_color)
        self._layout_text()

    def value_text(self) -> str:
        return self.value_item.text()

    def edge(self, direction: QPointF) -> float:
        """How far the outline is from the centre along the unit vector ``direction``
        (where a link to or from this neuron starts)."""
        dx, dy = direction.x() / self.half_width, direction.y() / self.radius
        return 1.0 / (math.hypot(dx, dy) or 1.0)

    def delta_text(self) -> str:
        return self.delta_tag.second_text()

    def net_text(self) -> str:
        return self.net_item.text()

    def fill(self) -> QColor:
        return QColor(self._fill)

    def set_state(self, fill: QColor, value: str, delta: str, net: str = "") -> None:
        """New fill, value text ('' before a forward pass), delta text ('' for none) and
        net-input text ('' for none); only what changed is touched."""
        if fill != self._fill:
            self._fill = QColor(fill)
            self.setBrush(fill)
            ink = palette.text_color_for(fill)
            if ink != self._text_color:
                self._text_color = ink
                for item in (self.name_item, self.value_item, self.net_item):
                    item.setBrush(ink)
        if value != self.value_item.text() or net != self.net_item.text():
            self.value_item.setText(value)
            self.net_item.setText(net)
            self._layout_text()
        if self.delta_tag.set_lines("", delta):
            self.delta_tag.setPos(0, self.radius + self.delta_tag.rect().height() / 2 + 3)

    def _layout_text(self) -> None:
        """Name, value and net stacked and centred in the circle (empty lines take no
        room)."""
        lines = [item for item in (self.name_item, self.value_item, self.net_item) if item.text()]
        self.net_item.setVisible(bool(self.net_item.text()))
        rects = [item.boundingRect() for item in lines]
        tighten = rects[0].height() * 0.12  # line boxes carry more leading than needed
        total = sum(r.height() for r in rects) - tighten * (len(rects) - 1)
        y = -total / 2
        for item, rect in zip(lines, rects, strict=True):
            item.setPos(-rect.width() / 2, y)
            y += rect.height() - tighten


class BiasNodeItem(QGraphicsEllipseItem):
    """The one bias a shared-bias layer has: a small '1' node at the top of the column
    before, feeding every neuron of the layer (as the textbooks draw it)."""

    def __init__(self, key: ParameterKey, radius: float, pixels: int) -> None:
        super().__init__(QRectF(-radius, -radius, 2 * radius, 2 * radius))
        self.key = key
        self.radius = radius
        self.setZValue(Z_NEURON)
        self.setPen(QPen(palette.MUTED_INK, 1.5))
        self.setBrush(QColor(palette.BACKGROUND))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        label = QGraphicsSimpleTextItem("1", self)
        label.setFont(make_font(pixels, bold=True))
        label.setBrush(palette.MUTED_INK)
        r = label.boundingRect()
        label.setPos(-r.width() / 2, -r.height() / 2)


class LinkItem(QGraphicsLineItem):
    """A link between two neurons: a line whose pen shows the weight. ``tag`` is its
    label (kept on top of every line); the red gradient arrows are drawn per gap by the
    editor (:func:`gradient_arrow`)."""

    def __init__(self, key: ParameterKey, p1: QPointF, p2: QPointF, z: float = Z_LINK) -> None:
        super().__init__(QLineF(p1, p2))
        self.key = key
        self.tag: TagItem | None = None
        self.tag_fraction = 0.5
        self.tag_shift = 0.0  # the label's centre this far off the line, away from the arrow
        self.masked = False
        self._pen = QPen()
        self.setZValue(z)

    def current_pen(self) -> QPen:
        return QPen(self._pen)

    def set_weight_pen(self, pen: QPen) -> None:
        """A new weight pen (ignored for masked links, which stay faint and dotted)."""
        if self.masked:
            pen = palette.masked_pen()
        if pen == self._pen:
            return
        self._pen = QPen(pen)
        self.setPen(pen)

    def set_masked(self, masked: bool) -> None:
        self.masked = masked
        if masked:
            self._pen = palette.masked_pen()
            self.setPen(self._pen)

    def point_at(self, fraction: float) -> QPointF:
        return self.line().pointAt(fraction)

    def tag_point(self) -> QPointF:
        """Where its label's centre goes: beside the line, on the side away from the
        gradient arrow (which runs on the upper side)."""
        return self.point_at(self.tag_fraction) - upper_normal(self.line()) * self.tag_shift


def upper_normal(line: QLineF) -> QPointF:
    """The unit vector at right angles to ``line`` on its upper side (screen y down)."""
    dx, dy = line.dx(), line.dy()
    length = math.hypot(dx, dy) or 1.0
    nx, ny = dy / length, -dx / length
    if ny > 0 or (ny == 0 and nx > 0):
        nx, ny = -nx, -ny
    return QPointF(nx, ny)


def gradient_arrow(line: QLineF, weight_width: float, width: float) -> QPolygonF:
    """A red arrow beside ``line`` (a link drawn source → target) pointing back from the
    target to the source: the gradient travelling backwards. ``width`` is its shaft's
    width; it sits ``weight_width / 2`` plus a small gap above the line."""
    n = upper_normal(line)
    shift = weight_width / 2 + 3.0 + width / 2
    start = line.pointAt(0.93) + n * shift  # near the target
    tip = line.pointAt(0.07) + n * shift  # near the source
    d = tip - start
    length = math.hypot(d.x(), d.y()) or 1.0
    u = d / length
    head = min(10.0 + 1.6 * width, length * 0.5)
    half_head = max(width * 1.4, 5.0)
    base = tip - u * head
    half = width / 2
    return QPolygonF(
        [
            start + n * half,
            base + n * half,
            base + n * half_head,
            tip,
            base - n * half_head,
            base - n * half,
            start - n * half,
        ]
    )


class EllipsisItem(QGraphicsPathItem):
    """Stands for the neurons of a large layer that are not drawn: '⋮' and 'n more' on a
    white label, so lines passing behind never make it unreadable."""

    def __init__(self, layer: int, hidden: int, pixels: int) -> None:
        super().__init__()
        self.layer, self.hidden = layer, hidden
        self.key = None
        self.setZValue(Z_TAG)
        self.setPen(Qt.PenStyle.NoPen)
        self.setBrush(palette.LABEL_BACKGROUND)
        self.dots_item = QGraphicsSimpleTextItem("⋮", self)
        self.dots_item.setFont(make_font(int(pixels * 2.0), bold=True))
        self.dots_item.setBrush(palette.MUTED_INK)
        self.count_item = QGraphicsSimpleTextItem(f"{hidden} more", self)
        self.count_item.setFont(make_font(pixels))
        self.count_item.setBrush(palette.MUTED_INK)
        dots = self.dots_item.boundingRect()
        count = self.count_item.boundingRect()
        # The dots are centred on the item's position, the count hangs to their right.
        self.dots_item.setPos(-dots.width() / 2, -dots.height() / 2)
        self.count_item.setPos(dots.width() / 2 + 2, -count.height() / 2)
        rect = QRectF(
            -dots.width() / 2 - 4,
            -dots.height() / 2,
            dots.width() + count.width() + 10,
            dots.height(),
        )
        self.setPath(rounded_rect_path(rect, 6.0))

    def text(self) -> str:
        return f"{self.dots_item.text()} {self.count_item.text()}"

    def place(self, centre: QPointF) -> None:
        """Centre the dots on ``centre``."""
        self.setPos(centre)


class LayerCaptionItem(QGraphicsSimpleTextItem):
    """A layer's caption under its column ('hidden 1 (tanh)'); clicking it selects the
    layer (``key`` = ("layer", index)), so the layer's edits act on it."""

    def __init__(self, layer: int, text: str) -> None:
        super().__init__(text)
        self.layer = layer
        self.key = ("layer", layer)
        self.setCursor(Qt.CursorShape.PointingHandCursor)


class ColumnHighlight(QGraphicsPathItem):
    """The soft rounded background behind the layer being computed."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(Z_HIGHLIGHT)
        self.setBrush(QBrush(palette.HIGHLIGHT_FILL))
        self.setPen(QPen(palette.HIGHLIGHT_EDGE, 2.0))
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.layer: int | None = None
        self.setVisible(False)

    def cover(self, layer: int | None, rect: QRectF | None) -> None:
        """Show behind ``rect`` (the column of ``layer``), or hide with None."""
        if layer == self.layer and (rect is None or self.isVisible()):
            return
        self.layer = layer
        if layer is None or rect is None:
            self.setVisible(False)
            return
        self.setPath(rounded_rect_path(rect, 24.0))
        self.setVisible(True)


class SelectionMarker(QGraphicsPathItem):
    """Shows what is selected: a translucent halo under a link, a ring round a neuron
    or a frame round a label."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setBrush(Qt.BrushStyle.NoBrush)
        self.setVisible(False)

    def mark(self, item: QGraphicsItem | None) -> None:
        if item is None:
            self.setVisible(False)
            return
        path = QPainterPath()
        if isinstance(item, LinkItem):
            line = item.line()
            path.moveTo(line.p1())
            path.lineTo(line.p2())
            color = QColor(palette.SELECTION)
            color.setAlpha(110)
            pen = QPen(color, item.current_pen().widthF() + 10.0)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            self.setZValue(Z_HALO)
        else:
            rect = item.sceneBoundingRect()
            centre = rect.center()
            if isinstance(item, QGraphicsEllipseItem):
                path.addEllipse(centre, rect.width() / 2 + 5, rect.height() / 2 + 5)
            else:
                path.addRoundedRect(rect.adjusted(-3, -3, 3, 3), 6, 6)
            pen = QPen(palette.SELECTION, 4.0)
            self.setZValue(Z_RING)
        self.setPen(pen)
        self.setPath(path)
        self.setVisible(True)
