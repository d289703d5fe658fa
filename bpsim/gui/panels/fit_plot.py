"""The fit view: a regression lesson's data and the network's line through it.

Seed 002's first picture: price against house size, with the line a + bX moving as
gradient descent runs. Points and line are in the file's units (square feet and dollars)
even when the lesson trains on scaled values (:func:`bpsim.teaching.fit.original_units`).
A one-input network draws its output over the data's x range as a curve; a network with
more inputs draws each sample's prediction against its target, with the diagonal where
they agree. "Residuals" draws each sample's error as a segment.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QCheckBox, QWidget

from bpsim.gui.state.session import Session
from bpsim.gui.style.plot_style import (
    AXIS_COLOR,
    MUTED,
    adopt_theme_palette,
    data_problem,
    no_si_prefix,
)
from bpsim.teaching.fit import Units, fit_curve, is_regression, original_units, residuals

POINT_COLOR = "#0072B2"
LINE_COLOR = "#D55E00"
RESIDUAL_COLOR = "#777777"
CURVE_POINTS = 200


class _UnitAxis(pg.AxisItem):
    """Ticks in the file's units, thousands grouped (400,000 dollars, not 400000)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing >= 1:
            return [f"{v * scale:,.0f}" for v in values]
        return super().tickStrings(values, scale, spacing)


