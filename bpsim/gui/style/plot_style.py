"""What the data and landscape plots share: colour maps, class colours and symbols, text
that grows with the panel, an export button, and refreshes paced by a timer.

Colour maps are colour-blind safe: viridis/cividis for magnitudes (a loss, a count),
the Okabe–Ito blue–white–orange diverging scale of :mod:`palette` for values with a
middle (an output between 0 and 1, a sign), and the Okabe–Ito qualitative colours for
classes, always with a second cue: each class has its own marker shape.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QLayout, QLayoutItem, QSizePolicy, QVBoxLayout, QWidget

from bpsim.gui.export.plot_export import ExportButton
from bpsim.gui.style.palette import MIDDLE, NEGATIVE, POSITIVE

AXIS_COLOR = "#222222"
MUTED = "#5f5f5f"
WARNING_COLOR = "#b35900"  # dark orange text: readable on white, not red/green
ERROR_COLOR = "#a0002a"
#: Okabe–Ito's colour-blind-safe qualitative colours, then two more for 10 classes.
CLASS_COLORS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
    "#999999",  # grey
    "#8C510A",  # brown
)
#: Marker shapes per class: the second cue besides colour.
CLASS_SYMBOLS: tuple[str, ...] = ("o", "s", "t", "d", "star", "h", "p", "t1", "+", "x")
MAX_TEXT_SCALE = 2.0
BASE_POINTS = 10.0


#: How each marker shape is written in a text legend.
SYMBOL_GLYPHS: dict[str, str] = {
    "o": "●",
    "s": "■",
    "t": "▼",
    "t1": "▲",
    "d": "◆",
    "star": "★",
    "h": "⬢",
    "p": "⬟",
    "+": "✚",
    "x": "✖",
}


def legend_html(entries: list[tuple[str, str, str]]) -> str:
    """A one-line legend: (marker symbol, colour, text) per entry, markers drawn as
    coloured glyphs (the legend sits beside the plot, never over the data)."""
    parts = []
    for symbol, color, text in entries:
        glyph = SYMBOL_GLYPHS.get(symbol, symbol)
        parts.append(f'<span style="color:{color}; font-size:140%;">{glyph}</span>&nbsp;{text}')
    return "&nbsp;&nbsp;&nbsp; ".join(parts)


def adopt_theme_palette(widget: QWidget, appearance: object) -> None:
    """Give ``widget`` and its children the theme's palette. A panel built after the
    window was themed (the data docks build on first show) does not get it by itself:
    the window's style sheet stops palettes from spreading, so its labels would stay
    dark on a dark theme. Children with colours of their own keep them."""
    make = getattr(getattr(appearance, "theme", None), "qt_palette", None)
    if not callable(make):
        return
    palette = make()
    widget.setPalette(palette)
    for child in widget.findChildren(QWidget):
        if not child.isWindow() and not child.testAttribute(Qt.WidgetAttribute.WA_SetPalette):
            child.setPalette(palette)


def data_problem(session: object) -> str | None:
    """Why the data set does not fit the network now (an edit of the network's layers
    can do that; training waits meanwhile), or None: views that run the network on the
    data show this instead."""
    trainer = session.trainer  # type: ignore[attr-defined]
    sizes = trainer.network.sizes
    if trainer.inputs.shape[1] == sizes[0] and trainer.targets.shape[1] == sizes[-1]:
        return None
    blocked = getattr(session, "training_blocked", None)
    return blocked or (
        f"The data set has {trainer.inputs.shape[1]} inputs and {trainer.targets.shape[1]} "
        f"targets per sample; the network takes {sizes[0]} and gives {sizes[-1]}."
    )


def class_color(k: int) -> QColor:
    return QColor(CLASS_COLORS[k % len(CLASS_COLORS)])


def class_symbol(k: int) -> str:
    return CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)]


def class_scatter(
    x: np.ndarray,
    classes: np.ndarray,
    names: list[str],
    size: float,
    pen: QColor | str,
    pen_width: float,
    export_prefix: str = "",
) -> tuple[list[pg.ScatterPlotItem], list[tuple[str, str, str]]]:
    """One scatter item per class (its own colour and marker shape, so classes differ by
    more than colour) and the matching legend entries (symbol, colour, text)."""
    items: list[pg.ScatterPlotItem] = []
    key: list[tuple[str, str, str]] = []
    for k in np.unique(classes):
        rows = classes == k
        label = f"class {names[int(k)]}"
        item = pg.ScatterPlotItem(
            x=x[rows, 0],
            y=x[rows, 1],
            symbol=class_symbol(int(k)),
            size=size,
            brush=pg.mkBrush(class_color(int(k))),
            pen=pg.mkPen(pen, width=pen_width),
        )
        item.export_name = f"{export_prefix}{label}"
        items.append(item)
        key.append((class_symbol(int(k)), class_color(int(k)).name(), label))
    return items, key


def diverging_map() -> pg.ColorMap:
    """Blue (low) through near-white (middle) to orange (high)."""
    colors = [NEGATIVE, MIDDLE, POSITIVE]
    return pg.ColorMap(
        np.array([0.0, 0.5, 1.0]), [(c.red(), c.green(), c.blue(), 255) for c in colors]
    )


def magnitude_map(name: str = "viridis") -> pg.ColorMap:
    """A perceptually uniform, colour-blind-safe map for magnitudes."""
    return pg.colormap.get(name)


def no_si_prefix(axis: pg.AxisItem) -> None:
    """Ticks in the plotted numbers themselves: no "(x0.001)" scaling. (pyqtgraph 0.14
    computes the tick scale once more when the prefix is turned off, and with a label
    shown that scale can stay at 1000; an empty range where prefixes apply keeps it 1.)"""
    axis.setSIPrefixEnableRanges(((0.0, 0.0),))
    axis.enableAutoSIPrefix(False)  # recomputes the scale with the ranges above


def text_scale(width: int, height: int) -> float:
    """How much larger text should be for a panel of this size (quarter steps, 1–2)."""
    scale = min(width / 700, height / 450)
    return min(max(round(scale * 4) / 4, 1.0), MAX_TEXT_SCALE)


def image_rect(xs: np.ndarray, ys: np.ndarray) -> QRectF:
    """The rectangle an image of values at grid points xs × ys covers, so each pixel's
    centre sits on its grid point."""
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    return QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy)


def rgba(color: QColor | str, alpha: int | None = None) -> tuple[int, int, int, int]:
    c = QColor(color)
    return c.red(), c.green(), c.blue(), c.alpha() if alpha is None else alpha


class FlowLayout(QLayout):
    """Controls left to right, wrapping onto the next line when the panel is narrow, so
    a docked panel never demands the width of all its controls in one row. Stretches
    and spacings asked for are ignored; the items keep their natural size."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def addStretch(self, _stretch: int = 0) -> None:
        """Nothing: a flowing row has no spare width to share."""

    def addSpacing(self, _size: int) -> None:
        """Nothing (see addStretch)."""

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line = area.x(), y + line + self._spacing // 2, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + margins.bottom()


