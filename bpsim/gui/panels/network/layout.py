"""How the network is laid out: sizes, columns, and building the items.

The :class:`LayoutMixin` part of :class:`~bpsim.gui.panels.network.editor.NetworkEditor`
builds every item once per structure (and again after a drag or a new zoom).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsSimpleTextItem,
)

from bpsim.core.network import Network
from bpsim.gui.panels.network.base import EditorState
from bpsim.gui.panels.network.items import (
    Z_BAND,
    Z_BIAS_LINK,
    Z_GRADIENT,
    Z_TAG,
    BiasNodeItem,
    ColumnHighlight,
    EllipsisItem,
    LayerCaptionItem,
    LinkItem,
    NeuronItem,
    SelectionMarker,
    TagItem,
    make_font,
)
from bpsim.gui.state.session import ParameterKey
from bpsim.gui.style import palette
from bpsim.lessons.structure import neuron_position

#: Layers with more neurons than this are collapsed to their first and last few.
COLLAPSE_ABOVE = 12
#: How many neurons a collapsed layer shows before and after its ellipsis.
SHOW_HEAD = 4
SHOW_TAIL = 3
#: Gaps between two columns with more visible links than this get no labels on the links
#: (they would only cover each other); the tooltips still give every number.
MAX_LABELLED_LINKS = 16
#: In such crowded gaps only gradients at least this fraction of the largest get arrows.
DENSE_ARROW_FRACTION = 0.3
#: Presentation mode's promise: networks of up to this many neurons get primary numbers
#: (activations, weights, gradients) of at least the cap height it asks for.
PRESENT_MAX_NEURONS = 12
#: Cap height over pixel size of the fonts the canvas uses (measured, a little low).
CAP_RATIO = 0.7


def visible_indices(size: int) -> tuple[list[int], list[int]]:
    """The neurons of a layer of ``size`` that are drawn: (head, tail). The tail is empty
    when the whole layer is drawn; otherwise an ellipsis stands between the two."""
    if size <= COLLAPSE_ABOVE:
        return list(range(size)), []
    return list(range(SHOW_HEAD)), list(range(size - SHOW_TAIL, size))


@dataclass(frozen=True)
class _Sizes:
    """Scene sizes of one layout; two presets (roomy for small nets, compact for large).
    The scene is scaled to the window, so these only fix proportions; fonts are chosen
    so that text stays about 12 px or more in a 1200×800 window."""

    roomy: bool
    radius: float
    name_px: int
    value_px: int
    tag_px: int
    caption_px: int
    slot: float  # vertical distance between neighbouring neurons
    gap: float  # smallest horizontal distance between columns
    digits: int  # significant digits inside the circles
    bias_tags: bool  # per-neuron bias values drawn above the neurons
    zoom: float = 1.0  # the window's zoom these sizes include (see zoomed_sizes)
    present: bool = False  # sized for presentation mode (see presentation_sizes)
    half_width: float = 0.0  # neurons' half width when wider than high (0: circles)


ROOMY = _Sizes(
    roomy=True,
    radius=48,
    name_px=17,
    value_px=20,
    tag_px=16,
    caption_px=22,
    slot=250,
    gap=400,
    digits=6,
    bias_tags=True,
)
COMPACT = _Sizes(
    roomy=False,
    radius=37,
    name_px=14,
    value_px=17,
    tag_px=15,
    caption_px=21,
    slot=104,
    gap=400,
    digits=4,
    bias_tags=False,
)


def with_precision(sizes: _Sizes, digits: int) -> _Sizes:
    """``sizes`` showing ``digits`` significant digits (compact layouts at most 4, their
    circles are small), with circles large enough for the widest value, its name above
    and its net input below (grows linearly with the fonts, so a zoom scales it)."""
    shown = digits if sizes.roomy else min(digits, 4)
    chars = shown + 3  # a sign, "0" and the point
    width = 0.56 * chars * sizes.value_px
    height = sizes.name_px + sizes.value_px + 0.62 * sizes.value_px
    needed = 0.5 * math.hypot(width, height) + 0.1 * sizes.value_px
    return replace(sizes, digits=shown, radius=max(sizes.radius, needed))


#: How presenting makes room for the labels of crossing links, in pixels of text: free
#: height between two rows and free width between two columns. Two labels one above the
#: other between the rows, or (when the columns can be far apart) side by side.
ROOMS: tuple[tuple[float, float], ...] = ((8.0, 9.0), (4.5, 17.0))


def presentation_sizes(
    sizes: _Sizes,
    text: float,
    rows: int,
    depth: int,
    room: QRectF,
    spacing: tuple[float, float] = ROOMS[0],
) -> _Sizes:
    """Sizes for presentation mode with primary numbers ``text`` pixels high, laid out to
    fill ``room`` (the view, in pixels) so the scene is drawn at about its own size: the
    rows and columns spread over the room, never closer than the labels need."""
    sizes = replace(
        sizes,
        roomy=True,
        name_px=round(0.8 * text),
        value_px=round(text),
        tag_px=round(text),
        caption_px=round(0.72 * text),
        present=True,
        bias_tags=True,
    )
    # Neurons as ellipses round their text (wide and low: rows need height, not width).
    chars = sizes.digits + 3
    width = 0.56 * chars * sizes.value_px
    height = sizes.name_px + sizes.value_px + 0.62 * sizes.value_px
    r, rx = 0.72 * height + 0.1 * text, 0.72 * width + 0.1 * text
    # above the top row: a bias label (two lines); below the last: δ and the captions
    fixed = 2 * r + 3.3 * text + 1.9 * text + 50 + 2 * 30
    # two three-line labels of crossing links fit one above the other between the rows
    row_room, column_room = spacing
    slot = max((room.height() - fixed) / max(rows - 1, 1), 2 * r + row_room * text)
    # right of the outputs: their targets and errors (secondary labels, 24 characters)
    gap = max(
        (room.width() - 2 * rx - 60 - 11.5 * text) / max(depth, 1), 2 * rx + column_room * text
    )
    return replace(sizes, radius=r, half_width=rx, slot=slot, gap=gap)


def presentation_text_limit(
    digits: int, rows: int, depth: int, room: QRectF
) -> tuple[float, tuple[float, float]]:
    """The largest ``text`` :func:`presentation_sizes` can lay out in ``room`` without
    pressing the rows or columns closer than their labels need (the same measures), and
    the spacing of :data:`ROOMS` that gives it."""
    r = 0.72 * 2.42 + 0.1  # per pixel of text
    rx = 0.72 * 0.56 * (digits + 3) + 0.1
    best = (0.0, ROOMS[0])
    for row_room, column_room in ROOMS:
        height_per_text = 2 * r + 5.2 + max(rows - 1, 0) * (2 * r + row_room)
        width_per_text = 2 * rx + 11.5 + depth * (2 * rx + column_room)
        limit = min((room.height() - 110) / height_per_text, (room.width() - 60) / width_per_text)
        if limit > best[0] * 1.02:
            best = (limit, (row_room, column_room))
    return max(best[0], 6.0), best[1]


def half_width(sizes: _Sizes) -> float:
    """Half the width of a neuron (its radius, for circles)."""
    return sizes.half_width or sizes.radius


def secondary_px(sizes: _Sizes) -> int:
    """Pixel size of secondary labels (biases, targets): smaller when presenting, where
    the primary numbers get the room."""
    return round(0.78 * sizes.tag_px) if sizes.present else sizes.tag_px


#: Width over height the layout aims for (columns spread out to fill a wide window).
ASPECT = 1.55


def zoomed_sizes(sizes: _Sizes, zoom: float, base_gap: float | None = None) -> _Sizes:
    """``sizes`` with neurons and text ``zoom`` times as large, and the rows and columns
    further apart by what they need (from the preset's ``base_gap``: columns spread out
    to fill a wide window have room to spare). The network is fitted to its panel, so a
    zoom makes the items larger *within* the picture, not the picture: a label-dense
    network such as the 2-2-2 looks about as large as before, with larger text and
    thicker lines in it; closing a panel or presentation mode's full screen gives it
    more room."""
    grow = max(zoom - 1.0, 0.0)
    return replace(
        sizes,
        radius=sizes.radius * zoom,
        name_px=round(sizes.name_px * zoom),
        value_px=round(sizes.value_px * zoom),
        tag_px=round(sizes.tag_px * zoom),
        caption_px=round(sizes.caption_px * zoom),
        # a neuron, its δ and one two-line label of a crossing link, all larger
        # (less than the items grow, so the text grows on screen too)
        slot=sizes.slot + grow * (sizes.radius + 1.4 * sizes.value_px + 2.6 * sizes.tag_px),
        gap=max(sizes.gap, (base_gap or sizes.gap) + grow * (sizes.radius + 8 * sizes.tag_px)),
        zoom=sizes.zoom * zoom,
    )


@dataclass
class _Column:
    """What is drawn of one layer."""

    layer: int
    x: float
    indices: list[int]  # visible neurons, top to bottom
    ys: list[float]  # their centres
    ellipsis_y: float | None = None
    neurons: list[NeuronItem] = field(default_factory=list)
    top: float = 0.0
    bottom: float = 0.0


def _unit(d: QPointF) -> QPointF:
    return d / (math.hypot(d.x(), d.y()) or 1.0)


def _max_abs(values: np.ndarray) -> float:
    """The largest finite |value| (0 for none): what a layer's pens are scaled by."""
    if values.size == 0:
        return 0.0
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 0.0


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The areas rectangles (…, 4) as (x0, y0, x1, y1) share with each of ``b`` (m, 4):
    shape (…, m)."""
    if b.size == 0:
        return np.zeros((*a.shape[:-1], 0))
    a = a[..., None, :]
    w = np.minimum(a[..., 2], b[:, 2]) - np.maximum(a[..., 0], b[:, 0])
    h = np.minimum(a[..., 3], b[:, 3]) - np.maximum(a[..., 1], b[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def _overlap(a: QRectF, b: QRectF) -> float:
    """The area two rectangles share."""
    inter = a.intersected(b)
    return 0.0 if inter.isEmpty() else inter.width() * inter.height()


class LayoutMixin(EditorState):
    """Building the items of the editor (columns, links, biases, captions)."""

    def _build(self, net: Network, sizes: _Sizes, measure: bool = False) -> None:
        """Every item, from scratch, with the current weights shown (``measure``: all
        but the lines of crowded gaps, enough to know how large the drawing is)."""
        scene = self.scene()
        self._shown = None
        scene.clear()
        self._columns, self._links, self._gap_links, self._gradient_paths = [], {}, [], []
        self._dense = []
        self._bias_nodes, self._bias_node_tags, self._bias_links = {}, {}, {}
        self._bias_tags = {}
        self._target_tags = {}
        self._focus_tags = {}
        self._ellipses, self._captions = [], []
        self._sizes = sizes
        self._build_columns(net, sizes)
        self._build_biases(net, sizes)  # before the links: their labels keep clear of it
        self._build_links(net, sizes, measure)
        self._build_captions(net, sizes)
        self._build_targets(net, sizes)
        self._highlight = ColumnHighlight()
        scene.addItem(self._highlight)
        self._marker = SelectionMarker()
        scene.addItem(self._marker)
        self.refresh_parameters()

    def _build_columns(self, net: Network, sizes: _Sizes) -> None:
        scene = self.scene()
        view = self.session.trainer.lesson.view
        for layer, size in enumerate(net.sizes):
            head, tail = visible_indices(size)
            n_slots = len(head) + len(tail) + (1 if tail else 0)
            ys = [(s - (n_slots - 1) / 2) * sizes.slot for s in range(n_slots)]
            x = layer * sizes.gap
            column = _Column(layer, x, head + tail, ys[: len(head)] + ys[len(head) + 1 :])
            if tail:
                column.ellipsis_y = ys[len(head)]
                hidden = size - len(head) - len(tail)
                dots = EllipsisItem(layer, hidden, sizes.tag_px + 2)
                dots.place(QPointF(x, column.ellipsis_y))
                scene.addItem(dots)
                self._ellipses.append(dots)
            for index, y in zip(column.indices, column.ys, strict=True):
                neuron = NeuronItem(
                    layer,
                    index,
                    net.labels[layer][index],
                    sizes.radius,
                    sizes.name_px,
                    sizes.value_px,
                    half_width(sizes),
                    secondary_px(sizes) if sizes.present else None,
                )
                place = neuron_position(view, layer, index)
                if place is None:
                    neuron.setPos(x, y)
                else:  # dragged there: layout units, so the place survives a new layout
                    neuron.setPos(place[0] * sizes.gap, place[1] * sizes.slot)
                scene.addItem(neuron)
                column.neurons.append(neuron)
            column.top, column.bottom = ys[0] - sizes.radius, ys[-1] + sizes.radius
            self._columns.append(column)

    def _build_links(self, net: Network, sizes: _Sizes, measure: bool = False) -> None:
        scene = self.scene()
        for k in range(net.depth):
            left, right = self._columns[k], self._columns[k + 1]
            mask = net.masks[k]
            gap: list[LinkItem] = []
            if measure and len(left.indices) * len(right.indices) > MAX_LABELLED_LINKS:
                self._gap_links.append(gap)
                self._dense.append(True)
                self._gradient_paths.append(QGraphicsPathItem())
                continue
            for j, target in zip(right.indices, right.neurons, strict=True):
                for i, source in zip(left.indices, left.neurons, strict=True):
                    a, b = source.pos(), target.pos()
                    u = _unit(b - a)
                    ends = (a + u * source.edge(u), b - u * target.edge(u))
                    link = LinkItem(ParameterKey(k, j, i), *ends)
                    if mask is not None and mask[j, i] == 0:
                        link.set_masked(True)
                    scene.addItem(link)
                    self._links[(k, j, i)] = link
                    gap.append(link)
            self._gap_links.append(gap)
            self._dense.append(len(gap) > MAX_LABELLED_LINKS)
            arrows = QGraphicsPathItem()
            arrows.setPen(Qt.PenStyle.NoPen)
            arrows.setBrush(palette.GRADIENT)
            arrows.setZValue(Z_GRADIENT)
            scene.addItem(arrows)
            self._gradient_paths.append(arrows)
            self._build_bands(left, right)
            if len(gap) <= MAX_LABELLED_LINKS and not measure:  # labels sit on their lines
                self._place_link_tags(k, gap, sizes)
            elif not measure:  # one label, for the selected or focused link only
                tag = TagItem(sizes.tag_px)
                tag.setZValue(Z_TAG)
                tag.setVisible(False)
                scene.addItem(tag)
                self._focus_tags[k] = tag

    def _build_bands(self, left: _Column, right: _Column) -> None:
        """Faint wedges between an ellipsis and the other column: the links not drawn."""
        r = self._sizes.radius
        fill = QColor(120, 120, 120, 20)
        for source, target, sign in ((left, right, 1), (right, left, -1)):
            if source.ellipsis_y is None:
                continue
            tip = QPointF(source.x + sign * r * 0.5, source.ellipsis_y)
            x = target.x - sign * r
            wedge = QGraphicsPolygonItem(
                QPolygonF([tip, QPointF(x, target.ys[0]), QPointF(x, target.ys[-1])])
            )
            wedge.setBrush(fill)
            wedge.setPen(Qt.PenStyle.NoPen)
            wedge.setZValue(Z_BAND)
            self.scene().addItem(wedge)

    def _build_biases(self, net: Network, sizes: _Sizes) -> None:
        scene = self.scene()
        top = min(min(c.ys[0], *(n.y() for n in c.neurons)) for c in self._columns)
        roomy = sizes.roomy
        for k in range(net.depth):
            layer = net.layers[k + 1]
            target = self._columns[k + 1]
            if layer.bias == "shared":
                key = ParameterKey(k, 0, bias=True)
                radius = (16.0 if roomy else 13.0) * sizes.zoom
                if sizes.present:
                    radius = 0.45 * sizes.value_px
                node = BiasNodeItem(key, radius, secondary_px(sizes))
                node_y = top - sizes.slot * (0.62 if roomy else 1.0)
                if sizes.present:  # just above the top row, whatever the rows' spacing
                    node_y = top - sizes.radius - 0.9 * sizes.value_px
                node_x = self._columns[k].x + sizes.gap * (0.18 if roomy else 0.25)
                node.setPos(node_x, node_y)
                scene.addItem(node)
                self._bias_nodes[k] = node
                tag = TagItem(secondary_px(sizes), first_color=palette.MUTED_INK, key=key)
                tag.setZValue(Z_TAG)
                scene.addItem(tag)
                self._bias_node_tags[k] = tag
                widest = "−0." + "0" * (sizes.digits + 1)  # room for its gradient, later
                tag.set_lines(f"b = {widest}", f"∂E/∂b ={self._joiner()}{widest}")
                self._place_bias_tag(k, 0)
                lines: list[LinkItem] = []
                for neuron in target.neurons:
                    a, b = QPointF(node_x, node_y), neuron.pos()
                    u = _unit(b - a)
                    line = LinkItem(key, a + u * radius, b - u * neuron.edge(u), z=Z_BIAS_LINK)
                    line.setOpacity(0.6)  # a bias matters, but less than the picture's links
                    scene.addItem(line)
                    lines.append(line)
                self._bias_links[k] = lines
            elif layer.bias == "per_neuron" and sizes.bias_tags:
                for j in target.indices:
                    key = ParameterKey(k, j, bias=True)
                    tag = TagItem(secondary_px(sizes) - 1, first_color=palette.MUTED_INK, key=key)
                    tag.setZValue(Z_TAG)
                    scene.addItem(tag)
                    self._bias_tags[(k, j)] = tag

    def _build_captions(self, net: Network, sizes: _Sizes) -> None:
        scene = self.scene()
        bottom = max(max(c.ys[-1], *(n.y() for n in c.neurons)) for c in self._columns)
        bottom += sizes.radius + (50 if sizes.roomy else 34)
        for column in self._columns:
            k = column.layer
            if k == 0:
                text = "input"
            elif k == net.depth:
                text = f"output ({net.layers[k].activation})"
            else:
                text = f"hidden {k} ({net.layers[k].activation})"
            if net.sizes[k] > COLLAPSE_ABOVE:
                text += f"\n{net.sizes[k]} neurons"
            caption = LayerCaptionItem(k, text)
            caption.setFont(make_font(sizes.caption_px, bold=True))
            caption.setBrush(palette.MUTED_INK)
            r = caption.boundingRect()
            caption.setPos(column.x - r.width() / 2, bottom)
            scene.addItem(caption)
            self._captions.append(caption)
        caption_bottom = bottom + max(c.boundingRect().height() for c in self._captions)
        font = make_font(sizes.caption_px - 3)
        font.setItalic(True)
        self._batch_caption = QGraphicsSimpleTextItem("")
        self._batch_caption.setFont(font)
        self._batch_caption.setBrush(palette.MUTED_INK)
        self._batch_caption.setPos(self._columns[0].x - sizes.radius, caption_bottom + 10)
        scene.addItem(self._batch_caption)
        self._batch_caption.setText(self._batch_text(1797, 1000))  # the longest, to measure
        self._batch_rect = self._batch_caption.sceneBoundingRect()
        self._batch_caption.setText("")

    def _build_targets(self, net: Network, sizes: _Sizes) -> None:
        """A label right of each output neuron: its target and its error (out − target),
        made as wide as they can get so the picture does not shift when they fill in."""
        last = self._columns[-1]
        for neuron in last.neurons:
            tag = TagItem(secondary_px(sizes), first_color=palette.MUTED_INK)
            tag.setZValue(Z_TAG)
            tag.set_lines("target = −0.000000", f"out − target ={self._joiner()}−0.0000000")
            self.scene().addItem(tag)
            self._target_tags[neuron.index] = tag
            self._place_target_tag(neuron.index)

    def _place_target_tag(self, index: int) -> None:
        neuron = self.neuron_item(len(self._columns) - 1, index)
        tag = self._target_tags.get(index)
        if neuron is None or tag is None:
            return
        rect = tag.rect()
        tag.setPos(neuron.x() + neuron.half_width + 10 + rect.width() / 2, neuron.y())

    # -- dragged neurons ---------------------------------------------------------------

    def apply_positions(self) -> None:
        """The lesson's view has new neuron places: while a drag is under way only the
        dragged neuron and its links move; otherwise (undo, redo, the drag's end) the
        drawing is laid out again around the new places."""
        if self._drag is None:
            self._refit_after_move()
            return
        view = self.session.trainer.lesson.view
        sizes = self._sizes
        for column in self._columns:
            for index, y, neuron in zip(column.indices, column.ys, column.neurons, strict=True):
                place = neuron_position(view, column.layer, index)
                point = (
                    QPointF(column.x, y)
                    if place is None
                    else QPointF(place[0] * sizes.gap, place[1] * sizes.slot)
                )
                if point != neuron.pos():
                    neuron.setPos(point)
                    self._relink(column.layer, index)
        self._draw_gradients(self._trace())
        if self._selected is not None:
            self._marker.mark(self._item_for_key(self._selected))

    def _relink(self, layer: int, index: int) -> None:
        """Lines, labels and bias marks of one neuron follow it to its new place."""

        def edge(item: NeuronItem | BiasNodeItem, u: QPointF) -> float:
            return item.edge(u) if isinstance(item, NeuronItem) else item.radius

        def place(link: LinkItem | None, a: NeuronItem | BiasNodeItem, b: NeuronItem) -> None:
            if link is None:
                return
            u = _unit(b.pos() - a.pos())
            link.setLine(QLineF(a.pos() + u * edge(a, u), b.pos() - u * edge(b, u)))
            if link.tag is not None:
                link.tag.setPos(link.tag_point())

        here = self.neuron_item(layer, index)
        if here is None:
            return
        if layer == len(self._columns) - 1:
            self._place_target_tag(index)
        if layer > 0:
            for source in self._columns[layer - 1].neurons:
                place(self._links.get((layer - 1, index, source.index)), source, here)
            if (layer - 1, index) in self._bias_tags:
                self._place_bias_tag(layer - 1, index)
            node = self._bias_nodes.get(layer - 1)
            if node is not None:
                lines = self._bias_links[layer - 1]
                position = self._columns[layer].indices.index(index)
                place(lines[position], node, here)
        if layer + 1 < len(self._columns):
            for target in self._columns[layer + 1].neurons:
                place(self._links.get((layer, target.index, index)), here, target)

    def _refit_after_move(self) -> None:
        self._restore_selection = True
        self.rebuild()

    def _update_scene_rect(self) -> None:
        """The drawing plus a margin, and room for the batch caption when batches have
        more than one sample (so the picture does not jump when it appears)."""
        rect = QRectF(self._base_rect)
        if self.session.trainer.batch_size > 1:
            rect = rect.united(self._batch_rect)
        margin = 30.0
        rect.adjust(-margin, -margin, margin, margin)
        if rect != self.scene().sceneRect():
            self.scene().setSceneRect(rect)
            self._fit()
