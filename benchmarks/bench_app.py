"""The window's speed figures, measured offscreen (QT_QPA_PLATFORM=offscreen).

- ``help``: wall time of ``bpsim train --help`` (a new process; the headless path must
  not import Qt), best of five;
- ``start``: from launching a new process to the window's first paint, and its memory
  (resident set size) with the digits example open;
- ``click``: Forward (and Backward) → every panel updated and painted, on 2-2-2 and on
  64-20-20-10, median of many clicks;
- ``live``: Run on XOR 2-4-1 for a few seconds: engine steps per second compared with the
  headless engine, how often each panel repainted, and how long Pause took to act when
  pressed at a random moment;
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


def bench_live(seconds: float = 4.0) -> dict[str, float]:
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from bpsim.gui import MainWindow
    from bpsim.lessons.files import trainer_from_lesson_file

    app = _app()
    headless = trainer_from_lesson_file(XOR)
    headless.train_steps(1000)
    start = time.perf_counter()
    n = headless.train_steps(200_000)
    headless_rate = n / (time.perf_counter() - start)

    window = MainWindow(XOR)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    paints: dict[str, int] = {name: 0 for name in window.panels}

    class PaintCounter(QObject):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints[self.name] += 1
            return False

    counters = []
    for name, panel in window.panels.items():
        counter = PaintCounter(name)
        target = panel.viewport() if hasattr(panel, "viewport") else panel
        target.installEventFilter(counter)
        for child in panel.findChildren(QObject):
            if hasattr(child, "viewport"):
                child.viewport().installEventFilter(counter)
        counters.append(counter)
    session = window.session
    trainer = session.trainer
    steps_before = trainer.step_count
    session.start()
    run_start = time.perf_counter()
    while time.perf_counter() - run_start < seconds:
        app.processEvents()
    elapsed = time.perf_counter() - run_start
    steps = session.trainer.step_count - steps_before
    for name in paints:
        paints[name] = 0
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
    # Repaint rate over a fresh run of known length.
    for name in paints:
        paints[name] = 0
    session.start()
    run_start = time.perf_counter()
    while time.perf_counter() - run_start < 2.0:
        app.processEvents()
    session.pause()
    paint_elapsed = time.perf_counter() - run_start
    window.setWindowModified(False)
    window.close()
    result = {
        "headless_steps_per_s": headless_rate,
        "run_steps_per_s": steps / elapsed,
        "run_fraction_of_headless": steps / elapsed / headless_rate,
        "pause_latency_ms_max": max(latencies) * 1000 if latencies else float("nan"),
    }
    for name, count in paints.items():
        result[f"repaints_per_s_{name}"] = count / paint_elapsed
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
    args = parser.parse_args()
    benches = {
        "help": bench_help,
        "start": bench_start,
        "click": bench_click,
        "live": bench_live,
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
