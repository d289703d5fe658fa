"""The loss landscape: the loss over a plane through two parameters, with the path
training took drawn on top, the lowest point and any local minima and saddles marked.

Pick the two parameters in the boxes, or select them one after the other in the
parameter table or the network editor (the newest becomes θ₁, the one before θ₂). The
grid comes from :mod:`bpsim.teaching.landscape`, computed a few rows per timer tick so
the window stays responsive; every parameter state training passes through is recorded
here (bounded), so a path can be drawn for any pair picked later.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from bpsim.core.network import Network
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.gui.style.plot_style import PlotPanel, data_problem, image_rect, magnitude_map
from bpsim.gui.widgets.controls import check_box, push_button
from bpsim.teaching.landscape import (
    Landscape,
    LandscapeComputation,
    ParameterId,
    ParameterPath,
    flat_index,
    parameter_name,
    path_of,
)
from bpsim.text import fmt

TICK_SECONDS = 0.03  # grid rows computed per timer tick: about this long
CONTOURS = 9
#: Recorded parameter values at most (all states × parameters): 32 MB of float64 …
MAX_RECORDED_VALUES = 4_000_000
#: … and at most this many states (a new pair's path is rebuilt from them at once).
MAX_RECORDED_STATES = 20_000
PATH_COLOR = "#ffffff"
PATH_SHADOW = "#111111"
NOW_COLOR = "#D55E00"  # vermillion: the network now
MINIMUM_COLOR = "#ffffff"
LOCAL_COLOR = "#E69F00"
SADDLE_COLOR = "#CC79A7"


def key_to_parameter(key: ParameterKey) -> ParameterId:
    """The landscape's name for a table or editor key: (array index, index tuple)."""
    if key.bias:
        return 2 * key.k + 1, (key.j,)
    return 2 * key.k, (key.j, key.i)