class FitPlot(pg.PlotWidget):
    """The samples and the model's line (``curve``), redrawn on every parameter change;
    ``residual_box`` shows each sample's error. ``units`` maps stored values to the
    file's; ``message`` says why nothing is drawn (a classification lesson, say)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(
            parent,
            background="w",
            axisItems={"left": _UnitAxis("left"), "bottom": _UnitAxis("bottom")},
        )
        self.setObjectName("fit_plot")
        self.setMinimumSize(240, 200)
        self.session = session
        self.units: Units | None = None
        self.message = ""
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        tick_font = QFont(self.font())
        tick_font.setPointSizeF(max(tick_font.pointSizeF(), 9.0) * 1.15)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(AXIS_COLOR))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            axis.setStyle(tickFont=tick_font)
            no_si_prefix(axis)
        # room for "400,000" and the axis title beside it
        item.getAxis("left").setWidth(QFontMetrics(tick_font).horizontalAdvance("−000,000") + 30)
        self._label_style = {
            "color": AXIS_COLOR,
            "font-size": f"{tick_font.pointSizeF() * 1.2:.0f}pt",
        }
        self.points = pg.ScatterPlotItem(
            symbol="o", size=11, brush=pg.mkBrush(POINT_COLOR), pen=pg.mkPen("w", width=1.5)
        )
        self.points.setZValue(10)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(LINE_COLOR, width=3), antialias=True)
        self.curve.setZValue(5)
        self.diagonal = pg.PlotDataItem(pen=pg.mkPen(MUTED, width=1.5, style=Qt.PenStyle.DashLine))
        self.residual_lines = pg.PlotDataItem(
            pen=pg.mkPen(RESIDUAL_COLOR, width=1.5), connect="pairs"
        )
        self.residual_lines.setZValue(4)
        for plotted in (self.diagonal, self.residual_lines, self.curve, self.points):
            item.addItem(plotted)
        self.note = pg.TextItem(color=MUTED, anchor=(0.5, 0.5))
        item.addItem(self.note, ignoreBounds=True)
        self.legend = item.addLegend(offset=(-10, -10), labelTextColor=AXIS_COLOR)
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 220))
        self.legend.setPen(pg.mkPen("#bbbbbb"))
        self.residual_box = QCheckBox("Residuals", self)
        self.residual_box.setObjectName("fit_residuals")
        self.residual_box.setToolTip(
            "Draw each sample's error: from its target to the model's value"
        )
        self.residual_box.setStyleSheet("background: rgba(255, 255, 255, 200); padding: 2px;")
        self.residual_box.toggled.connect(lambda _: self.redraw())
        session.lessonReplaced.connect(self.rebuild)
        session.datasetChanged.connect(self.rebuild)
        session.parametersChanged.connect(self.redraw)
        self.rebuild()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if "residual_box" not in self.__dict__:
            return  # pyqtgraph resizes while it is being built
        hint = self.residual_box.sizeHint()
        self.residual_box.setGeometry(
            self.width() - hint.width() - 12, 6, hint.width(), hint.height()
        )

    def apply_appearance(self, appearance: object) -> None:
        """A new theme or zoom (bpsim.gui.style.appearance): background, axes, text and
        markers follow; the data's colours stay (chosen to be read by everyone)."""
        colors = appearance.theme.plot  # type: ignore[attr-defined]
        zoom = float(appearance.zoom)  # type: ignore[attr-defined]
        adopt_theme_palette(self, appearance)
        self.setBackground(colors.background)
        item = self.getPlotItem()
        tick_font = QFont(self.font())
        tick_font.setPointSizeF(max(tick_font.pointSizeF(), 9.0) * 1.15 * zoom)
        axis_color = pg.mkColor(colors.axis).name()
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(colors.axis))
            axis.setTextPen(pg.mkPen(colors.axis))
            axis.setStyle(tickFont=tick_font)
        item.getAxis("left").setWidth(QFontMetrics(tick_font).horizontalAdvance("−000,000") + 30)
        size = f"{tick_font.pointSizeF() * 1.2:.0f}pt"
        self._label_style = {"color": axis_color, "font-size": size}
        self.legend.setBrush(pg.mkBrush(colors.legend_background))
        self.legend.setPen(pg.mkPen(colors.legend_border))
        self.legend.setLabelTextColor(colors.axis)
        self.legend.setLabelTextSize(f"{tick_font.pointSizeF():.0f}pt")
        self.points.setSize(11 * zoom)
        self.curve.setPen(pg.mkPen(LINE_COLOR, width=3 * zoom))
        self.note.setColor(colors.axis)
        self.rebuild()

    # -- what to draw ----------------------------------------------------------------

    def _why_not(self) -> str:
        t = self.session.trainer
        problem = data_problem(self.session)
        if problem is not None:
            return problem
        if not is_regression(t.network, t.targets):
            return "The fit view is for regression: this lesson's targets are classes."
        return ""

    def _names(self) -> tuple[str, str]:
        dataset = self.session.trainer.lesson.dataset
        net = self.session.trainer.network
        x_name = (dataset.input_names or net.labels[0])[0]
        y_name = (dataset.target_names or net.labels[net.depth])[0]
        return x_name, y_name

    def rebuild(self) -> None:
        """A new lesson or data set: its units, axis labels and points."""
        t = self.session.trainer
        self.message = self._why_not()
        base = self.session.path.parent if self.session.path is not None else None
        dataset = t.lesson.dataset
        self.units = original_units(dataset, base) if not self.message else None
        if self.units is None:
            self.units = Units.identity(t.inputs.shape[1], t.targets.shape[1])
        x_name, y_name = self._names()
        item = self.getPlotItem()
        self.legend.clear()
        if self.message:
            item.setLabel("bottom", "")
            item.setLabel("left", "")
        elif t.network.sizes[0] == 1:
            item.setLabel("bottom", x_name, **self._label_style)
            item.setLabel("left", y_name, **self._label_style)
            self.legend.addItem(self.points, "samples")
            self.legend.addItem(self.curve, "the network's output")
        else:
            item.setLabel("bottom", f"{y_name}: target", **self._label_style)
            item.setLabel("left", f"{y_name}: the network's output", **self._label_style)
            self.legend.addItem(self.points, "samples")
            self.legend.addItem(self.diagonal, "output = target")
        self.redraw()
        item.getViewBox().autoRange(padding=0.08)

    def redraw(self) -> None:
        """The line (or the predictions) for the parameters as they are now."""
        t = self.session.trainer
        units = self.units
        if self.message or units is None:
            for plotted in (self.points, self.curve, self.diagonal, self.residual_lines):
                plotted.setData([], [])
            self.note.setText(self.message)
            self.note.setPos(0.5, 0.5)
            self.note.show()
            self.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1))
            return
        self.note.hide()
        predicted, target = residuals(t.network, units, t.inputs, t.targets)
        if t.network.sizes[0] == 1:
            x = units.inputs(t.inputs)[:, 0]
            self.points.setData(x=x, y=target)
            low, high = float(x.min()), float(x.max())
            pad = 0.05 * (high - low) if high > low else 1.0
            cx, cy = fit_curve(t.network, units, (low - pad, high + pad), CURVE_POINTS)
            self.curve.setData(cx, cy)
            self.diagonal.setData([], [])
            ends = x
        else:
            self.points.setData(x=target, y=predicted)
            self.curve.setData([], [])
            low = float(min(target.min(), predicted.min()))
            high = float(max(target.max(), predicted.max()))
            self.diagonal.setData([low, high], [low, high])
            ends = target
        if self.residual_box.isChecked():
            xs = np.repeat(ends, 2)
            ys = np.empty(2 * len(target))
            ys[0::2], ys[1::2] = target, predicted
            self.residual_lines.setData(xs, ys)
        else:
            self.residual_lines.setData([], [])

    def curve_values(self) -> tuple[np.ndarray, np.ndarray]:
        """The model's line as drawn: (x, y) in the file's units."""
        x, y = self.curve.getData()
        if x is None or y is None:
            return np.zeros(0), np.zeros(0)
        return np.asarray(x), np.asarray(y)
