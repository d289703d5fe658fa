"""Gradient descent on a plain function: the idea before the network.

Pick a function of one variable (a curve) or two (a contour map), a start, a learning
rate and an optimizer, then Step or Run. Each step shows the slope where it starts (the
tangent on a curve, an arrow on a map) and how far it goes; a learning rate that is too
large visibly jumps over the bottom, and the panel says so. "Compare" runs plain gradient
descent, momentum and Adam side by side from the same start.

The steps are :class:`bpsim.teaching.descent.Descent`'s, with the engine's own optimizers;
this view draws them and puts words to what they show.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from bpsim.core.rules import learning_rate_problem
from bpsim.core.spec import OptimizerSpec
from bpsim.gui.style.plot_style import (
    ERROR_COLOR,
    WARNING_COLOR,
    PlotPanel,
    image_rect,
    magnitude_map,
)
from bpsim.gui.widgets.controls import check_box, push_button
from bpsim.teaching.descent import FUNCTIONS, Descent, DescentPath, Function, get_function
from bpsim.text import fmt, parse_number

#: The optimizers on offer: label, name, extra hyper-parameters (the learning rate is the
#: field's), marker colour and symbol.
OPTIMIZERS: tuple[tuple[str, str, dict[str, float], str, str], ...] = (
    ("gradient descent", "sgd", {}, "#0072B2", "o"),
    ("momentum 0.9", "sgd", {"momentum": 0.9}, "#E69F00", "s"),
    ("Adam", "adam", {}, "#009E73", "t1"),
)
RUN_INTERVAL_MS = 120
MAX_RUN_STEPS = 5000
CONVERGED = 1e-10  # a step shorter than this: the descent has arrived
CURVE_COLOR = "#222222"
TANGENT_COLOR = "#C8102E"  # gradients are red, as in the network editor (with a 2nd cue)
GRID = 161
VIEW_LIMIT = 1e4  # the view follows a diverging path only this far


def parse_point(text: str, variables: int) -> tuple[float, ...]:
    """``"3"`` or ``"3, -3"`` as numbers; ValueError with a message for the user."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if len(parts) != variables:
        expected = "one number (x)" if variables == 1 else "two numbers (x, y)"
        raise ValueError(f"the start needs {expected}, like {'2' if variables == 1 else '2, 1'}")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError("the start must be finite")
    return values


