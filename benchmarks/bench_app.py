"""The window's speed figures, measured offscreen (QT_QPA_PLATFORM=offscreen).

- ``help``: wall time of ``bpsim train --help`` (a new process; the headless path must
  not import Qt), best of five;
- ``start``: from launching a new process to the window's first paint, and its memory
  (resident set size) with the digits example open;
- ``click``: Forward (and Backward) → every panel updated and painted, on 2-2-2 and on
  64-20-20-10, median of many clicks;
- ``live``: Run on XOR 2-4-1 and on digits 64-20-20-10, interleaved with the headless
  ``run_steps`` in the same process (9 rounds of 1.5 s each way): the engine's speed in
  the window as a fraction of headless, frames a second painted by the loss plot and the
  editor; then how long Pause took to act when pressed at a random moment;
- ``plot``: the loss plot redrawing a history of 1,000,000 points.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_app.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "resources" / "examples"
SEED000 = EXAMPLES / "01_seed000_worked_example.bpsim"
XOR = EXAMPLES / "03_xor.bpsim"
DIGITS = EXAMPLES / "06_digits.bpsim"


def bench_help() -> dict[str, float]:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bpsim", "train", "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return {"train_help_s": min(times)}


START_SCRIPT = r"""
import os, sys, time
launched = float(sys.argv[1])
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
app = QApplication([])
from bpsim.gui import MainWindow
painted = []
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not painted:
            painted.append(time.time())
        return False
window = MainWindow(sys.argv[2])
watch = FirstPaint()
window.installEventFilter(watch)
window.resize(1600, 1000)
window.show()
while not painted:
    app.processEvents()
    window.repaint()
with open("/proc/self/statm") as f:
    rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
print(painted[0] - launched, rss)
"""


def bench_start() -> dict[str, float]:
    firsts, rss_values = [], []
    for path in (SEED000, DIGITS, DIGITS):
        launched = time.time()
        done = subprocess.run(
            [sys.executable, "-c", START_SCRIPT, str(launched), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        first, rss = done.stdout.split()
        firsts.append(float(first))
        if path == DIGITS:
            rss_values.append(int(rss))
    return {"first_paint_s": min(firsts), "rss_digits_mb": min(rss_values) / 2**20}


def _app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def bench_click() -> dict[str, float]:
    from PySide6.QtGui import QAction

    from bpsim.gui import MainWindow

    app = _app()
    out: dict[str, float] = {}
    for label, path in (("2-2-2", SEED000), ("64-20-20-10", DIGITS)):
        window = MainWindow(path)
        window.resize(1600, 1000)
        window.show()
        app.processEvents()
        forward = window.findChild(QAction, "forward")
        backward = window.findChild(QAction, "backward")
        step = window.findChild(QAction, "step")
        times: dict[str, list[float]] = {"forward": [], "backward": []}
        for _ in range(15):
            for name, action in (("forward", forward), ("backward", backward)):
                start = time.perf_counter()
                action.trigger()
                app.processEvents()
                for panel in window.panels.values():
                    panel.repaint()  # paint now, as the screen would on the next frame
                times[name].append(time.perf_counter() - start)
            step.trigger()
            app.processEvents()
        out[f"forward_click_ms_{label}"] = statistics.median(times["forward"]) * 1000
        out[f"backward_click_ms_{label}"] = statistics.median(times["backward"]) * 1000
        window.session.reset()
        window.setWindowModified(False)
        window.close()
    return out


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    """Median, 10th and 90th percentile (with few rounds: near the extremes)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    deciles = statistics.quantiles(ordered, n=10, method="inclusive")
    return statistics.median(ordered), deciles[0], deciles[-1]


def _live_lesson(path: Path, rounds: int, seconds: float) -> dict[str, float]:
    """Run in the window against ``run_steps`` headless, in one process, interleaved:
    each round runs the headless trainer for ``seconds`` and then the window's Run for as
    long. Early stopping is switched off in both (the digits lesson stops after 3,825
    steps, a fraction of a second headless), so every round trains at steady state."""
    import dataclasses

    from pyqtgraph import PlotWidget
    from PySide6.QtCore import QEvent, QObject

    from bpsim.gui import MainWindow
    from bpsim.lessons.files import trainer_from_lesson_file

    app = _app()
    headless = trainer_from_lesson_file(path)
    headless.training = dataclasses.replace(headless.training, patience=None)
    headless.run_steps(500)
    window = MainWindow(path)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    session = window.session
    session.trainer.training = dataclasses.replace(session.trainer.training, patience=None)
    counts = {"plot": 0, "editor": 0, "frames": 0, "detail": 0}

    class Painted(QObject):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                counts[self.name] += 1
            return False

    plot = window.panels["loss_plot"].findChild(PlotWidget, "loss_plot_canvas")
    watchers = [Painted("plot"), Painted("editor")]
    plot.viewport().installEventFilter(watchers[0])
    window.panels["network_editor"].viewport().installEventFilter(watchers[1])

    def frame() -> None:
        counts["frames"] += 1

    def detail(name: str) -> None:
        if name == "run":
            counts["frames"] += 1
            counts["detail"] += 1

    session.runProgress.connect(frame)
    session.phaseFinished.connect(detail)
    rows: dict[str, list[float]] = {
        "wall": [],
        "cpu": [],
        "plot_fps": [],
        "editor_fps": [],
        "frames": [],
        "detail": [],
        "headless": [],
        "plot_fps_cpu": [],
        "editor_fps_cpu": [],
    }
    session.start()  # warm up: the pacing measures both kinds of frame
    warm = time.perf_counter()
    while time.perf_counter() - warm < 0.5:
        app.processEvents()
    session.pause()
    for _ in range(rounds):
        steps, wall, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            steps += headless.run_steps(256)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        headless_wall, headless_cpu = steps / wall, steps / cpu
        for name in counts:
            counts[name] = 0
        before = session.trainer.step_count
        session.start()
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            app.processEvents()
        session.pause()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        steps = session.trainer.step_count - before
        rows["wall"].append(steps / wall / headless_wall)
        rows["cpu"].append(steps / cpu / headless_cpu)
        rows["headless"].append(headless_wall)
        rows["plot_fps"].append(counts["plot"] / wall)
        rows["editor_fps"].append(counts["editor"] / wall)
        rows["frames"].append(counts["frames"] / wall)
        rows["detail"].append(counts["detail"] / wall)
        # Run never leaves the CPU idle, so on a quiet core wall time would equal this
        # process's CPU time: frames per CPU second are the frame rate without the load
        rows["plot_fps_cpu"].append(counts["plot"] / cpu)
        rows["editor_fps_cpu"].append(counts["editor"] / cpu)
    window.setWindowModified(False)
    window.close()
    out: dict[str, float] = {}
    for name, values in rows.items():
        median, low, high = _quantiles(values)
        out[name], out[f"{name}_p10"], out[f"{name}_p90"] = median, low, high
    return out


