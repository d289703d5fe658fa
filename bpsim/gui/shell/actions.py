"""The window's QActions: text, key, tooltip, status tip, object name and icon in one table.

Tests find actions by object name (``window.findChild(QAction, "forward")``), so the names
here are part of the public interface. Tooltips name the key because Qt does not show it,
and students learn the keys from hovering. Icons are drawn here (a white glyph on a
coloured tile) so they look the same on every platform and need no image files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QIcon,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
    QUndoStack,
)
from PySide6.QtWidgets import QApplication, QStyle, QWidget

# The step actions are named in the host, below the services that list them; the window
# imports them from here, with the actions they name.


@dataclass(frozen=True)
class ActionSpec:
    """How one action looks; ``icon`` names a drawn glyph or a Qt standard pixmap."""

    name: str
    text: str
    shortcut: str | QKeySequence.StandardKey | None
    tip: str
    icon: str | QStyle.StandardPixmap | None = None
    checkable: bool = False


SPECS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "forward",
            "&Forward",
            "F",
            "Forward pass: every layer's net input and output for the next sample, then the loss",
            "forward",
        ),
        ActionSpec(
            "forward_layer",
            "Forward one &layer",
            "Shift+F",
            "Forward one layer: the next layer's net inputs and outputs only",
            "forward_layer",
        ),
        ActionSpec(
            "backward",
            "&Backward",
            "B",
            "Backward pass: every delta and gradient, from the output back (no weight changes yet)",
            "backward",
        ),
        ActionSpec(
            "backward_layer",
            "Backward one la&yer",
            "Shift+B",
            "Backward one layer: the next layer's deltas and gradients, going back",
            "backward_layer",
        ),
        ActionSpec(
            "update",
            "&Update",
            "U",
            "Update: every weight and bias moves by −learning rate × its gradient "
            "(or the optimizer's rule)",
            "update",
        ),
        ActionSpec(
            "step",
            "&Step",
            "S",
            "Step: forward, backward and update on the next batch (finishes a step already begun)",
            "step",
        ),
        ActionSpec(
            "epoch",
            "&Epoch",
            "E",
            "Epoch: step until every training sample has been used once",
            "epoch",
        ),
        ActionSpec(
            "run",
            "&Run",
            "Space",
            "Run: train continuously until paused (press again to pause)",
            "run",
            checkable=True,
        ),
        ActionSpec(
            "reset",
            "&Reset",
            "R",
            "Reset: back to the file's starting weights and biases, with no history",
            "reset",
        ),
        ActionSpec(
            "open",
            "&Open…",
            QKeySequence.StandardKey.Open,
            "Open a .bpsim lesson",
            QStyle.StandardPixmap.SP_DialogOpenButton,
        ),
        ActionSpec(
            "save",
            "&Save",
            QKeySequence.StandardKey.Save,
            "Save the lesson with its current weights, settings and training history",
            QStyle.StandardPixmap.SP_DialogSaveButton,
        ),
        ActionSpec(
            "save_as",
            "Save &As…",
            QKeySequence.StandardKey.SaveAs,
            "Save the lesson under a new name",
            None,
        ),
        # Ctrl+Q, not StandardKey.Quit: that is empty on Windows and offscreen
        ActionSpec("quit", "&Quit", "Ctrl+Q", "Close bpsim", None),
        ActionSpec("reset_layout", "&Reset layout", None, "Put the panels back where they started"),
        ActionSpec("about", "&About bpsim", None, "What bpsim is and where it comes from"),
    )
}

# The colours of the drawn icons: forward blue, backward orange, update green.
COLORS: dict[str, str] = {
    "forward": "#1f6fb4",
    "forward_layer": "#1f6fb4",
    "backward": "#c4561b",
    "backward_layer": "#c4561b",
    "update": "#2a8a3e",
    "step": "#6a4c93",
    "epoch": "#6a4c93",
    "run": "#2a8a3e",
    "pause": "#b8860b",
    "reset": "#5b6770",
}


def shortcut_text(action: QAction) -> str:
    """The action's key as the user reads it (native text: "Ctrl+O", "⌘O")."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def _tooltip(tip: str, key: str) -> str:
    return f"{tip} ({key})" if key else tip


