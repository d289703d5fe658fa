"""Long runs keep memory flat: the reduced form of benchmarks/long_run.py.

The full check (a million steps of Run mode on XOR, memory sampled every 50,000 steps) is
``QT_QPA_PLATFORM=offscreen python benchmarks/long_run.py``; see benchmarks/README.md.
Here a loss history with a small cap reaches its steady state within seconds, so resident
memory must stay flat after it: in the engine over 100,000 steps, and in the window over
a short Run, where nothing may pile up per slice or per refresh (timers, objects, undo
entries, rewind records beyond their bounds).
"""

from __future__ import annotations

import gc
import os
import sys

import pytest
from PySide6.QtCore import QAbstractAnimation, QObject
from pytestqt.qtbot import QtBot

from bpsim.core.history import History
from bpsim.gui import MainWindow
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm"),
]
MIB = 2**20
CAPACITY = 4096  # points per loss series: steady after ~4,000 steps
TOLERANCE = 6 * MIB  # allocator noise; a leak of 64 bytes a step over 100,000 steps is 6 MiB
WINDOW_TOLERANCE = 3 * MIB  # 100 bytes a step over the 32,000 steps sampled is 3 MiB


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def lasting_objects(window: MainWindow) -> int:
    """QObjects under the window, leaving out animations (they come and go on their own)."""
    return sum(not isinstance(o, QAbstractAnimation) for o in window.findChildren(QObject))


def xor_path():
    example = find_example("xor")
    assert example is not None
    return example.path


def test_engine_memory_is_flat_over_100k_steps() -> None:
    trainer = trainer_from_lesson_file(xor_path())
    trainer.history = History(CAPACITY)
    trainer.run_steps(20_000)  # warm-up: buffers at their working size
    history_bytes = trainer.history.memory_bytes()
    samples = [rss()]
    for _ in range(8):
        trainer.run_steps(10_000)
        samples.append(rss())
    assert trainer.step_count == 100_000
    assert trainer.history.memory_bytes() == history_bytes  # compacted, not grown
    assert len(trainer.history.step_loss) < CAPACITY
    assert max(samples) - samples[0] < TOLERANCE, [s // 1024 for s in samples]


def test_run_in_the_window_keeps_memory_flat(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: w.setWindowModified(False))
    window.resize(1280, 860)
    window.show()
    trainer = trainer_from_lesson_file(xor_path())
    trainer.history = History(CAPACITY)
    window.session.replace_trainer(trainer, None)  # every panel (and rewind) follows it
    session = window.session

    session.start()
    qtbot.waitUntil(lambda: trainer.step_count >= 8_000, timeout=60_000)  # warm-up
    objects = lasting_objects(window)
    samples = [rss()]
    for target in (16_000, 24_000, 32_000, 40_000):
        qtbot.waitUntil(lambda t=target: trainer.step_count >= t, timeout=60_000)
        samples.append(rss())
    # nothing accumulates per slice or per refresh: no new objects, no undo entries
    assert lasting_objects(window) == objects
    session.pause()
    assert not session.running and trainer.divergence is None
    assert len(trainer.history.step_loss) < CAPACITY
    assert window.controller.undo_stack.count() == 0
    assert max(samples) - samples[0] < WINDOW_TOLERANCE, [s // 1024 for s in samples]
