"""The network drawn as a teacher draws it on the board, live.

Neurons are circles in columns (input left, output right), links are lines. After a
forward pass each neuron shows its value and is filled by it; after a backward pass red
arrows run back along the links with ∂E/∂w beside them, and each neuron shows its δ.
Stepping layer by layer highlights the layer just computed.

The editor is a thin view: every number comes from the session's trainer (its trace and
parameters) and is only formatted and coloured here. Items are built once per network
structure (``lessonReplaced``) and afterwards only get new pens, fills and texts, so a
repaint while training costs a few milliseconds. Layers of more than
:data:`COLLAPSE_ABOVE` neurons show their first and last few with an ellipsis between,
so a 784-input network draws a few hundred items, not hundreds of thousands.

Edits go through the :class:`~bpsim.gui.state.controller.Controller` (undoable); double-click a
link (or a bias, or a neuron for its bias) to type a new value in a small inline editor
that never blocks; F2 renames a neuron. The network itself is edited from the Network
menu and the right-click menus (:mod:`~bpsim.gui.panels.network.edit_actions`, acting on
the selection: a link, a neuron, or a layer by its caption), and neurons are dragged to
new places, which the lesson's ``view`` keeps in layout units (columns, rows) so they
survive a new layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPolygonF,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.network import Network, Trace
from bpsim.core.trainer import Phase
from bpsim.gui.panels.network.edit_actions import NetworkEditActions
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
    gradient_arrow,
    make_font,
)
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.gui.style import palette
from bpsim.lessons.structure import neuron_position
from bpsim.teaching.explain import Names, names_for
from bpsim.text import fmt, full, parse_number

if TYPE_CHECKING:
    from bpsim.gui.style.appearance import Appearance

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
#: Digits shown inside circles and on labels (full precision is in the tooltips).
DIGITS = 4


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


ROOMY = _Sizes(
    roomy=True,
    radius=48,
    name_px=17,
    value_px=20,
    tag_px=16,
    caption_px=22,
    slot=250,
    gap=400,
    digits=DIGITS,
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
    digits=3,
    bias_tags=False,
)
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
        slot=sizes.slot + grow * (2 * sizes.radius + 1.4 * sizes.value_px + 2.6 * sizes.tag_px),
        gap=max(sizes.gap, (base_gap or sizes.gap) + grow * (2 * sizes.radius + 11 * sizes.tag_px)),
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


class _ValueLineEdit(QLineEdit):
    """A line edit that reports Esc (QLineEdit ignores it) and keeps Enter to itself (so
    the view, which opens the editor on Enter, does not reopen it)."""

    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            event.accept()
            return
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class InlineValueEditor(QFrame):
    """A small non-modal box over the view: name, a line edit, and an error line.

    Enter applies, Esc closes; a refused value keeps the box open with the reason.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("network_editor_inline")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "#network_editor_inline { background: palette(base); border: 2px solid #6a3d9a;"
            " border-radius: 6px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        row = QHBoxLayout()
        self.label = QLabel(self)
        self.edit = _ValueLineEdit(self)
        self.edit.setObjectName("network_editor_value")
        self.edit.setMinimumWidth(130)
        row.addWidget(self.label)
        row.addWidget(self.edit, 1)
        layout.addLayout(row)
        self.error = QLabel(self)
        self.error.setObjectName("network_editor_error")
        self.error.setStyleSheet("color: #c8102e;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() * 1.4, 13.0))  # readable on a projector
        # Set on each child: a style sheet stops fonts propagating from the frame.
        for widget in (self, self.label, self.edit, self.error):
            widget.setFont(font)
        self.key: ParameterKey | None = None
        self.neuron: tuple[int, int] | None = None  # renaming this neuron instead
        self.hide()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.adjustSize()


class NetworkEditor(QGraphicsView):
    """The network as circles and lines, following the session; see the module doc.

    ``selectionChangedTo`` carries a :class:`ParameterKey` (a link or a bias), a
    ``("neuron", layer, index)`` tuple, a ``("layer", index)`` tuple (a layer's caption
    was clicked), or None when nothing is selected.
    ``message`` carries text for the status bar (a refused edit).
    """

    selectionChangedTo = Signal(object)
    message = Signal(str)
    #: The neuron under the mouse, ("neuron", layer, index), or None when it leaves one
    #: (the decision map shows the hovered neuron's own map).
    neuronHovered = Signal(object)

    #: Clicks and tooltips this many pixels from a thin line still count.
    HIT_TOLERANCE = 7

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("network_editor")
        self.session = session
        self.controller = controller
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setBackgroundBrush(QBrush(palette.BACKGROUND))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumSize(320, 220)
        self._inline = InlineValueEditor(self.viewport())
        self._inline.edit.returnPressed.connect(self.commit_edit)
        self._inline.edit.escaped.connect(self.cancel_edit)
        self._columns: list[_Column] = []
        self._links: dict[tuple[int, int, int], LinkItem] = {}
        self._gap_links: list[list[LinkItem]] = []
        self._gradient_paths: list[QGraphicsPathItem] = []
        self._bias_nodes: dict[int, BiasNodeItem] = {}
        self._bias_node_tags: dict[int, TagItem] = {}
        self._bias_links: dict[int, list[LinkItem]] = {}
        self._bias_tags: dict[tuple[int, int], TagItem] = {}  # per-neuron biases
        self._ellipses: list[EllipsisItem] = []
        self._captions: list[QGraphicsSimpleTextItem] = []
        self._highlight = ColumnHighlight()
        self._marker = SelectionMarker()
        self._batch_caption = QGraphicsSimpleTextItem()
        self._batch_rect = QRectF()
        self._base_rect = QRectF()
        self._dense: list[bool] = []
        self._names: Names | None = None
        self._sizes = ROOMY
        self._selected: object | None = None
        self._trace_state: tuple | None = None
        self._shown: tuple[Network, np.ndarray] | None = None  # the values the pens show
        self._zoom = 1.0  # the window's zoom (apply_appearance)
        self._look: tuple[float, str] = (1.0, "light")  # zoom and theme items were built for
        session.lessonReplaced.connect(self.rebuild)
        session.parametersChanged.connect(self.refresh_parameters)
        session.traceChanged.connect(self.refresh_trace)
        session.stateChanged.connect(self._on_state)
        session.settingsChanged.connect(self._update_scene_rect)
        session.runningChanged.connect(self._on_running)
        session.structureChanged.connect(self._keep_selection_once)
        session.viewChanged.connect(self.apply_positions)
        self._restore_selection = False
        # A neuron pressed: its key, its centre less the mouse, where the press was.
        self._press: tuple[tuple, QPointF, QPointF] | None = None
        self._drag: int | None = None  # the drag under way (its moves merge)
        self._context_menu: QMenu | None = None
        self.rebuild()
        #: The Network menu's actions, acting on this editor's selection.
        self.edit_actions = NetworkEditActions(self, controller.structure)
        self.addActions(list(self.edit_actions.actions.values()))
        delete = self.edit_actions.actions["delete_selected"]
        delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- structure -------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return self.session.trainer.network

    def rebuild(self) -> None:
        """Build every item for the current network (a new lesson: new structure)."""
        self.cancel_edit()
        self._trace_state = None
        net = self.network
        self._names = names_for(net, self.session.trainer.lesson.view)
        slots = [len(h) + len(t) + (1 if t else 0) for h, t in map(visible_indices, net.sizes)]
        sizes = ROOMY if max(slots) <= 4 else COMPACT
        per_neuron = any(layer.bias == "per_neuron" for layer in net.layers[1:])
        if sizes.roomy and per_neuron and max(slots) <= 2:
            # Bias labels above the neurons and δ below: more room between the rows, so
            # the labels of crossing links find free places.
            sizes = replace(sizes, slot=sizes.slot * 1.2)
        # Spread (or narrow) the columns so the picture is about as wide as a window: less
        # crowding of the links, and larger text once scaled to fit. The first build only
        # measures: the lines of crowded gaps and the labels on lines, which lie inside the
        # columns' extent, are left out of it, so an edit builds its lines once.
        self._build(net, sizes, measure=True)
        bounds = self.scene().itemsBoundingRect()
        final = sizes
        if net.depth and bounds.height() > 0:
            gap = sizes.gap + (ASPECT * bounds.height() - bounds.width()) / net.depth
            gap = min(max(gap, 0.8 * sizes.gap), 2.0 * sizes.gap)
            if abs(gap - sizes.gap) > 0.05 * sizes.gap:
                final = replace(sizes, gap=gap)
        if self._zoom != 1.0:  # larger items in the layout found at 100 %
            final = zoomed_sizes(final, self._zoom, sizes.gap)
        self._build(net, final)
        self._base_rect = self.scene().itemsBoundingRect()
        self._update_scene_rect()
        self.refresh_trace()
        self._fit()
        previous, keep = self._selected, self._restore_selection
        self._restore_selection = False
        self._selected = None
        if keep and previous is not None and self._item_for_key(previous) is not None:
            self.select_key(previous)  # an edit keeps what it acted on selected
            if self._selected == previous:
                return
        if previous is not None:
            self.selectionChangedTo.emit(None)

    def _keep_selection_once(self) -> None:
        self._restore_selection = True

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
        self._ellipses, self._captions = [], []
        self._sizes = sizes
        self._build_columns(net, sizes)
        self._build_links(net, sizes, measure)
        self._build_biases(net, sizes)
        self._build_captions(net, sizes)
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
        r = sizes.radius
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
                    link = LinkItem(ParameterKey(k, j, i), a + u * r, b - u * r)
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

    def _place_link_tags(self, k: int, gap: list[LinkItem], sizes: _Sizes) -> None:
        """Label every link of a small gap, placing labels greedily where they cover
        neither each other, nor a neuron, nor its δ and bias labels (so on a 2-2-2 they
        end up staggered along the links)."""
        net = self.network
        delta_h = (sizes.value_px - 2) * 1.4 + 8
        bias_h = sizes.tag_px * 2.6 + 8
        obstacles: list[QRectF] = []
        for column in (self._columns[k], self._columns[k + 1]):
            has_bias_tags = (
                sizes.bias_tags
                and column.layer > 0
                and net.layers[column.layer].bias == "per_neuron"
            )
            for n in column.neurons:
                rect = n.sceneBoundingRect().adjusted(-6, -6, 6, 6)
                if column.layer > 0:
                    rect.adjust(-30 * sizes.zoom, 0, 30 * sizes.zoom, delta_h)  # δ's width
                if has_bias_tags:
                    rect.adjust(0, -bias_h, 0, 0)
                obstacles.append(rect)
        fractions = (0.5, 0.42, 0.58, 0.35, 0.65, 0.28, 0.72, 0.22, 0.78, 0.17, 0.83, 0.12, 0.88)
        boxes: list[QRectF] = []  # each label's rectangle round (0, 0)
        tags: list[TagItem] = []
        for link in gap:
            key = link.key
            name = self._weight_symbol(key.k, key.j, key.i)
            tag = TagItem(sizes.tag_px, key=key)
            tag.set_lines(f"{name} = −0.00000", f"∂E/∂{name} = −0.0000·10^−5")  # the widest
            boxes.append(tag.rect().adjusted(-4, -3, 4, 3))
            tag.set_lines("", "")
            tags.append(tag)

        # Every candidate place of every label as a rectangle (x0, y0, x1, y1), and what
        # each costs: off-centre, over obstacles, and over each other candidate.
        fs = np.array(fractions)
        places = np.array(
            [[(p.x(), p.y()) for p in map(link.point_at, fractions)] for link in gap]
        )  # (links, fractions, 2)
        size = np.array([(b.left(), b.top(), b.right(), b.bottom()) for b in boxes])
        rects = np.concatenate(
            [places + size[:, None, :2], places + size[:, None, 2:]], axis=2
        )  # (links, fractions, 4)
        walls = np.array([(o.left(), o.top(), o.right(), o.bottom()) for o in obstacles])
        base = 20 * np.abs(fs - 0.5)[None, :] + 2 * _overlaps(rects, walls).sum(axis=2)
        flat = rects.reshape(-1, 4)
        pair = 2 * _overlaps(flat, flat).reshape(len(gap), len(fs), len(gap), len(fs))
        chosen_at: list[int | None] = [None] * len(gap)

        def costs(n: int) -> np.ndarray:
            """Label n's cost at each fraction, given where the others are."""
            total = base[n].copy()
            for m, g in enumerate(chosen_at):
                if m != n and g is not None:
                    total += pair[n, :, m, g]
            return total

        # Greedy first, then a few rounds of moving each label to its best place given
        # the others: enough for the handful of links a gap with labels has.
        for n in range(len(gap)):
            chosen_at[n] = int(np.argmin(costs(n)))
        for _ in range(4):
            moved = False
            for n in range(len(gap)):
                row = costs(n)
                best = int(np.argmin(row))
                current = chosen_at[n]
                assert current is not None
                if row[best] < row[current] - 1e-9:
                    chosen_at[n], moved = best, True
            if not moved:
                break
        chosen = [None if g is None else fractions[g] for g in chosen_at]
        for link, tag, fraction in zip(gap, tags, chosen, strict=True):
            assert fraction is not None
            tag.setZValue(Z_TAG)
            tag.setPos(link.point_at(fraction))
            self.scene().addItem(tag)
            link.tag, link.tag_fraction = tag, fraction

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
                node = BiasNodeItem(key, radius, sizes.tag_px)
                node_y = top - sizes.slot * (0.62 if roomy else 1.0)
                node_x = self._columns[k].x + sizes.gap * (0.18 if roomy else 0.25)
                node.setPos(node_x, node_y)
                scene.addItem(node)
                self._bias_nodes[k] = node
                tag = TagItem(sizes.tag_px, first_color=palette.MUTED_INK, key=key)
                tag.setZValue(Z_TAG)
                scene.addItem(tag)
                self._bias_node_tags[k] = tag
                lines: list[LinkItem] = []
                for neuron in target.neurons:
                    a, b = QPointF(node_x, node_y), neuron.pos()
                    u = _unit(b - a)
                    line = LinkItem(key, a + u * radius, b - u * sizes.radius, z=Z_BIAS_LINK)
                    line.setOpacity(0.6)  # a bias matters, but less than the picture's links
                    scene.addItem(line)
                    lines.append(line)
                self._bias_links[k] = lines
            elif layer.bias == "per_neuron" and sizes.bias_tags:
                for j in target.indices:
                    key = ParameterKey(k, j, bias=True)
                    tag = TagItem(sizes.tag_px - 1, first_color=palette.MUTED_INK, key=key)
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
        r = self._sizes.radius

        def place(link: LinkItem | None, a: QPointF, b: QPointF, ra: float) -> None:
            if link is None:
                return
            u = _unit(b - a)
            link.setLine(QLineF(a + u * ra, b - u * r))
            if link.tag is not None:
                link.tag.setPos(link.point_at(link.tag_fraction))

        here = self.neuron_item(layer, index)
        if here is None:
            return
        if layer > 0:
            for source in self._columns[layer - 1].neurons:
                place(
                    self._links.get((layer - 1, index, source.index)), source.pos(), here.pos(), r
                )
            if (layer - 1, index) in self._bias_tags:
                self._place_bias_tag(layer - 1, index)
            node = self._bias_nodes.get(layer - 1)
            if node is not None:
                lines = self._bias_links[layer - 1]
                position = self._columns[layer].indices.index(index)
                place(lines[position], node.pos(), here.pos(), node.radius)
        if layer + 1 < len(self._columns):
            for target in self._columns[layer + 1].neurons:
                place(self._links.get((layer, target.index, index)), here.pos(), target.pos(), r)

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

    # -- names -----------------------------------------------------------------------

    def _weight_symbol(self, k: int, j: int, i: int) -> str:
        """'w5' when the lesson names the weight, else 'w'."""
        assert self._names is not None
        return self._names.parameters.get(f"weights[{k}][{j}][{i}]", "w")

    def _bias_symbol(self, k: int, j: int) -> str:
        assert self._names is not None
        return self._names.parameters.get(f"biases[{k}][{j}]", "b")

    def key_label(self, key: ParameterKey) -> str:
        """How ``key`` is named for people (undo history, editor): 'w5 (h1 → y1)'."""
        net = self.network
        if key.bias:
            symbol = self._bias_symbol(key.k, key.j)
            name = net.bias_name(key.k, key.j)
            return name if symbol == "b" else f"{symbol} {name}"
        symbol = self._weight_symbol(key.k, key.j, key.i)
        name = net.weight_name(key.k, key.j, key.i)
        return f"weight {name}" if symbol == "w" else f"{symbol} ({name})"

    # -- refreshing ------------------------------------------------------------------

    def _trace(self) -> Trace | None:
        """The trace when it describes the current parameters; None before a forward pass
        and after an edit or a new sample choice (its values would be stale)."""
        trainer = self.session.trainer
        if trainer.trace is None or trainer.phase is Phase.READY:
            return None
        return trainer.trace

    def _backward_from(self, trace: Trace | None) -> int:
        """The first layer whose deltas are known (depth + 1: none yet)."""
        depth = self.network.depth
        if trace is None or trace.backward_done <= 0:
            return depth + 1
        return depth - trace.backward_done + 1

    def refresh_parameters(self) -> None:
        """New weights or biases: link pens, weight and bias labels."""
        net = self.network
        if (
            self._shown is not None
            and self._shown[0] is net
            and np.array_equal(self._shown[1], net.flat)
        ):
            return  # the values on screen (a new lesson is drawn, then announced)
        self._shown = (net, net.flat.copy())
        for k, w in enumerate(net.weights):
            max_abs = _max_abs(w)
            dense = self._dense[k]
            for link in self._gap_links[k]:
                key = link.key
                value = float(w[key.j, key.i])
                if dense:  # many lines: thinner and see-through, so they read as a texture
                    link.set_weight_pen(palette.weight_pen(value, max_abs, 4.0, 170))
                else:
                    link.set_weight_pen(palette.weight_pen(value, max_abs))
                if link.tag is not None:
                    symbol = self._weight_symbol(key.k, key.j, key.i)
                    link.tag.set_lines(f"{symbol} = {fmt(value, DIGITS)}", link.tag.second_text())
            b = net.biases[k]
            if k in self._bias_nodes:
                value = float(b[0])
                pen = palette.weight_pen(value, max(max_abs, abs(value)))
                for line in self._bias_links[k]:
                    line.set_weight_pen(pen)
                tag = self._bias_node_tags[k]
                if tag.set_lines(
                    f"{self._bias_symbol(k, 0)} = {fmt(value, DIGITS)}", tag.second_text()
                ):
                    self._place_bias_tag(k, 0)
            for j in self._columns[k + 1].indices:
                tag = self._bias_tags.get((k, j))
                if tag is None:
                    continue
                text = f"{self._bias_symbol(k, j)} = {fmt(float(b[j]), DIGITS)}"
                if tag.set_lines(text, tag.second_text()):
                    self._place_bias_tag(k, j)
        trace = self._trace()
        if trace is not None and self._backward_from(trace) <= net.depth:
            self._draw_gradients(trace)  # the arrows sit beside lines whose widths changed
        if isinstance(self._selected, ParameterKey):
            self._marker.mark(self._item_for_key(self._selected))

    def refresh_trace(self) -> None:
        """New activations, deltas or gradients: fills, values, red arrows, highlight."""
        net = self.network
        trace = self._trace()
        self._trace_state = self._state_signature()
        back_from = self._backward_from(trace)
        digits = self._sizes.digits
        for column in self._columns:
            k = column.layer
            if trace is None or (k > 0 and trace.forward_done < k):
                for neuron in column.neurons:
                    neuron.set_state(palette.NEUTRAL_FILL, "", "")
                continue
            act = net.layers[k].activation if k > 0 else None
            row = trace.a[k][0]
            scale = palette.activation_scale(row, act)
            deltas = trace.delta[k][0] if k > 0 and k >= back_from else None
            for neuron in column.neurons:
                value = float(row[neuron.index])
                delta = "" if deltas is None else f"δ = {fmt(float(deltas[neuron.index]), digits)}"
                neuron.set_state(
                    palette.activation_color(value, act, scale), fmt(value, digits), delta
                )
        self._draw_gradients(trace)
        for k in range(net.depth):
            shown = trace is not None and k + 1 >= back_from
            bias_grads = trace.bias_grads[k] if shown and trace is not None else None
            tags = [(j, t) for (kk, j), t in self._bias_tags.items() if kk == k]
            if k in self._bias_node_tags:
                tags.append((0, self._bias_node_tags[k]))
            for j, tag in tags:
                second = ""
                if bias_grads is not None and bias_grads.size:
                    symbol = self._bias_symbol(k, j)
                    second = f"∂E/∂{symbol} = {fmt(float(bias_grads[j]), DIGITS)}"
                if tag.set_lines(tag.first_text(), second):
                    self._place_bias_tag(k, j)
        self._update_highlight(trace)
        self._update_batch_caption(trace)

    def _draw_gradients(self, trace: Trace | None) -> None:
        """Red arrows back along every link whose layer the backward pass has reached,
        with ∂E/∂w on the labelled links; arrow widths ∝ |∂E/∂w| within a layer."""
        if self.session.running:
            # Gradients change ~30 times a second while training runs: too fast to read,
            # and their arrows and labels cost a tenth of a frame. Drawn again on pause.
            trace = None
        back_from = self._backward_from(trace)
        for k, gap in enumerate(self._gap_links):
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.WindingFill)
            if trace is None or k + 1 < back_from:
                for link in gap:
                    if link.tag is not None:
                        link.tag.set_lines(link.tag.first_text(), "")
                self._gradient_paths[k].setPath(path)
                continue
            grads = trace.weight_grads[k]
            max_abs = _max_abs(grads)
            dense = self._dense[k]
            for link in gap:
                if link.masked:
                    continue
                key = link.key
                g = float(grads[key.j, key.i])
                if dense:
                    # Only the strong gradients of a crowded gap: a few clear arrows say
                    # more than hundreds of overlapping ones (tooltips give every value).
                    if not abs(g) >= DENSE_ARROW_FRACTION * max_abs or max_abs == 0:
                        continue
                    width = palette.gradient_width(g, max_abs, 1.2, 3.0)
                else:
                    width = palette.gradient_width(g, max_abs)
                path.addPolygon(gradient_arrow(link.line(), link.current_pen().widthF(), width))
                path.closeSubpath()
                if link.tag is not None:
                    symbol = self._weight_symbol(key.k, key.j, key.i)
                    link.tag.set_lines(link.tag.first_text(), f"∂E/∂{symbol} = {fmt(g, DIGITS)}")
            self._gradient_paths[k].setPath(path)

    def _place_bias_tag(self, k: int, j: int) -> None:
        """A bias label just above its neuron (or its shared bias node)."""
        if k in self._bias_nodes:
            node, tag = self._bias_nodes[k], self._bias_node_tags[k]
            centre, radius = node.pos(), node.radius
        else:
            tag = self._bias_tags[(k, j)]
            neuron = self.neuron_item(k + 1, j)
            assert neuron is not None
            centre, radius = neuron.pos(), neuron.radius
        tag.setPos(centre.x(), centre.y() - radius - tag.rect().height() / 2 - 4)

    def _state_signature(self) -> tuple:
        trainer = self.session.trainer
        trace = trainer.trace
        return (
            trainer.phase,
            id(trace),
            None if trace is None else (trace.forward_done, trace.backward_done),
            self.session.last_phase,
        )

    def _on_running(self, running: bool) -> None:
        """While training runs, a crowded drawing is repainted ~30 times a second: drop
        antialiasing then (about three times faster in software), restore it on pause."""
        crowded = any(self._dense)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, not (running and crowded))
        self._draw_gradients(self._trace())  # hidden while running, back on pause

    def _on_state(self) -> None:
        """Some changes (picking a sample) make the trace stale without traceChanged."""
        if self._state_signature() != self._trace_state:
            self.refresh_trace()

    def _update_highlight(self, trace: Trace | None) -> None:
        layer: int | None = None
        if trace is not None and self.session.last_phase == "forward_layer":
            layer = trace.forward_done
        elif trace is not None and self.session.last_phase == "backward_layer":
            layer = self._backward_from(trace)
        if layer is None or not 0 <= layer < len(self._columns):
            self._highlight.cover(None, None)
            return
        column = self._columns[layer]
        r = self._sizes.radius
        pad_top = 58 if self._sizes.bias_tags else 16
        pad_bottom = 40 if self._sizes.roomy else 30
        rect = QRectF(
            column.x - r - 34,
            column.top - pad_top,
            2 * r + 68,
            column.bottom - column.top + pad_top + pad_bottom,
        )
        self._highlight.cover(layer, rect)

    @staticmethod
    def _batch_text(row: int, batch: int) -> str:
        return (
            f"Values of sample {row}, the first of a batch of {batch}.\n"
            "∂E/∂w and ∂E/∂b are means over the batch."
        )

    def _update_batch_caption(self, trace: Trace | None) -> None:
        text = ""
        if trace is not None and trace.batch_size > 1:
            text = self._batch_text(int(trace.indices[0]) + 1, trace.batch_size)
        if text != self._batch_caption.text():
            self._batch_caption.setText(text)

    # -- tooltips (formatted only when asked for) --------------------------------------

    def tooltip_for(self, key: object) -> str:
        """The full-precision numbers behind an item (what hovering shows)."""
        net = self.network
        trace = self._trace()
        back_from = self._backward_from(trace)
        if isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron":
            layer, index = key[1], key[2]
            lines = [f"{net.labels[layer][index]}: layer {layer}, neuron {index + 1}"]
            if trace is not None and (layer == 0 or trace.forward_done >= layer):
                if layer > 0:
                    lines.append(f"net = {full(trace.z[layer][0, index])}")
                lines.append(f"out = {full(trace.a[layer][0, index])}")
                if layer > 0 and layer >= back_from:
                    lines.append(f"∂E/∂out = {full(trace.grad_a[layer][0, index])}")
                    lines.append(f"δ = ∂E/∂net = {full(trace.delta[layer][0, index])}")
            else:
                lines.append("no value yet: run a forward pass")
            has_bias = layer > 0 and net.layers[layer].bias != "none"
            lines.append(
                ("double-click: its bias · " if has_bias else "")
                + "F2: rename · drag: move · right-click: more"
            )
            return "\n".join(lines)
        if isinstance(key, tuple) and len(key) == 2 and key[0] == "layer":
            return self._layer_tooltip(key[1])
        if not isinstance(key, ParameterKey):
            return ""
        lines = [self.key_label(key)]
        shown = trace is not None and key.k + 1 >= back_from
        if key.bias:
            lines.append(f"b = {full(net.biases[key.k][key.j])}")
            if shown and trace is not None:
                lines.append(f"∂E/∂b = {full(trace.bias_grads[key.k][key.j])}")
        else:
            lines.append(f"w = {full(net.weights[key.k][key.j, key.i])}")
            mask = net.masks[key.k]
            if mask is not None and mask[key.j, key.i] == 0:
                lines.append("removed (masked)")
            if shown and trace is not None:
                symbol = self._weight_symbol(key.k, key.j, key.i)
                lines.append(f"∂E/∂{symbol} = {full(trace.weight_grads[key.k][key.j, key.i])}")
        if trace is not None and trace.batch_size > 1 and shown:
            lines.append(f"(gradient: mean over a batch of {trace.batch_size})")
        lines.append("double-click to edit")
        return "\n".join(lines)

    def _layer_tooltip(self, layer: int) -> str:
        """What a layer is and how it trains: shown over its caption."""
        net = self.network
        spec = net.layers[layer]
        size = net.sizes[layer]
        lines = [f"layer {layer}: {size} neuron{'s' if size != 1 else ''}"]
        if layer > 0:
            bias = {"per_neuron": "one bias per neuron", "shared": "one shared bias"}
            lines.append(f"{spec.activation}, {bias.get(spec.bias, 'no bias')}")
            frozen = [
                what
                for what, trained in (("weights", spec.train_weights), ("bias", spec.train_bias))
                if not trained
            ]
            if frozen:
                lines.append(f"frozen: {' and '.join(frozen)}")
        lines.append("right-click: add a neuron or a layer, change the activation …")
        return "\n".join(lines)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event = QHelpEvent(event)  # type: ignore[arg-type]
            key = self.key_at(help_event.pos())
            text = self.tooltip_for(key) if key is not None else ""
            if not text:
                for item in self.items(help_event.pos()):
                    if isinstance(item, EllipsisItem) or isinstance(
                        item.parentItem(), EllipsisItem
                    ):
                        dots = item if isinstance(item, EllipsisItem) else item.parentItem()
                        text = self._ellipsis_tooltip(dots)
                        break
            if text:
                QToolTip.showText(help_event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def _ellipsis_tooltip(self, dots: EllipsisItem) -> str:
        labels = self.network.labels[dots.layer]
        column = self._columns[dots.layer]
        first = labels[column.indices[SHOW_HEAD - 1] + 1]
        last = labels[column.indices[SHOW_HEAD] - 1]
        return f"{dots.hidden} neurons not drawn ({first} … {last})"

    # -- selection and editing -------------------------------------------------------

    def key_at(self, pos: QPoint) -> object | None:
        """What is under viewport point ``pos`` (a little tolerance for thin lines)."""
        t = self.HIT_TOLERANCE
        for items in (
            self.items(pos),
            self.items(QRect(pos.x() - t, pos.y() - t, 2 * t + 1, 2 * t + 1)),
        ):
            for item in items:
                key = _key_of(item)
                if key is not None:
                    return key
        return None

    def selected_key(self) -> object | None:
        return self._selected

    def select_key(self, key: object | None) -> None:
        """Select what ``key`` names (a ParameterKey or a neuron tuple); None clears.
        Emits ``selectionChangedTo`` when the selection changes."""
        item = self._item_for_key(key) if key is not None else None
        if item is None:
            key = None
        self._marker.mark(item)
        if key != self._selected:
            self._selected = key
            self.selectionChangedTo.emit(key)

    def _item_for_key(self, key: object) -> QGraphicsItem | None:
        if isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron":
            return self.neuron_item(key[1], key[2])
        if isinstance(key, ParameterKey):
            if not key.bias:
                return self.link_item(key.k, key.j, key.i)
            if key.k in self._bias_nodes:
                return self._bias_nodes[key.k]
            return self._bias_tags.get((key.k, key.j))
        if isinstance(key, tuple) and len(key) == 2 and key[0] == "layer":
            layer = key[1]
            return self._captions[layer] if 0 <= layer < len(self._captions) else None
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._inline.isVisible() and not self._inline.geometry().contains(pos):
            self.cancel_edit()
        if event.button() == Qt.MouseButton.LeftButton:
            key = self.key_at(pos)
            self.select_key(key)
            self._press = None
            if _is_neuron(key) and not self.session.running:
                item = self.neuron_item(key[1], key[2])
                if item is not None:
                    self._press = (key, item.pos() - self.mapToScene(pos), QPointF(pos))
            event.accept()
            return
        super().mousePressEvent(event)

    def _drag_to(self, pos: QPoint) -> bool:
        """Move the pressed neuron with the mouse (one undoable command per drag)."""
        if self._press is None:
            return False
        key, offset, start = self._press
        if self._drag is None:
            if (QPointF(pos) - start).manhattanLength() < QApplication.startDragDistance():
                return True
            self._drag = self.controller.structure.begin_drag()
        point = self.mapToScene(pos) + offset
        place = (point.x() / self._sizes.gap, point.y() / self._sizes.slot)
        self.controller.structure.move_neuron(key[1], key[2], place, self._drag)
        return True

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        dragged = self._drag is not None
        self._press, self._drag = None, None
        if dragged:
            self._refit_after_move()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Right-click: select what is under the mouse and offer its edits (the menu
        opens with popup(), so nothing waits on it)."""
        if self._drag is not None:
            return
        self.cancel_edit()
        self.select_key(self.key_at(event.pos()))
        menu = self.edit_actions.context_menu(self)
        self._context_menu = menu
        menu.popup(event.globalPos())
        event.accept()

    def context_menu(self) -> QMenu | None:
        """The context menu last opened (for tests)."""
        return self._context_menu

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._drag_to(
            event.position().toPoint()
        ):
            event.accept()
            return
        key = self.key_at(event.position().toPoint())
        neuron = key if isinstance(key, tuple) and key[:1] == ("neuron",) else None
        if neuron != getattr(self, "_hovered", None):
            self._hovered = neuron
            self.neuronHovered.emit(neuron)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if getattr(self, "_hovered", None) is not None:
            self._hovered = None
            self.neuronHovered.emit(None)
        super().leaveEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        key = self.key_at(event.position().toPoint())
        if isinstance(key, ParameterKey):
            self.select_key(key)
            self.begin_edit(key)
            event.accept()
            return
        if _is_neuron(key):
            self.select_key(key)
            self._edit_neuron(key[1], key[2], rename=False)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _edit_neuron(self, layer: int, index: int, rename: bool) -> None:
        """A neuron's bias (its own, or its layer's shared one), or its name when it has
        no bias or ``rename`` asks for the name."""
        spec = self.network.layers[layer]
        if rename or layer == 0 or spec.bias == "none":
            self.begin_rename(layer, index)
        else:
            self.begin_edit(
                ParameterKey(layer - 1, index if spec.bias == "per_neuron" else 0, bias=True)
            )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """F2 or Enter edits the selected weight or bias; on a neuron, Enter edits its bias
        and F2 its name. Esc clears the selection."""
        key = event.key()
        if key in (Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(
            self._selected, ParameterKey
        ):
            self.begin_edit(self._selected)
            event.accept()
            return
        selected = self._selected
        if key in (Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter) and _is_neuron(selected):
            self._edit_neuron(selected[1], selected[2], rename=key == Qt.Key.Key_F2)
            event.accept()
            return
        if key == Qt.Key.Key_Escape and self._selected is not None:
            self.select_key(None)
            event.accept()
            return
        super().keyPressEvent(event)

    def begin_edit(self, key: ParameterKey) -> QLineEdit:
        """Open the inline editor for ``key`` over its item; returns its line edit (Enter
        applies through the controller, Esc closes)."""
        editor = self._inline
        editor.key, editor.neuron = key, None
        editor.label.setText(f"{self.key_label(key)} =")
        editor.edit.setText(fmt(self.session.value(key), 12))
        return self._open_inline(self._item_for_key(key))

    def begin_rename(self, layer: int, index: int) -> QLineEdit:
        """Open the inline editor on a neuron's name; Enter renames it (undoable)."""
        editor = self._inline
        editor.key, editor.neuron = None, (layer, index)
        name = self.network.labels[layer][index]
        editor.label.setText(f"Name of {name}:")
        editor.edit.setText(name)
        return self._open_inline(self.neuron_item(layer, index))

    def _open_inline(self, item: QGraphicsItem | None) -> QLineEdit:
        editor = self._inline
        editor.edit.selectAll()
        editor.error.hide()
        editor.show()
        editor.adjustSize()
        anchor = QPointF(0, 0)
        if isinstance(item, LinkItem):
            anchor = item.point_at(item.tag_fraction)
        elif item is not None:
            anchor = item.sceneBoundingRect().center()
        point = self.mapFromScene(anchor)
        room = self.viewport().rect()
        x = min(max(point.x() - editor.width() // 2, 4), max(room.width() - editor.width() - 4, 4))
        y = point.y() - editor.height() - 16
        if y < 4:
            y = point.y() + 16
        y = min(max(y, 4), max(room.height() - editor.height() - 4, 4))
        editor.move(x, y)
        editor.show()
        editor.raise_()
        editor.edit.setFocus()
        return editor.edit

    def commit_edit(self) -> bool:
        """Apply the inline editor's text; a refused value keeps it open with the reason
        (also sent on ``message``) and changes nothing. Returns whether it was applied."""
        editor = self._inline
        key = editor.key
        if editor.neuron is not None:
            return self._commit_rename(*editor.neuron)
        if key is None:
            return False
        try:
            value = parse_number(editor.edit.text())
            self.controller.set_value(key, value, self.key_label(key))
        except ValueError as error:
            editor.show_error(str(error))
            self.message.emit(str(error))
            return False
        self.cancel_edit()
        return True

    def _commit_rename(self, layer: int, index: int) -> bool:
        editor = self._inline
        try:
            self.controller.structure.rename_neuron(layer, index, editor.edit.text())
        except ValueError as error:  # StructureError: blank, or another neuron's name
            message = getattr(error, "message", str(error))
            editor.show_error(message)
            self.message.emit(message)
            return False
        self.cancel_edit()
        return True

    def cancel_edit(self) -> None:
        """Close the inline editor without applying anything."""
        self._inline.key = None
        self._inline.neuron = None
        self._inline.hide()

    def inline_editor(self) -> InlineValueEditor:
        """The inline editor box (for tests and for the main window's shortcuts)."""
        return self._inline

    # -- appearance (bpsim.gui.style.appearance) --------------------------------------------

    def apply_appearance(self, appearance: Appearance) -> None:
        """A new zoom or theme: neurons, text and (through the palette's line scale) link
        widths grow with the zoom; items are rebuilt in the theme's colours."""
        font = self._inline.font()
        font.setPointSizeF(max(self.font().pointSizeF() * 1.4, 13.0 * appearance.zoom))
        for widget in (self._inline, self._inline.label, self._inline.edit, self._inline.error):
            widget.setFont(font)
        look = (appearance.zoom, appearance.theme.name)
        if look == self._look:
            return
        self._look, self._zoom = look, appearance.zoom
        self.setBackgroundBrush(QBrush(palette.BACKGROUND))
        selected = self._selected
        self.rebuild()
        if selected is not None:
            self.select_key(selected)

    # -- fitting ---------------------------------------------------------------------

    def _fit(self) -> None:
        rect = self.scene().sceneRect()
        if rect.isValid() and self.viewport().width() > 0:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.cancel_edit()
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    # -- accessors (tests, other panels) ---------------------------------------------

    def neuron_item(self, layer: int, index: int) -> NeuronItem | None:
        """The circle of neuron ``index`` of ``layer``; None when collapsed away."""
        column = self._columns[layer]
        if index in column.indices:
            return column.neurons[column.indices.index(index)]
        return None

    def link_item(self, k: int, j: int, i: int) -> LinkItem | None:
        """The link of weights[k][j][i]; None when one end is collapsed away."""
        return self._links.get((k, j, i))

    def bias_item(self, k: int, j: int = 0) -> QGraphicsItem | None:
        """The item showing biases[k][j]: a shared bias node or a per-neuron bias label."""
        return self._item_for_key(ParameterKey(k, j, bias=True))

    def bias_text(self, k: int, j: int = 0) -> str:
        """The bias label's lines ('b1 = 0.05', and '∂E/∂b1 = …' after backward)."""
        tag = self._bias_node_tags.get(k) if k in self._bias_nodes else self._bias_tags.get((k, j))
        if tag is None:
            return ""
        return "\n".join(t for t in (tag.first_text(), tag.second_text()) if t)

    def value_text(self, layer: int, index: int) -> str:
        """The value shown in a neuron ('' before a forward pass)."""
        item = self.neuron_item(layer, index)
        return "" if item is None else item.value_text()

    def delta_text(self, layer: int, index: int) -> str:
        """The red δ line under a neuron ('' before the backward pass reaches it)."""
        item = self.neuron_item(layer, index)
        return "" if item is None else item.delta_text()

    def weight_text(self, k: int, j: int, i: int) -> str:
        """The weight label on a link ('' when the gap is too crowded for labels)."""
        link = self.link_item(k, j, i)
        return "" if link is None or link.tag is None else link.tag.first_text()

    def gradient_text(self, k: int, j: int, i: int) -> str:
        """The red ∂E/∂w label on a link ('' before backward or when not labelled)."""
        link = self.link_item(k, j, i)
        return "" if link is None or link.tag is None else link.tag.second_text()

    def gradient_path(self, k: int) -> QPainterPath:
        """The red arrows of the links of weights[k] (empty before backward reaches them)."""
        return self._gradient_paths[k].path()

    def highlighted_layer(self) -> int | None:
        """The layer highlighted as being computed, or None."""
        return self._highlight.layer if self._highlight.isVisible() else None

    def batch_caption(self) -> str:
        return self._batch_caption.text()

    def ellipsis_items(self) -> list[EllipsisItem]:
        return list(self._ellipses)


def _key_of(item: QGraphicsItem | None) -> object | None:
    """The key of an item or of the nearest parent that has one."""
    while item is not None:
        key = getattr(item, "key", None)
        if key is not None:
            return key
        item = item.parentItem()
    return None


def _is_neuron(key: object) -> bool:
    return isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron"


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


__all__ = ["NetworkEditor", "visible_indices"]
