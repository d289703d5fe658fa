"""The decision map: what a two-input network answers everywhere on the input plane, as
a heat map under the data points, redrawn while training runs.

The grid values come from :mod:`bpsim.teaching.decision_map`; this view only colours them.
A single output is drawn on the blue–white–orange scale with its decision line (output
0.5, or 0 for tanh) in black; several outputs show the winning class in its colour,
paler where the network is less sure. Hovering a neuron in the network editor shows
that neuron's own map (a first-layer sigmoid neuron is a soft step along a straight
line; later neurons bend and combine those lines).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QWidget

from bpsim.gui.state.session import Session
from bpsim.gui.style.plot_style import (
    PlotPanel,
    class_color,
    class_scatter,
    data_problem,
    diverging_map,
    image_rect,
    rgba,
)
from bpsim.teaching.decision_map import DecisionMap, decision_map, neuron_map, suggest_range
from bpsim.teaching.metrics import target_classes, task_of

RESOLUTION = 121  # grid points per axis: smooth on a projector, ~1 ms for a small network
POINT_SIZE = 13
IN_USE_COLOR = "#6a3d9a"  # the selection purple of the network editor


class DecisionMapView(PlotPanel):
    """The map of the output (or of a picked or hovered neuron) over the input plane.

    ``show_neuron(layer, index)`` shows one neuron's map (layer 0 = inputs);
    ``show_neuron(None)`` goes back to what the "Show" box picks. ``current_map`` is the
    :class:`DecisionMap` on screen.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("decision_map", "decision map", parent)
        self.session = session
        self.current_map: DecisionMap | None = None
        self._hovered: tuple[int, int] | None = None
        self._ranges: tuple[tuple[float, float], tuple[float, float]] | None = None

        self.bar.addWidget(QLabel("Show:"))
        self.choice = QComboBox()
        self.choice.setObjectName("decision_map_choice")
        self.choice.setToolTip(
            "What to colour the plane by: the network's output, the winning class, or one "
            "neuron's output (hovering a neuron in the network shows its map too)"
        )
        self.choice.currentIndexChanged.connect(lambda _: self.refresh_now())
        self.bar.addWidget(self.choice)
        self.boundary_box = QCheckBox("Decision line")
        self.boundary_box.setObjectName("decision_map_boundary")
        self.boundary_box.setToolTip(
            "Draw the line where the output crosses the middle of its range (0.5 for "
            "sigmoid, 0 for tanh): the network's decision boundary"
        )
        self.boundary_box.setChecked(True)
        self.boundary_box.toggled.connect(lambda _: self.refresh_now())
        self.bar.addWidget(self.boundary_box)
        self.finish_bar()

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.export_name = "map"
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.boundary = pg.IsocurveItem(level=0.5, pen=pg.mkPen("#111111", width=3))
        self.boundary.setParentItem(self.image)
        self.boundary.setPos(0.5, 0.5)  # isocurve coordinates are pixel corners
        self.boundary.export_skip = True
        self.points: list[pg.ScatterPlotItem] = []
        self.in_use = pg.ScatterPlotItem(
            pen=pg.mkPen(IN_USE_COLOR, width=3.5), brush=None, symbol="o", size=30
        )
        self.in_use.export_name = "sample in use"
        self.in_use.setZValue(20)
        self.plot.addItem(self.in_use)
        self.colorbar = pg.ColorBarItem(
            values=(0, 1), colorMap=diverging_map(), interactive=False, width=18
        )
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.style_colorbar(self.colorbar)
        view = self.plot.getViewBox()
        view.setMouseEnabled(x=False, y=False)  # the map covers the data's box only
        view.setAspectLocked(False)

        session.lessonReplaced.connect(self._rebuild)
        session.datasetChanged.connect(self._data_changed)
        session.parametersChanged.connect(self.schedule)
        session.stateChanged.connect(self._mark_in_use)
        session.traceChanged.connect(self._mark_in_use)
        self._rebuild()

    # -- structure -------------------------------------------------------------------

    def _rebuild(self) -> None:
        """A new lesson: the choices, the points and the range start over."""
        net = self.session.trainer.network
        self._hovered = None
        self.choice.blockSignals(True)
        self.choice.clear()
        if net.sizes[0] == 2:
            depth = net.depth
            fits = data_problem(self.session) is None
            classes = fits and self._task()[0] == "classification"
            if net.sizes[-1] > 1 and classes:  # regression outputs: each its own map first
                self.choice.addItem("winning class", ("class", None))
            for j, label in enumerate(net.labels[depth]):
                self.choice.addItem(f"output {label}", ("output", j))
            if net.sizes[-1] > 1 and not classes:
                self.choice.addItem("winning class", ("class", None))
            for layer in range(1, depth):
                for j, label in enumerate(net.labels[layer]):
                    self.choice.addItem(f"neuron {label}", ("neuron", (layer, j)))
        self.choice.blockSignals(False)
        if net.sizes[0] == 2:
            self.axis_labels(net.labels[0][0], net.labels[0][1])
        self._data_changed()

    def _data_changed(self) -> None:
        self._ranges = None
        self._draw_points()
        self.refresh_now()

    def _task(self) -> tuple[str, float]:
        t = self.session.trainer
        return task_of(t.network, t.targets)

    def _draw_points(self) -> None:
        for item in self.points:
            self.plot.removeItem(item)
        self.points = []
        key: list[tuple[str, str, str]] = []
        t = self.session.trainer
        if t.network.sizes[0] != 2 or data_problem(self.session) is not None:
            self.set_key([])
            return
        x = t.inputs
        task, threshold = self._task()
        size = POINT_SIZE * max(self.scale, 1.0)
        if task == "classification":
            classes = target_classes(t.targets, threshold)
            names = self._class_names(threshold)
            items, entries = class_scatter(x, classes, names, size, "w", 2.5, "samples of ")
            self.points.extend(items)
            key.extend(entries)
        else:
            values = t.targets[:, 0]
            low, high = float(values.min()), float(values.max())
            span = high - low if high > low else 1.0
            cmap = diverging_map()
            brushes = [pg.mkBrush(cmap.map((v - low) / span, mode="qcolor")) for v in values]
            item = pg.ScatterPlotItem(
                x=x[:, 0],
                y=x[:, 1],
                symbol="o",
                size=size,
                brush=brushes,
                pen=pg.mkPen("#111111", width=2),
            )
            item.export_name = "samples"
            self.points.append(item)
            key.append(("o", "#555555", "samples, coloured by their target"))
        key.append(("◯", IN_USE_COLOR, "in the pass on screen"))
        self.set_key(key)
        for item in self.points:
            item.setZValue(10)
            self.plot.addItem(item)
        self._mark_in_use()

    def _class_names(self, threshold: float) -> list[str]:
        t = self.session.trainer
        if t.network.sizes[-1] == 1:
            return ["0", "1"] if threshold == 0.5 else ["−1", "1"]
        names = t.lesson.dataset.target_names
        if names is None or len(names) != t.network.sizes[-1]:
            names = t.network.labels[t.network.depth]
        return list(names)

    def _mark_in_use(self) -> None:
        """Ring the samples the pass on screen (or the next one) uses."""
        t = self.session.trainer
        if t.network.sizes[0] != 2 or data_problem(self.session) is not None:
            return
        rows = t.trace.indices if t.trace is not None else t.next_batch()
        if len(rows) > 12:  # a whole batch: rings everywhere would hide the points
            self.in_use.setData([], [])
            return
        self.in_use.setData(x=t.inputs[rows, 0], y=t.inputs[rows, 1])

    # -- what to show ----------------------------------------------------------------

    def show_neuron(self, neuron: object) -> None:
        """Show the map of ``("neuron", layer, index)`` (the editor's hover signal) or of
        ``(layer, index)``; None goes back to the "Show" choice."""
        picked: tuple[int, int] | None = None
        if isinstance(neuron, tuple) and len(neuron) == 3 and neuron[0] == "neuron":
            picked = (int(neuron[1]), int(neuron[2]))
        elif isinstance(neuron, tuple) and len(neuron) == 2:
            picked = (int(neuron[0]), int(neuron[1]))
        if picked == self._hovered:
            return
        self._hovered = picked
        self.refresh_now()

    def _compute(self) -> DecisionMap:
        t = self.session.trainer
        net = t.network
        if self._ranges is None:
            self._ranges = suggest_range(t.inputs)
        x_range, y_range = self._ranges
        if self._hovered is not None:
            layer, index = self._hovered
            return neuron_map(net, layer, index, x_range, y_range, RESOLUTION)
        choice: tuple[str, Any] = self.choice.currentData() or ("output", 0)
        kind, which = choice
        if kind == "neuron":
            layer, index = which
            return neuron_map(net, layer, index, x_range, y_range, RESOLUTION)
        if kind == "class":
            return decision_map(net, x_range, y_range, RESOLUTION)
        return decision_map(net, x_range, y_range, RESOLUTION, output=which)

    def refresh(self) -> None:
        t = self.session.trainer
        n_in = t.network.sizes[0]
        if n_in != 2:
            self.current_map = None
            self.show_message(
                f"The decision map needs a network with 2 inputs, to draw its answer over "
                f"the plane of x1 and x2. This network has {n_in}."
            )
            self.caption.setText("")
            return
        problem = data_problem(self.session)
        if problem is not None:
            self.current_map = None
            self.show_message(problem)
            self.caption.setText("")
            return
        self.show_message(None)
        try:
            dmap = self._compute()
        except ValueError as error:  # a neuron that no longer exists, say
            self._hovered = None
            self.caption.setText(str(error))
            return
        self.current_map = dmap
        self._draw_map(dmap)
        self.caption.setText(self._describe(dmap))

    def _draw_map(self, dmap: DecisionMap) -> None:
        self.image.export_grid = (dmap.xs, dmap.ys, dmap.values)
        rect = image_rect(dmap.xs, dmap.ys)
        if dmap.kind == "class":
            # RGB bytes: levels 0…255, or the colour bar's (0, 1) saturates every pixel white
            self.image.setImage(self._class_colours(dmap), autoLevels=False, levels=(0, 255))
            self.colorbar.hide()
            # two classes: the line where both outputs are equal (the winner changes)
            show_line = self.boundary_box.isChecked() and dmap.classes == 2
            if show_line and dmap.margin is not None:
                lead = np.nan_to_num(dmap.margin)
                self.boundary.setLevel(0.0)
                self.boundary.setData(np.where(dmap.values >= 1, lead, -lead))
            self.boundary.setVisible(show_line)
        else:
            low, high = dmap.value_range
            values = np.nan_to_num(dmap.values, nan=(low + high) / 2, posinf=high, neginf=low)
            self.image.setImage(values, autoLevels=False)
            self.colorbar.setLevels((low, high))
            self.colorbar.show()
            middle = self._middle(dmap)
            show_line = self.boundary_box.isChecked() and middle is not None
            if show_line:
                self.boundary.setLevel(middle)
                self.boundary.setData(values)
            self.boundary.setVisible(show_line)
        self.image.setRect(rect)
        self.plot.getViewBox().setRange(rect=rect, padding=0)

    def _middle(self, dmap: DecisionMap) -> float | None:
        """Where the map's decision line lies: the middle of a bounded activation, z = 0
        for a net input; None when there is no natural middle (linear, ReLU)."""
        if dmap.net_input:
            return 0.0
        if dmap.layer == 0:
            return None
        act = self.session.trainer.network.activations[dmap.layer]
        name = act.name if act is not None else "linear"
        if name in ("sigmoid", "softmax"):
            return 0.5
        if name == "tanh":
            return 0.0
        return None

    def _class_colours(self, dmap: DecisionMap) -> np.ndarray:
        """Each point in its winning class's colour, paler where the network is less sure
        (the winner only just ahead of the runner-up), but always tinted enough to tell
        the regions apart on a projector."""
        classes = dmap.classes
        table = np.array([rgba(class_color(k))[:3] for k in range(classes)], dtype=np.float64)
        winner = np.clip(np.nan_to_num(dmap.values).astype(np.int64), 0, classes - 1)
        act = self.session.trainer.network.activations[dmap.layer]
        span = 2.0 if act is not None and act.name == "tanh" else 1.0
        lead = dmap.margin if dmap.margin is not None else np.full(winner.shape, span)
        strength = np.clip(np.nan_to_num(lead) / (0.5 * span), 0.0, 1.0)
        strength = 0.3 + 0.55 * strength
        colours = 255.0 - strength[..., None] * (255.0 - table[winner])
        return colours.astype(np.uint8)

    def _describe(self, dmap: DecisionMap) -> str:
        net = self.session.trainer.network
        x1, x2 = net.labels[0][0], net.labels[0][1]
        if dmap.kind == "class":
            return (
                f"Colour: the class the network picks at each point ({x1} across, {x2} up); "
                "paler where its winning output is only just ahead. Markers: the samples, "
                "shape and colour by class."
                + (
                    " Black line: where the two outputs are equal."
                    if self.boundary.isVisible()
                    else ""
                )
            )
        act = net.activations[dmap.layer] if dmap.layer > 0 else None
        what = "input" if dmap.layer == 0 else f"{act.name if act else 'linear'} output"
        if dmap.kind == "neuron" and dmap.layer < net.depth:
            what = f"hidden neuron's {what}"
        middle = self._middle(dmap)
        line = (
            f" Black line: {dmap.label} = {middle:g}."
            if middle is not None and self.boundary.isVisible()
            else ""
        )
        low, high = dmap.value_range
        hovered = (
            f"Neuron {dmap.label}, under the mouse in the network: its own map. "
            if self._hovered is not None
            else ""
        )
        return (
            f"{hovered}Colour: {dmap.label} ({what}) at each point ({x1} across, {x2} up), blue = "
            f"{_short(low)}, white = {_short((low + high) / 2)}, orange = {_short(high)}.{line}"
        )

    def apply_scale(self, scale: float) -> None:
        self.style_colorbar(self.colorbar)
        for item in self.points:
            item.setSize(POINT_SIZE * scale)
        self.in_use.setSize(30 * scale)
        self.boundary.setPen(pg.mkPen("#111111", width=2 + scale))
        net = self.session.trainer.network
        if net.sizes[0] == 2:
            self.axis_labels(net.labels[0][0], net.labels[0][1])


def _short(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}"