def parameter_ids(network: Network) -> list[ParameterId]:
    """Every parameter a landscape can vary: all but masked (removed) links."""
    out: list[ParameterId] = []
    for n, shape in enumerate(network.layout.shapes):
        mask = network.masks[n // 2] if n % 2 == 0 else None
        for index in np.ndindex(*shape):
            if mask is not None and mask[index] == 0:
                continue
            out.append((n, tuple(int(i) for i in index)))
    return out


def default_pair(network: Network, ids: list[ParameterId]) -> tuple[ParameterId, ParameterId]:
    """The first two parameters into the output layer: w and b of a one-neuron line
    (seed 002's picture), or two weights of the first output neuron."""
    last = 2 * (network.depth - 1)
    into_output = [p for p in ids if p[0] in (last, last + 1)]
    pool = into_output if len(into_output) >= 2 else ids
    return pool[0], pool[1]


class ParameterRecorder:
    """Every parameter vector training passes through (as the window sees it), thinned
    out by halves when full so a long run keeps its whole shape in bounded memory."""

    def __init__(self, max_values: int = MAX_RECORDED_VALUES) -> None:
        self.max_values = max_values
        self._rows: list[np.ndarray] = []
        self._stride = 1
        self._seen = 0
        self._last: np.ndarray | None = None

    def clear(self) -> None:
        self._rows, self._stride, self._seen, self._last = [], 1, 0, None

    def record(self, flat: np.ndarray) -> bool:
        """Keep a copy of ``flat`` unless it equals the last one recorded; whether it was
        new."""
        if self._last is not None and (
            self._last.shape != flat.shape or np.array_equal(self._last, flat)
        ):
            if self._last.shape == flat.shape:
                return False
            self.clear()  # another network: start over
        self._last = flat.copy()
        self._seen += 1
        if (self._seen - 1) % self._stride:
            return True
        self._rows.append(self._last)
        capacity = max(16, min(MAX_RECORDED_STATES, self.max_values // max(flat.size, 1)))
        if len(self._rows) > capacity:
            self._rows = self._rows[::2]
            self._stride *= 2
        return True

    def history(self) -> np.ndarray:
        """The recorded vectors, oldest first, ending with the latest seen."""
        rows = list(self._rows)
        if self._last is not None and (not rows or rows[-1] is not self._last):
            rows.append(self._last)
        return np.array(rows) if rows else np.zeros((0, 0))

    def __len__(self) -> int:
        return len(self.history())


class LandscapeView(PlotPanel):
    """Loss over θ₁ × θ₂ around their current values. ``landscape`` is the last finished
    :class:`Landscape`; ``path`` the recorded path for the picked pair."""

    MIN_INTERVAL_MS = 300

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        recorder: ParameterRecorder | None = None,
    ) -> None:
        """``recorder``: states recorded before the view was made (the window records
        from the start, so a landscape opened later still shows the whole path)."""
        super().__init__("landscape", "loss landscape", parent)
        self.session = session
        self.landscape: Landscape | None = None
        self.path: ParameterPath = ParameterPath()
        self.recorder = recorder if recorder is not None else ParameterRecorder()
        self._ids: list[ParameterId] = []
        self._pair: tuple[ParameterId, ParameterId] | None = None
        self._computation: LandscapeComputation | None = None
        self._computed_at: int | None = None  # the step the shown grid belongs to
        self._compute_seconds = 0.0
        self._stale = False

        self.combo_a = self._combo("landscape_a", "θ₁ (across)", "a")
        self.combo_b = self._combo("landscape_b", "θ₂ (up)", "b")
        self.bar.addWidget(QLabel("θ₁:"))
        self.bar.addWidget(self.combo_a)
        self.bar.addWidget(QLabel("θ₂:"))
        self.bar.addWidget(self.combo_b)
        self.finish_bar()
        row = self.add_bar()
        row.addWidget(QLabel("Range ±"))
        self.span = QDoubleSpinBox()
        self.span.setObjectName("landscape_span")
        self.span.setRange(0.01, 1000.0)
        self.span.setDecimals(2)
        self.span.setValue(2.0)
        self.span.setToolTip("How far each parameter goes either side of its current value")
        self.span.editingFinished.connect(self.recompute)
        row.addWidget(self.span)
        self.resolution = QSpinBox()
        self.resolution.setObjectName("landscape_resolution")
        self.resolution.setRange(11, 201)
        self.resolution.setSingleStep(10)
        self.resolution.setValue(61 if session.trainer.network.layout.total <= 64 else 41)
        self.resolution.setSuffix(" pts")
        self.resolution.setToolTip("Grid points per axis: more is finer and slower")
        self.resolution.editingFinished.connect(self.recompute)
        row.addWidget(self.resolution)
        self.log_box = check_box(
            "Log colours",
            "landscape_log",
            "Colour by log10 of the loss: shows the shape near the bottom",
            lambda _: self._draw(),
        )
        self.follow_box = check_box(
            "Follow selection",
            "landscape_follow",
            "Selecting a weight or bias in the table or the network makes it θ₁ (and the "
            "previous θ₁ becomes θ₂)",
            checked=True,
        )
        self.live_box = check_box(
            "Live",
            "landscape_live",
            "Recompute as training changes the other parameters (slower networks "
            "recompute less often); off: press Recompute",
            checked=True,
        )
        self.recompute_button = push_button(
            "Recompute",
            "landscape_recompute",
            "Compute the landscape again around the current values",
            self.recompute,
        )
        for widget in (self.log_box, self.follow_box, self.live_box, self.recompute_button):
            row.addWidget(widget)
        row.addStretch(1)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.export_name = "loss"
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.colormap = magnitude_map("viridis")
        self.colorbar = pg.ColorBarItem(
            values=(0, 1), colorMap=self.colormap, interactive=False, width=18
        )
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.style_colorbar(self.colorbar, "loss")
        self.contours: list[pg.IsocurveItem] = []
        for _ in range(CONTOURS):
            curve = pg.IsocurveItem(pen=pg.mkPen(255, 255, 255, 110, width=1.2))
            curve.setParentItem(self.image)
            curve.setPos(0.5, 0.5)
            curve.export_skip = True
            self.contours.append(curve)
        self.shadow = pg.PlotDataItem(pen=pg.mkPen(PATH_SHADOW, width=5))
        self.shadow.export_skip = True
        self.path_item = pg.PlotDataItem(
            pen=pg.mkPen(PATH_COLOR, width=2.5),
            symbol="o",
            symbolSize=5,
            symbolBrush=pg.mkBrush(PATH_COLOR),
            symbolPen=None,
        )
        self.path_item.export_name = "training path"
        self.start_item = self._marker("s", PATH_COLOR, 14, "start")
        self.now_item = self._marker("o", NOW_COLOR, 20, "now")
        self.minimum_item = self._marker("star", MINIMUM_COLOR, 26, "lowest point")
        self.local_item = self._marker("t1", LOCAL_COLOR, 20, "local minima")
        self.saddle_item = self._marker("x", SADDLE_COLOR, 20, "saddles")
        for z, item in enumerate(
            (
                self.shadow,
                self.path_item,
                self.start_item,
                self.local_item,
                self.saddle_item,
                self.minimum_item,
                self.now_item,
            )
        ):
            item.setZValue(10 + z)
            self.plot.addItem(item)
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.set_key(
            [
                ("star", "#111111", "lowest point of the grid"),
                ("t1", LOCAL_COLOR, "local minimum"),
                ("x", SADDLE_COLOR, "saddle"),
                ("s", "#777777", "start"),
                ("o", NOW_COLOR, "now"),
            ]
        )

        self._timer_compute = QTimer(self)
        self._timer_compute.setSingleShot(True)
        self._timer_compute.timeout.connect(self._compute_some)

        session.lessonReplaced.connect(self._rebuild)
        session.parametersChanged.connect(self._parameters_changed)
        session.phaseFinished.connect(self._phase_finished)
        session.datasetChanged.connect(self.recompute)
        session.settingsChanged.connect(self._settings_changed)
        self._rebuild(keep_history=recorder is not None)

    def _combo(self, name: str, what: str, which: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setToolTip(f"The parameter along {what}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.currentIndexChanged.connect(lambda _: self._combo_changed(which))
        return combo

    def _marker(self, symbol: str, color: str, size: int, name: str) -> pg.ScatterPlotItem:
        item = pg.ScatterPlotItem(
            symbol=symbol,
            size=size,
            brush=pg.mkBrush(color),
            pen=pg.mkPen("#111111", width=1.5),
        )
        item.export_name = name
        item.base_size = size
        return item

    # -- structure and picking -------------------------------------------------------

    def _given_names(self) -> dict[str, str]:
        """The lesson's own parameter names (its view's weight_names), e.g. a and b."""
        view = self.session.trainer.lesson.view or {}
        names = view.get("weight_names")
        return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}

    def _label_axes(self, land: Landscape) -> None:
        net, given = self.session.trainer.network, self._given_names()
        name_a = parameter_name(net, land.param_a, given)
        name_b = parameter_name(net, land.param_b, given)
        self.axis_labels(f"θ₁ = {name_a}", f"θ₂ = {name_b}")

    def _rebuild(self, keep_history: bool = False) -> None:
        net = self.session.trainer.network
        if not keep_history:
            self.recorder.clear()
        self.recorder.record(net.flat)
        self._ids = parameter_ids(net)
        names = [parameter_name(net, p, self._given_names()) for p in self._ids]
        for combo in (self.combo_a, self.combo_b):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.blockSignals(False)
        self._pair = None
        if len(self._ids) < 2:
            self.show_message("A loss landscape needs a network with at least two parameters.")
            return
        self.show_message(None)
        self.set_pair(*default_pair(net, self._ids))

    @property
    def pair(self) -> tuple[ParameterId, ParameterId] | None:
        """The two parameters shown (θ₁ across, θ₂ up)."""
        return self._pair

    def set_pair(self, a: ParameterId, b: ParameterId) -> None:
        """Show the landscape over ``a`` and ``b`` (recomputed at once)."""
        if a not in self._ids or b not in self._ids or a == b:
            raise ValueError("pick two different parameters of this network")
        for combo, p in ((self.combo_a, a), (self.combo_b, b)):
            combo.blockSignals(True)
            combo.setCurrentIndex(self._ids.index(p))
            combo.blockSignals(False)
        self._pair = (a, b)
        self._update_path()
        self.recompute()

    def _combo_changed(self, which: str) -> None:
        ia, ib = self.combo_a.currentIndex(), self.combo_b.currentIndex()
        if ia < 0 or ib < 0 or self._pair is None:
            return
        a, b = self._ids[ia], self._ids[ib]
        if a == b:  # picked the other box's parameter: the two swap
            a, b = (a, self._pair[0]) if which == "a" else (self._pair[1], b)
        if a != b:
            self.set_pair(a, b)

    def pick(self, key: object) -> None:
        """A weight or bias was selected in the table or the editor: it becomes θ₁ and the
        previous θ₁ becomes θ₂ (when Follow selection is on)."""
        if not isinstance(key, ParameterKey) or not self.follow_box.isChecked():
            return
        param = key_to_parameter(key)
        if param not in self._ids or self._pair is None or param == self._pair[0]:
            return
        self.set_pair(param, self._pair[0])

    # -- recording the path ----------------------------------------------------------

    def _parameters_changed(self) -> None:
        net = self.session.trainer.network
        if self.recorder.record(net.flat) and self._pair is not None:
            # the path thins itself out when long (ParameterPath); a newly picked pair
            # takes the recorder's history instead (_update_path)
            self.path.append(
                float(net.flat[flat_index(net, self._pair[0])]),
                float(net.flat[flat_index(net, self._pair[1])]),
            )
        self._stale = True
        self._draw_path()  # cheap: the path and the marker follow every step
        if self.live_box.isChecked():
            self.schedule()
        else:
            self.caption.setText(self._caption())

    def _phase_finished(self, name: str) -> None:
        if name == "reset":
            self.recorder.clear()
            self.recorder.record(self.session.trainer.network.flat)
            self._update_path()
            self.recompute()

    def _settings_changed(self) -> None:
        """The loss may have changed: the grid no longer shows it."""
        if self.landscape is not None and self.session.trainer.network.loss.name != getattr(
            self, "_loss_name", None
        ):
            self.recompute()

    def _update_path(self) -> None:
        if self._pair is None:
            return
        net = self.session.trainer.network
        history = self.recorder.history()
        if history.size == 0 or history.shape[1] != net.layout.total:
            self.path = ParameterPath()
            return
        self.path = path_of(history, self._pair[0], self._pair[1], net.layout)

    # -- computing -------------------------------------------------------------------

    def refresh(self) -> None:
        """Live: recompute around the current values (paced by PlotPanel.schedule); a
        grid under way is finished first, then the next one starts."""
        if self._stale and self._computation is None:
            self.recompute()

    def recompute(self) -> None:
        """Start computing the grid around the parameters' current values (when the
        panel is hidden: once it shows)."""
        if self._pair is None:
            return
        if not self.isVisible():
            self._stale = True
            self._dirty = True  # PlotPanel.showEvent refreshes, and refresh() recomputes
            return
        self._start()

    def _start(self) -> None:
        if self._pair is None:
            return
        trainer = self.session.trainer
        problem = data_problem(self.session)
        if problem is not None:
            self._computation = None
            self.caption.setText(f"No landscape: {problem}")
            return
        try:
            self._computation = LandscapeComputation(
                trainer,
                None,
                None,
                self._pair[0],
                self._pair[1],
                span=float(self.span.value()),
                resolution=int(self.resolution.value()),
            )
        except ValueError as error:
            self._computation = None
            self.caption.setText(f"Cannot compute this landscape: {error}")
            return
        self._stale = False
        self._compute_seconds = 0.0
        self._computed_at = trainer.step_count
        self._loss_name = trainer.network.loss.name
        self._timer_compute.start(0)

    def is_computing(self) -> bool:
        return self._computation is not None

    def finish(self) -> Landscape | None:
        """Compute whatever is left at once (tests, screenshots) and draw it."""
        if self._computation is None and (self._stale or self.landscape is None):
            self._start()
        while self._computation is not None:
            self._compute_some(budget=math.inf)
        return self.landscape

    def _compute_some(self, budget: float = TICK_SECONDS) -> None:
        computation = self._computation
        if computation is None:
            return
        start = time.perf_counter()
        deadline = start + budget
        while not computation.done and time.perf_counter() < deadline:
            computation.compute_rows(1)
        self._compute_seconds += time.perf_counter() - start
        if not computation.done:
            self.caption.setText(f"Computing the landscape… {computation.progress:.0%}")
            self._timer_compute.start(0)
            return
        self._computation = None
        self.landscape = computation.result()
        # live recomputes are paced by what a whole grid cost (PlotPanel.schedule)
        self.busy_seconds = self._compute_seconds
        self._draw()
        if self._stale and self.live_box.isChecked():
            self.schedule()  # training went on meanwhile

    # -- drawing ---------------------------------------------------------------------

    def _shown_values(self, loss: np.ndarray) -> np.ndarray:
        if self.log_box.isChecked():
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log10(np.where(loss > 0, loss, np.nan))
        return loss

    def _draw(self) -> None:
        land = self.landscape
        if land is None:
            return
        values = self._shown_values(land.loss)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            self.caption.setText("The loss is not a finite number anywhere on this grid.")
            return
        low = float(finite.min())
        high = float(np.percentile(finite, 98))  # a few huge values must not wash it out
        if high <= low:
            high = low + 1e-12 + abs(low) * 1e-6
        shown = np.nan_to_num(values, nan=high, posinf=high, neginf=low)
        self.image.setImage(shown, autoLevels=False)
        self.image.export_grid = (land.a_values, land.b_values, land.loss)
        self.colorbar.setLevels((low, high))
        self.style_colorbar(self.colorbar, self._bar_label())
        for n, curve in enumerate(self.contours):
            level = low + (high - low) * ((n + 1) / (CONTOURS + 1)) ** 1.6
            curve.setLevel(level)
            curve.setData(shown)
        rect = image_rect(land.a_values, land.b_values)
        self.image.setRect(rect)
        self.plot.getViewBox().setRange(rect=rect, padding=0)
        self._label_axes(land)
        self._draw_points(land)
        self._update_key(land)
        self._draw_path()
        self.caption.setText(self._caption())

    def _draw_points(self, land: Landscape) -> None:
        minima = [p for p in land.critical_points if p.kind == "global_minimum"]
        self.minimum_item.setData(x=[p.a for p in minima], y=[p.b for p in minima])
        local = land.local_minima
        self.local_item.setData(x=[p.a for p in local], y=[p.b for p in local])
        saddles = land.saddles
        self.saddle_item.setData(x=[p.a for p in saddles], y=[p.b for p in saddles])

    def _draw_path(self) -> None:
        a, b = self.path.arrays() if len(self.path) else (np.zeros(0), np.zeros(0))
        self.shadow.setData(a, b)
        self.path_item.setData(a, b)
        if len(a):
            self.start_item.setData(x=a[:1], y=b[:1])
        else:
            self.start_item.setData([], [])
        if self._pair is not None:
            net = self.session.trainer.network
            va = float(net.flat[flat_index(net, self._pair[0])])
            vb = float(net.flat[flat_index(net, self._pair[1])])
            self.now_item.setData(x=[va], y=[vb])

    def _caption(self) -> str:
        land = self.landscape
        if land is None:
            return ""
        trainer = self.session.trainer
        samples = f"{land.samples:,} sample{'' if land.samples == 1 else 's'}"
        parts = [
            f"Loss over θ₁ (across) and θ₂ (up); every other parameter as at step "
            f"{self._computed_at or 0}; {samples}."
        ]
        minimum = land.minimum
        if minimum is not None:
            edge = (
                " — on the edge: the minimum lies further out (widen ±)" if minimum.on_edge else ""
            )
            parts.append(
                f"★ lowest: θ₁ = {fmt(minimum.a, 4)}, θ₂ = {fmt(minimum.b, 4)}, loss "
                f"{fmt(minimum.loss, 4)}{edge}."
            )
        counts = []
        if land.local_minima:
            counts.append(f"{len(land.local_minima)} local minimum(s) ▲ where descent can stall")
        if land.saddles:
            counts.append(f"{len(land.saddles)} saddle(s) ✖")
        if counts:
            parts.append("; ".join(counts) + ".")
        parts.append(
            f"White: the path training took ({len(self.path):,} points; the other parameters "
            "moved too, so it need not run straight downhill on this slice)."
        )
        if trainer.step_count != self._computed_at and not self.live_box.isChecked():
            parts.append(f"Now at step {trainer.step_count}: press Recompute.")
        return " ".join(parts)

    def _update_key(self, land: Landscape) -> None:
        """The legend lists only the markers on the picture."""
        key = [("star", "#111111", "lowest point")]
        if land.local_minima:
            key.append(("t1", LOCAL_COLOR, "local minimum"))
        if land.saddles:
            key.append(("x", SADDLE_COLOR, "saddle"))
        key += [("s", "#777777", "start"), ("o", NOW_COLOR, "now")]
        self.set_key(key)

    def _bar_label(self) -> str:
        return "log₁₀ loss" if self.log_box.isChecked() else "loss"

    def apply_scale(self, scale: float) -> None:
        self.style_colorbar(self.colorbar, self._bar_label())
        for item in (
            self.start_item,
            self.now_item,
            self.minimum_item,
            self.local_item,
            self.saddle_item,
        ):
            item.setSize(item.base_size * scale)
        if self.landscape is not None:
            self._label_axes(self.landscape)
