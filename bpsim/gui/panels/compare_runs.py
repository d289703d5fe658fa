"""Compare runs: the same starting network trained with two optimizers or learning rates,
their loss curves overlaid.

Both runs are copies (:class:`~bpsim.teaching.compare.ComparisonRun`): they start from
bit-identical parameters, see the same batches in the same order and differ only in the
update rule, so the curves show exactly what the optimizer or the learning rate changes.
The lesson on screen is never touched. A timer advances both runs a few milliseconds'
worth of steps at a time and redraws the curves, so the window stays responsive; a run
that diverges stops and says so, the other goes on.
"""

from __future__ import annotations

import html
import time
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.rules import learning_rate_problem
from bpsim.core.spec import OptimizerSpec
from bpsim.gui.state.session import Session
from bpsim.gui.widgets.controls import check_box, push_button
from bpsim.gui.widgets.training_controls import OPTIMIZER_TITLES, learning_rate_text
from bpsim.teaching.compare import ComparisonRun
from bpsim.text import fmt, parse_number

TICK_MS = 33  # redraws about 30 times a second
WORK_SECONDS = 0.012  # engine time per tick, shared by the runs
RUN_COLORS = ("#0072b2", "#d55e00")  # Okabe–Ito blue and vermillion
RUN_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine)  # a second cue besides colour
RUN_NAMES = ("A", "B")
AXIS_COLOR = "#333333"


