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

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from bpsim.core.network import Network
from bpsim.gui.panels.network.edit_actions import NetworkEditActions
from bpsim.gui.panels.network.items import (
    ColumnHighlight,
    EllipsisItem,
    LinkItem,
    NeuronItem,
    SelectionMarker,
)
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.gui.style import palette
from bpsim.gui.style.appearance import DEFAULT_PRESENTATION_ZOOM
from bpsim.teaching.explain import names_for

if TYPE_CHECKING:
    from bpsim.gui.style.appearance import Appearance

from bpsim.gui.panels.network.actions import ActionsMixin, InlineValueEditor
from bpsim.gui.panels.network.labels import LabelsMixin
from bpsim.gui.panels.network.layout import (
    ASPECT,
    CAP_RATIO,
    COMPACT,
    PRESENT_MAX_NEURONS,
    ROOMY,
    LayoutMixin,
    _Sizes,
    presentation_sizes,
    presentation_text_limit,
    visible_indices,
    with_precision,
    zoomed_sizes,
)
from bpsim.gui.panels.network.refresh import RefreshMixin

#: The cap height presentation mode gives the primary numbers on a 1080-pixel screen.
PRESENT_CAP_PX = 24.0


class NetworkEditor(ActionsMixin, RefreshMixin, LabelsMixin, LayoutMixin, QGraphicsView):
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
        # The editor's state (its types are declared once, in base.EditorState):
        self._columns = []
        self._links = {}
        self._gap_links = []
        self._gradient_paths = []
        self._bias_nodes = {}
        self._bias_node_tags = {}
        self._bias_links = {}
        self._bias_tags = {}  # per-neuron biases
        self._ellipses = []
        self._captions = []
        self._highlight = ColumnHighlight()
        self._marker = SelectionMarker()
        self._batch_caption = QGraphicsSimpleTextItem()
        self._batch_rect = QRectF()
        self._base_rect = QRectF()
        self._dense = []
        self._names = None
        self._sizes = ROOMY
        self._selected = None
        self._trace_state = None
        self._shown = None  # the values the pens show
        self._zoom = 1.0  # the window's zoom (apply_appearance)
        self._look = (1.0, "light")  # zoom and theme items were built for
        self._presenting = False  # sized so the back row reads the numbers (set_presentation)
        self._built_room = QRectF()  # the view's size a presentation layout was made for
        self._focus = None  # the weight the lesson is about
        self._hovered = None
        self._target_tags = {}
        self._focus_tags = {}
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._relayout_for_room)
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
        self._press = None
        self._drag = None  # the drag under way (its moves merge)
        self._context_menu = None
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
        sizes = with_precision(ROOMY if max(slots) <= 4 else COMPACT, palette.precision())
        if self._presents_large(net):
            self._build_for_the_room(net, sizes, max(slots))
            self._after_build()
            return
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
            final = zoomed_sizes(final, self._zoom, min(sizes.gap, final.gap))
        self._build(net, final)
        self._after_build()

    def _after_build(self) -> None:
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

    # -- presentation mode -------------------------------------------------------------

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: small networks are laid out for the view's size with the
        primary numbers at least :meth:`presentation_cap` device pixels high (cap
        height); secondary labels give way where they would cover them."""
        if on == self._presenting:
            return
        self._presenting = on
        self._keep_selection_once()
        self.rebuild()

    def is_presenting(self) -> bool:
        return self._presenting

    def presentation_cap(self) -> float:
        """The cap height, in device pixels, presentation mode promises the primary
        numbers: 24 px on a 1080-pixel-high screen at the presentation zoom (150 %),
        in proportion to the window on any screen, and growing with the zoom."""
        dpr = self.devicePixelRatioF()
        top = self.window()
        height = max(top.height(), self.height()) * dpr
        width = max(top.width(), self.width()) * dpr
        scale = self._zoom / DEFAULT_PRESENTATION_ZOOM
        return PRESENT_CAP_PX * scale * min(height / 1080.0, width / 1920.0)

    def _presents_large(self, net: Network) -> bool:
        room = self.viewport().rect()
        return (
            self._presenting
            and sum(net.sizes) <= PRESENT_MAX_NEURONS
            and room.width() > 200
            and room.height() > 150
        )

    def _build_for_the_room(self, net: Network, sizes: _Sizes, rows: int) -> None:
        """Build, fit, measure the primary numbers' cap height on screen, and build again
        with larger text until they reach :meth:`presentation_cap` (a few rounds; each
        layout fills the view, so the scale stays near 1 and the text grows)."""
        room = QRectF(self.viewport().rect())
        self._built_room = room
        dpr = self.devicePixelRatioF()
        target = self.presentation_cap() + 0.25
        limit, spacing = presentation_text_limit(sizes.digits, rows, net.depth, room)
        text = min(target / dpr / CAP_RATIO, limit)
        for _ in range(6):
            self._build(net, presentation_sizes(sizes, text, rows, net.depth, room, spacing))
            self._base_rect = self.scene().itemsBoundingRect()
            self._update_scene_rect()
            self._fit()
            cap = self.primary_cap_height()
            if cap >= target or cap <= 0 or text >= limit:
                return  # (at the limit: the room gives no more without crowding)
            text = min(text * min(target / cap, 1.6) * 1.01, limit)

    def primary_text_items(self) -> list[QGraphicsSimpleTextItem]:
        """The scene text items of the primary numbers: every neuron's value and every
        link label's weight and gradient lines."""
        items: list[QGraphicsSimpleTextItem] = []
        for column in self._columns:
            items += [n.value_item for n in column.neurons]
        for link in self._links.values():
            if link.tag is not None:
                items += list(link.tag.text_items())
        return items

    def screen_cap_height(self, item: QGraphicsSimpleTextItem) -> float:
        """How high a capital of ``item`` is on screen, in device pixels."""
        scale = self.transform().m11() * item.sceneTransform().m11()
        return QFontMetricsF(item.font()).capHeight() * scale * self.devicePixelRatioF()

    def primary_cap_height(self) -> float:
        """The smallest cap height of the primary numbers on screen (device pixels)."""
        items = self.primary_text_items()
        return min((self.screen_cap_height(i) for i in items), default=0.0)

    def _relayout_for_room(self) -> None:
        room = QRectF(self.viewport().rect())
        if self._presents_large(self.network) and room != self._built_room:
            self._keep_selection_once()
            self.rebuild()

    # -- the focus weight ----------------------------------------------------------------

    def set_focus(self, key: ParameterKey | None) -> None:
        """The weight the lesson is about (the chain-rule strip's): in crowded gaps its
        link keeps a label."""
        if key == self._focus:
            return
        self._focus = key
        self._refresh_focus_tags()

    def focus_key(self) -> ParameterKey | None:
        return self._focus

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
        if self._presenting:
            self._relayout.start()  # laid out again for the new room, once it settles

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
        lines = (tag.first_text(), tag.second_text().replace("\n", " "))
        return "\n".join(t for t in lines if t)

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
        if link is None or link.tag is None:
            return ""
        return link.tag.second_text().replace("\n", " ")  # a line break when presenting

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


__all__ = ["InlineValueEditor", "NetworkEditor", "visible_indices"]
