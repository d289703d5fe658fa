"""A long run in the window: a million steps of Run mode on XOR, memory sampled as it goes.

The window (offscreen, 1600×1000, every panel shown) runs XOR in Run mode exactly as a
student's would: short slices on the GUI thread, the panels refreshed about 30 times a
second. Every ``--every`` steps the resident set size is read from ``/proc/self/statm``
(no psutil) together with what the bounded structures hold:

- the loss history: capped at 2**20 points per series, after which its older half is
  compacted; until then it grows by design, 48 bytes a step here (the step, epoch and
  validation series, x and y). Counted as the bytes its points fill: its buffers double,
  but pages that were never written are not resident;
- the rewind timeline, when the window has one (``Timeline.memory_bytes``): sparse
  snapshots, thinned as it grows.

The check: after the warm-up (the first ``--warmup`` steps: imports, first paints, caches,
buffers reaching their working size), resident memory minus the loss history's own growth
may grow by at most ``--tolerance-mb``. Anything that kept something per step (a list of
losses, a per-refresh allocation that is never freed, undo or timeline entries per step)
fails it: a million steps of even 16 bytes each is 15 MiB.

``--history-capacity N`` gives the trainer a loss history capped at N points instead, so
the whole run is past the cap and memory must stay flat outright (RSS growth itself within
the tolerance).

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/long_run.py [--steps 1000000]
          [--every 50000] [--warmup 200000] [--tolerance-mb 8] [--history-capacity N]
Exit status 1 when the check fails. A reduced form runs in CI:
tests/reliability/test_long_run.py.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
MIB = 2**20


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Sample:
    steps: int
    seconds: float
    rss: int
    history: int
    timeline: int | None

    @property
    def rest(self) -> int:
        """Resident memory not explained by the loss history."""
        return self.rss - self.history


def history_bytes(history: object) -> int:
    """Bytes the loss history's points fill (x and y, float64), in every series."""
    series = (history.step_loss, history.epoch_train_loss, history.epoch_val_loss)  # type: ignore[attr-defined]
    return sum(len(s) for s in series) * 16


def table(samples: list[Sample]) -> str:
    lines = [
        "| steps | time s | steps/s | RSS MiB | loss history MiB | RSS − history MiB "
        "| timeline MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous: Sample | None = None
    for s in samples:
        rate = (
            (s.steps - previous.steps) / max(s.seconds - previous.seconds, 1e-9)
            if previous is not None
            else float("nan")
        )
        timeline = "—" if s.timeline is None else f"{s.timeline / MIB:.2f}"
        lines.append(
            f"| {s.steps:,} | {s.seconds:.1f} | {rate:,.0f} | {s.rss / MIB:.1f} "
            f"| {s.history / MIB:.1f} | {s.rest / MIB:.1f} | {timeline} |"
        )
        previous = s
    return "\n".join(lines)


def check(samples: list[Sample], warmup: int, tolerance: int, outright: bool) -> str | None:
    """None when memory stayed flat after the warm-up, else what grew."""
    after = [s for s in samples if s.steps >= warmup]
    if len(after) < 2:
        return f"too few samples after the warm-up of {warmup:,} steps"
    base = after[0]
    for s in after[1:]:
        growth = (s.rss - base.rss) if outright else (s.rest - base.rest)
        if growth > tolerance:
            what = "resident memory" if outright else "resident memory beyond the loss history"
            return (
                f"{what} grew by {growth / MIB:.1f} MiB between step {base.steps:,} and "
                f"step {s.steps:,} (allowed {tolerance / MIB:.1f} MiB)"
            )
    return None


def timeline_bytes(window: object) -> int | None:
    """The rewind timeline's memory, if the window has one."""
    try:
        from bpsim.gui.state.rewind import Rewind
    except ImportError:
        return None
    rewind = window.findChild(Rewind)  # type: ignore[attr-defined]
    if rewind is None:
        return None
    return int(rewind.timeline.memory_bytes())


def run(
    steps: int,
    every: int,
    lesson: Path,
    history_capacity: int | None,
    size: tuple[int, int] = (1600, 1000),
) -> list[Sample]:
    """Run mode in the window until ``steps`` steps; a sample every ``every`` steps."""
    from PySide6.QtCore import QTimer

    from bpsim.core.history import History
    from bpsim.gui.app import make_application
    from bpsim.gui.shell.main_window import MainWindow

    app = make_application()
    window = MainWindow(lesson)
    window.resize(*size)
    window.show()
    session = window.session
    if history_capacity is not None:
        session.trainer.history = History(history_capacity)
    samples: list[Sample] = []
    start = time.perf_counter()
    next_sample = every

    def sample(count: int) -> None:
        gc.collect()
        trainer = session.trainer
        samples.append(
            Sample(
                steps=count,
                seconds=time.perf_counter() - start,
                rss=rss_bytes(),
                history=history_bytes(trainer.history),
                timeline=timeline_bytes(window),
            )
        )
        print(
            f"{count:>10,} steps  RSS {samples[-1].rss / MIB:7.1f} MiB  "
            f"history {samples[-1].history / MIB:6.1f} MiB",
            file=sys.stderr,
            flush=True,
        )

    def finish() -> None:
        timer.stop()
        session.pause()
        app.exit(0)  # not quit(): that would ask to save the unsaved run first

    def poll() -> None:
        nonlocal next_sample
        count = session.trainer.step_count
        if session.trainer.divergence is not None or not session.running:
            finish()
            return
        if count >= next_sample:
            sample(count)
            next_sample += every
        if count >= steps:
            finish()

    sample(0)
    timer = QTimer()
    timer.setInterval(25)
    timer.timeout.connect(poll)
    timer.start()
    session.start()
    app.exec()
    timer.stop()
    session.pause()
    window.setWindowModified(False)
    window.close()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=50_000)
    parser.add_argument("--warmup", type=int, default=200_000)
    parser.add_argument("--tolerance-mb", type=float, default=8.0)
    parser.add_argument("--history-capacity", type=int, default=None)
    parser.add_argument(
        "--lesson", type=Path, default=REPO / "resources" / "examples" / "03_xor.bpsim"
    )
    args = parser.parse_args(argv)
    samples = run(args.steps, args.every, args.lesson, args.history_capacity)
    print(table(samples))
    problem = check(
        samples,
        args.warmup,
        int(args.tolerance_mb * MIB),
        outright=args.history_capacity is not None,
    )
    if samples[-1].steps < args.steps:
        problem = f"Run stopped at step {samples[-1].steps:,} (diverged or stopped early)"
    if problem is not None:
        print(f"\nFAILED: {problem}")
        return 1
    print(f"\nOK: memory flat after {args.warmup:,} steps (within {args.tolerance_mb} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