class Caption(QLabel):
    """The words under a plot. In a small panel they hide (the plot needs the room) and
    are read by hovering the plot instead: the text is also the plot's tooltip."""

    def __init__(self, parent: QWidget, plot: QWidget) -> None:
        super().__init__(parent)
        self._plot = plot

    def setText(self, text: str) -> None:
        super().setText(text)
        self._plot.setToolTip(f"<p>{text}</p>" if text else "")


class PlotPanel(QWidget):
    """A toolbar row over a pyqtgraph plot, with an Export button, a caption under the
    plot, a centred message for when there is nothing to show, text that grows with the
    panel, and :meth:`schedule` for paced refreshes (skipped while hidden).

    Subclasses draw in :meth:`refresh` and resize their own text in :meth:`apply_scale`.
    """

    MIN_INTERVAL_MS = 100  # at most ten redraws a second
    MIN_SIZE = (240, 200)
    #: Below this height the caption hides (hover the plot to read it).
    COMPACT_HEIGHT = 480
    COST_FACTOR = 4  # and never more than a fifth of the time on redrawing

    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.scale = 0.0
        self.zoom = 1.0  # the window's zoom (View ▸ Zoom), on top of the size scale
        self.axis_color = AXIS_COLOR
        self.bar = FlowLayout()
        self.bar.setContentsMargins(6, 3, 6, 3)
        self.extra_bars: list[FlowLayout] = []
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_widget.setObjectName(f"{name}_canvas")
        self.plot_widget.setMinimumSize(160, 100)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(pg.mkPen(AXIS_COLOR))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            no_si_prefix(axis)
        self.export_button = ExportButton(self.plot_widget, name, title, self)
        self.message_label = QLabel(self)
        self.message_label.setObjectName(f"{name}_message")
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setStyleSheet(f"color: {MUTED}; padding: 24px;")
        self.message_label.hide()
        self.key_label = QLabel(self)
        self.key_label.setObjectName(f"{name}_key")
        self.key_label.setTextFormat(Qt.TextFormat.RichText)
        self.key_label.setWordWrap(True)
        self.key_label.setContentsMargins(8, 4, 8, 0)
        self.key_label.hide()
        self.caption = Caption(self, self.plot_widget)
        self.caption.setObjectName(f"{name}_caption")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.caption.setContentsMargins(8, 2, 8, 4)

        #: The panel's layout, top to bottom (subclasses insert rows into it).
        self.column_layout = layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self.bar)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.message_label, 1)
        layout.addWidget(self.key_label)
        layout.addWidget(self.caption)

        # The dock may be made small: the plot and the words share what there is, instead
        # of the panel demanding the height of all its text (see MIN_SIZE).
        self.setMinimumSize(*self.MIN_SIZE)
        self._dirty = True
        self._cost = 0.0
        #: Work a redraw starts that goes on after it returns (a landscape computed over
        #: timer ticks): paced like the redraw itself.
        self.busy_seconds = 0.0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self._run_refresh)

    def add_bar(self) -> FlowLayout:
        """A second toolbar row under the first (for panels with many controls)."""
        row = FlowLayout()
        row.setContentsMargins(6, 0, 6, 3)
        self.column_layout.insertLayout(1 + len(self.extra_bars), row)
        self.extra_bars.append(row)
        return row

    def finish_bar(self) -> None:
        """Put the Export button at the end of the toolbar row."""
        self.bar.addWidget(self.export_button)

    # -- text size -------------------------------------------------------------------

    @property
    def compact(self) -> bool:
        """Whether the panel is too low for its caption."""
        return self.height() < self.COMPACT_HEIGHT

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.caption.setVisible(event.size().height() >= self.COMPACT_HEIGHT)
        scale = text_scale(event.size().width(), event.size().height())
        if scale != self.scale:
            self.scale = scale
            self._scale_widgets(scale)
            self.apply_scale(scale)

    def font_at(self, factor: float = 1.0, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(BASE_POINTS * max(self.scale, 1.0) * self.zoom * factor)
        font.setBold(bold)
        return font

    def _scale_widgets(self, scale: float) -> None:
        font = self.font_at(1.0)
        for bar in (self.bar, *self.extra_bars):
            for index in range(bar.count()):
                item = bar.itemAt(index)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.setFont(font)
        self.caption.setFont(self.font_at(1.1))
        self.key_label.setFont(self.font_at(1.15))
        self.message_label.setFont(self.font_at(1.3))
        tick = self.font_at(1.1)
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setStyle(tickFont=tick, tickTextOffset=round(5 * scale))
        self.plot.layout.setContentsMargins(4, round(10 * scale), round(14 * scale), 4)

    def axis_labels(self, bottom: str, left: str) -> None:
        points = BASE_POINTS * max(self.scale, 1) * self.zoom * 1.3
        key = (bottom, left, round(points), self.axis_color)
        if key == getattr(self, "_labels_shown", None):
            return  # setting a label costs milliseconds: not on every redraw
        self._labels_shown = key
        style = {"color": self.axis_color, "font-size": f"{points:.0f}pt"}
        self.plot.setLabel("bottom", bottom, **style)
        self.plot.setLabel("left", left, **style)

    def set_key(self, entries: list[tuple[str, str, str]]) -> None:
        """The legend under the plot (see :func:`legend_html`); empty hides it."""
        self.key_label.setText(legend_html(entries) if entries else "")
        self.key_label.setVisible(bool(entries))

    def style_colorbar(self, bar: pg.ColorBarItem, label: str = "") -> None:
        """Colour-bar ticks (and its label) as large and dark as the axes'."""
        if label:
            points = BASE_POINTS * max(self.scale, 1) * self.zoom * 1.15
            bar.axis.setLabel(label, color=self.axis_color, **{"font-size": f"{points:.0f}pt"})
        bar.axis.setPen(pg.mkPen(self.axis_color))
        bar.axis.setTextPen(pg.mkPen(self.axis_color))
        no_si_prefix(bar.axis)
        font = self.font_at(1.0)
        bar.axis.setStyle(tickFont=font, tickTextOffset=round(4 * max(self.scale, 1)))
        bar.axis.setWidth(QFontMetrics(font).horizontalAdvance("−0.000") + 12)

    def apply_scale(self, scale: float) -> None:
        """Resize text drawn inside the plot (legends, markers): subclasses."""

    def apply_appearance(self, appearance: object) -> None:
        """A new zoom or theme (bpsim.gui.style.appearance): text grows with the zoom on top of
        the panel-size scale; the plot takes the theme's background and axis colours
        (the colour maps stay: they are chosen to be read by everyone)."""
        colors = appearance.theme.plot  # type: ignore[attr-defined]
        self.zoom = float(appearance.zoom)  # type: ignore[attr-defined]
        self.axis_color = pg.mkColor(colors.axis).name()
        adopt_theme_palette(self, appearance)
        self.plot_widget.setBackground(colors.background)
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(pg.mkPen(colors.axis))
            axis.setTextPen(pg.mkPen(colors.axis))
        scale = self.scale or text_scale(self.width(), self.height())
        self._scale_widgets(scale)
        self.apply_scale(scale)

    # -- nothing to show ---------------------------------------------------------------

    def show_message(self, text: str | None) -> None:
        """Replace the plot by ``text`` (None: show the plot)."""
        if text:
            self.message_label.setText(text)
            self.message_label.show()
            self.plot_widget.hide()
            self.export_button.setEnabled(False)
        else:
            self.message_label.hide()
            self.plot_widget.show()
            self.export_button.setEnabled(True)

    def message_text(self) -> str:
        return self.message_label.text() if not self.message_label.isHidden() else ""

    # -- paced refreshes ---------------------------------------------------------------

    def schedule(self) -> None:
        """Redraw soon: at most every MIN_INTERVAL_MS, slower when drawing is costly, and
        not at all while the panel is hidden (it redraws when shown)."""
        self._dirty = True
        if self._refresh_timer.isActive() or not self.isVisible():
            return
        cost = self._cost + self.busy_seconds
        interval = max(self.MIN_INTERVAL_MS, int(cost * 1000 * self.COST_FACTOR))
        self._refresh_timer.start(interval)

    def refresh_now(self) -> None:
        """Redraw at once (and forget a pending refresh)."""
        self._refresh_timer.stop()
        self._run_refresh()

    def _run_refresh(self) -> None:
        self._dirty = False
        start = time.perf_counter()
        self.refresh()
        self._cost = time.perf_counter() - start

    def refresh(self) -> None:
        """Draw from the session: subclasses."""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._refresh_timer.start(0)
