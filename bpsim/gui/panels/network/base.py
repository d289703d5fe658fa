"""What the parts of the network editor share, declared once for the type checker.

:class:`~bpsim.gui.panels.network.editor.NetworkEditor` is put together from mixins
(:mod:`.actions`, :mod:`.refresh`, :mod:`.labels`, :mod:`.layout`), each working on state
the editor's ``__init__`` creates and calling methods another mixin defines. Every mixin
inherits :class:`EditorState`, which names that state and those methods with their types,
so mypy checks each mixin against them (and each implementation against its declaration
here). At run time it is plain ``object``: the editor's class hierarchy and behaviour are
exactly those of the mixins and :class:`~PySide6.QtWidgets.QGraphicsView`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypeGuard

if TYPE_CHECKING:
    import numpy as np
    from PySide6.QtCore import QPoint, QPointF, QRectF, QTimer, Signal
    from PySide6.QtWidgets import (
        QGraphicsItem,
        QGraphicsPathItem,
        QGraphicsSimpleTextItem,
        QGraphicsView,
        QMenu,
    )

    from bpsim.core.network import Network, Trace
    from bpsim.gui.panels.network.actions import InlineValueEditor
    from bpsim.gui.panels.network.edit_actions import NetworkEditActions
    from bpsim.gui.panels.network.items import (
        BiasNodeItem,
        ColumnHighlight,
        EllipsisItem,
        LayerCaptionItem,
        LinkItem,
        NeuronItem,
        SelectionMarker,
        TagItem,
    )
    from bpsim.gui.panels.network.layout import _Column, _Sizes
    from bpsim.gui.state.controller import Controller
    from bpsim.gui.state.session import ParameterKey, Session
    from bpsim.teaching.explain import Names

#: A neuron as the selection and the items name it: ("neuron", layer, index).
NeuronKey: TypeAlias = tuple[str, int, int]


def is_neuron_key(key: object) -> TypeGuard[NeuronKey]:
    """Whether ``key`` names a neuron (rather than a parameter, a layer or nothing)."""
    return isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron"


if TYPE_CHECKING:

    class EditorState(QGraphicsView):
        """The editor's state and the methods its mixins call on one another."""

        # -- signals and settings (NetworkEditor) --------------------------------------
        selectionChangedTo: ClassVar[Signal]
        message: ClassVar[Signal]
        neuronHovered: ClassVar[Signal]
        HIT_TOLERANCE: ClassVar[int]

        session: Session
        controller: Controller
        edit_actions: NetworkEditActions

        # -- the items of the current build (layout) -------------------------------------
        _columns: list[_Column]
        _links: dict[tuple[int, int, int], LinkItem]
        _gap_links: list[list[LinkItem]]
        _gradient_paths: list[QGraphicsPathItem]
        _dense: list[bool]
        _bias_nodes: dict[int, BiasNodeItem]
        _bias_node_tags: dict[int, TagItem]
        _bias_links: dict[int, list[LinkItem]]
        _bias_tags: dict[tuple[int, int], TagItem]  # per-neuron biases
        _target_tags: dict[int, TagItem]
        _focus_tags: dict[int, TagItem]
        _ellipses: list[EllipsisItem]
        _captions: list[LayerCaptionItem]
        _highlight: ColumnHighlight
        _marker: SelectionMarker
        _batch_caption: QGraphicsSimpleTextItem
        _batch_rect: QRectF
        _base_rect: QRectF
        _sizes: _Sizes
        _names: Names | None

        # -- what is shown, selected, focused -------------------------------------------
        _shown: tuple[Network, np.ndarray] | None
        _trace_state: tuple[object, ...] | None
        _selected: object | None
        _hovered: object | None
        _focus: ParameterKey | None
        _restore_selection: bool
        _zoom: float
        _look: tuple[float, str]
        _presenting: bool
        _built_room: QRectF
        _relayout: QTimer

        # -- mouse and inline editing (actions) -----------------------------------------
        _inline: InlineValueEditor
        _press: tuple[NeuronKey, QPointF, QPointF] | None
        _drag: int | None
        _context_menu: QMenu | None

        # -- methods one part calls and another defines ----------------------------------
        @property
        def network(self) -> Network: ...
        def rebuild(self) -> None: ...
        def _fit(self) -> None: ...
        def neuron_item(self, layer: int, index: int) -> NeuronItem | None: ...
        def link_item(self, k: int, j: int, i: int) -> LinkItem | None: ...

        # actions
        def key_at(self, pos: QPoint) -> object | None: ...
        def _item_for_key(self, key: object) -> QGraphicsItem | None: ...

        # refresh
        def _trace(self) -> Trace | None: ...
        def refresh_parameters(self) -> None: ...
        def _draw_gradients(self, trace: Trace | None) -> None: ...
        def _refresh_focus_tags(self) -> None: ...
        def _place_bias_tag(self, k: int, j: int) -> None: ...
        @staticmethod
        def _batch_text(row: int, batch: int) -> str: ...

        # labels
        def _place_link_tags(self, k: int, gap: list[LinkItem], sizes: _Sizes) -> None: ...
        def _settle_secondary(self) -> None: ...
        def _joiner(self) -> str: ...
        def _weight_symbol(self, k: int, j: int, i: int) -> str: ...
        def _bias_symbol(self, k: int, j: int) -> str: ...
        def key_label(self, key: ParameterKey) -> str: ...

        # layout
        def _place_target_tag(self, index: int) -> None: ...
        def _refit_after_move(self) -> None: ...

else:
    EditorState = object


__all__ = ["EditorState", "NeuronKey", "is_neuron_key"]
