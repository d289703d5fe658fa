"""How long a structural edit takes to show in all three panels.

Each edit (add or remove a neuron, add a layer, change an activation, remove a link,
rename, undo, redo, one step of a drag) is timed from the call to
``controller.structure`` until the network editor, the loss plot and the parameter
table have handled every signal and repainted. The panels sit side by side in a
1600×900 splitter, offscreen; the median of five runs is reported in milliseconds.

Only the three core panels are built here, so the numbers are theirs; the main window's
other docks (decision map, landscape, metrics …) follow ``lessonReplaced`` too and add
their own rebuild time.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_editing.py
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QSplitter

from bpsim.gui.panels.loss_plot import LossPlot
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.lessons.files import trainer_from_text

RUNS = 5
NETWORKS: tuple[tuple[str, list[int], int], ...] = (
    ("200 neurons, 20-60-60-40-20", [20, 60, 60, 40, 20], 2),
    ("200 neurons, 16 layers of 12", [12] * 16 + [8], 8),
    ("784-32-10", [784, 32, 10], 1),
    ("784-100-100-10", [784, 100, 100, 10], 1),
)


def lesson_text(sizes: list[int], samples: int = 64) -> str:
    rng = np.random.default_rng(0)
    layers: list[dict] = [{"size": sizes[0]}]
    layers += [{"size": s, "activation": "tanh"} for s in sizes[1:-1]]
    layers.append({"size": sizes[-1], "activation": "softmax"})
    targets = np.eye(sizes[-1])[np.arange(samples) % sizes[-1]]
    return json.dumps(
        {
            "format": "bpsim",
            "version": 1,
            "layers": layers,
            "loss": "cross_entropy",
            "optimizer": {"name": "adam"},
            "training": {"batch_size": 16},
            "dataset": {
                "inputs": rng.random((samples, sizes[0])).round(3).tolist(),
                "targets": targets.tolist(),
            },
        }
    )


def measure(app: QApplication, sizes: list[int], hidden: int) -> dict[str, float]:
    session = Session(trainer_from_text(lesson_text(sizes)))
    controller = Controller(session)
    panels = [NetworkEditor(session, controller), LossPlot(session)]
    panels.append(ParameterTable(session, controller))
    splitter = QSplitter()
    for panel in panels:
        splitter.addWidget(panel)
    splitter.resize(1600, 900)
    splitter.show()
    app.processEvents()
    session.epoch()
    app.processEvents()
    edit, stack = controller.structure, controller.undo_stack

    def timed(action: Callable[[], object]) -> float:
        start = time.perf_counter()
        action()
        app.processEvents()
        for panel in panels:
            panel.repaint()
        return (time.perf_counter() - start) * 1000

    cases: dict[str, Callable[[], object]] = {
        "add neuron": lambda: edit.add_neuron(hidden),
        "remove neuron": lambda: edit.remove_neuron(hidden, 0),
        "add layer": lambda: edit.add_layer(hidden),
        "activation": lambda: edit.set_activation(hidden, "relu"),
        "remove link": lambda: edit.set_link(hidden - 1, 0, 0, False),
        "rename": lambda: edit.rename_neuron(hidden, 0, "q"),
    }
    results: dict[str, float] = {}
    undo: list[float] = []
    redo: list[float] = []
    for name, action in cases.items():
        times = []
        for _ in range(RUNS):
            times.append(timed(action))
            undo.append(timed(stack.undo))
        results[name] = statistics.median(times)
    stack.undo() if stack.canUndo() else None
    for _ in range(RUNS):
        edit.add_neuron(hidden)
        app.processEvents()
        stack.undo()
        app.processEvents()
        redo.append(timed(stack.redo))
        stack.undo()
    results["undo"] = statistics.median(undo)
    results["redo"] = statistics.median(redo)
    drag = edit.begin_drag()
    panels[0]._drag = drag  # as while the mouse drags: only the neuron and its lines move
    steps = [
        timed(lambda n=n: edit.move_neuron(hidden, 1, (hidden + 0.01 * n, 0.5), drag))
        for n in range(1, 11)
    ]
    results["drag step"] = statistics.median(steps)
    panels[0]._drag = None
    splitter.close()
    return results


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    for title, sizes, hidden in NETWORKS:
        results = measure(app, sizes, hidden)
        print(f"{title:30s} " + ", ".join(f"{k} {v:.0f}" for k, v in results.items()) + " ms")


if __name__ == "__main__":
    main()