class CompareRuns(QWidget):
    """Two runs side by side. ``finished`` is emitted when both have taken the steps asked
    for (or stopped); ``message`` carries text for the status bar."""

    finished = Signal()
    message = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compare_runs")
        self.session = session
        self.comparison: ComparisonRun | None = None
        self._data: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0), np.zeros(0))] * 2
        self._target_steps = 0
        self._chunk = 1
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        self.optimizers: list[QComboBox] = []
        self.learning_rates: list[QLineEdit] = []
        self.summaries: list[QLabel] = []
        for n, name in enumerate(RUN_NAMES):
            swatch = QLabel(f"<b style='color:{RUN_COLORS[n]}'>━━ Run {name}</b>")
            swatch.setTextFormat(Qt.TextFormat.RichText)
            grid.addWidget(swatch, n, 0)
            combo = QComboBox()
            combo.setObjectName(f"compare_optimizer_{name.lower()}")
            for key, title in OPTIMIZER_TITLES.items():
                combo.addItem(title, key)
            combo.setToolTip(f"The optimizer of run {name}")
            grid.addWidget(combo, n, 1)
            grid.addWidget(QLabel("η"), n, 2)
            rate = QLineEdit()
            rate.setObjectName(f"compare_learning_rate_{name.lower()}")
            rate.setToolTip(f"The learning rate of run {name}")
            rate.setMaximumWidth(110)
            grid.addWidget(rate, n, 3)
            summary = QLabel()
            summary.setObjectName(f"compare_summary_{name.lower()}")
            grid.addWidget(summary, n, 4)
            self.optimizers.append(combo)
            self.learning_rates.append(rate)
            self.summaries.append(summary)
        grid.setColumnStretch(4, 1)
        layout.addLayout(grid)

        row = QHBoxLayout()
        row.addWidget(QLabel("from"))
        self.start_from = QComboBox()
        self.start_from.setObjectName("compare_start_from")
        self.start_from.addItem("the starting weights", "initial")
        self.start_from.addItem("the weights now", "current")
        self.start_from.setToolTip("Both runs start from these very parameters")
        row.addWidget(self.start_from)
        row.addWidget(QLabel("for"))
        self.steps = QSpinBox()
        self.steps.setObjectName("compare_steps")
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(2000)
        self.steps.setSingleStep(500)
        self.steps.setSuffix(" steps")
        self.steps.setToolTip("How many steps each run takes")
        row.addWidget(self.steps)
        self.train_button = push_button(
            "Train both",
            "compare_train",
            "Train both runs from the same start and overlay their loss",
            self.toggle,
        )
        row.addWidget(self.train_button)
        self.log_box = check_box(
            "Log scale",
            "compare_log_scale",
            "Plot the loss on a log scale, so late small gains stay visible",
            self._set_log,
            checked=True,
        )
        row.addWidget(self.log_box)
        row.addStretch(1)
        layout.addLayout(row)
        self.problem = QLabel()
        self.problem.setObjectName("compare_problem")
        self.problem.setStyleSheet("color:#b5121b")
        self.problem.hide()
        layout.addWidget(self.problem)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("compare_plot")
        self.plot.setMinimumSize(240, 160)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.setLabel("bottom", "step", color=AXIS_COLOR)
        item.setLabel("left", "loss", color=AXIS_COLOR)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(AXIS_COLOR))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
        # bottom left: falling loss curves leave that corner empty
        legend = item.addLegend(offset=(10, -10), labelTextColor=AXIS_COLOR)
        legend.setBrush(pg.mkBrush(255, 255, 255, 220))
        self.curves = [
            pg.PlotDataItem(
                pen=pg.mkPen(RUN_COLORS[n], width=2.5, style=RUN_STYLES[n]), antialias=True
            )
            for n in range(len(RUN_NAMES))
        ]
        for n, curve in enumerate(self.curves):
            item.addItem(curve)
            legend.addItem(curve, f"Run {RUN_NAMES[n]}")
        self._legend = legend
        layout.addWidget(self.plot, 1)

        self._fill_defaults()
        self._set_log(True)
        session.lessonReplaced.connect(self._lesson_replaced)

    # -- setting up ----------------------------------------------------------------------

    def _fill_defaults(self) -> None:
        """Run A: the lesson's optimizer and learning rate; run B: the same optimizer with
        ten times the learning rate (a contrast worth seeing on any lesson)."""
        spec = self.session.optimizer_spec()
        lr = float(spec.hyper.get("learning_rate", 0.01))
        for n, rate in enumerate((lr, lr * 10)):
            self.set_variant(n, spec.name, rate)

    def set_variant(self, n: int, optimizer: str, learning_rate: float) -> None:
        """Choose run ``n``'s optimizer and learning rate (as a user would)."""
        combo = self.optimizers[n]
        index = combo.findData(optimizer)
        if index < 0:
            raise ValueError(f"unknown optimizer {optimizer!r}")
        combo.setCurrentIndex(index)
        self.learning_rates[n].setText(learning_rate_text(learning_rate))

    def variants(self) -> list[tuple[str, OptimizerSpec]]:
        """The runs as chosen; ValueError names the field that is not a learning rate."""
        out = []
        for n, name in enumerate(RUN_NAMES):
            optimizer = str(self.optimizers[n].currentData())
            try:
                rate = parse_number(self.learning_rates[n].text())
            except ValueError as error:
                raise ValueError(f"run {name}, learning rate: {error}") from None
            problem = learning_rate_problem(rate)
            if problem is not None:
                raise ValueError(f"run {name}: {problem}")
            title = OPTIMIZER_TITLES.get(optimizer, optimizer)
            label = f"{name}: {title}, η = {fmt(rate)}"
            out.append((label, OptimizerSpec.with_defaults(optimizer, learning_rate=rate)))
        return out

    # -- running ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def toggle(self) -> None:
        if self.running:
            self.pause()
        else:
            self.start()

    def start(self) -> bool:
        """Build both runs from the same start and train them; False on a bad field."""
        try:
            variants = self.variants()
        except ValueError as error:
            self._show_problem(str(error))
            return False
        trainer = self.session.trainer
        lesson = trainer.to_lesson()
        if self.start_from.currentData() == "initial":
            lesson = replace(lesson, parameters=trainer.initial.copy(), state=None)
        try:
            self.comparison = ComparisonRun(lesson, variants)
        except ValueError as error:
            self._show_problem(str(error))
            return False
        self._show_problem("")
        self._target_steps = self.steps.value()
        self._chunk = 1
        for n, (label, _spec) in enumerate(variants):
            self._legend.items[n][1].setText(label)
        self._redraw()
        self._timer.start()
        self.train_button.setText("Pause")
        self.message.emit(f"Comparing {variants[0][0]} with {variants[1][0]}")
        return True

    def pause(self) -> None:
        self._timer.stop()
        self.train_button.setText("Train both")

    def _tick(self) -> None:
        comparison = self.comparison
        if comparison is None:
            self.pause()
            return
        deadline = time.perf_counter() + WORK_SECONDS
        while time.perf_counter() < deadline and not self._done():
            started = time.perf_counter()
            left = [max(self._target_steps - r.trainer.step_count, 0) for r in comparison.runs]
            taken = comparison.advance(min(self._chunk, max(left)))
            elapsed = time.perf_counter() - started
            per_step = elapsed / max(sum(taken), 1)
            room = deadline - time.perf_counter()
            self._chunk = int(min(max(room / max(per_step, 1e-7) * 0.9, 1), 4096))
            if not any(taken):
                break
        self._redraw()
        if self._done():
            self.pause()
            self.finished.emit()

    def _done(self) -> bool:
        comparison = self.comparison
        if comparison is None:
            return True
        return all(
            run.finished or run.trainer.step_count >= self._target_steps for run in comparison.runs
        )

    def advance(self, steps: int) -> None:
        """Advance both runs by ``steps`` at once and redraw (tests, scripts)."""
        if self.comparison is not None:
            self.comparison.advance(steps)
            self._redraw()

    # -- drawing ---------------------------------------------------------------------

    def curve_data(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Run ``n``'s (steps, losses) as drawn (before any log scale)."""
        return self._data[n]

    def _redraw(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        for n, run in enumerate(comparison.runs):
            x, y = run.step_numbers.copy(), run.step_loss.copy()
            self._data[n] = (x, y)
            self.curves[n].setData(x, y)
            if run.divergence is not None:
                text = f"diverged at step {run.divergence.step + 1}"
            elif run.trainer.stopped is not None:
                text = f"stopped early at step {run.trainer.step_count}"
            elif len(y):
                text = f"step {run.trainer.step_count}: loss {fmt(float(y[-1]))}"
            else:
                text = "not started"
            self.summaries[n].setText(text)

    def _set_log(self, on: bool) -> None:
        self.plot.getPlotItem().setLogMode(x=False, y=on)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(html.escape(text))
        self.problem.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def _lesson_replaced(self) -> None:
        self.pause()
        self.comparison = None
        self._data = [(np.zeros(0), np.zeros(0))] * len(self.curves)
        for curve in self.curves:
            curve.setData([], [])
        for summary in self.summaries:
            summary.clear()
        self._fill_defaults()

    def hideEvent(self, event: QHideEvent) -> None:
        """A hidden comparison stops training: it would cost time nobody watches."""
        super().hideEvent(event)
        if self.running and not self.isVisible():
            self.pause()
