"""The loss curve: training (and validation) loss against step or epoch.

On a linear axis the curves are handed the engine's own history buffers (``series.x``
and ``series.values`` are views, so nothing is copied). pyqtgraph clips to the visible x
range and peak-downsamples to about one min/max pair per pixel column, so a million steps
draw about as fast as a thousand. Redraws follow the session's ``historyChanged``;
nothing here runs per training step.

While Run is on, the session's frame timer (about 35 Hz; ``runProgress``, and
``historyChanged`` on its detail frames) paces the redraws: one ``setData`` per curve a
frame, however many steps the engine took in between.

On a log axis the curves get log10 of the losses from :class:`_Log10Mirror`, which only
computes the logarithm of values appended since the last redraw: ``np.log10`` of a million
values costs 9–13 ms here, more than half the redraw budget, every time.

Measured offscreen with 1,000,000 noisy steps (setData plus a full repaint, median of
30, on a shared two-core machine): 900×500 linear 8 ms, log 9 ms, zoomed to 10,000 steps
7 ms; 1920×1080 linear 11 ms, log 14 ms, zoomed 11 ms. Before the log mirror, the 1 px pen
for dense curves and GridItem, the same redraws took 14–37 ms.

"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QAction, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from bpsim.gui.state.session import Session
from bpsim.text import fmt

if TYPE_CHECKING:
    from bpsim.gui.style.appearance import Appearance, Color

TRAIN_COLOR = "#1f5fbf"
VALIDATION_COLOR = "#e07000"
AXIS_COLOR = "#222222"
CURVE_WIDTH = 2.5  # a few hundred points: thick and antialiased, readable from afar
# More points than this draw as a dense band of min/max pairs; there a thick or antialiased
# pen shows nothing more and costs 8–15 ms per repaint, so a 1 px pen takes over.
DENSE_POINTS = 5000
FEW_POINTS = 40  # epoch means and validation losses up to this many get markers
MAX_TEXT_SCALE = 2.0  # text grows with the widget up to this factor
READOUT_DIGITS = 4  # significant digits of the hover and current-point readouts


def _on_log_axis(value: float) -> bool:
    """A log axis has no place for zero, negative or non-finite losses: they are skipped."""
    return math.isfinite(value) and value > 0


class _CountAxis(pg.AxisItem):
    """Steps and epochs are whole numbers: no ticks between them, thousands grouped."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        levels = [
            (spacing, ticks)
            for spacing, ticks in super().tickValues(minVal, maxVal, size)
            if spacing >= 1
        ]
        if not levels and math.isfinite(minVal) and math.isfinite(maxVal):
            first, last = math.ceil(minVal), math.floor(maxVal)
            if last - first <= 100:
                levels = [(1.0, [float(v) for v in range(first, last + 1)])]
        return levels

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [f"{round(v * scale):,}" for v in values]