def make_action(spec: ActionSpec, parent: QWidget) -> QAction:
    """One QAction from its spec, owned by ``parent``."""
    action = QAction(spec.text, parent)
    action.setObjectName(spec.name)
    if spec.shortcut is not None:
        action.setShortcut(QKeySequence(spec.shortcut))
    action.setToolTip(_tooltip(spec.tip, shortcut_text(action)))
    action.setStatusTip(spec.tip)
    action.setCheckable(spec.checkable)
    if isinstance(spec.icon, str):
        action.setIcon(glyph_icon(spec.icon))
    elif spec.icon is not None:
        action.setIcon(QApplication.style().standardIcon(spec.icon))
    return action


def build_actions(parent: QWidget) -> dict[str, QAction]:
    """Every action of :data:`SPECS`, by name."""
    return {name: make_action(spec, parent) for name, spec in SPECS.items()}


def undo_redo_actions(stack: QUndoStack, parent: QWidget) -> tuple[QAction, QAction]:
    """Undo and Redo from the controller's stack: their text follows the command
    ("Undo Learning rate 0.1"), and Qt enables them when there is something to undo."""
    undo = stack.createUndoAction(parent, "&Undo")
    redo = stack.createRedoAction(parent, "&Redo")
    style = QApplication.style()
    for action, name, key, icon, tip in (
        (
            undo,
            "undo",
            QKeySequence.StandardKey.Undo,
            QStyle.StandardPixmap.SP_ArrowBack,
            "Undo the last edit of a weight, bias or setting",
        ),
        (
            redo,
            "redo",
            QKeySequence.StandardKey.Redo,
            QStyle.StandardPixmap.SP_ArrowForward,
            "Redo the edit just undone",
        ),
    ):
        action.setObjectName(name)
        action.setShortcut(QKeySequence(key))
        action.setIcon(QIcon.fromTheme(f"edit-{name}", style.standardIcon(icon)))
        action.setStatusTip(tip)
        action.setToolTip(_tooltip(tip, shortcut_text(action)))
    return undo, redo


def set_run_state(action: QAction, running: bool) -> None:
    """Show Run ⇄ Pause on the Run action: what pressing it will do next."""
    action.setChecked(running)
    if action.property("running") == running:
        return  # called on every state change while running: draw icons only on a switch
    action.setProperty("running", running)
    key = shortcut_text(action)
    if running:
        action.setText("&Pause")
        action.setIcon(glyph_icon("pause"))
        tip = "Pause: stop training after the slice under way"
    else:
        action.setText("&Run")
        action.setIcon(glyph_icon("run"))
        tip = SPECS["run"].tip
    action.setToolTip(_tooltip(tip, key))
    action.setStatusTip(tip)


# -- drawn icons ------------------------------------------------------------------------


def _arrow(p: QPainter, s: float, left: bool, bar: bool) -> None:
    """A fat horizontal arrow, with a bar at its tip for "one layer"."""
    y = s / 2
    x0, x1 = (0.78 * s, 0.22 * s) if left else (0.22 * s, 0.78 * s)
    if bar:
        x1 = x1 + (0.1 * s if left else -0.1 * s)
    head = 0.22 * s if not left else -0.22 * s
    p.drawLine(QPointF(x0, y), QPointF(x1 - head * 0.5, y))
    p.drawPolygon(
        QPolygonF(
            [QPointF(x1, y), QPointF(x1 - head, y - 0.2 * s), QPointF(x1 - head, y + 0.2 * s)]
        )
    )
    if bar:
        xb = x1 + (-0.08 * s if left else 0.08 * s)
        p.drawLine(QPointF(xb, 0.26 * s), QPointF(xb, 0.74 * s))


