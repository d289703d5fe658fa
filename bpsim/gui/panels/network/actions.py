"""What the mouse and keys do on the network: selection, dragging, inline editing."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QKeyEvent,
    QMouseEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from bpsim.gui.panels.network.base import EditorState, is_neuron_key
from bpsim.gui.panels.network.items import (
    LinkItem,
)
from bpsim.gui.state.session import ParameterKey
from bpsim.text import fmt, parse_number


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


def _key_of(item: QGraphicsItem | None) -> object | None:
    """The key of an item or of the nearest parent that has one."""
    while item is not None:
        key = getattr(item, "key", None)
        if key is not None:
            return key
        item = item.parentItem()
    return None


class ActionsMixin(EditorState):
    """Selection, drags, context menus and the inline value editor."""

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
            self._refresh_focus_tags()
            self._settle_secondary()
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
            if is_neuron_key(key) and not self.session.running:
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
        if neuron != self._hovered:
            self._hovered = neuron
            self._settle_secondary()
            self.neuronHovered.emit(neuron)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self._hovered is not None:
            self._hovered = None
            self._settle_secondary()
            self.neuronHovered.emit(None)
        super().leaveEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        key = self.key_at(event.position().toPoint())
        if isinstance(key, ParameterKey):
            self.select_key(key)
            self.begin_edit(key)
            event.accept()
            return
        if is_neuron_key(key):
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
        if key in (Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter) and is_neuron_key(selected):
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