class _LossAxis(pg.AxisItem):
    """Loss ticks as plain decimals, also on a log axis (0.05 rather than 5·10⁻²)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:
            return [fmt(10.0**v, 3) for v in values]
        return super().tickStrings(values, scale, spacing)


def _nice_ceiling(value: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10^k at or above ``value``: ranges that read well."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


def _spread(low: float, high: float) -> float:
    """How tall the y range should be for losses from ``low`` to ``high``: their spread,
    but never less than 2 % of their size (one point, or a flat curve, still has a range)."""
    return max(high - low, 0.02 * max(abs(low), abs(high)), 1e-12)


def _following_range(low: float, high: float) -> tuple[float, float]:
    """A y range around the losses with round ends, not pinned at 0: the worked
    example's 0.185 → 0.175 fills the plot instead of a flat line at the top. It starts
    at 0 only when the losses come near it."""
    spread = _spread(low, high)
    step = _nice_ceiling(spread * 1.3) / 10
    y0 = math.floor((low - 0.12 * spread) / step) * step
    y1 = math.ceil((high + 0.12 * spread) / step) * step
    if low >= 0 and (y0 < 0 or low < 0.25 * spread):
        y0 = 0.0
    return y0, y1


class _Log10Mirror:
    """log10 of a growing series, computing only what was appended since the last call.

    The series is the engine's history view, which usually only grows. A rewind truncates
    it (and may then grow it with different values), so the part already mirrored is
    compared with a copy of what it was made from and recomputed if it changed; the
    comparison costs about 0.4 ms for a million values. Non-positive values
    become NaN, which pyqtgraph leaves out of the curve.
    """

    def __init__(self) -> None:
        self._raw = np.empty(0)
        self._log = np.empty(0)
        self._length = 0

    def update(self, values: np.ndarray) -> np.ndarray:
        n = len(values)
        start = self._length
        # bit patterns, so NaN equals NaN (equal_nan=True is twenty times slower)
        if n < start or not np.array_equal(
            values[:start].view(np.int64), self._raw[:start].view(np.int64)
        ):
            start = 0
        if n > len(self._raw):
            size = max(1024, len(self._raw))
            while size < n:
                size *= 2
            raw, log = np.empty(size), np.empty(size)
            raw[:start], log[:start] = self._raw[:start], self._log[:start]
            self._raw, self._log = raw, log
        new = values[start:n]
        self._raw[start:n] = new
        out = self._log[start:n]
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log10(new, out=out)
        out[~(new > 0)] = np.nan
        self._length = n
        return self._log[:n]


class LossPlot(QWidget):
    """Training and validation loss against step or epoch, with a hover readout.

    Validation loss exists once per epoch (it is measured after an epoch's last update),
    so it is drawn on the epoch axis only; the step axis shows every batch's loss.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loss_plot")
        self._session = session
        self._x_mode = "step"
        self._log = False
        self._x = np.zeros(0)  # step or epoch numbers of the training curve (a view)
        self._y = np.zeros(0)  # its losses (a view)
        self._val_x = np.zeros(0)
        self._val: np.ndarray | None = None  # validation loss, when it exists
        self._per_epoch = 1  # steps in an epoch: > 1 draws the epoch means over the steps
        self._mirrors = self._new_mirrors()

        self._base_point_size = max(QFont(self.font()).pointSizeF(), 9.0)
        self._scale = 0.0  # text scale for the widget's size; set by _apply_scale
        self._zoom = 1.0  # the window's zoom, on top of that scale (apply_appearance)
        self._axis_color = AXIS_COLOR
        self._curve_colors: dict[str, Color] = {
            "train": TRAIN_COLOR,
            "validation": VALIDATION_COLOR,
        }
        self._curve_width = CURVE_WIDTH

        # -- the toolbar row ---------------------------------------------------------
        self._step_button = QRadioButton("Step")
        self._step_button.setObjectName("loss_x_step")
        self._step_button.setToolTip("One point per training step: the loss of its batch")
        self._epoch_button = QRadioButton("Epoch")
        self._epoch_button.setObjectName("loss_x_epoch")
        self._epoch_button.setToolTip(
            "One point per epoch: the epoch's mean training loss and, when the lesson "
            "holds samples out, the validation loss measured after it"
        )
        self._step_button.setChecked(True)
        self._x_group = QButtonGroup(self)
        self._x_group.addButton(self._step_button)
        self._x_group.addButton(self._epoch_button)
        self._epoch_button.toggled.connect(lambda on: self.set_x_mode("epoch" if on else "step"))
        self._log_box = QCheckBox("Log scale")
        self._log_box.setObjectName("loss_log_scale")
        self._log_box.setToolTip(
            "Loss on a logarithmic axis: equal ratios look equal, so slow late progress "
            "stays visible. Zero or negative values cannot be shown and are skipped."
        )
        self._log_box.toggled.connect(self.set_log_scale)
        self._readout = QLabel()
        self._readout.setObjectName("loss_readout")
        self._readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 3, 8, 3)
        bar.addWidget(QLabel("x axis:"))
        bar.addWidget(self._step_button)
        bar.addWidget(self._epoch_button)
        bar.addSpacing(16)
        bar.addWidget(self._log_box)
        bar.addStretch(1)
        bar.addWidget(self._readout)

        # -- the plot ----------------------------------------------------------------
        self._widget = pg.PlotWidget(
            background="w",
            axisItems={"left": _LossAxis("left"), "bottom": _CountAxis("bottom")},
        )
        self._widget.setObjectName("loss_plot_canvas")
        self._widget.setMinimumSize(240, 160)
        item = self._widget.getPlotItem()
        self._item = item
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        view = item.getViewBox()
        view.setMouseEnabled(x=True, y=False)  # zoom and pan along x only
        # steps and epochs count from 1; a loss is never negative (log10 of one may be)
        view.setLimits(xMin=0, minXRange=4, yMin=0)
        # The plot follows the data with a steady range (see _follow_data) instead of
        # pyqtgraph's auto-range, which moves the axes on every new point and makes
        # them and the grid redraw their ticks in every frame while training runs.
        view.disableAutoRange()
        view.sigRangeChangedManually.connect(self._stop_following)
        self._following = True
        self._shown_range: tuple[float, float, float, float] | None = None
        # No grid: even a GridItem costs ~5 ms per repaint at 1600×1000 (the axes' own
        # grid ~8 ms), a fifth of a frame while training runs. The ticks, the current
        # point's readout and the hover readout give the values.
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(AXIS_COLOR))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            axis.enableAutoSIPrefix(False)  # "loss (x0.001)" reads badly
        self._legend = item.addLegend(offset=(-10, 10), labelTextColor=AXIS_COLOR)
        self._legend.setBrush(pg.mkBrush(255, 255, 255, 220))
        self._legend.setPen(pg.mkPen("#bbbbbb"))

        # about one min/max pair per pixel column: all a screen can show
        curve_style = {"antialias": True, "autoDownsampleFactor": 1.0}
        self._train_curve = pg.PlotDataItem(
            pen=pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH), **curve_style
        )
        self._val_curve = pg.PlotDataItem(
            pen=pg.mkPen(VALIDATION_COLOR, width=CURVE_WIDTH, style=Qt.PenStyle.DashLine),
            **curve_style,
        )
        self._current_marker = pg.PlotDataItem(
            pen=None,
            symbol="o",
            symbolSize=13,
            symbolBrush=pg.mkBrush(TRAIN_COLOR),
            symbolPen=pg.mkPen("w", width=2),
        )
        self._current_marker.setZValue(10)
        # the epoch means over faint per-step points when an epoch has several batches
        self._mean_curve = pg.PlotDataItem(
            pen=pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH), **curve_style
        )
        self._mean_curve.setZValue(5)
        # the loss of a forward pass not yet followed by an update: the next step's point
        self._forward_marker = pg.PlotDataItem(
            pen=None,
            symbol="o",
            symbolSize=13,
            symbolBrush=pg.mkBrush("w"),
            symbolPen=pg.mkPen(TRAIN_COLOR, width=2.5),
        )
        self._forward_marker.setZValue(11)
        self._forward: tuple[float, float] | None = None
        item.addItem(self._train_curve)
        item.addItem(self._mean_curve)
        item.addItem(self._val_curve)
        item.addItem(self._current_marker)
        item.addItem(self._forward_marker)
        self._legend.addItem(self._train_curve, "training loss")
        self._val_in_legend = False
        self._mean_in_legend = False

        # -- the hover readout: crosshair on the nearest point and its values -------
        cross_pen = pg.mkPen("#555555", width=1, style=Qt.PenStyle.DashLine)
        self._vline = pg.InfiniteLine(angle=90, movable=False, pen=cross_pen)
        self._hline = pg.InfiniteLine(angle=0, movable=False, pen=cross_pen)
        self._hover_marker = pg.PlotDataItem(
            pen=None, symbol="o", symbolSize=9, symbolBrush=pg.mkBrush(AXIS_COLOR), symbolPen=None
        )
        self._hover_text = pg.TextItem(
            color=AXIS_COLOR, fill=pg.mkBrush(255, 255, 240, 235), border=pg.mkPen("#999999")
        )
        for hover_item in self._hover_items():
            hover_item.setZValue(20)
            item.addItem(hover_item, ignoreBounds=True)
            hover_item.hide()
        self._widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._widget.viewport().installEventFilter(self)

        # PNG / SVG / CSV; the CSV holds the losses themselves, also on a log axis
        from bpsim.gui.export.plot_export import ExportButton

        self._train_curve.export_name = "training loss"
        self._train_curve.export_data = lambda: self.curve_data("train")
        self._val_curve.export_name = "validation loss"
        self._val_curve.export_data = lambda: self.curve_data("validation")
        self._current_marker.export_skip = True
        self._forward_marker.export_skip = True
        self._mean_curve.export_name = "epoch mean of the training loss"
        self._mean_curve.export_data = lambda: self.curve_data("mean")
        self.export_button = ExportButton(self._widget, "loss", "loss")
        bar.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self._widget, 1)

        self._apply_scale(1.0)
        session.historyChanged.connect(self.redraw)
        session.runProgress.connect(self.redraw)  # the session's frame timer while running
        session.lessonReplaced.connect(self.redraw)
        session.phaseFinished.connect(self._phase_finished)
        self.redraw()

    def _phase_finished(self, name: str) -> None:
        """Forward's loss shows at once; a Run frame has already redrawn (historyChanged)."""
        if name != "run":
            self.redraw()

    # -- text size -------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Grow the text with the widget, so a full-screen plot reads from the back row."""
        super().resizeEvent(event)
        size = event.size()
        scale = min(size.width() / 900, size.height() / 500)
        # quarter steps, so dragging a splitter does not re-lay out the axes every pixel
        self._apply_scale(min(max(round(scale * 4) / 4, 1.0), MAX_TEXT_SCALE))

    def _apply_scale(self, scale: float) -> None:
        if scale == self._scale:
            return
        self._scale = scale
        scale *= self._zoom
        points = self._base_point_size * scale

        def font(factor: float) -> QFont:
            f = QFont(self.font())
            f.setPointSizeF(points * factor)
            return f

        self._label_style = {"color": self._axis_color, "font-size": f"{points * 1.4:.0f}pt"}
        for name in ("left", "bottom"):
            self._item.getAxis(name).setStyle(tickFont=font(1.15), tickTextOffset=round(5 * scale))
        self._item.setLabel("left", "loss", **self._label_style)
        self._item.setLabel("bottom", self._x_mode, **self._label_style)
        legend_size = f"{points * 1.15:.0f}pt"
        self._legend.setLabelTextSize(legend_size)
        for _sample, label in self._legend.items:
            label.setText(label.text, size=legend_size)
        self._item.layout.setContentsMargins(4, round(14 * scale), round(16 * scale), 4)
        self._readout.setFont(font(1.25))
        self._current_marker.setSymbolSize(round(13 * scale))
        self._hover_marker.setSymbolSize(round(9 * scale))
        self._hover_text.setFont(font(1.15))

    def apply_appearance(self, appearance: Appearance) -> None:
        """A new zoom or theme (bpsim.gui.style.appearance): text, markers and curve widths
        grow with the zoom on top of the widget-size scale; colours follow the theme."""
        colors = appearance.theme.plot
        self._zoom = appearance.zoom
        self._axis_color = pg.mkColor(colors.axis).name()  # text for the labels' CSS
        self._curve_colors = {"train": colors.train, "validation": colors.validation}
        self._curve_width = colors.curve_width * appearance.zoom
        self._widget.setBackground(colors.background)
        for name in ("left", "bottom"):
            axis = self._item.getAxis(name)
            axis.setPen(pg.mkPen(colors.axis))
            axis.setTextPen(pg.mkPen(colors.axis))
            axis.setTickDensity(1.0 / appearance.zoom**2)  # larger labels need more room
        self._legend.setBrush(pg.mkBrush(colors.legend_background))
        self._legend.setPen(pg.mkPen(colors.legend_border))
        self._legend.setLabelTextColor(colors.axis)
        self._current_marker.setSymbolBrush(pg.mkBrush(colors.train))
        self._current_marker.setSymbolPen(pg.mkPen(colors.background, width=2))
        self._hover_marker.setSymbolBrush(pg.mkBrush(colors.axis))
        self._hover_text.setColor(colors.axis)
        self._hover_text.fill = pg.mkBrush(colors.hover_background)
        scale, self._scale = self._scale or 1.0, 0.0
        self._apply_scale(scale)  # fonts and markers at the new zoom
        # large text must not make the window wider than the screen: clip instead
        self._readout.setMinimumWidth(min(self._readout.sizeHint().width(), 160))
        self.redraw()  # curves with the new pens

    # -- public state ----------------------------------------------------------------

    @property
    def x_mode(self) -> str:
        """``"step"`` or ``"epoch"``."""
        return self._x_mode

    @property
    def log_scale(self) -> bool:
        return self._log

    def set_x_mode(self, mode: str) -> None:
        """Plot against ``"step"`` or ``"epoch"``."""
        if mode not in ("step", "epoch"):
            raise ValueError(f"x mode must be 'step' or 'epoch', not {mode!r}")
        if mode == self._x_mode:
            return
        self._x_mode = mode
        button = self._epoch_button if mode == "epoch" else self._step_button
        if not button.isChecked():
            button.setChecked(True)
        self._item.setLabel("bottom", mode, **self._label_style)  # not per redraw: ~0.3 ms
        self._hide_hover()
        self.follow_data()

    def set_log_scale(self, on: bool) -> None:
        """Show the loss on a log10 axis (non-positive values are skipped)."""
        on = bool(on)
        if on == self._log:
            return
        self._log = on
        if self._log_box.isChecked() != on:
            self._log_box.setChecked(on)
        # The curves get log10 values from the mirrors; only the axis is told, for its
        # 10^k tick labels (PlotItem.setLogMode would take log10 of everything per redraw).
        self._item.getAxis("left").setLogMode(False, on)
        self._item.getViewBox().setLimits(yMin=-1e307 if on else 0)  # pyqtgraph's "no limit"
        if not on:
            self._mirrors = self._new_mirrors()
        self._hide_hover()
        self.follow_data()

    def curve_data(
        self, which: str = "train", *, drawn: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (x, loss) arrays of the ``"train"`` or ``"validation"`` curve; ``drawn``:
        what the curve item holds (log10 of the loss on a log axis)."""
        if drawn:
            curve = {"train": self._train_curve, "validation": self._val_curve}[which]
            x, y = curve.getOriginalDataset()
            if x is None or y is None:
                return np.zeros(0), np.zeros(0)
            return x, y
        if which == "train":
            return self._x, self._y
        if which == "validation":
            if self._val is None:
                return np.zeros(0), np.zeros(0)
            return self._val_x, self._val
        if which == "mean":
            x, y = self._mean_curve.getOriginalDataset()
            if x is None or y is None:
                return np.zeros(0), np.zeros(0)
            return x, y
        raise ValueError(f"no curve {which!r}; expected 'train', 'mean' or 'validation'")

    def validation_shown(self) -> bool:
        return self._val is not None

    def forward_point(self) -> tuple[float, float] | None:
        """The loss of the forward pass on screen, not yet part of the history (its step
        is the next one): (step, loss), or None."""
        return self._forward

    def current_point(self) -> tuple[float, float] | None:
        """The last point of the training curve (the current step or epoch), or None."""
        if len(self._y) == 0:
            return None
        return float(self._x[-1]), float(self._y[-1])

    def hover_text_at(self, x_value: float) -> str:
        """What the readout says with the mouse at ``x_value``: the nearest point's values."""
        index = self._nearest(x_value)
        if index is None:
            return ""
        return self._describe(index)

    def readout_text(self) -> str:
        """The toolbar's readout: the current point, or what to do to get one."""
        return self._readout.text()

    # -- drawing ---------------------------------------------------------------------

    @staticmethod
    def _new_mirrors() -> dict[str, _Log10Mirror]:
        return {"train": _Log10Mirror(), "mean": _Log10Mirror(), "validation": _Log10Mirror()}

    def _pending_forward(self) -> tuple[float, float] | None:
        """(next step, loss) after a finished forward pass that no update has followed."""
        trainer = self._session.trainer
        trace = trainer.trace
        if trace is None or trace.forward_done < trainer.network.depth:
            return None
        if trainer.phase.name not in ("FORWARDED", "BACKWARD", "BACKWARDED"):
            return None
        if not math.isfinite(trace.loss):
            return None
        return float(trainer.step_count + 1), float(trace.loss)

    def _drawn(self, which: str, values: np.ndarray) -> np.ndarray:
        return self._mirrors[which].update(values) if self._log else values

    def redraw(self) -> None:
        """Hand the current history slices to the curves and move the current-point marker."""
        trainer = self._session.trainer
        history = trainer.history
        has_validation = len(trainer.val_idx) > 0
        step_mode = self._x_mode == "step"
        series = history.step_loss if step_mode else history.epoch_train_loss
        val_series = history.epoch_val_loss if has_validation else None
        # an epoch ends after batches_per_epoch steps: where epoch points sit on a step axis
        self._per_epoch = max(trainer.batches_per_epoch, 1) if step_mode else 1
        x, y = series.x, series.values
        val = None if val_series is None else val_series.values
        if val is not None and not np.isfinite(val).any():
            val = None  # nothing measured yet
        self._x, self._y, self._val = x, y, val
        self._val_x = x[:0]
        if val_series is not None and val is not None:
            self._val_x = val_series.x * self._per_epoch if step_mode else val_series.x
        faint = step_mode and self._per_epoch > 1
        self._train_curve.setData(
            x, self._drawn("train", y), **self._style("train", len(y), faint=faint)
        )
        means = history.epoch_train_loss
        if faint and len(means):
            self._mean_curve.setData(
                means.x * self._per_epoch,
                self._drawn("mean", means.values),
                **self._style("train", len(means), markers=True),
            )
            self._mean_curve.show()
        else:
            self._mean_curve.setData([], [])
            self._mean_curve.hide()
        self._set_mean_legend(faint and len(means) > 0)
        self._forward = self._pending_forward() if step_mode else None
        if self._forward is not None and self._view_y(self._forward[1]) is not None:
            fx, fy = self._forward
            self._forward_marker.setData([fx], [self._view_y(fy)])
            self._forward_marker.show()
        else:
            self._forward_marker.setData([], [])
            self._forward_marker.hide()
        if val is not None:
            self._val_curve.setData(
                self._val_x,
                self._drawn("validation", val),
                **self._style("validation", len(val), markers=True),
            )
            self._val_curve.show()
        else:
            self._val_curve.setData([], [])
            self._val_curve.hide()
        self._set_legend(val is not None)
        self._follow_data()
        self._move_marker()
        self._readout.setText(self._current_text())
        if self._hover_text.isVisible():
            self.show_hover_at(float(self._vline.value()))

    def follow_data(self) -> None:
        """Show all the data again and keep following it as it grows."""
        self._following = True
        self._shown_range = None
        self.redraw()

    def _stop_following(self, *_: object) -> None:
        """The user zoomed or panned: leave the range alone until asked to follow."""
        self._following = False

    def _follow_data(self) -> None:
        """Keep every point in view with a rounded range that changes only when the data
        leaves it (or shrinks well inside it), so the axes rarely need new ticks."""
        if not self._following or (len(self._x) == 0 and self._forward is None):
            return
        drawn = [self._train_curve.yData]
        if self._forward is not None and self._view_y(self._forward[1]) is not None:
            drawn.append(np.array([self._view_y(self._forward[1])]))
        if self._val is not None and self._val_curve.yData is not None:
            drawn.append(self._val_curve.yData)
        finite = [v[np.isfinite(v)] for v in drawn if v is not None and len(v)]
        finite = [v for v in finite if v.size]
        if not finite:
            return
        y_low = min(float(v.min()) for v in finite)
        y_high = max(float(v.max()) for v in finite)
        x_high = float(self._x[-1]) if len(self._x) else 0.0
        if self._forward is not None:
            x_high = max(x_high, self._forward[0])
        shown = self._shown_range
        if shown is not None:
            _, x1, y0, y1 = shown
            fits_x = x_high <= 0.97 * x1 and x1 <= max(4.0 * x_high, 8.0)  # marker not at the edge
            if self._log:
                spread = max(y_high - y_low, 0.3)
                fits_y = y0 <= y_low and y_high <= y1 and (y1 - y0) <= 3.0 * spread
            else:
                spread = _spread(y_low, y_high)
                fits_y = y0 <= y_low and y_high <= y1 and (y1 - y0) <= 4.0 * spread
            if fits_x and fits_y:
                return
        x1 = _nice_ceiling(max(x_high * 1.25, 4.0))
        if self._log:
            pad = max(0.1 * (y_high - y_low), 0.05)
            y0, y1 = math.floor((y_low - pad) * 4) / 4, math.ceil((y_high + pad) * 4) / 4
        else:
            y0, y1 = _following_range(y_low, y_high)
        self._shown_range = (0.0, x1, y0, y1)
        # setRange is not a manual change: following goes on.
        self._item.getViewBox().setRange(xRange=(0.0, x1), yRange=(y0, y1), padding=0)

    def _style(
        self, which: str, points: int, faint: bool = False, markers: bool = False
    ) -> dict[str, object]:
        """Pen and antialiasing for a curve of ``points`` points (see DENSE_POINTS);
        ``faint``: the per-step losses under the epoch means, as pale dots."""
        dense = points > DENSE_POINTS
        # While Run redraws about 35 times a second, no curve is antialiased: smooth
        # edges double a frame's painting (the frame after Pause draws them smooth again).
        smooth = not dense and not self._session.running
        color = self._curve_colors[which]
        if faint:
            pale = pg.mkColor(color)
            pale.setAlpha(70)
            style: dict[str, object] = {"pen": pg.mkPen(pale, width=1), "antialias": smooth}
            if points <= 2000:  # dots read as samples; beyond that a thin band does
                style.update(pen=None, symbol="o", symbolSize=5, symbolPen=None, symbolBrush=pale)
            else:
                style.update(symbol=None)
            return style
        dash = Qt.PenStyle.SolidLine if which == "train" else Qt.PenStyle.DashLine
        pen = pg.mkPen(color, width=1 if dense else self._curve_width, style=dash)
        if not markers or points > FEW_POINTS:
            return {"pen": pen, "antialias": smooth, "symbol": None}
        # a few epochs: markers, so one epoch's mean or validation loss is not invisible
        marker = {"symbol": "o", "symbolSize": 7, "symbolBrush": color, "symbolPen": None}
        return {"pen": pen, "antialias": not self._session.running, **marker}

    def _set_mean_legend(self, shown: bool) -> None:
        """Per-step dots and their epoch means, or one training curve."""
        if shown == self._mean_in_legend:
            return
        self._legend.removeItem(self._train_curve)
        if self._val_in_legend:
            self._legend.removeItem(self._val_curve)
        if shown:
            self._legend.addItem(self._train_curve, "training loss per step")
            self._legend.addItem(self._mean_curve, "epoch mean")
        else:
            self._legend.removeItem(self._mean_curve)
            self._legend.addItem(self._train_curve, "training loss")
        if self._val_in_legend:
            self._legend.addItem(self._val_curve, "validation loss")
        self._mean_in_legend = shown

    def _set_legend(self, with_validation: bool) -> None:
        if with_validation and not self._val_in_legend:
            self._legend.addItem(self._val_curve, "validation loss")
        elif not with_validation and self._val_in_legend:
            self._legend.removeItem(self._val_curve)
        self._val_in_legend = with_validation

    def _view_y(self, y: float) -> float | None:
        """Where loss ``y`` sits on the plot's y axis (None: not on a log axis)."""
        if not self._log:
            return y
        return math.log10(y) if _on_log_axis(y) else None

    def _move_marker(self) -> None:
        point = self.current_point()
        y_view = None if point is None else self._view_y(point[1])
        if point is None or y_view is None:
            self._current_marker.setData([], [])
            self._current_marker.hide()
            return
        self._current_marker.setData([point[0]], [y_view])
        self._current_marker.show()

    def _current_text(self) -> str:
        if self._forward is not None:
            step, loss = self._forward
            return f"step {round(step):,} forward pass: loss {fmt(loss, READOUT_DIGITS)}"
        if len(self._y) == 0:
            if self._x_mode == "epoch":
                return "no finished epoch yet"
            return f"no step yet: press {self._expected_key()}"
        return "now: " + self._describe(len(self._y) - 1)

    def _expected_key(self) -> str:
        """The action the lesson's text asks for first (Forward, Step, Epoch or Run) with
        its key as the window's action has it: "Forward (F)"."""
        description = self._session.trainer.lesson.description or ""
        found = [
            (description.find(f"*{name}*"), name)
            for name in ("Forward", "Step", "Epoch", "Run")
            if f"*{name}*" in description
        ]
        name = min(found)[1] if found else "Step"
        window = self.window()
        action = window.findChild(QAction, name.lower()) if window is not self else None
        key = action.shortcut().toString() if action is not None else ""
        return f"{name} ({key})" if key else name

    def _describe(self, index: int) -> str:
        """``step 120: loss 0.0347``, or both losses of an epoch."""
        number = f"{round(float(self._x[index])):,}"  # grouped like the axis: step 500,000
        loss = fmt(float(self._y[index]), READOUT_DIGITS)
        if self._x_mode == "step":
            validation = self._validation_at(float(self._x[index]))
            if validation is not None:  # the step that ended an epoch
                return f"step {number}: loss {loss}, validation {fmt(validation, READOUT_DIGITS)}"
            return f"step {number}: loss {loss}"
        text = f"epoch {number}: training loss {loss}"
        validation = self._validation_at(float(self._x[index]))
        if validation is not None:
            text += f", validation {fmt(validation, READOUT_DIGITS)}"
        return text

    def _validation_at(self, x: float) -> float | None:
        """The validation loss measured at epoch ``x``, if there is one."""
        if self._val is None or len(self._val_x) == 0:
            return None
        i = int(np.searchsorted(self._val_x, x))
        if i < len(self._val_x) and self._val_x[i] == x and math.isfinite(self._val[i]):
            return float(self._val[i])
        return None

    # -- hover -----------------------------------------------------------------------

    def _hover_items(self) -> tuple[pg.GraphicsObject, ...]:
        return (self._vline, self._hline, self._hover_marker, self._hover_text)

    def _nearest(self, x_value: float) -> int | None:
        """Index of the point nearest to ``x_value``: a binary search, since x is increasing
        but not always 1, 2, 3 … (the history thins out old points of a long run)."""
        n = len(self._y)
        if n == 0 or not math.isfinite(x_value):
            return None
        right = int(np.searchsorted(self._x, x_value))
        if right == 0:
            return 0
        if right == n:
            return n - 1
        left = right - 1
        return left if x_value - self._x[left] <= self._x[right] - x_value else right

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        view = self._item.getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self._hide_hover()
            return
        self.show_hover_at(view.mapSceneToView(scene_pos).x())

    def show_hover_at(self, x_value: float) -> None:
        """Put the crosshair and the readout on the point nearest to ``x_value``."""
        index = self._nearest(x_value)
        if index is None:
            self._hide_hover()
            return
        x, y = float(self._x[index]), float(self._y[index])
        y_view = self._view_y(y)
        self._vline.setPos(x)
        self._vline.show()
        if y_view is None:
            self._hline.hide()
            self._hover_marker.hide()
        else:
            self._hline.setPos(y_view)
            self._hline.show()
            self._hover_marker.setData([x], [y_view])
            self._hover_marker.show()
        self._hover_text.setText(self._describe(index))
        (x0, x1), (y0, y1) = self._item.getViewBox().viewRange()
        if y_view is None:
            y_view = (y0 + y1) / 2
        # keep the readout inside the plot: left of the point on the right half, below
        # it on the top half
        anchor_x = 1.0 if x > (x0 + x1) / 2 else 0.0
        anchor_y = 0.0 if y_view > (y0 + y1) / 2 else 1.0
        self._hover_text.setAnchor((anchor_x, anchor_y))
        self._hover_text.setPos(x, y_view)
        self._hover_text.show()

    def hover_shown(self) -> bool:
        return self._hover_text.isVisible()

    def _hide_hover(self) -> None:
        for hover_item in self._hover_items():
            hover_item.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._hide_hover()
        return super().eventFilter(watched, event)