def _delta(p: QPainter, s: float) -> None:
    """Δ: the parameters change."""
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPolygon(
        QPolygonF(
            [QPointF(0.5 * s, 0.24 * s), QPointF(0.78 * s, 0.74 * s), QPointF(0.22 * s, 0.74 * s)]
        )
    )


def _chevrons(p: QPainter, s: float) -> None:
    """»: a whole step."""
    p.setBrush(Qt.BrushStyle.NoBrush)
    for dx in (0.0, 0.22 * s):
        p.drawPolyline(
            QPolygonF(
                [
                    QPointF(0.26 * s + dx, 0.28 * s),
                    QPointF(0.48 * s + dx, 0.5 * s),
                    QPointF(0.26 * s + dx, 0.72 * s),
                ]
            )
        )


def _circle_arrow(p: QPainter, s: float, clockwise: bool) -> None:
    """A circular arrow: an epoch goes round the data; reset goes back to the start."""
    p.setBrush(Qt.BrushStyle.NoBrush)
    r = 0.24 * s
    c = QPointF(0.5 * s, 0.52 * s)
    rect = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
    start, span = (100, -290) if clockwise else (80, 290)
    path = QPainterPath()
    path.arcMoveTo(rect, start)
    path.arcTo(rect, start, span)
    p.drawPath(path)
    end = math.radians(start + span)
    tip = QPointF(c.x() + r * math.cos(end), c.y() - r * math.sin(end))
    # Arrowhead tangent to the circle at the end of the arc.
    direction = -1 if clockwise else 1
    tx, ty = -math.sin(end) * direction, -math.cos(end) * direction
    nx, ny = -ty, tx
    a = 0.13 * s
    p.setBrush(p.pen().color())
    p.drawPolygon(
        QPolygonF(
            [
                QPointF(tip.x() + tx * a, tip.y() + ty * a),
                QPointF(tip.x() + nx * a * 0.8, tip.y() + ny * a * 0.8),
                QPointF(tip.x() - nx * a * 0.8, tip.y() - ny * a * 0.8),
            ]
        )
    )


def _play(p: QPainter, s: float) -> None:
    p.drawPolygon(
        QPolygonF(
            [QPointF(0.34 * s, 0.24 * s), QPointF(0.78 * s, 0.5 * s), QPointF(0.34 * s, 0.76 * s)]
        )
    )


def _pause(p: QPainter, s: float) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRect(QRectF(0.3 * s, 0.24 * s, 0.14 * s, 0.52 * s))
    p.drawRect(QRectF(0.56 * s, 0.24 * s, 0.14 * s, 0.52 * s))


_GLYPHS: dict[str, Callable[[QPainter, float], None]] = {
    "forward": lambda p, s: _arrow(p, s, left=False, bar=False),
    "forward_layer": lambda p, s: _arrow(p, s, left=False, bar=True),
    "backward": lambda p, s: _arrow(p, s, left=True, bar=False),
    "backward_layer": lambda p, s: _arrow(p, s, left=True, bar=True),
    "update": _delta,
    "step": _chevrons,
    "epoch": lambda p, s: _circle_arrow(p, s, clockwise=True),
    "reset": lambda p, s: _circle_arrow(p, s, clockwise=False),
    "run": _play,
    "pause": _pause,
}


def glyph_icon(name: str) -> QIcon:
    """A white glyph on a rounded tile in the action's colour, at the usual icon sizes."""
    icon = QIcon()
    color = QColor(COLORS[name])
    for size in (16, 22, 24, 32, 48, 64, 96, 144):  # up to 300 % zoom on a 2× screen
        for mode, tile in ((QIcon.Mode.Normal, color), (QIcon.Mode.Disabled, QColor("#b9bfc4"))):
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(tile)
            p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size * 0.2, size * 0.2)
            pen = QPen(QColor("white"), max(1.5, size * 0.1))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.setBrush(QColor("white"))
            _GLYPHS[name](p, float(size))
            p.end()
            icon.addPixmap(pixmap, mode)
    return icon
