"""How good the network is, in words beside the loss: accuracy and a confusion matrix for
classification, R² and a predicted-against-target plot for regression.

The numbers come from :func:`bpsim.teaching.metrics.metrics_for`; the view picks the
training or validation samples and draws them. It redraws at a pace that keeps the
window smooth while training runs (a forward pass over every sample per redraw).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontInfo, QResizeEvent
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from bpsim.gui.state.session import Session
from bpsim.gui.style.plot_style import (
    AXIS_COLOR,
    PlotPanel,
    data_problem,
    image_rect,
    magnitude_map,
    no_si_prefix,
)
from bpsim.teaching.metrics import metrics_for
from bpsim.text import fmt

POINT_SIZE = 11
SCATTER_COLOR = "#0072B2"
MAX_SCATTER_POINTS = 5000  # more points add nothing to the picture and cost a redraw


def _percent(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:.1f} %"


class _Ticks(pg.AxisItem):
    """Class names as the ticks of a confusion matrix."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.names: list[str] = []

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if not self.names:
            return super().tickValues(minVal, maxVal, size)
        return [(1.0, [float(k) for k in range(len(self.names))])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if not self.names:
            return super().tickStrings(values, scale, spacing)
        out = []
        for v in values:
            k = round(v)
            out.append(self.names[k] if 0 <= k < len(self.names) else "")
        return out


class MetricsView(PlotPanel):
    """Accuracy (or R²) in large type over a confusion matrix (or a scatter of outputs
    against targets). ``metrics`` holds what :func:`metrics_for` returned last."""

    MIN_INTERVAL_MS = 500  # a forward pass over every sample per redraw

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("metrics", "metrics", parent)
        self.session = session
        self.metrics: dict[str, Any] | None = None
        self._cells: list[pg.TextItem] = []
        # the axes show class names: replace pyqtgraph's numeric ones
        self._bottom, self._left = _Ticks("bottom"), _Ticks("left")
        self.plot.setAxisItems({"bottom": self._bottom, "left": self._left})
        for axis in (self._bottom, self._left):
            axis.setPen(pg.mkPen(AXIS_COLOR))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            no_si_prefix(axis)

        self.bar.addWidget(QLabel("Samples:"))
        self.split = QComboBox()
        self.split.setObjectName("metrics_split")
        self.split.setToolTip(
            "Measure on the training samples, or on the validation samples the network "
            "never trains on (a fair test of what it has learnt)"
        )
        self.split.currentIndexChanged.connect(lambda _: self.refresh_now())
        self.bar.addWidget(self.split)
        self.finish_bar()
        self.headline = QLabel()
        self.headline.setObjectName("metrics_headline")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.headline.setContentsMargins(8, 4, 8, 4)
        self.headline.setWordWrap(True)
        self.column_layout.insertWidget(1, self.headline)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.export_name = "confusion matrix (count)"
        self.plot.addItem(self.image)
        self.scatter = pg.ScatterPlotItem(
            size=POINT_SIZE, brush=pg.mkBrush(SCATTER_COLOR), pen=pg.mkPen("w", width=1)
        )
        self.scatter.export_name = "samples (target, output)"
        self.plot.addItem(self.scatter)
        self.diagonal = pg.PlotDataItem(
            pen=pg.mkPen("#222222", width=2, style=Qt.PenStyle.DashLine)
        )
        self.diagonal.export_name = "output = target"
        self.plot.addItem(self.diagonal)
        self.colormap = magnitude_map("cividis")

        session.lessonReplaced.connect(self._rebuild)
        session.datasetChanged.connect(self._rebuild)
        session.parametersChanged.connect(self.schedule)
        session.settingsChanged.connect(self.schedule)
        self._rebuild()

    # -- structure -------------------------------------------------------------------

    def _rebuild(self) -> None:
        trainer = self.session.trainer
        self.split.blockSignals(True)
        current = self.split.currentData() or "train"
        self.split.clear()
        self.split.addItem(f"training ({len(trainer.train_idx):,})", "train")
        if len(trainer.val_idx):
            self.split.addItem(f"validation ({len(trainer.val_idx):,})", "validation")
        index = self.split.findData(current)
        self.split.setCurrentIndex(max(index, 0))
        self.split.setEnabled(self.split.count() > 1)
        self.split.blockSignals(False)
        self.refresh_now()

    def which(self) -> str:
        """``"train"`` or ``"validation"``: the samples shown."""
        return str(self.split.currentData() or "train")

    # -- drawing ---------------------------------------------------------------------

    def refresh(self) -> None:
        trainer = self.session.trainer
        problem = data_problem(self.session)
        if problem is not None:
            self.metrics = None
            self.headline.setText("")
            self.show_message(problem)
            return
        self.metrics = metrics_for(trainer)
        part = self.metrics[self.which()] or self.metrics["train"]
        if part is None:
            self.show_message("No samples to measure on.")
            return
        self.show_message(None)
        if self.metrics["task"] == "classification":
            self._draw_confusion(part, self.metrics["class_names"])
        else:
            self._draw_regression(part)
        self.headline.setText(self.headline_text())

    def headline_text(self) -> str:
        """The large line: accuracy or R² on the samples shown, and on the other part."""
        if self.metrics is None:
            return ""
        parts = []
        for which, word in (("train", "training"), ("validation", "validation")):
            part = self.metrics[which]
            if part is None:
                continue
            if self.metrics["task"] == "classification":
                right = int(np.trace(part["confusion_matrix"]))
                value = f"accuracy {_percent(part['accuracy'])} ({right:,} of {part['samples']:,})"
            else:
                value = f"R² = {fmt(part['r2'], 4)}"
            text = f"{word.capitalize()}: {value} · loss {fmt(part['loss'], 4)}"
            if which == self.which():
                text = f"<b>{text}</b>"
            parts.append(text)
        return "<br>".join(parts)

    def _clear_cells(self) -> None:
        for cell in self._cells:
            self.plot.removeItem(cell)
        self._cells = []

    def _draw_confusion(self, part: dict[str, Any], names: list[str]) -> None:
        matrix = np.asarray(part["confusion_matrix"], dtype=np.float64)
        k = matrix.shape[0]
        # Each row as a share of its class, so a rare class is as visible as a common one.
        totals = matrix.sum(axis=1, keepdims=True)
        shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
        self.scatter.hide()
        self.diagonal.hide()
        self.image.show()
        self.image.setImage(shares, autoLevels=False, levels=(0.0, 1.0))
        self.image.setLookupTable(self.colormap.getLookupTable(nPts=256))
        xs = np.arange(k, dtype=np.float64)
        self.image.setRect(image_rect(xs, xs))
        self.image.export_grid = (xs, xs, matrix)
        self._bottom.names = list(names)
        self._left.names = list(names)
        if len(self._cells) != (k * k if k <= 12 else 0):
            self._clear_cells()
            for true in range(k if k <= 12 else 0):
                for guess in range(k):
                    cell = pg.TextItem("", anchor=(0.5, 0.5))
                    cell.setPos(guess, true)
                    self.plot.addItem(cell)
                    self._cells.append(cell)
        if self._cells:
            # the items stay; only their text changes (making 100 of them costs ~50 ms)
            font = self._cell_font(k, len(f"{int(matrix.max()):,}"))
            for n, cell in enumerate(self._cells):
                true, guess = divmod(n, k)
                dark = shares[true, guess] > 0.55  # cividis turns light: dark text
                cell.setText(f"{int(matrix[true, guess]):,}", "#111111" if dark else "#ffffff")
                if cell.textItem.font() != font:
                    cell.setFont(font)
        view = self.plot.getViewBox()
        view.invertY(True)  # true class 0 at the top, as matrices are written
        view.setAspectLocked(True)
        view.setRange(xRange=(-0.5, k - 0.5), yRange=(-0.5, k - 0.5), padding=0.02)
        view.setMouseEnabled(x=False, y=False)
        self.axis_labels("predicted class (what the network answered)", "true class")
        self.caption.setText(
            "Each row is one true class, each column what the network answered: the "
            "diagonal counts the right answers, everything else shows which classes get "
            "mixed up. Colour: the share of the row (dark 0, yellow all of it)."
        )

    def _cell_font(self, k: int, digits: int) -> QFont:
        """Bold text that fits a cell of a k × k matrix on screen now."""
        view = self.plot.getViewBox()
        cell = min(view.width(), view.height()) / max(k, 1)
        font = self.font_at(1.3, bold=True)
        fitting = cell * 0.8 / max(digits, 2) / 0.62  # a digit is about 0.62 em wide
        font.setPixelSize(max(8, int(min(fitting, cell * 0.45, QFontInfo(font).pixelSize()))))
        return font

    def _draw_regression(self, part: dict[str, Any]) -> None:
        trainer = self.session.trainer
        rows = trainer.train_idx if self.which() == "train" else trainer.val_idx
        if len(rows) > MAX_SCATTER_POINTS:
            rows = rows[np.linspace(0, len(rows) - 1, MAX_SCATTER_POINTS).astype(np.int64)]
        with np.errstate(all="ignore"):
            _z, outputs = trainer.network.outputs(trainer.inputs[rows])
        target = trainer.targets[rows, 0]
        output = outputs[:, 0]
        self._clear_cells()
        self.image.hide()
        self._bottom.names = []
        self._left.names = []
        self.scatter.show()
        self.diagonal.show()
        self.scatter.setData(x=target, y=output)
        finite = np.concatenate([target, output[np.isfinite(output)]])
        low, high = float(finite.min()), float(finite.max())
        if high <= low:
            low, high = low - 1, high + 1
        self.diagonal.setData([low, high], [low, high])
        view = self.plot.getViewBox()
        view.invertY(False)
        view.setAspectLocked(False)
        view.setMouseEnabled(x=True, y=True)
        pad = 0.05 * (high - low)
        view.setRange(xRange=(low - pad, high + pad), yRange=(low - pad, high + pad), padding=0)
        name = trainer.network.labels[trainer.network.depth][0]
        self.axis_labels("target", f"output {name}")
        extra = " (the first output)" if trainer.network.sizes[-1] > 1 else ""
        self.caption.setText(
            f"Each dot is one sample{extra}: its target across, the network's output up. On "
            "the dashed line the output is exactly right. R² = 1 − (sum of squared "
            "errors) / (spread of the targets around their mean): 1 is perfect, 0 is no "
            "better than always answering the mean."
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._cells:
            self.schedule()  # the counts' type follows the cells' size

    def apply_scale(self, scale: float) -> None:
        self.headline.setFont(self.font_at(1.45))
        self.scatter.setSize(POINT_SIZE * scale)
        if self.metrics is not None and self._cells:
            self.refresh_now()