def bench_live(rounds: int = 9, seconds: float = 1.5) -> dict[str, float]:
    """Run on XOR 2-4-1 and on digits 64-20-20-10: engine speed inside Run as a fraction
    of ``run_steps`` headless (wall clock and this process's CPU time), how often the loss
    plot and the editor painted, frames and detail frames a second; then how long Pause
    takes to act when pressed at a random moment."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from bpsim.gui import MainWindow

    result: dict[str, float] = {"load_average_1min": os.getloadavg()[0]}
    for label, path in (("xor", XOR), ("digits", DIGITS)):
        for key, value in _live_lesson(path, rounds, seconds).items():
            result[f"{label}_{key}"] = value

    app = _app()
    window = MainWindow(XOR)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    session = window.session
    # Pause latency: a key press arrives from outside at a random moment.
    latencies = []
    for delay in (0.13, 0.27, 0.41, 0.05, 0.33):
        if not session.running:
            session.start()
        pressed: list[float] = []
        stopped: list[float] = []

        def press(delay: float = delay, pressed: list[float] = pressed) -> None:
            time.sleep(delay)
            pressed.append(time.perf_counter())
            QApplication.postEvent(
                window,
                QKeyEvent(
                    QEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " "
                ),
            )

        def note(running: bool, stopped: list[float] = stopped) -> None:
            if not running and not stopped:
                stopped.append(time.perf_counter())

        session.runningChanged.connect(note)
        thread = threading.Thread(target=press)
        thread.start()
        deadline = time.perf_counter() + delay + 2.0
        while not stopped and time.perf_counter() < deadline:
            app.processEvents()
        thread.join()
        session.runningChanged.disconnect(note)
        if stopped and pressed:
            latencies.append(stopped[0] - pressed[0])
        session.pause()
    window.setWindowModified(False)
    window.close()
    result["pause_latency_ms_max"] = max(latencies) * 1000 if latencies else float("nan")
    result["load_average_1min_after"] = os.getloadavg()[0]
    return result


def bench_plot() -> dict[str, float]:
    import numpy as np

    from bpsim.gui.panels.loss_plot import LossPlot
    from bpsim.gui.state.session import Session
    from bpsim.lessons.files import trainer_from_lesson_file

    app = _app()
    trainer = trainer_from_lesson_file(SEED000)
    rng = np.random.default_rng(0)
    losses = np.abs(rng.normal(size=1_000_000)).cumsum()[::-1] / 1e6
    trainer.history.step_loss.set(np.arange(1, losses.size + 1.0), losses)
    session = Session(trainer)
    plot = LossPlot(session)
    plot.resize(900, 500)
    plot.show()
    app.processEvents()
    times = []
    for _ in range(15):
        start = time.perf_counter()
        session.historyChanged.emit()
        app.processEvents()
        plot.repaint()
        times.append(time.perf_counter() - start)
    memory = trainer.history.memory_bytes()
    plot.close()
    return {"plot_1m_redraw_ms": statistics.median(times) * 1000, "history_mb": memory / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--only", nargs="*", choices=("help", "start", "click", "live", "plot"))
    parser.add_argument("--rounds", type=int, default=9, help="live: interleaved rounds")
    parser.add_argument("--seconds", type=float, default=1.5, help="live: seconds a round")
    args = parser.parse_args()
    benches = {
        "help": bench_help,
        "start": bench_start,
        "click": bench_click,
        "live": lambda: bench_live(args.rounds, args.seconds),
        "plot": bench_plot,
    }
    results: dict[str, float] = {}
    for name, bench in benches.items():
        if args.only and name not in args.only:
            continue
        part = bench()
        for key, value in part.items():
            print(f"{key:<36} {value:10.3f}", flush=True)
        results.update(part)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"date": time.strftime("%Y-%m-%d"), **results}, indent=2)
        )


if __name__ == "__main__":
    main()