def parse_rate(text: str) -> float:
    try:
        value = parse_number(text)
    except ValueError as error:
        raise ValueError(f"the learning rate: {error}") from None
    problem = learning_rate_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class DescentView(PlotPanel):
    """Step-by-step descent on a function. ``descents`` holds one :class:`Descent` per
    optimizer shown (three when comparing); ``stepped`` follows every Step or Run tick."""

    stepped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("descent", "gradient descent", parent)
        self.descents: dict[str, Descent] = {}
        self._function: Function = get_function("e2sin")
        self._items: list[pg.GraphicsObject] = []
        self._grid_range: tuple[tuple[float, float], ...] | None = None

        self.bar.addWidget(QLabel("Function:"))
        self.function_box = QComboBox()
        self.function_box.setObjectName("descent_function")
        self.function_box.setToolTip("The function to walk down")
        self.function_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.function_box.setMinimumContentsLength(30)
        for f in FUNCTIONS.values():
            # the title, with the formula when it is short (the caption gives it in full)
            label = f"{f.title}:  {f.text}" if len(f.text) <= 24 else f.title
            self.function_box.addItem(label, f.name)
            self.function_box.setItemData(
                self.function_box.count() - 1, f.text, Qt.ItemDataRole.ToolTipRole
            )
        self.function_box.currentIndexChanged.connect(lambda _: self._function_changed())
        self.bar.addWidget(self.function_box)
        self.finish_bar()
        row = self.add_bar()
        row.addWidget(QLabel("Start:"))
        self.start_edit = QLineEdit()
        self.start_edit.setObjectName("descent_start")
        self.start_edit.setToolTip("Where the descent starts: x, or x, y (press Enter)")
        self.start_edit.returnPressed.connect(self.reset)
        row.addWidget(self.start_edit)
        row.addWidget(QLabel("Rate η:"))
        self.rate_edit = QLineEdit()
        self.rate_edit.setObjectName("descent_learning_rate")
        self.rate_edit.setToolTip(
            "How far each step goes: Δ = −η × slope. Too large and the steps jump over the "
            "bottom (press Enter to apply from the next step on)"
        )
        self.rate_edit.returnPressed.connect(self._rate_changed)
        row.addWidget(self.rate_edit)
        self.optimizer_box = QComboBox()
        self.optimizer_box.setObjectName("descent_optimizer")
        self.optimizer_box.setToolTip("How a step is made from the slope")
        self.optimizer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for label, *_ in OPTIMIZERS:
            self.optimizer_box.addItem(label)
        self.optimizer_box.currentIndexChanged.connect(lambda _: self.reset())
        row.addWidget(self.optimizer_box)
        self.compare_box = check_box(
            "Compare",
            "descent_compare",
            "Plain gradient descent, momentum and Adam from the same start with the same "
            "learning rate",
            lambda _: self.reset(),
        )
        self.step_button = push_button("Step", "descent_step", "One step down the slope", self.step)
        self.run_button = push_button(
            "Run", "descent_run", "Keep stepping (press again to pause)", toggled=self._run_toggled
        )
        self.reset_button = push_button("Reset", "descent_reset", "Back to the start", self.reset)
        for widget in (self.compare_box, self.step_button, self.run_button, self.reset_button):
            row.addWidget(widget)
        row.addStretch(1)

        self.status = QLabel()
        self.status.setObjectName("descent_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setContentsMargins(8, 4, 8, 2)
        self.column_layout.insertWidget(self.column_layout.indexOf(self.key_label), self.status)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.export_name = "f"
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.contours: list[pg.IsocurveItem] = []
        for _ in range(12):
            curve = pg.IsocurveItem(pen=pg.mkPen(255, 255, 255, 120, width=1.2))
            curve.setParentItem(self.image)
            curve.setPos(0.5, 0.5)
            curve.export_skip = True
            self.contours.append(curve)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(CURVE_COLOR, width=3))
        self.curve.export_name = "f"
        self.plot.addItem(self.curve)
        self.colormap = magnitude_map("viridis")
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)

        self._run_timer = QTimer(self)
        self._run_timer.setInterval(RUN_INTERVAL_MS)
        self._run_timer.timeout.connect(self._run_tick)
        self._function_changed()

    # -- set-up ----------------------------------------------------------------------

    @property
    def function(self) -> Function:
        return self._function

    def set_function(self, name: str) -> None:
        """Pick a function by its engine name (``"parabola"``, ``"bowl"`` …)."""
        index = self.function_box.findData(name)
        if index < 0:
            raise ValueError(f"unknown function {name!r}")
        self.function_box.setCurrentIndex(index)

    def _function_changed(self) -> None:
        self._function = get_function(str(self.function_box.currentData()))
        f = self._function
        self.start_edit.setText(", ".join(f"{v:g}" for v in f.start))
        self.rate_edit.setText(f"{f.learning_rate:g}")
        self._grid_range = None
        self.reset()

    def _specs(self, rate: float) -> dict[str, OptimizerSpec]:
        chosen = (
            OPTIMIZERS
            if self.compare_box.isChecked()
            else [OPTIMIZERS[self.optimizer_box.currentIndex()]]
        )
        return {
            label: OptimizerSpec.with_defaults(name, learning_rate=rate, **extra)
            for label, name, extra, _color, _symbol in chosen
        }

    def reset(self) -> bool:
        """Start over from the start field with the learning-rate field's rate; a bad
        field is reported in the status line and nothing changes."""
        self.pause()
        try:
            start = parse_point(self.start_edit.text(), self._function.variables)
            rate = parse_rate(self.rate_edit.text())
        except ValueError as error:
            self._say(str(error).capitalize() + ".", ERROR_COLOR)
            return False
        try:
            self.descents = {
                label: Descent(self._function, start, spec)
                for label, spec in self._specs(rate).items()
            }
        except ValueError as error:
            self._say(str(error).capitalize() + ".", ERROR_COLOR)
            return False
        self._grid_range = None
        self.redraw()
        return True

    def _rate_changed(self) -> None:
        try:
            rate = parse_rate(self.rate_edit.text())
        except ValueError as error:
            self._say(str(error).capitalize() + ".", ERROR_COLOR)
            return
        for descent in self.descents.values():
            descent.set_hyper(learning_rate=rate)
        self.redraw()

    # -- stepping --------------------------------------------------------------------

    def step(self) -> bool:
        """One step of every descent shown; False when none could move."""
        moved = False
        for descent in self.descents.values():
            moved |= descent.step() is not None
        self.redraw()
        self.stepped.emit()
        return moved

    def run(self, steps: int) -> None:
        """``steps`` steps at once (tests, and Run's later ticks)."""
        for descent in self.descents.values():
            descent.run(steps)
        self.redraw()
        self.stepped.emit()

    def _run_toggled(self, on: bool) -> None:
        if on:
            self.run_button.setText("Pause")
            self._run_timer.start()
        else:
            self.run_button.setText("Run")
            self._run_timer.stop()

    def pause(self) -> None:
        if self.run_button.isChecked():
            self.run_button.setChecked(False)

    def _finished(self) -> bool:
        return all(
            d.stopped is not None
            or len(d.steps) >= MAX_RUN_STEPS
            or (d.steps and d.steps[-1].size < CONVERGED)
            for d in self.descents.values()
        )

    def _run_tick(self) -> None:
        done = max((len(d.steps) for d in self.descents.values()), default=0)
        count = 1 if done < 30 else min(50, done // 20)  # slow at first, then faster
        for descent in self.descents.values():
            descent.run(count)
        self.redraw()
        self.stepped.emit()
        if self._finished():
            self.pause()

    # -- words -----------------------------------------------------------------------

    def _say(self, text: str, color: str | None = None) -> None:
        style = f"color: {color};" if color else ""
        self.status.setStyleSheet(style)
        self.status.setText(text)

    def status_text(self) -> str:
        return self.status.text()

    def verdict(self, descent: Descent) -> tuple[str, str | None]:
        """What the last steps show, and a colour for a warning: overshoot, growing
        steps, divergence, arrival."""
        if descent.stopped is not None:
            return f"Stopped: {descent.stopped}.", ERROR_COLOR
        steps = descent.steps
        if not steps:
            return "", None
        last = steps[-1]
        flipped = float(np.dot(last.gradient, descent.slope)) < 0
        growing = len(steps) >= 2 and last.size > steps[-2].size * (1 + 1e-9)
        if flipped and growing:
            return (
                f"Step {last.number} jumped over the bottom and landed higher up the other side: "
                "each step is longer than the last. The learning rate is too large; this "
                "descent diverges.",
                ERROR_COLOR,
            )
        if flipped:
            return (
                f"Overshoot: step {last.number} jumped over the bottom (the slope now points "
                "the other way). The steps zigzag; a smaller learning rate would not.",
                WARNING_COLOR,
            )
        if last.size < CONVERGED:
            return "Arrived: the steps have become too small to matter.", None
        return "", None

    def _describe_step(self, descent: Descent) -> str:
        steps = descent.steps
        one = self._function.variables == 1
        rate = fmt(float(descent.optimizer.hyper["learning_rate"]), 4)
        if not steps:
            where = _point(descent.position)
            slope = _vector(descent.slope)
            what = "slope f'(x)" if one else "gradient ∇f"
            return (
                f"Start at {where}: f = {fmt(descent.value, 5)}, {what} = {slope}. "
                f"Press Step: Δ = −η × slope with η = {rate}."
            )
        last = steps[-1]
        what = "slope f'(x)" if one else "gradient ∇f"
        plain = descent.spec.name == "sgd" and not float(descent.spec.hyper.get("momentum", 0))
        rule = f"Δ = −η × slope = −{rate} × {_vector(last.gradient)}" if plain else "Δ"
        return (
            f"Step {last.number}: at {_point(last.start)}, f = {fmt(last.value, 5)}, {what} = "
            f"{_vector(last.gradient)}; {rule} = {_vector(last.delta)} (step size "
            f"{fmt(last.size, 4)}) → {_point(last.end)}, f = {fmt(last.end_value, 5)}."
        )

    # -- drawing ---------------------------------------------------------------------

    def redraw(self) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        paths = {label: d.path() for label, d in self.descents.items()}
        if self._function.variables == 1:
            self._draw_curve(paths)
        else:
            self._draw_map(paths)
        self._write(paths)

    def _write(self, paths: dict[str, DescentPath]) -> None:
        if not self.descents:
            return
        if len(self.descents) == 1:
            descent = next(iter(self.descents.values()))
            verdict, color = self.verdict(descent)
            self._say(self._describe_step(descent) + (f"\n{verdict}" if verdict else ""), color)
        else:
            lines = []
            worst = None
            for label, descent in self.descents.items():
                verdict, color = self.verdict(descent)
                end = descent.position
                lines.append(
                    f"{label}: {len(descent.steps)} steps, now at {_point(end)}, f = "
                    f"{fmt(descent.value, 5)}{' — ' + verdict if verdict else ''}"
                )
                worst = color if color == ERROR_COLOR else worst or color
            self._say("\n".join(lines), worst)
        f = self._function
        minima = (
            f"Minima at {', '.join(_point(np.array(m)) for m in f.minima)}."
            if f.minima
            else "No minimum: it goes down for ever."
        )
        self.caption.setText(f"{f.text}; {f.gradient_text}. {f.description} {minima}")
        self.set_key(
            [
                (symbol, color, label)
                for label, _n, _e, color, symbol in OPTIMIZERS
                if label in self.descents
            ]
            + (
                [("—", TANGENT_COLOR, "slope (tangent) where the last step started")]
                if f.variables == 1
                else [("→", TANGENT_COLOR, "direction of steepest descent, −∇f")]
            )
            + [("★", "#111111", "minimum")] * bool(f.minima)
        )

    def _view_range(self, paths: dict[str, DescentPath]) -> list[tuple[float, float]]:
        """The function's own range, widened to take in the points visited (up to a
        limit, so a diverging path shows it is leaving without an endless zoom)."""
        ranges = [list(r) for r in self._function.view]
        for path in paths.values():
            pos = path.positions[np.all(np.isfinite(path.positions), axis=1)]
            if not len(pos):
                continue
            for d in range(self._function.variables):
                centre = (ranges[d][0] + ranges[d][1]) / 2
                low = max(float(pos[:, d].min()), centre - VIEW_LIMIT)
                high = min(float(pos[:, d].max()), centre + VIEW_LIMIT)
                width = ranges[d][1] - ranges[d][0]
                if low < ranges[d][0]:
                    ranges[d][0] = low - 0.05 * width
                if high > ranges[d][1]:
                    ranges[d][1] = high + 0.05 * width
        return [(a, b) for a, b in ranges]

    def _add(self, item: pg.GraphicsObject, z: float = 10) -> None:
        item.setZValue(z)
        self.plot.addItem(item)
        self._items.append(item)

    def _draw_curve(self, paths: dict[str, DescentPath]) -> None:
        f = self._function
        self.image.hide()
        for curve in self.contours:
            curve.hide()
        self.curve.show()
        ((x0, x1),) = self._view_range(paths)
        xs = np.linspace(x0, x1, 801)
        ys = f.values_on(xs)
        self.curve.setData(xs, ys)
        finite = ys[np.isfinite(ys)]
        y_low, y_high = (float(finite.min()), float(finite.max())) if finite.size else (-1, 1)
        values = [v for p in paths.values() for v in p.values if math.isfinite(v)]
        if values:
            y_low, y_high = min(y_low, min(values)), max(y_high, max(values))
        pad = 0.08 * (y_high - y_low or 1.0)
        self.plot.getViewBox().setRange(
            xRange=(x0, x1), yRange=(y_low - pad, y_high + pad), padding=0
        )
        self.axis_labels("x", "f(x)")
        scale = max(self.scale, 1.0)
        for m in f.minima:
            star = pg.ScatterPlotItem(
                x=[m[0]],
                y=[f.value(m)],
                symbol="star",
                size=22 * scale,
                brush=pg.mkBrush("#ffffff"),
                pen=pg.mkPen("#111111", width=1.5),
            )
            star.export_name = "minimum"
            self._add(star, 5)
        for label, path in paths.items():
            color, symbol = _style(label)
            x, y = path.positions[:, 0], path.values
            hops = pg.PlotDataItem(x, y, pen=pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine))
            hops.export_name = f"{label}: steps"
            self._add(hops, 11)
            dots = pg.ScatterPlotItem(
                x=x,
                y=y,
                symbol=symbol,
                size=12 * scale,
                brush=pg.mkBrush(color),
                pen=pg.mkPen("w", width=1.5),
            )
            dots.export_name = f"{label}: points"
            self._add(dots, 12)
            # the slope where the last step started (or at the start): the tangent line
            n = max(path.steps - 1, 0)
            if math.isfinite(path.values[n]) and np.isfinite(path.gradients[n, 0]):
                half = 0.08 * (x1 - x0)
                tx = np.array([x[n] - half, x[n] + half])
                ty = path.values[n] + path.gradients[n, 0] * (tx - x[n])
                tangent = pg.PlotDataItem(tx, ty, pen=pg.mkPen(TANGENT_COLOR, width=4))
                tangent.export_name = f"{label}: slope at step {n + 1}"
                self._add(tangent, 13)
            now = pg.ScatterPlotItem(
                x=x[-1:],
                y=y[-1:],
                symbol=symbol,
                size=20 * scale,
                brush=pg.mkBrush(color),
                pen=pg.mkPen("#111111", width=2.5),
            )
            now.export_name = f"{label}: now"
            self._add(now, 14)

    def _draw_map(self, paths: dict[str, DescentPath]) -> None:
        f = self._function
        self.curve.hide()
        self.image.show()
        (x0, x1), (y0, y1) = self._view_range(paths)
        if self._grid_range != ((x0, x1), (y0, y1)):
            self._grid_range = ((x0, x1), (y0, y1))
            xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
            gx, gy = np.meshgrid(xs, ys)
            values = f.values_on(gx, gy)
            finite = values[np.isfinite(values)]
            # colours and contour lines by quantile: each band covers the same area, so
            # a narrow valley or a flat floor shows its shape whatever the numbers
            levels = np.quantile(finite, np.linspace(0.02, 0.95, len(self.contours)))
            low, high = float(np.quantile(finite, 0.01)), float(np.quantile(finite, 0.97))
            shown = np.clip(np.nan_to_num(values, nan=high, posinf=high, neginf=low), low, high)
            self.image.setImage(shown, autoLevels=False, levels=(low, high))
            self.image.setLookupTable(self.colormap.getLookupTable(nPts=256))
            self.image.setRect(image_rect(xs, ys))
            self.image.export_grid = (xs, ys, values)
            for curve, level in zip(self.contours, levels, strict=True):
                curve.setLevel(float(level))
                curve.setData(shown)
                curve.show()
        self.plot.getViewBox().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.axis_labels("x", "y")
        scale = max(self.scale, 1.0)
        if f.minima:
            stars = pg.ScatterPlotItem(
                x=[m[0] for m in f.minima],
                y=[m[1] for m in f.minima],
                symbol="star",
                size=24 * scale,
                brush=pg.mkBrush("#ffffff"),
                pen=pg.mkPen("#111111", width=1.5),
            )
            stars.export_name = "minima"
            self._add(stars, 5)
        for label, path in paths.items():
            color, symbol = _style(label)
            x, y = path.positions[:, 0], path.positions[:, 1]
            shadow = pg.PlotDataItem(x, y, pen=pg.mkPen("#111111", width=5))
            shadow.export_skip = True
            self._add(shadow, 10)
            line = pg.PlotDataItem(
                x,
                y,
                pen=pg.mkPen(color, width=2.5),
                symbol=symbol,
                symbolSize=9 * scale,
                symbolBrush=pg.mkBrush(color),
                symbolPen=pg.mkPen("w", width=1),
            )
            line.export_name = f"{label}: path"
            self._add(line, 11)
            gradient = path.gradients[-1]
            if np.all(np.isfinite(gradient)) and np.linalg.norm(gradient) > 1e-4:
                # −∇f scaled to a tenth of the view: the direction a step goes
                length = 0.12 * math.hypot(x1 - x0, y1 - y0)
                direction = -gradient / np.linalg.norm(gradient) * length
                tip = (x[-1] + direction[0], y[-1] + direction[1])
                shaft = pg.PlotDataItem(
                    [x[-1], tip[0]], [y[-1], tip[1]], pen=pg.mkPen(TANGENT_COLOR, width=4)
                )
                shaft.export_name = f"{label}: −gradient"
                self._add(shaft, 13)
                # the head is drawn in pixels: turn the direction into screen terms
                px_w, px_h = self.plot.getViewBox().viewPixelSize()
                screen = math.degrees(math.atan2(-direction[1] / px_h, direction[0] / px_w))
                head = pg.ArrowItem(
                    pos=tip,
                    angle=180 + screen,
                    headLen=18 * scale,
                    tipAngle=35,
                    brush=pg.mkBrush(TANGENT_COLOR),
                    pen=pg.mkPen(TANGENT_COLOR),
                )
                self._add(head, 13)
            now = pg.ScatterPlotItem(
                x=x[-1:],
                y=y[-1:],
                symbol=symbol,
                size=18 * scale,
                brush=pg.mkBrush(color),
                pen=pg.mkPen("#111111", width=2.5),
            )
            now.export_name = f"{label}: now"
            self._add(now, 14)

    def apply_scale(self, scale: float) -> None:
        self.status.setFont(self.font_at(1.2))
        self.caption.setFont(self.font_at(1.0))
        width = QFontMetrics(self.font_at(1.0)).horizontalAdvance("−0.0000, −0.0000")
        self.start_edit.setFixedWidth(width * 3 // 4)
        self.rate_edit.setFixedWidth(width // 2)
        if self.descents:
            self.redraw()


def _style(label: str) -> tuple[str, str]:
    for name, _n, _e, color, symbol in OPTIMIZERS:
        if name == label:
            return color, symbol
    return "#0072B2", "o"


def _point(position: np.ndarray) -> str:
    values = [fmt(float(v), 4) for v in np.atleast_1d(position)]
    return f"x = {values[0]}" if len(values) == 1 else f"({', '.join(values)})"


def _vector(values: np.ndarray) -> str:
    parts = [fmt(float(v), 4) for v in np.atleast_1d(values)]
    return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"
